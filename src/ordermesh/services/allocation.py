"""Reserve stock for an order's waiting units, as the sourcing policy plans, without overselling."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ordermesh.domain.catalog import Capability, Location
from ordermesh.domain.fulfillment import HOLDS_STOCK, UnitMove
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.inventory import Movement, MovementKind
from ordermesh.domain.orders import Allocation, DeliveryMethod, Order
from ordermesh.domain.sourcing import AllocationPlan, Candidate, LineDemand, SourcingPolicy, SourcingRequest
from ordermesh.services.context import AppContext
from ordermesh.services.ports import Decision, UnitOfWork

# A plan whose reservations lose a race with another order is re-planned on fresh stock this often.
PLAN_ATTEMPTS = 4
BACKORDER_PAGE = 100


def source_order(
    uow: UnitOfWork, ctx: AppContext, order: Order, *, trigger: str = "capture", hint: Planned | None = None
) -> None:
    """Reserve stock for every waiting unit of the order; what no location has is backordered (or cancelled,
    if the matched rule says so). The decision and its explanation are stored with the order.

    `hint`: a plan made for the same units before this transaction began (`plan_ahead`); it is tried first,
    and the order is planned again here only if its reservations or capacity are gone.
    """
    lines = order.sourceable_lines()
    if not lines:
        return
    now = ctx.clock.now()
    request = sourcing_request(uow, ctx, order, now)
    # A plan that left units waiting is made again here: stock may have arrived since.
    usable_hint = hint is not None and hint.lines == _demand(request) and not hint.plan.backordered
    first = hint.plan if hint is not None and usable_hint else None
    plan = _reserve(uow, ctx, request, order, first)
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
    if plan.explanation is not None:
        rule_set = plan.explanation.get("rule_set") or {}
        uow.decisions.add(Decision(order.id, trigger, rule_set.get("id"), now, dict(plan.explanation)))
    if plan.backordered and plan.unfillable == "cancel":
        order.cancel(dict(plan.backordered), "unfillable: no eligible location has the units", now)


def sourcing_request(uow: UnitOfWork, ctx: AppContext, order: Order, now: datetime) -> SourcingRequest:
    """What the engine needs to know about the order's waiting units."""
    lines = order.sourceable_lines()
    items = ctx.sourcing_cache.items(uow, {line.sku for line in lines})
    ship_to = order.ship_to
    return SourcingRequest(
        order_id=order.id,
        lines=tuple(
            LineDemand(
                line.id,
                line.sku,
                line.pending,
                unit_price=float(line.unit_price),
                weight_grams=(profile.weight_grams if (profile := items.get(line.sku)) else 0),
                attributes=(profile.attributes if profile else {}),
            )
            for line in lines
        ),
        method=order.delivery.method,
        destination=_destination(ctx, order),
        pickup_location=order.delivery.pickup_location,
        excluded=order.excluded_locations,
        channel=order.channel,
        service_level=order.delivery.service_level,
        country=ship_to.country if ship_to else None,
        region=ship_to.region if ship_to else None,
        customer_tags=frozenset(order.customer.tags),
        placed_at=order.placed_at,
        now=now,
    )


def candidates_for(uow: UnitOfWork, ctx: AppContext, request: SourcingRequest) -> list[Candidate]:
    """Locations able to serve the request, with their stock, sourcing profile and remaining capacity."""
    capability = Capability.PICKUP if request.method == DeliveryMethod.PICKUP else Capability.SHIP
    only = request.pickup_location if request.method == DeliveryMethod.PICKUP else None
    network = ctx.sourcing_cache.network(uow)
    return _with_profiles(uow, network, uow.stock.candidates(request.skus, capability, only=only), request)


def _destination(ctx: AppContext, order: Order) -> GeoPoint | None:
    ship_to = order.ship_to
    if ship_to is None:
        return None
    return ship_to.point or ctx.geocoder.locate(ship_to.country, ship_to.postal_code)


@dataclass(frozen=True)
class Planned:
    """A plan made outside the write transaction, for the units it was made for."""

    lines: tuple[tuple[str, str, int], ...]
    plan: AllocationPlan


def plan_ahead(ctx: AppContext, order: Order) -> Planned | None:
    """Plan the order's waiting units in a read-only unit of work, so the (CPU-heavy) decision is made
    before the write transaction takes its locks. None if nothing waits."""
    if not order.sourceable_lines():
        return None

    def work(uow: UnitOfWork) -> Planned:
        request = sourcing_request(uow, ctx, order, ctx.clock.now())
        policy: SourcingPolicy = ctx.sourcing or ctx.sourcing_cache.engine(uow)
        return Planned(_demand(request), policy.plan(request, candidates_for(uow, ctx, request)))

    return ctx.read(work)


def _demand(request: SourcingRequest) -> tuple[tuple[str, str, int], ...]:
    return tuple((line.line_id, line.sku, line.quantity) for line in request.lines)


def _reserve(
    uow: UnitOfWork, ctx: AppContext, request: SourcingRequest, order: Order, first: AllocationPlan | None = None
) -> AllocationPlan:
    """Take the plan's capacity and reservations; re-plan if another order got there first.

    Capacity is taken first (a conditional upsert per limited location), then stock in (location, sku)
    order; if the stock is gone, the capacity taken for this attempt is given back before re-planning.
    """
    sku_of = {line.line_id: line.sku for line in request.lines}
    policy: SourcingPolicy = ctx.sourcing or ctx.sourcing_cache.engine(uow)
    network = ctx.sourcing_cache.network(uow)
    for attempt in range(PLAN_ATTEMPTS):
        # The plan made before the transaction first; a fresh one if its stock or capacity has gone since.
        plan = first if attempt == 0 and first is not None else policy.plan(request, candidates_for(uow, ctx, request))
        taken = _take_capacity(uow, network, plan, order, request)
        if taken is None:
            continue
        wanted = _per_stock_row(plan.allocations, sku_of)
        if uow.stock.reserve_all([(location, sku, quantity) for (location, sku), quantity in wanted.items()]):
            return plan
        for location, day, orders, units in taken:
            uow.capacity.release(location, day, orders, units)
    return AllocationPlan((), {line.line_id: line.quantity for line in request.lines})


def _with_profiles(
    uow: UnitOfWork, network: Mapping[str, Location], candidates: list[Candidate], request: SourcingRequest
) -> list[Candidate]:
    """The candidates with their locations' sourcing profiles and what is left of today's capacity."""
    now = request.now
    assert now is not None
    days = {
        c.location: network[c.location].profile.working_day(now).isoformat()
        for c in candidates
        if c.location in network and network[c.location].profile.limited
    }
    used = uow.capacity.used(list(days.items())) if days else {}
    enriched: list[Candidate] = []
    for candidate in candidates:
        location = network.get(candidate.location)
        if location is None:
            enriched.append(candidate)
            continue
        usage = used.get((candidate.location, days[candidate.location]), (0, 0)) if candidate.location in days else None
        enriched.append(with_profile(candidate, location, usage))
    return enriched


def with_profile(candidate: Candidate, location: Location, used: tuple[int, int] | None) -> Candidate:
    """The candidate with its location's sourcing profile and the capacity left after `used` (orders, units)
    on its working day (None: the location has no limits)."""
    profile = location.profile
    orders_left = units_left = None
    if used is not None:
        orders_used, units_used = used
        if profile.daily_order_capacity is not None:
            orders_left = max(0, profile.daily_order_capacity - orders_used)
        if profile.daily_unit_capacity is not None:
            units_left = max(0, profile.daily_unit_capacity - units_used)
    return replace(
        candidate,
        type=location.type.value,
        groups=profile.groups,
        tags=profile.tags,
        cutoff=profile.cutoff,
        timezone=profile.timezone,
        processing_days=profile.processing_days,
        orders_left=orders_left,
        units_left=units_left,
    )


def _take_capacity(
    uow: UnitOfWork, network: Mapping[str, Location], plan: AllocationPlan, order: Order, request: SourcingRequest
) -> list[tuple[str, str, int, int]] | None:
    """Consume the plan's capacity at limited locations; None (nothing kept) if one of them is full."""
    now = request.now
    assert now is not None
    units_at: dict[str, int] = defaultdict(int)
    for allocation in plan.allocations:
        units_at[allocation.location] += allocation.quantity
    taken: list[tuple[str, str, int, int]] = []
    for location_code, units in sorted(units_at.items()):
        location = network.get(location_code)
        if location is None or not location.profile.limited:
            continue
        profile = location.profile
        day = profile.working_day(now).isoformat()
        new_fo = (
            0
            if any(fo.location == location_code and fo.status in HOLDS_STOCK for fo in order.fulfillment_orders)
            else 1
        )
        limits = (profile.daily_order_capacity, profile.daily_unit_capacity)
        if not uow.capacity.consume(location_code, day, new_fo, units, limits):
            for taken_location, taken_day, orders, taken_units in taken:
                uow.capacity.release(taken_location, taken_day, orders, taken_units)
            return None
        taken.append((location_code, day, new_fo, units))
    return taken


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
            source_order(uow, ctx, order, trigger="backorder")
            save_order(uow, ctx, order)
            done += 1


def release_units(
    uow: UnitOfWork,
    ctx: AppContext,
    order: Order,
    moves: Sequence[UnitMove],
    *,
    reason: str,
    now: datetime,
    trigger: str = "release",
) -> None:
    """Give the order's reserved units back, source its own waiting units again, then let older orders take the rest.

    A rejected location stays excluded for this order, so its freed units can only go to other orders.
    """
    give_back(uow, ctx, order, moves, reason=reason, now=now)
    resource(uow, ctx, order, moves, trigger=trigger)


def give_back(
    uow: UnitOfWork, ctx: AppContext, order: Order, moves: Sequence[UnitMove], *, reason: str, now: datetime
) -> None:
    """Release the moved units' reservations and capacity, with their ledger rows."""
    for move in sorted(moves, key=lambda m: (m.location, m.sku)):
        uow.stock.release(move.location, move.sku, move.quantity)
    _release_capacity(uow, ctx, order, moves)
    uow.stock.record(
        [Movement(m.location, m.sku, MovementKind.RELEASE, 0, -m.quantity, reason, order.id, now) for m in moves]
    )


def resource(uow: UnitOfWork, ctx: AppContext, order: Order, moves: Sequence[UnitMove], *, trigger: str) -> None:
    """Source the order's waiting units again, then let older orders take what it freed and did not take back."""
    source_order(uow, ctx, order, trigger=trigger)
    for location, sku in sorted({(m.location, m.sku) for m in moves}):
        fill_backorders(uow, ctx, sku=sku, location=location, skip=order.id)


def _release_capacity(uow: UnitOfWork, ctx: AppContext, order: Order, moves: Sequence[UnitMove]) -> None:
    """Give back the capacity of released units (and of the order's slot, if its fulfilment order is closed),
    on the working day the fulfilment order was created for."""
    network = ctx.sourcing_cache.network(uow)
    units_at: dict[str, int] = defaultdict(int)
    for move in moves:
        units_at[move.location] += move.quantity
    for location_code, units in sorted(units_at.items()):
        location = network.get(location_code)
        if location is None or not location.profile.limited:
            continue
        at_location = [fo for fo in order.fulfillment_orders if fo.location == location_code]
        if not at_location:
            continue
        fo = max(at_location, key=lambda f: f.created_at)
        day = location.profile.working_day(fo.created_at).isoformat()
        uow.capacity.release(location_code, day, 0 if fo.status in HOLDS_STOCK else 1, units)


def save_order(uow: UnitOfWork, ctx: AppContext, order: Order) -> None:
    """Persist the order and move its new events to the outbox, in the caller's transaction."""
    uow.orders.save(order)
    publish_events(uow, ctx, order)


def publish_events(uow: UnitOfWork, ctx: AppContext, order: Order) -> None:
    """Move the order's new events to the outbox, in the caller's transaction."""
    if order.events:
        uow.outbox.add(order.events, ctx.clock.now())
        order.events.clear()
