"""/v1/fulfillment-orders: what each location does with its work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ordermesh.domain.fulfillment import FulfillmentStatus
from ordermesh.entrypoints.api.schemas.common import PageOut
from ordermesh.entrypoints.api.schemas.orders import FulfillmentOrderOut, RejectIn, ShipIn
from ordermesh.entrypoints.api.security import Ctx, Fulfiller, Reader
from ordermesh.services import fulfillment, queries
from ordermesh.services.ports import FulfillmentFilter

router = APIRouter(prefix="/v1/fulfillment-orders", tags=["fulfillment"])


@router.get("")
def list_fulfillment_orders(
    ctx: Ctx,
    _: Reader,
    order_id: str | None = None,
    location: str | None = None,
    status: FulfillmentStatus | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[FulfillmentOrderOut]:
    filters = FulfillmentFilter(order_id, location, status.value if status else None)
    page = queries.list_fulfillment_orders(ctx, filters, after=after, limit=limit)
    return PageOut[FulfillmentOrderOut](
        data=[FulfillmentOrderOut.of(fo) for fo in page.rows], next_cursor=page.next_cursor
    )


@router.get("/{fo_id}")
def get_fulfillment_order(fo_id: str, ctx: Ctx, _: Reader) -> FulfillmentOrderOut:
    return FulfillmentOrderOut.of(queries.get_fulfillment_order(ctx, fo_id))


@router.post("/{fo_id}/accept")
def accept(fo_id: str, ctx: Ctx, actor: Fulfiller) -> FulfillmentOrderOut:
    return FulfillmentOrderOut.of(fulfillment.accept(ctx, fo_id=fo_id, actor=actor))


@router.post("/{fo_id}/reject")
def reject(fo_id: str, body: RejectIn, ctx: Ctx, actor: Fulfiller) -> FulfillmentOrderOut:
    """Hand the work back; the order is sourced again without this location."""
    return FulfillmentOrderOut.of(fulfillment.reject(ctx, fo_id=fo_id, reason=body.reason, actor=actor))


@router.post("/{fo_id}/ship")
def ship(fo_id: str, body: ShipIn, ctx: Ctx, actor: Fulfiller) -> FulfillmentOrderOut:
    """Record a shipment of all open units, or of `lines` only (partial shipments are allowed)."""
    return FulfillmentOrderOut.of(fulfillment.ship(ctx, fo_id=fo_id, command=body.command(), actor=actor))


@router.post("/{fo_id}/ready-for-pickup")
def ready_for_pickup(fo_id: str, ctx: Ctx, actor: Fulfiller) -> FulfillmentOrderOut:
    return FulfillmentOrderOut.of(fulfillment.ready_for_pickup(ctx, fo_id=fo_id, actor=actor))


@router.post("/{fo_id}/picked-up")
def picked_up(fo_id: str, ctx: Ctx, actor: Fulfiller) -> FulfillmentOrderOut:
    return FulfillmentOrderOut.of(fulfillment.picked_up(ctx, fo_id=fo_id, actor=actor))


@router.post("/{fo_id}/deliver")
def deliver(fo_id: str, ctx: Ctx, actor: Fulfiller) -> FulfillmentOrderOut:
    return FulfillmentOrderOut.of(fulfillment.deliver(ctx, fo_id=fo_id, actor=actor))
