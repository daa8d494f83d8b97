"""Fulfilment use cases: a location accepts, rejects, ships or hands over its work."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import NotFound
from ordermesh.domain.fulfillment import FulfillmentOrder, Shipment, UnitMove
from ordermesh.domain.inventory import Movement, MovementKind
from ordermesh.domain.orders import Order, fo_data, order_data
from ordermesh.services.allocation import fill_backorders, save_order, source_order
from ordermesh.services.commands import ShipFulfillment
from ordermesh.services.context import AppContext
from ordermesh.services.ports import UnitOfWork

Change = Callable[[UnitOfWork, Order, datetime], None]


def _on_fulfillment_order(
    ctx: AppContext, fo_id: str, actor: Principal, action: str, change: Change
) -> FulfillmentOrder:
    """Load the order owning the fulfilment order, apply the change, save with an audit record."""

    def work(uow: UnitOfWork) -> FulfillmentOrder:
        order_id = uow.orders.id_for_fulfillment_order(fo_id)
        order = uow.orders.get(order_id, for_update=True) if order_id else None
        if order is None:
            raise NotFound("fulfillment order", fo_id)
        before = fo_data(order.fulfillment_order(fo_id))
        now = ctx.clock.now()
        change(uow, order, now)
        save_order(uow, ctx, order)
        fo = order.fulfillment_order(fo_id)
        uow.audit.record(
            actor=actor,
            action=action,
            entity="fulfillment_order",
            entity_id=fo_id,
            before=before,
            after={**fo_data(fo), "order_status": order_data(order)["status"]},
            at=now,
        )
        return fo

    return ctx.transaction(work)


def _consume(uow: UnitOfWork, moved: Sequence[UnitMove], reason: str, reference: str, now: datetime) -> None:
    for move in sorted(moved, key=lambda m: (m.location, m.sku)):
        uow.stock.consume(move.location, move.sku, move.quantity, now)
    uow.stock.record(
        [
            Movement(m.location, m.sku, MovementKind.SHIPMENT, -m.quantity, -m.quantity, reason, reference, now)
            for m in moved
        ]
    )


def accept(ctx: AppContext, *, fo_id: str, actor: Principal) -> FulfillmentOrder:
    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        order.accept_fulfillment(fo_id, now)

    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.accept", change)


def reject(ctx: AppContext, *, fo_id: str, reason: str, actor: Principal) -> FulfillmentOrder:
    """Take the work back from the location and source it elsewhere, never at that location again."""

    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        released = order.reject_fulfillment(fo_id, reason, now)
        for move in sorted(released, key=lambda m: (m.location, m.sku)):
            uow.stock.release(move.location, move.sku, move.quantity)
        uow.stock.record(
            [
                Movement(m.location, m.sku, MovementKind.RELEASE, 0, -m.quantity, f"rejected: {reason}", fo_id, now)
                for m in released
            ]
        )
        source_order(uow, ctx, order)
        save_order(uow, ctx, order)
        for move in released:
            fill_backorders(uow, ctx, sku=move.sku, location=move.location)

    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.reject", change)


def ship(ctx: AppContext, *, fo_id: str, command: ShipFulfillment, actor: Principal) -> FulfillmentOrder:
    """Record a shipment of some or all open units; on-hand and reserved drop together."""

    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        shipment = Shipment(ctx.ids("shp"), fo_id, command.carrier, command.tracking_number, {}, now)
        moved = order.ship_fulfillment(fo_id, command.lines, shipment)
        _consume(uow, moved, f"shipped {command.carrier} {command.tracking_number}", shipment.id, now)

    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.ship", change)


def ready_for_pickup(ctx: AppContext, *, fo_id: str, actor: Principal) -> FulfillmentOrder:
    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        order.ready_for_pickup(fo_id, now)

    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.ready_for_pickup", change)


def picked_up(ctx: AppContext, *, fo_id: str, actor: Principal) -> FulfillmentOrder:
    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        moved = order.picked_up(fo_id, now)
        _consume(uow, moved, "picked up by customer", fo_id, now)

    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.picked_up", change)


def deliver(ctx: AppContext, *, fo_id: str, actor: Principal) -> FulfillmentOrder:
    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        order.deliver_fulfillment(fo_id, now)

    return _on_fulfillment_order(ctx, fo_id, actor, "fulfillment_order.deliver", change)
