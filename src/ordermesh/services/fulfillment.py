"""Fulfilment use cases: a location accepts, rejects, ships or hands over its work."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import NotFound
from ordermesh.domain.fulfillment import FulfillmentOrder, Shipment, UnitMove
from ordermesh.domain.inventory import Movement, MovementKind
from ordermesh.domain.orders import Order
from ordermesh.services.allocation import release_units
from ordermesh.services.changes import Audited, Change, change_order, change_order_in
from ordermesh.services.commands import ShipFulfillment
from ordermesh.services.context import AppContext
from ordermesh.services.ports import UnitOfWork


def _on_fulfillment_order(
    ctx: AppContext, fo_id: str, actor: Principal, action: str, change: Change
) -> FulfillmentOrder:
    """Apply a change to the order that owns the fulfilment order. Raises NotFound for an unknown id."""
    order_id = ctx.read(lambda uow: uow.orders.id_for_fulfillment_order(fo_id))
    if order_id is None:
        raise NotFound("fulfillment order", fo_id)
    order = change_order(
        ctx, order_id=order_id, actor=actor, action=action, change=change, audited=Audited.fulfillment_order(fo_id)
    )
    return order.fulfillment_order(fo_id)


def _consume(uow: UnitOfWork, moved: Sequence[UnitMove], reason: str, reference: str, now: datetime) -> None:
    """Units left their locations: lower on-hand and reserved together, and write the ledger."""
    for move in sorted(moved, key=lambda m: (m.location, m.sku)):
        uow.stock.consume(move.location, move.sku, move.quantity, now)
    uow.stock.record(
        [
            Movement(m.location, m.sku, MovementKind.SHIPMENT, -m.quantity, -m.quantity, reason, reference, now)
            for m in moved
        ]
    )


def accept(ctx: AppContext, *, fo_id: str, actor: Principal) -> FulfillmentOrder:
    """Record that the location took the work on."""
    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.accept", _accepting(fo_id))


def accept_in(uow: UnitOfWork, ctx: AppContext, *, fo_id: str, actor: Principal) -> FulfillmentOrder:
    """`accept` inside a unit of work the caller holds."""
    return _in(uow, ctx, fo_id, actor, "fulfillment_order.accept", _accepting(fo_id))


def _accepting(fo_id: str) -> Change:
    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        order.accept_fulfillment(fo_id, now)

    return change


def reject(ctx: AppContext, *, fo_id: str, reason: str, actor: Principal) -> FulfillmentOrder:
    """Take the work back from the location and source it elsewhere, never at that location again."""
    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.reject", _rejecting(ctx, fo_id, reason))


def reject_in(uow: UnitOfWork, ctx: AppContext, *, fo_id: str, reason: str, actor: Principal) -> FulfillmentOrder:
    """`reject` inside a unit of work the caller holds."""
    return _in(uow, ctx, fo_id, actor, "fulfillment_order.reject", _rejecting(ctx, fo_id, reason))


def reject_lines_in(
    uow: UnitOfWork, ctx: AppContext, *, fo_id: str, quantities: dict[str, int], reason: str, actor: Principal
) -> FulfillmentOrder:
    """The location declines some units and keeps the rest: the declined units are sourced elsewhere, never at
    that location again (declining every open unit rejects the whole fulfilment order)."""

    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        released = order.reject_fulfillment_lines(fo_id, quantities, reason, now, new_fo_id=ctx.ids("fo"))
        release_units(uow, ctx, order, released, reason=f"rejected: {reason}", now=now)

    return _in(uow, ctx, fo_id, actor, "fulfillment_order.reject_lines", change)


def _rejecting(ctx: AppContext, fo_id: str, reason: str) -> Change:
    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        released = order.reject_fulfillment(fo_id, reason, now)
        release_units(uow, ctx, order, released, reason=f"rejected: {reason}", now=now)

    return change


def ship(ctx: AppContext, *, fo_id: str, command: ShipFulfillment, actor: Principal) -> FulfillmentOrder:
    """Record a shipment of some or all open units; on-hand and reserved drop together."""
    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.ship", _shipping(ctx, fo_id, command))


def ship_in(
    uow: UnitOfWork,
    ctx: AppContext,
    *,
    fo_id: str,
    command: ShipFulfillment | Callable[[Order], ShipFulfillment],
    actor: Principal,
) -> FulfillmentOrder:
    """`ship` inside a unit of work the caller holds. Raises NotFound for an unknown fulfilment order.

    `command` may be made from the order as it is locked (what a partner reported, checked against it): the
    order is read once, and whatever that raises leaves everything as it was.
    """
    return _in(uow, ctx, fo_id, actor, "fulfillment_order.ship", _shipping(ctx, fo_id, command))


def _in(
    uow: UnitOfWork, ctx: AppContext, fo_id: str, actor: Principal, action: str, change: Change
) -> FulfillmentOrder:
    """Apply a change to the order that owns the fulfilment order, in the caller's unit of work."""
    order_id = uow.orders.id_for_fulfillment_order(fo_id)
    if order_id is None:
        raise NotFound("fulfillment order", fo_id)
    order = change_order_in(
        uow, ctx, order_id=order_id, actor=actor, action=action, change=change, audited=Audited.fulfillment_order(fo_id)
    )
    return order.fulfillment_order(fo_id)


def _shipping(ctx: AppContext, fo_id: str, wanted: ShipFulfillment | Callable[[Order], ShipFulfillment]) -> Change:
    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        command = wanted if isinstance(wanted, ShipFulfillment) else wanted(order)
        shipment = Shipment(ctx.ids("shp"), fo_id, command.carrier, command.tracking_number, {}, now)
        moved = order.ship_fulfillment(fo_id, command.lines, shipment)
        _consume(uow, moved, f"shipped {command.carrier} {command.tracking_number}", shipment.id, now)

    return change


def ready_for_pickup(ctx: AppContext, *, fo_id: str, actor: Principal) -> FulfillmentOrder:
    """Record that a pickup order waits at its store."""

    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        order.ready_for_pickup(fo_id, now)

    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.ready_for_pickup", change)


def picked_up(ctx: AppContext, *, fo_id: str, actor: Principal) -> FulfillmentOrder:
    """Record that the customer collected a pickup order; its units leave the store."""

    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        moved = order.picked_up(fo_id, now)
        _consume(uow, moved, "picked up by customer", fo_id, now)

    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.picked_up", change)


def deliver(ctx: AppContext, *, fo_id: str, actor: Principal) -> FulfillmentOrder:
    """Record that every shipped unit reached the customer."""

    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        order.deliver_fulfillment(fo_id, now)

    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.deliver", change)
