"""Use cases on the in-memory fakes: capture, holds, cancels, rejects, counts and their records, without I/O."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType, SourcingProfile
from ordermesh.domain.errors import IdempotencyConflict, InvalidInput, QuantityConflict
from ordermesh.domain.fulfillment import FulfillmentStatus
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.inventory import Movement, MovementKind, StockLevel
from ordermesh.domain.orders import (
    PAYMENT_HOLD,
    Allocation,
    Customer,
    Delivery,
    DeliveryMethod,
    Order,
    OrderStatus,
    PaymentStatus,
)
from ordermesh.domain.sourcing import AllocationPlan, Candidate, SourcingPolicy, SourcingRequest
from ordermesh.services import catalog, fulfillment, inventory, orders
from ordermesh.services.commands import (
    AdjustStock,
    CaptureOrder,
    CreateItem,
    CreateLocation,
    NewLine,
    SetStock,
    ShipFulfillment,
)
from ordermesh.services.context import AppContext
from ordermesh.services.ports import OrderFilter, StoredEvent
from tests.fakes import FakeClock, FakeGeocoder, FakeUnitOfWorkFactory, SequentialIds

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NYC = GeoPoint(40.7128, -74.0060)
NEWARK = GeoPoint(40.7357, -74.1724)
CHICAGO = GeoPoint(41.8781, -87.6298)
LOS_ANGELES = GeoPoint(34.0522, -118.2437)
POSTAL_CODES = {"10016": NYC, "60601": CHICAGO}


# -- builders ------------------------------------------------------------------------------------


def context(*, sourcing: SourcingPolicy | None = None) -> AppContext:
    """An app context on fresh fakes: the clock stands at T0, ids are ord_000001, fo_000001, ...

    Without a policy, orders are sourced by the engine under the built-in default rule set.
    """
    ids = SequentialIds()
    return AppContext(
        uow=FakeUnitOfWorkFactory(ids=ids, source="/test"),
        clock=FakeClock(T0),
        ids=ids,
        geocoder=FakeGeocoder(POSTAL_CODES),
        sourcing=sourcing,
    )


def network(
    *locations: tuple[str, GeoPoint], skus: Sequence[str] = ("TEE", "MUG"), pickup: Sequence[str] = (),
    sourcing: SourcingPolicy | None = None,
) -> AppContext:
    """A context whose catalogue has these items and shipping locations (pickup ones also offer pickup)."""
    ctx = context(sourcing=sourcing)
    for sku in skus:
        catalog.create_item(ctx, command=CreateItem(sku, f"Item {sku}", 500), actor=SYSTEM)
    for code, point in locations:
        capabilities = {Capability.SHIP} | ({Capability.PICKUP} if code in pickup else set())
        address = Address(line1="1 Main St", country="US", lat=point.lat, lon=point.lon)
        command = CreateLocation(code, f"Location {code}", LocationType.WAREHOUSE, address, frozenset(capabilities))
        catalog.create_location(ctx, command=command, actor=SYSTEM)
    return ctx


def stocked(ctx: AppContext, location: str, **on_hand: int) -> None:
    for sku, quantity in on_hand.items():
        inventory.set_stock(ctx, command=SetStock(location, sku, quantity), actor=SYSTEM)


def order_for(
    external_id: str, *lines: tuple[str, int], to: GeoPoint | None = NYC, postal_code: str = "10016",
    payment: PaymentStatus = PaymentStatus.PAID, pickup_at: str | None = None, placed_at: datetime | None = None,
) -> CaptureOrder:
    """A web order for (sku, quantity) lines, shipped to `to` (geocoded from the postal code when None)."""
    ship_to = Address(name="Ada Lovelace", line1="5 Park Ave", city="New York", postal_code=postal_code,
                      country="US", lat=to.lat if to else None, lon=to.lon if to else None)
    return CaptureOrder(
        channel="web",
        external_id=external_id,
        currency="USD",
        customer=Customer(email="ada@example.com"),
        ship_to=None if pickup_at else ship_to,
        delivery=Delivery(DeliveryMethod.PICKUP, pickup_at) if pickup_at else Delivery(),
        lines=tuple(NewLine(f"{external_id}-{n}", sku, qty, Decimal("10.00")) for n, (sku, qty) in enumerate(lines)),
        payment_status=payment,
        placed_at=placed_at,
    )


def capture(ctx: AppContext, command: CaptureOrder, *, key: str | None = None) -> Order:
    order, created = orders.capture_order(ctx, command=command, actor=SYSTEM, idempotency_key=key)
    assert created
    return order


def stock(ctx: AppContext, location: str, sku: str) -> StockLevel | None:
    return ctx.read(lambda uow: uow.stock.get(location, sku))


def reserved(ctx: AppContext, location: str, sku: str) -> int:
    level = stock(ctx, location, sku)
    return level.reserved if level else 0


def allocations(order: Order) -> dict[str, list[tuple[str, int]]]:
    """{sku: [(location, quantity), ...]} for the units the order holds."""
    by_line = order.allocations()
    return {line.sku: [(a.location, a.quantity) for a in by_line[line.id]] for line in order.lines}


def stored_order(ctx: AppContext, order_id: str) -> Order:
    found = ctx.read(lambda uow: uow.orders.get(order_id))
    assert found is not None
    return found


def audit_actions(ctx: AppContext) -> list[str]:
    """Audit actions, oldest first."""
    rows = ctx.read(lambda uow: uow.audit.page(entity=None, entity_id=None, after=None, limit=10_000)).rows
    return [row["action"] for row in reversed(rows)]


def events(ctx: AppContext) -> list[StoredEvent]:
    return list(ctx.read(lambda uow: uow.outbox.feed(after=None, limit=10_000)).rows)


def event_types(ctx: AppContext) -> list[str]:
    return [e.type for e in events(ctx)]


def movements(ctx: AppContext) -> list[Movement]:
    return list(ctx.read(lambda uow: uow.stock.movements(location=None, sku=None, after=None, limit=10_000)).rows)


# -- the fakes stand in for the ports ------------------------------------------------------------


def test_a_use_case_runs_on_the_fakes_and_commits_once() -> None:
    ctx = context()
    factory = ctx.uow
    assert isinstance(factory, FakeUnitOfWorkFactory)

    catalog.create_item(ctx, command=CreateItem("TEE", "Tee", 500), actor=SYSTEM)

    assert factory.commits == 1
    assert ctx.read(lambda uow: uow.items.known(["TEE", "MUG"])) == {"TEE"}


# -- capture and sourcing ------------------------------------------------------------------------


def test_an_order_is_sourced_from_the_nearest_location_that_has_every_unit() -> None:
    ctx = network(("NWK", NEWARK), ("CHI", CHICAGO), ("LA", LOS_ANGELES))
    stocked(ctx, "NWK", TEE=1, MUG=5)
    stocked(ctx, "CHI", TEE=5, MUG=5)
    stocked(ctx, "LA", TEE=5, MUG=5)

    order = capture(ctx, order_for("W-1", ("TEE", 2), ("MUG", 1)))

    assert allocations(order) == {"TEE": [("CHI", 2)], "MUG": [("CHI", 1)]}
    assert order.status == OrderStatus.ALLOCATED
    assert [fo.location for fo in order.fulfillment_orders] == ["CHI"]
    assert (reserved(ctx, "CHI", "TEE"), reserved(ctx, "CHI", "MUG")) == (2, 1)
    assert (reserved(ctx, "NWK", "TEE"), reserved(ctx, "LA", "TEE")) == (0, 0)
    assert stored_order(ctx, order.id) == order


def test_an_address_without_a_point_is_located_by_its_postal_code() -> None:
    ctx = network(("NWK", NEWARK), ("CHI", CHICAGO))
    stocked(ctx, "NWK", TEE=5)
    stocked(ctx, "CHI", TEE=5)

    order = capture(ctx, order_for("W-1", ("TEE", 1), to=None, postal_code="60601"))

    assert allocations(order) == {"TEE": [("CHI", 1)]}


def test_units_no_location_has_are_backordered() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=1)

    order = capture(ctx, order_for("W-1", ("TEE", 3)))

    assert order.lines[0].buckets() == {
        "unallocated": 0, "allocated": 1, "backordered": 2, "shipped": 0, "delivered": 0, "cancelled": 0,
    }
    assert order.status == OrderStatus.PARTIALLY_ALLOCATED
    assert "ordermesh.order.backordered" in event_types(ctx)


def test_a_replayed_order_returns_the_first_one_with_created_false() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=10)
    first = capture(ctx, order_for("W-1", ("TEE", 2)))

    again, created = orders.capture_order(ctx, command=order_for("W-1", ("TEE", 2)), actor=SYSTEM)

    assert created is False
    assert again == first
    assert reserved(ctx, "NWK", "TEE") == 2
    assert audit_actions(ctx).count("order.capture") == 1
    assert event_types(ctx).count("ordermesh.order.created") == 1
    page = ctx.read(lambda uow: uow.orders.page(OrderFilter(external_id="W-1"), after=None, limit=10))
    assert [o.id for o in page.rows] == [first.id]


def test_a_replay_with_the_same_idempotency_key_returns_the_first_order() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=10)
    first = capture(ctx, order_for("W-1", ("TEE", 2)), key="key-1")

    again, created = orders.capture_order(
        ctx, command=order_for("W-1", ("TEE", 2)), actor=SYSTEM, idempotency_key="key-1"
    )

    assert (again.id, created) == (first.id, False)
    assert reserved(ctx, "NWK", "TEE") == 2


def test_an_idempotency_key_reused_for_another_order_is_a_conflict_and_writes_nothing() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=10)
    capture(ctx, order_for("W-1", ("TEE", 2)), key="key-1")
    events_before = len(events(ctx))

    with pytest.raises(IdempotencyConflict):
        orders.capture_order(ctx, command=order_for("W-2", ("TEE", 3)), actor=SYSTEM, idempotency_key="key-1")

    assert reserved(ctx, "NWK", "TEE") == 2
    assert ctx.read(lambda uow: uow.orders.find("web", "W-2")) is None
    assert len(events(ctx)) == events_before


def test_an_order_with_payment_pending_is_held_and_reserves_nothing() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=10)

    order = capture(ctx, order_for("W-1", ("TEE", 2), payment=PaymentStatus.PENDING))

    assert order.hold_reason == PAYMENT_HOLD
    assert order.status == OrderStatus.ON_HOLD
    assert order.fulfillment_orders == []
    assert reserved(ctx, "NWK", "TEE") == 0


def test_releasing_the_payment_hold_sources_the_order() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=10)
    held = capture(ctx, order_for("W-1", ("TEE", 2), payment=PaymentStatus.PENDING))

    released = orders.release_order(ctx, order_id=held.id, actor=SYSTEM)

    assert released.status == OrderStatus.ALLOCATED
    assert allocations(released) == {"TEE": [("NWK", 2)]}
    assert reserved(ctx, "NWK", "TEE") == 2


def test_an_unknown_sku_becomes_an_exception_line_and_the_rest_is_sourced() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=10)

    order = capture(ctx, order_for("W-1", ("TEE", 1), ("NOPE", 2)))

    tee, nope = order.lines
    assert nope.exception == "unknown SKU 'NOPE'"
    assert tee.exception is None and tee.allocated == 1
    assert order.status == OrderStatus.EXCEPTION
    assert "ordermesh.order.exception_raised" in event_types(ctx)
    assert stored_order(ctx, order.id).lines[1].exception == "unknown SKU 'NOPE'"


def test_creating_the_missing_item_clears_the_exception_and_sources_the_line() -> None:
    ctx = network(("NWK", NEWARK))
    order = capture(ctx, order_for("W-1", ("NOPE", 2)))

    catalog.create_item(ctx, command=CreateItem("NOPE", "Now known", 100), actor=SYSTEM)

    line = stored_order(ctx, order.id).lines[0]
    assert line.exception is None
    assert line.backordered == 2  # known now, but nobody has any yet


# -- cancel, reject, backorders ------------------------------------------------------------------


def test_cancelling_an_order_releases_its_reservations() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=10, MUG=3)
    order = capture(ctx, order_for("W-1", ("TEE", 2), ("MUG", 3)))

    cancelled = orders.cancel_order(ctx, order_id=order.id, lines=None, reason="customer asked", actor=SYSTEM)

    assert cancelled.status == OrderStatus.CANCELLED
    assert (reserved(ctx, "NWK", "TEE"), reserved(ctx, "NWK", "MUG")) == (0, 0)
    releases = [(m.sku, m.reserved_delta) for m in movements(ctx) if m.kind == MovementKind.RELEASE]
    assert sorted(releases) == [("MUG", -3), ("TEE", -2)]
    assert cancelled.fulfillment_orders[0].status == FulfillmentStatus.CANCELLED


def test_units_freed_by_a_cancel_go_to_the_order_waiting_for_them() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=2)
    first = capture(ctx, order_for("W-1", ("TEE", 2)))
    waiting = capture(ctx, order_for("W-2", ("TEE", 1)))

    orders.cancel_order(ctx, order_id=first.id, lines=None, reason="customer asked", actor=SYSTEM)

    assert allocations(stored_order(ctx, waiting.id)) == {"TEE": [("NWK", 1)]}
    assert reserved(ctx, "NWK", "TEE") == 1


def test_a_rejected_fulfilment_order_is_sourced_elsewhere_and_its_stock_released() -> None:
    ctx = network(("NWK", NEWARK), ("CHI", CHICAGO))
    stocked(ctx, "NWK", TEE=5)
    stocked(ctx, "CHI", TEE=5)
    order = capture(ctx, order_for("W-1", ("TEE", 2)))
    [at_newark] = order.fulfillment_orders

    fulfillment.reject(ctx, fo_id=at_newark.id, reason="damaged", actor=SYSTEM)

    after = stored_order(ctx, order.id)
    assert [(fo.location, fo.status) for fo in after.fulfillment_orders] == [
        ("NWK", FulfillmentStatus.REJECTED),
        ("CHI", FulfillmentStatus.OPEN),
    ]
    assert allocations(after) == {"TEE": [("CHI", 2)]}
    assert (reserved(ctx, "NWK", "TEE"), reserved(ctx, "CHI", "TEE")) == (0, 2)


def test_a_rejected_order_nobody_else_can_serve_is_backordered_not_sent_back() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=5)
    order = capture(ctx, order_for("W-1", ("TEE", 2)))

    fulfillment.reject(ctx, fo_id=order.fulfillment_orders[0].id, reason="closed", actor=SYSTEM)

    after = stored_order(ctx, order.id)
    assert after.status == OrderStatus.BACKORDERED
    assert reserved(ctx, "NWK", "TEE") == 0


def test_a_count_fills_backorders_oldest_first() -> None:
    ctx = network(("NWK", NEWARK))
    newer = capture(ctx, order_for("W-1", ("TEE", 1), placed_at=T0 + timedelta(minutes=5)))
    older = capture(ctx, order_for("W-2", ("TEE", 1), placed_at=T0 - timedelta(minutes=5)))

    inventory.set_stock(ctx, command=SetStock("NWK", "TEE", 1), actor=SYSTEM)

    assert stored_order(ctx, older.id).status == OrderStatus.ALLOCATED
    assert stored_order(ctx, newer.id).status == OrderStatus.BACKORDERED
    assert reserved(ctx, "NWK", "TEE") == 1


def test_a_stale_count_changes_nothing_and_says_so() -> None:
    ctx = network(("NWK", NEWARK))
    inventory.set_stock(ctx, command=SetStock("NWK", "TEE", 5, as_of=T0), actor=SYSTEM)
    actions_before = audit_actions(ctx)

    level, applied = inventory.set_stock(
        ctx, command=SetStock("NWK", "TEE", 1, as_of=T0 - timedelta(hours=1)), actor=SYSTEM
    )

    assert applied is False
    assert level.on_hand == 5
    assert audit_actions(ctx) == actions_before


# -- failures write nothing ----------------------------------------------------------------------


def test_an_adjustment_with_one_bad_row_leaves_every_row_unchanged() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=5, MUG=1)
    records_before = (audit_actions(ctx), event_types(ctx), movements(ctx))

    with pytest.raises(InvalidInput) as refused:
        inventory.adjust_stock(
            ctx,
            adjustments=[AdjustStock("NWK", "TEE", -9, "damaged"), AdjustStock("NWK", "MUG", 3, "receipt")],
            reference="ADJ-1",
            actor=SYSTEM,
        )

    assert refused.value.field == ("adjustments", 0, "delta")
    assert (stock(ctx, "NWK", "TEE"), stock(ctx, "NWK", "MUG")) == (
        StockLevel("NWK", "TEE", 5, 0, 0, T0),
        StockLevel("NWK", "MUG", 1, 0, 0, T0),
    )
    assert (audit_actions(ctx), event_types(ctx), movements(ctx)) == records_before


def test_a_snapshot_naming_an_unknown_sku_writes_nothing() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=5)

    with pytest.raises(InvalidInput, match="unknown SKU 'HAT'"):
        inventory.snapshot(ctx, counts=[SetStock("NWK", "TEE", 9), SetStock("NWK", "HAT", 1)], actor=SYSTEM)

    level = stock(ctx, "NWK", "TEE")
    assert level is not None and level.on_hand == 5


def test_cancelling_more_than_the_line_has_writes_nothing() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=5)
    order = capture(ctx, order_for("W-1", ("TEE", 2)))
    before = stored_order(ctx, order.id)

    with pytest.raises(QuantityConflict):
        orders.cancel_order(ctx, order_id=order.id, lines={order.lines[0].id: 3}, reason="oops", actor=SYSTEM)

    assert stored_order(ctx, order.id) == before
    assert reserved(ctx, "NWK", "TEE") == 2


@dataclass
class OverAllocating:
    """A broken sourcing policy: it plans one unit more than the line wants."""

    def plan(self, request: SourcingRequest, candidates: Sequence[Candidate]) -> AllocationPlan:
        best = candidates[0].location
        return AllocationPlan(tuple(Allocation(line.line_id, best, line.quantity + 1) for line in request.lines))


def test_a_capture_that_fails_after_reserving_stock_leaves_the_stock_unreserved() -> None:
    ctx = network(("NWK", NEWARK), sourcing=OverAllocating())
    stocked(ctx, "NWK", TEE=5)
    events_before = len(events(ctx))

    with pytest.raises(InvalidInput, match="allocated 3 of 2"):
        orders.capture_order(ctx, command=order_for("W-1", ("TEE", 2)), actor=SYSTEM)

    assert reserved(ctx, "NWK", "TEE") == 0
    assert ctx.read(lambda uow: uow.orders.find("web", "W-1")) is None
    assert len(events(ctx)) == events_before
    assert "order.capture" not in audit_actions(ctx)


# -- every change leaves an audit record and events ----------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A use case to run on a network with one order allocated at NWK (ship) and one at STORE (pickup)."""

    act: Callable[[AppContext, Order, Order], Any]
    action: str
    events: tuple[str, ...]


def _fo(order: Order) -> str:
    return order.fulfillment_orders[0].id


def _shipped(ctx: AppContext, shipping: Order) -> None:
    fulfillment.ship(ctx, fo_id=_fo(shipping), command=ShipFulfillment("ups", "1Z1"), actor=SYSTEM)


def _ready(ctx: AppContext, pickup: Order) -> None:
    fulfillment.ready_for_pickup(ctx, fo_id=_fo(pickup), actor=SYSTEM)


def _shipped_and_delivered(ctx: AppContext, shipping: Order) -> None:
    _shipped(ctx, shipping)
    fulfillment.deliver(ctx, fo_id=_fo(shipping), actor=SYSTEM)


def _ready_and_picked_up(ctx: AppContext, pickup: Order) -> None:
    _ready(ctx, pickup)
    fulfillment.picked_up(ctx, fo_id=_fo(pickup), actor=SYSTEM)


SCENARIOS = {
    "create_item": Scenario(
        lambda ctx, s, p: catalog.create_item(ctx, command=CreateItem("HAT", "Hat", 100), actor=SYSTEM),
        "item.create",
        ("ordermesh.item.created",),
    ),
    "create_location": Scenario(
        lambda ctx, s, p: catalog.create_location(
            ctx,
            command=CreateLocation("LA", "LA", LocationType.STORE, Address(country="US"), frozenset({Capability.SHIP})),
            actor=SYSTEM,
        ),
        "location.create",
        ("ordermesh.location.created",),
    ),
    "change_sourcing_profile": Scenario(
        lambda ctx, s, p: catalog.change_sourcing_profile(
            ctx, code="NWK", changes={"tags": frozenset({"bulky"})}, actor=SYSTEM
        ),
        "location.update_sourcing",
        ("ordermesh.location.updated",),
    ),
    "set_stock": Scenario(
        lambda ctx, s, p: inventory.set_stock(ctx, command=SetStock("NWK", "MUG", 4), actor=SYSTEM),
        "inventory.set",
        ("ordermesh.inventory.changed",),
    ),
    "adjust_stock": Scenario(
        lambda ctx, s, p: inventory.adjust_stock(
            ctx, adjustments=[AdjustStock("NWK", "TEE", 1, "found")], reference=None, actor=SYSTEM
        ),
        "inventory.adjust",
        ("ordermesh.inventory.changed",),
    ),
    "snapshot": Scenario(
        lambda ctx, s, p: inventory.snapshot(ctx, counts=[SetStock("NWK", "TEE", 7, as_of=T0)], actor=SYSTEM),
        "inventory.snapshot",
        ("ordermesh.inventory.changed",),
    ),
    "capture_order": Scenario(
        lambda ctx, s, p: orders.capture_order(ctx, command=order_for("W-9", ("TEE", 1)), actor=SYSTEM),
        "order.capture",
        ("ordermesh.order.created", "ordermesh.fulfillment_order.created", "ordermesh.order.allocated"),
    ),
    "hold_order": Scenario(
        lambda ctx, s, p: orders.hold_order(ctx, order_id=s.id, reason="fraud check", actor=SYSTEM),
        "order.hold",
        ("ordermesh.order.held",),
    ),
    "release_order": Scenario(
        lambda ctx, s, p: (
            orders.hold_order(ctx, order_id=s.id, reason="fraud check", actor=SYSTEM),
            orders.release_order(ctx, order_id=s.id, actor=SYSTEM),
        ),
        "order.release",
        ("ordermesh.order.released",),
    ),
    "cancel_order": Scenario(
        lambda ctx, s, p: orders.cancel_order(ctx, order_id=s.id, lines=None, reason="asked", actor=SYSTEM),
        "order.cancel",
        ("ordermesh.fulfillment_order.cancelled", "ordermesh.order.cancelled"),
    ),
    "accept": Scenario(
        lambda ctx, s, p: fulfillment.accept(ctx, fo_id=_fo(s), actor=SYSTEM),
        "fulfillment_order.accept",
        ("ordermesh.fulfillment_order.accepted",),
    ),
    "reject": Scenario(
        lambda ctx, s, p: fulfillment.reject(ctx, fo_id=_fo(s), reason="damaged", actor=SYSTEM),
        "fulfillment_order.reject",
        ("ordermesh.fulfillment_order.rejected",),
    ),
    "ship": Scenario(
        lambda ctx, s, p: _shipped(ctx, s),
        "fulfillment_order.ship",
        ("ordermesh.fulfillment_order.shipped",),
    ),
    "deliver": Scenario(
        lambda ctx, s, p: _shipped_and_delivered(ctx, s),
        "fulfillment_order.deliver",
        ("ordermesh.fulfillment_order.delivered",),
    ),
    "ready_for_pickup": Scenario(
        lambda ctx, s, p: _ready(ctx, p),
        "fulfillment_order.ready_for_pickup",
        ("ordermesh.fulfillment_order.ready_for_pickup",),
    ),
    "picked_up": Scenario(
        lambda ctx, s, p: _ready_and_picked_up(ctx, p),
        "fulfillment_order.picked_up",
        ("ordermesh.fulfillment_order.picked_up",),
    ),
}


def test_a_location_is_created_with_the_sourcing_profile_its_command_carries() -> None:
    ctx = context()
    profile = SourcingProfile(groups=frozenset({"east"}), timezone="America/New_York", daily_order_capacity=40)
    command = CreateLocation(
        "NWK", "Newark", LocationType.WAREHOUSE, Address(country="US"), frozenset({Capability.SHIP}), profile
    )

    created = catalog.create_location(ctx, command=command, actor=SYSTEM)

    assert created.profile == profile
    stored = ctx.read(lambda uow: uow.locations.get("NWK"))
    assert stored is not None and stored.profile == profile
    assert events(ctx)[-1].data["sourcing"]["groups"] == ["east"]


def test_a_changed_sourcing_profile_is_announced_with_the_whole_location() -> None:
    ctx = network(("NWK", NEWARK))

    catalog.change_sourcing_profile(ctx, code="NWK", changes={"daily_unit_capacity": 300}, actor=SYSTEM)

    last = events(ctx)[-1]
    assert (last.type, last.subject) == ("ordermesh.location.updated", "NWK")
    assert last.data["code"] == "NWK" and last.data["sourcing"]["daily_unit_capacity"] == 300


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_every_mutating_use_case_writes_an_audit_record_and_outbox_events(scenario: Scenario) -> None:
    ctx = network(("NWK", NEWARK), ("STORE", NYC), pickup=("STORE",))
    stocked(ctx, "NWK", TEE=5)
    stocked(ctx, "STORE", MUG=5)
    shipping = capture(ctx, order_for("W-1", ("TEE", 1)))
    pickup = capture(ctx, order_for("P-1", ("MUG", 1), pickup_at="STORE"))
    actions_before, events_before = len(audit_actions(ctx)), len(events(ctx))

    scenario.act(ctx, shipping, pickup)

    new_actions = audit_actions(ctx)[actions_before:]
    new_events = event_types(ctx)[events_before:]
    assert new_actions[-1] == scenario.action
    assert set(scenario.events) <= set(new_events), new_events


def test_shipping_lowers_on_hand_and_reserved_together() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=5)
    order = capture(ctx, order_for("W-1", ("TEE", 2)))

    shipped = fulfillment.ship(ctx, fo_id=_fo(order), command=ShipFulfillment("ups", "1Z1"), actor=SYSTEM)

    assert shipped.status == FulfillmentStatus.SHIPPED
    assert stock(ctx, "NWK", "TEE") == StockLevel("NWK", "TEE", 3, 0, 0, T0)
    assert stored_order(ctx, order.id).status == OrderStatus.SHIPPED
