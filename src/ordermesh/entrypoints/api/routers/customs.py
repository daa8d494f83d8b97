"""/v1/fulfillment-orders/{id}/commercial-invoice: the customs invoice of goods that cross a border.

The pro-forma states the units a fulfilment order asks its location to ship, before they ship; the
commercial invoice of a shipment (`/shipments/{shipment_id}/commercial-invoice`) the units that shipment
carried. Both are JSON, or PDF with `Accept: application/pdf` or the `.pdf` path. Issuing one changes
nothing, but it states the company's registrations and a signed declaration, so it takes a key that may
fulfil (admin, operator, integration), like the other fulfilment documents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from ordermesh.adapters.documents.commercial_invoice_pdf import render_commercial_invoice
from ordermesh.domain.customs import (
    CommercialInvoice,
    CustomsDataMissing,
    CustomsNotRequired,
    CustomsProfile,
    ExportReason,
    Incoterm,
    InvoiceOptions,
    dotted,
)
from ordermesh.entrypoints.api.problems import problem
from ordermesh.entrypoints.api.schemas.customs import CommercialInvoiceOut
from ordermesh.entrypoints.api.security import Ctx, Fulfiller
from ordermesh.services import customs

router = APIRouter(prefix="/v1/fulfillment-orders", tags=["customs"])

JSON = "application/json"
PDF = "application/pdf"


def customs_profile(request: Request) -> CustomsProfile:
    """The company's customs identity, built from the settings by the app factory."""
    profile: CustomsProfile = request.app.state.customs
    return profile


def invoice_options(
    incoterm: Annotated[
        Incoterm | None, Query(description="Incoterm for this invoice (default: DDP for the destinations and "
                                           "channels configured so, ORDERMESH_CUSTOMS_INCOTERM otherwise)")
    ] = None,
    reason: Annotated[ExportReason, Query(description="Reason for export")] = ExportReason.SALE,
    packages: Annotated[int | None, Query(ge=1, le=9999, description="Number of packages (default 1)")] = None,
    insurance: Annotated[
        Decimal, Query(ge=0, lt=Decimal("1e12"), description="Insurance charge, in the order's currency")
    ] = Decimal(0),
    gross_weight_kg: Annotated[
        Decimal | None,
        Query(gt=0, le=1_000_000, description="Weighed gross weight (default: net weight plus packaging per package)"),
    ] = None,
    force: Annotated[bool, Query(description="Issue one even though the goods stay in their country")] = False,
) -> InvoiceOptions:
    grams = None if gross_weight_kg is None else int((gross_weight_kg * 1000).to_integral_value(ROUND_HALF_UP))
    return InvoiceOptions(
        incoterm=incoterm,
        reason=reason,
        packages=packages,
        insurance=insurance,
        gross_weight_grams=grams,
        force=force,
    )


Profile = Annotated[CustomsProfile, Depends(customs_profile)]
Options = Annotated[InvoiceOptions, Depends(invoice_options)]

_PDF_CONTENT: dict[str, Any] = {PDF: {"schema": {"type": "string", "format": "binary"}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such fulfilment order or shipment"},
    409: {"description": "Nothing crosses a border (domestic: `force=true` issues one anyway), or no units"},
    422: {"description": "What the invoice cannot state, each field named (`errors[].path`: `lines[0].hs_code`)"},
}
NEGOTIATED: dict[int | str, dict[str, Any]] = {
    200: {"description": "The invoice as JSON, or as PDF when Accept prefers it", "content": _PDF_CONTENT},
    406: {"description": "Accept takes neither JSON nor PDF"},
    **_ERRORS,
}
PDF_ONLY: dict[int | str, dict[str, Any]] = {
    200: {"description": "The invoice as PDF", "content": _PDF_CONTENT},
    **_ERRORS,
}


@router.get("/{fo_id}/commercial-invoice", response_model=CommercialInvoiceOut, responses=NEGOTIATED)
def proforma_invoice(
    fo_id: str, request: Request, ctx: Ctx, _: Fulfiller, profile: Profile, options: Options
) -> Response:
    """The pro-forma invoice of the units the fulfilment order asks its location to ship."""
    invoice = customs.commercial_invoice(ctx, fo_id=fo_id, profile=profile, options=options)
    return _negotiated(invoice, request.headers.get("accept"))


@router.get("/{fo_id}/commercial-invoice.pdf", response_class=Response, responses=PDF_ONLY)
def proforma_invoice_pdf(fo_id: str, ctx: Ctx, _: Fulfiller, profile: Profile, options: Options) -> Response:
    """The pro-forma invoice as PDF."""
    return _pdf(customs.commercial_invoice(ctx, fo_id=fo_id, profile=profile, options=options))


@router.get(
    "/{fo_id}/shipments/{shipment_id}/commercial-invoice", response_model=CommercialInvoiceOut, responses=NEGOTIATED
)
def shipment_invoice(
    fo_id: str, shipment_id: str, request: Request, ctx: Ctx, _: Fulfiller, profile: Profile, options: Options
) -> Response:
    """The commercial invoice of the units one shipment of the fulfilment order carried."""
    invoice = customs.commercial_invoice(ctx, fo_id=fo_id, shipment_id=shipment_id, profile=profile, options=options)
    return _negotiated(invoice, request.headers.get("accept"))


@router.get("/{fo_id}/shipments/{shipment_id}/commercial-invoice.pdf", response_class=Response, responses=PDF_ONLY)
def shipment_invoice_pdf(
    fo_id: str, shipment_id: str, ctx: Ctx, _: Fulfiller, profile: Profile, options: Options
) -> Response:
    """The commercial invoice of one shipment as PDF."""
    return _pdf(customs.commercial_invoice(ctx, fo_id=fo_id, shipment_id=shipment_id, profile=profile, options=options))


def _negotiated(invoice: CommercialInvoice, accept: str | None) -> Response:
    kind = preferred(accept)
    if kind is None:
        return problem(406, "not-acceptable", "the invoice is served as application/json or application/pdf",
                       title="Not acceptable")
    response = _pdf(invoice) if kind == PDF else JSONResponse(CommercialInvoiceOut.of(invoice).model_dump(mode="json"))
    response.headers["Vary"] = "Accept"
    return response


def _pdf(invoice: CommercialInvoice) -> Response:
    return Response(
        render_commercial_invoice(invoice),
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
    )


def preferred(accept: str | None) -> str | None:
    """JSON or PDF, whichever the Accept header ranks higher (JSON on a tie or without one); None for neither."""
    if not accept or not accept.strip():
        return JSON
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media.lower()] = max(weight, weights.get(media.lower(), 0.0))

    def rank(kind: str) -> tuple[float, bool]:
        for candidate in (kind, "application/*", "*/*"):
            if candidate in weights:
                return weights[candidate], candidate == kind
        return 0.0, False

    pdf, json = rank(PDF), rank(JSON)
    if max(pdf[0], json[0]) <= 0:
        return None
    return PDF if pdf > json else JSON


# --- errors (registered by the app factory) -------------------------------------------------------------


async def customs_data_missing(request: Request, exc: Exception) -> JSONResponse:
    """422 naming every value the invoice cannot state, by its path in the invoice."""
    assert isinstance(exc, CustomsDataMissing)
    errors = [{"loc": list(path), "path": dotted(path), "msg": message} for path, message in exc.problems]
    return problem(422, "customs-data-missing", exc.detail, title=exc.title, errors=errors)


async def customs_not_required(request: Request, exc: Exception) -> JSONResponse:
    """409: nothing crosses a border; for a domestic shipment, say how to get one anyway."""
    assert isinstance(exc, CustomsNotRequired)
    detail = f"{exc.detail}; ask with force=true to issue one anyway" if exc.overridable else exc.detail
    return problem(409, "customs-not-required", detail, title=exc.title)


EXCEPTION_HANDLERS = ((CustomsDataMissing, customs_data_missing), (CustomsNotRequired, customs_not_required))
