"""/v1/partners (trading partner profiles, admin) and /v1/edi (the inbound endpoint and the document log)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ordermesh.domain.errors import InvalidInput, NotFound
from ordermesh.entrypoints.api.problems import problem
from ordermesh.entrypoints.api.schemas.common import PageOut
from ordermesh.entrypoints.api.schemas.erp import AcknowledgedOut, AcknowledgementIn
from ordermesh.entrypoints.api.schemas.partner_messages import PartnerMessageIn, raw_text
from ordermesh.entrypoints.api.schemas.partners import DocumentOut, InboundOut, PartnerIn, PartnerOut, PartnerPatch
from ordermesh.entrypoints.api.security import Administrator, Ctx, Fulfiller, Reader
from ordermesh.services import partners
from ordermesh.services.edi_inbound import DocumentNotApplied, receive_x12
from ordermesh.services.erp_acknowledgements import acknowledge
from ordermesh.services.partner_messages import receive_message
from ordermesh.services.partner_ports import DocumentFilter

router = APIRouter(prefix="/v1/partners", tags=["partners"])
edi = APIRouter(prefix="/v1/edi", tags=["edi"])
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


@router.post("", status_code=201)
def add_partner(body: PartnerIn, ctx: Ctx, actor: Administrator, response: Response) -> PartnerOut:
    """Configure a trading partner (its secrets are stored, never returned)."""
    record = partners.add_partner(ctx, draft=body.draft(), secrets=body.secrets, actor=actor)
    response.headers["Location"] = f"/v1/partners/{record.partner.id}"
    return PartnerOut.of(record)


@router.get("")
def list_partners(
    ctx: Ctx, _: Administrator, after: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> PageOut[PartnerOut]:
    page = partners.list_partners(ctx, after=after, limit=limit)
    return PageOut[PartnerOut](data=[PartnerOut.of(r) for r in page.rows], next_cursor=page.next_cursor)


@router.get("/{partner_id}")
def get_partner(partner_id: str, ctx: Ctx, _: Administrator) -> PartnerOut:
    return PartnerOut.of(partners.get_partner(ctx, partner_id))


@router.patch("/{partner_id}")
def update_partner(partner_id: str, body: PartnerPatch, ctx: Ctx, actor: Administrator) -> PartnerOut:
    """Replace the profile and/or the secrets."""
    draft = body.profile.draft() if body.profile is not None else None
    record = partners.update_partner(ctx, partner_id=partner_id, draft=draft, secrets=body.secrets, actor=actor)
    return PartnerOut.of(record)


@router.post("/{partner_id}/messages")
def message(partner_id: str, body: PartnerMessageIn, ctx: Ctx, actor: Fulfiller, response: Response) -> DocumentOut:
    """Take one JSON message from an API-native partner: a shipment, an inventory snapshot or a receipt.

    200 with the document it made (or made before: the same `message_id` applies once, header
    `Ordermesh-Repeated: true`); 422 naming the field when it cannot be applied (logged as failed, nothing applied).
    """
    result = receive_message(ctx, partner_id=partner_id, message=body.read(raw_text(body)), actor=actor)
    if result.repeated:
        response.headers["Ordermesh-Repeated"] = "true"
    return DocumentOut.of(result.document, full=True)


@router.post("/{partner_id}/acknowledgements")
def acknowledgement(partner_id: str, body: AcknowledgementIn, ctx: Ctx, actor: Fulfiller) -> AcknowledgedOut:
    """Record an ERP's answer to a document it was sent: the document becomes `accepted` or `refused`.

    The same answer again changes nothing (`repeated`); 404 naming the number when the partner was never sent it.
    """
    result = acknowledge(ctx, partner_id=partner_id, acknowledgement=body.acknowledgement(), actor=actor)
    return AcknowledgedOut.of(result)


@edi.post("/inbound")
async def inbound(request: Request, ctx: Ctx, actor: Fulfiller) -> InboundOut:
    """Take one X12 interchange as the raw body (any delimiters): read, validate, apply, answer with 997s.

    422 when any part could not be read or applied: every document is still logged, with errors naming the
    segment and element; nothing of the interchange is applied then.
    """
    body = await request.body()
    if len(body) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(f"an interchange is at most {MAX_DOCUMENT_BYTES} bytes", field=("body",))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("latin-1")  # X12's basic and extended character sets fit in Latin-1
    # The pipeline is synchronous database work: run it on the thread pool, as FastAPI runs plain `def` routes,
    # so the server keeps answering other requests meanwhile.
    result = await run_in_threadpool(receive_x12, ctx, text, actor=actor)
    return InboundOut(
        documents=[DocumentOut.of(d) for d in result.documents],
        acknowledgements=[DocumentOut.of(d, full=True) for d in result.acknowledgements],
        repeated=list(result.repeated),
    )


@edi.get("/documents")
def documents(
    ctx: Ctx,
    _: Reader,
    direction: Annotated[str | None, Query(pattern="^(in|out)$")] = None,
    type: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    partner_id: str | None = None,
    fulfillment_order_id: str | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[DocumentOut]:
    """Every document in and out, newest first."""
    where = DocumentFilter(direction, type, status, partner_id, fulfillment_order_id)
    page = ctx.read(lambda uow: uow.edi_documents.page(where, after=after, limit=limit))
    return PageOut[DocumentOut](data=[DocumentOut.of(d) for d in page.rows], next_cursor=page.next_cursor)


@edi.get("/documents/{document_id}")
def document(document_id: str, ctx: Ctx, _: Reader) -> DocumentOut:
    """One document with its raw text and what it was read as."""
    found = ctx.read(lambda uow: uow.edi_documents.get(document_id))
    if found is None:
        raise NotFound("EDI document", document_id)
    return DocumentOut.of(found, full=True)


async def not_applied(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DocumentNotApplied)
    return problem(
        422,
        "edi-document-not-applied",
        exc.detail,
        title=exc.title,
        documents=[d.id for d in exc.documents],
        errors=exc.errors,
    )


EXCEPTION_HANDLERS = ((DocumentNotApplied, not_applied),)
