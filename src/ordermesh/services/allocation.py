"""Reserve stock for an order's waiting units, as the sourcing policy plans, without overselling."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from ordermesh.domain.catalog import Capability
from ordermesh.domain.fulfillment import UnitMove
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.inventory import Movement, MovementKind
from ordermesh.domain.orders import Allocation, DeliveryMethod, Order
from ordermesh.domain.sourcing import AllocationPlan, LineDemand, SourcingRequest
from ordermesh.services.context import AppContext
from ordermesh.services.ports import UnitOfWork

# A plan whose reservations lose a race with another order is re-planned on fresh stock this often.
PLAN_ATTEMPTS = 4
BACKORDER_PAGE = 100


def source_order(uow: UnitOfWork, ctx: AppContext, order: Order) -> None:
    """Reserve stock for every waiting unit of the order; what no location has is backordered."""
    lines = order.sourceable_lines()
    if not lines:
        return
    request = SourcingRequest(
        order_id=order.id,
        lines=tuple(LineDemand(line.id, line.sku, line.pending) for line in lines),
        method=order.delivery.method,
        destination=_destination(ctx, order),
        pickup_location=order.delivery.pickup_location,
        excluded=order.excluded_locations,
    )
    plan = _reserve(uow, ctx, request)
    now = ctx.clock.now()
    order.apply_sourcing(plan.allocations, new_fo_id=lambda: ctx.ids("fo"), now=now)
    sku_of = {line.id: line.sku for line in lines}
    uow.stock.record(
        [
            Movement(
                a.location, sku_of[a.line_id], MovementKind.RESERVATION, 0, a.quantity, "order allocated", order.id, now
            )
            for a in plan.allocations
        ]
    )


def _destination(ctx: AppContext, order: Order) -> GeoPoint | None:
    ship_to = order.ship_to
    if ship_to is None:
        return None
    return ship_to.point or ctx.geocoder.locate(ship_to.country, ship_to.postal_code)


def _reserve(uow: UnitOfWork, ctx: AppContext, request: SourcingRequest) -> AllocationPlan:
    """Take the plan's reservations in (location, sku) order; re-plan if another order got there first."""
    capability = Capability.PICKUP if request.method == DeliveryMethod.PICKUP else Capability.SHIP
    only = request.pickup_location if request.method == DeliveryMethod.PICKUP else None
    sku_of = {line.line_id: line.sku for line in request.lines}
    for _ in range(PLAN_ATTEMPTS):
        candidates = uow.stock.candidates(request.skus, capability, only=only)
        plan = ctx.sourcing.plan(request, candidates)
        wanted = _per_stock_row(plan.allocations, sku_of)
        if uow.stock.reserve_all([(location, sku, quantity) for (location, sku), quantity in wanted.items()]):
            return plan
    return AllocationPlan((), {line.line_id: line.quantity for line in request.lines})


def _per_stock_row(allocations: tuple[Allocation, ...], sku_of: dict[str, str]) -> dict[tuple[str, str], int]:
    wanted: dict[tuple[str, str], int] = defaultdict(int)
    for allocation in allocations:
        wanted[(allocation.location, sku_of[allocation.line_id])] += allocation.quantity
    return wanted


def fill_backorders(
    uow: UnitOfWork, ctx: AppContext, *, sku: str, location: str | None, skip: str | None = None
) -> int:
    """Source orders waiting for a SKU, oldest first, while the location that got stock still has some.

    `skip` is an order the caller holds in memory and saves itself: loading it again here would let the
    caller's copy overwrite this change. Returns how many orders were re-sourced.
    """
    if location is None and not any(uow.stock.candidates([sku], c) for c in (Capability.SHIP, Capability.PICKUP)):
        return 0
    done = 0
    seen: set[str] = {skip} if skip else set()
    while True:
        waiting = [oid for oid in uow.orders.waiting_for(sku, limit=BACKORDER_PAGE + len(seen)) if oid not in seen]
        if not waiting:
            return done
        for order_id in waiting:
            seen.add(order_id)
            if location is not None:
                level = uow.stock.get(location, sku)
                if level is None or level.available == 0:
                    return done
            order = uow.orders.get(order_id, for_update=True)
            if order is None:
                continue
            source_order(uow, ctx, order)
            save_order(uow, ctx, order)
            done += 1


def release_units(
    uow: UnitOfWork, ctx: AppContext, order: Order, moves: Sequence[UnitMove], *, reason: str, now: datetime
) -> None:
    """Give the order's reserved units back, source its own waiting units again, then let older orders take the rest.

    A rejected location stays excluded for this order, so its freed units can only go to other orders.
    """
    for move in sorted(moves, key=lambda m: (m.location, m.sku)):
        uow.stock.release(move.location, move.sku, move.quantity)
    uow.stock.record(
        [Movement(m.location, m.sku, MovementKind.RELEASE, 0, -m.quantity, reason, order.id, now) for m in moves]
    )
    source_order(uow, ctx, order)
    for location, sku in sorted({(m.location, m.sku) for m in moves}):
        fill_backorders(uow, ctx, sku=sku, location=location, skip=order.id)


def save_order(uow: UnitOfWork, ctx: AppContext, order: Order) -> None:
    """Persist the order and move its new events to the outbox, in the caller's transaction."""
    uow.orders.save(order)
    publish_events(uow, ctx, order)


def publish_events(uow: UnitOfWork, ctx: AppContext, order: Order) -> None:
    """Move the order's new events to the outbox, in the caller's transaction."""
    if order.events:
        uow.outbox.add(order.events, ctx.clock.now())
        order.events.clear()
