"""/v1/carriers: rate cards as data, rate shopping, and the tracking ingest carriers post their events to.

Rate cards decide what shipping costs, so storing them takes an operator or admin key (`manage_orders`),
like sourcing rule sets; quotes only read. A carrier integration posts tracking with an `integration` key
(`fulfil`); viewers may read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from ordermesh.domain.carriers import RateCardsInvalid, TrackingStatus, parse_rate_cards
from ordermesh.domain.carriers.sample import SAMPLE_RATE_CARDS
from ordermesh.domain.carriers.sourcing_cards import rule_set_rate_cards
from ordermesh.entrypoints.api.problems import problem
from ordermesh.entrypoints.api.schemas.carriers import (
    QuoteIn,
    RateCardsOut,
    RateCardVersionOut,
    RateShopOut,
    ShipmentTrackingOut,
    SourcingCardsOut,
    TrackingBatchIn,
    TrackingIngestOut,
    TrackingOut,
    TrackingResultOut,
    TrackingUpdateIn,
)
from ordermesh.entrypoints.api.schemas.common import PageOut
from ordermesh.entrypoints.api.schemas.sourcing import load_document, media_format, problem_location
from ordermesh.entrypoints.api.security import Ctx, Fulfiller, OrderManager, Reader
from ordermesh.services import carriers, tracking

router = APIRouter(prefix="/v1/carriers", tags=["carriers"])
fulfillment_rates = APIRouter(prefix="/v1/fulfillment-orders", tags=["carriers"])
shipments = APIRouter(prefix="/v1/shipments", tags=["carriers"])

_DOCUMENT = {"type": "object", "description": "A rate-card document: schema, description, currency, carriers"}
DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _DOCUMENT}, "application/yaml": {"schema": _DOCUMENT}},
        "description": "JSON, or YAML (application/yaml, application/x-yaml, text/yaml)",
    }
}


async def rate_card_document(request: Request) -> Any:
    """The request body parsed by its Content-Type: 415 for other types, 400 for a syntax error."""
    kind = media_format(request.headers.get("content-type"))
    if kind is None:
        raise HTTPException(415, "send the rate cards as application/json or application/yaml")
    return await run_in_threadpool(load_document, await request.body(), kind)


Document = Annotated[Any, Depends(rate_card_document)]


@router.put("/rate-cards", openapi_extra=DOCUMENT_BODY, responses={422: {"description": "Every problem, by path"}})
def put_rate_cards(
    ctx: Ctx,
    actor: OrderManager,
    document: Document,
    note: Annotated[str | None, Query(max_length=500, description="Why this version exists")] = None,
) -> RateCardsOut:
    """Validate the carriers' rate cards and store them as the next version, the one rate shopping uses."""
    return RateCardsOut.of(carriers.put_rate_cards(ctx, document=document, note=note, actor=actor))


@router.get("/rate-cards")
def get_rate_cards(
    ctx: Ctx, _: Reader, version: Annotated[int | None, Query(ge=1, description="Default: the latest")] = None
) -> RateCardsOut:
    """The rate cards in use (or an older version); the built-in sample (`built_in: true`) until one is stored."""
    record = carriers.get_rate_cards(ctx, version)
    return RateCardsOut.of(record) if record else RateCardsOut.sample(SAMPLE_RATE_CARDS)


@router.get("/rate-cards/versions")
def list_rate_card_versions(
    ctx: Ctx, _: Reader, after: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> PageOut[RateCardVersionOut]:
    """Stored versions, newest first (documents left out)."""
    page = carriers.list_rate_card_versions(ctx, after=after, limit=limit)
    return PageOut[RateCardVersionOut](data=[RateCardVersionOut.of(r) for r in page.rows], next_cursor=page.next_cursor)


@router.get("/rate-cards/sourcing")
def sourcing_rate_cards(
    ctx: Ctx, _: Reader, residential: Annotated[bool, Query(description="Fold the residential surcharge in")] = True
) -> SourcingCardsOut:
    """The rate cards as a sourcing rule set's `costs.rate_cards`: one card per service level, surcharges in."""
    record = carriers.get_rate_cards(ctx)
    cards = parse_rate_cards(record.document if record else SAMPLE_RATE_CARDS)
    return SourcingCardsOut(currency=cards.currency, rate_cards=rule_set_rate_cards(cards, residential=residential))


@router.post("/rates", responses={404: {"description": "Unknown from_location"}})
def quote(body: QuoteIn, ctx: Ctx, _: Reader) -> RateShopOut:
    """Quote every carrier service for a shipment and choose the cheapest that arrives by `promised_by`."""
    return RateShopOut.of(*carriers.quote(ctx, body.command()))


@router.get("/tracking")
def list_tracking(
    ctx: Ctx,
    _: Reader,
    status: Annotated[TrackingStatus | None, Query(description="`exception`: shipments that need a person")] = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[TrackingOut]:
    """Shipments carriers have reported on, newest first."""
    page = tracking.list_tracking(ctx, status=status, after=after, limit=limit)
    return PageOut[TrackingOut](data=[TrackingOut.of(t) for t in page.rows], next_cursor=page.next_cursor)


TRACKING_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [TrackingUpdateIn.model_json_schema(), TrackingBatchIn.model_json_schema()],
                }
            }
        },
        "description": 'One tracking update, or {"updates": [...]} (applied oldest event first)',
    }
}


@router.post(
    "/{carrier}/tracking",
    openapi_extra=TRACKING_BODY,
    responses={404: {"description": "No shipment of this carrier has the tracking number"}},
)
def ingest_tracking(
    carrier: Annotated[str, Path(min_length=1, max_length=100, description="ups, fedex, usps, dhl, ...")],
    ctx: Ctx,
    actor: Fulfiller,
    body: Annotated[dict[str, Any], Body()],
) -> TrackingIngestOut:
    """Take carrier tracking events in; each moves its shipment forward (never back) and is applied once."""
    batch = "updates" in body
    try:
        parsed = TypeAdapter(TrackingBatchIn if batch else TrackingUpdateIn).validate_python(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
        ) from None
    updates = [u.update() for u in parsed.updates] if isinstance(parsed, TrackingBatchIn) else [parsed.update()]
    outcomes = tracking.ingest_tracking(ctx, carrier=carrier, updates=updates, actor=actor, batch=batch)
    return TrackingIngestOut(results=[TrackingResultOut.of(o) for o in outcomes])


@fulfillment_rates.get("/{fo_id}/rates", responses={404: {"description": "No such fulfilment order"}})
def fulfillment_order_rates(
    fo_id: str,
    ctx: Ctx,
    _: Reader,
    promised_by: Annotated[date | None, Query(description="The delivery date promised to the customer")] = None,
    residential: bool = True,
    service_level: Annotated[str | None, Query(max_length=50, description="Only services that carry it")] = None,
) -> RateShopOut:
    """Quote the fulfilment order's units still to ship from its location and choose a carrier service."""
    shop = carriers.rates_for_fulfillment_order(
        ctx, fo_id=fo_id, promised_by=promised_by, residential=residential, service_level=service_level
    )
    return RateShopOut.of(*shop)


@shipments.get("/{shipment_id}/tracking", responses={404: {"description": "No such shipment"}})
def shipment_tracking(shipment_id: str, ctx: Ctx, _: Reader) -> ShipmentTrackingOut:
    """Where a shipment stands and every carrier event received for it, in event-time order."""
    return ShipmentTrackingOut.of_view(tracking.shipment_tracking(ctx, shipment_id))


# --- errors (registered by the app factory) -------------------------------------------------------------


async def invalid_rate_cards(request: Request, exc: Exception) -> JSONResponse:
    """422 listing every problem of a rate-card document with its path."""
    assert isinstance(exc, RateCardsInvalid)
    errors = [{"loc": problem_location(path), "path": path, "msg": message} for path, message in exc.problems]
    count = len(errors)
    detail = f"the rate cards have {count} problem{'s' if count != 1 else ''}: {exc.detail}"
    return problem(422, "invalid-rate-cards", detail, title=exc.title, errors=errors)


EXCEPTION_HANDLERS = ((RateCardsInvalid, invalid_rate_cards),)
