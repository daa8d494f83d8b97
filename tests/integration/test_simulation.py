"""The sandbox replays real orders on a copy of the stock: the active rule set gives back what happened, a draft
shows its own KPIs, and nothing real changes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.domain.orders import Customer, Delivery, Order
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.services import simulation
from ordermesh.services.catalog import change_sourcing_profile, create_item, create_location
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
from ordermesh.services.fulfillment import accept, ship
from ordermesh.services.inventory import adjust_stock, set_stock
from ordermesh.services.orders import capture_order
from ordermesh.services.ports import OrderFilter, SimulationRun, UnitOfWork
from ordermesh.services.simulation import Progress
from ordermesh.services.simulation_runner import SimulationRunner
from ordermesh.services.sourcing import create_rule_set
from tests.builders import CHICAGO, LOS_ANGELES, NEWARK, NYC

STALE_AFTER = timedelta(minutes=2)


def _run_here(ctx: AppContext, spec: simulation.SimulationSpec, progress: Progress | None = None) -> SimulationRun:
    """Submit and run in this thread, as `ordermesh simulate` does, with a runner keeping the heartbeat."""
    runner = SimulationRunner(ctx, name="test@localhost:1/000000", stale_after=STALE_AFTER)
    try:
        return runner.run_here(SYSTEM, spec, progress=progress)
    finally:
        runner.close()


def _network(ctx: AppContext) -> None:
    create_item(ctx, command=CreateItem("SHIRT", "Shirt", 300), actor=SYSTEM)
    for code, (lat, lon) in (("NWK", NEWARK), ("CHI", CHICAGO), ("LAX", LOS_ANGELES)):
        address = Address(line1="1 Main St", country="US", lat=lat, lon=lon)
        command = CreateLocation(code, code, LocationType.WAREHOUSE, address, frozenset({Capability.SHIP}))
        create_location(ctx, command=command, actor=SYSTEM)
    change_sourcing_profile(ctx, code="NWK", changes={"daily_order_capacity": 50}, actor=SYSTEM)
    set_stock(ctx, command=SetStock("NWK", "SHIRT", 4), actor=SYSTEM)
    set_stock(ctx, command=SetStock("CHI", "SHIRT", 3), actor=SYSTEM)
    set_stock(ctx, command=SetStock("LAX", "SHIRT", 20), actor=SYSTEM)


def _order(external_id: str, quantity: int = 1) -> CaptureOrder:
    ship_to = Address(line1="5 Park Ave", city="New York", postal_code="10016", country="US", lat=NYC[0], lon=NYC[1])
    return CaptureOrder(
        channel="web",
        external_id=external_id,
        currency="USD",
        customer=Customer(email="ada@example.com"),
        ship_to=ship_to,
        delivery=Delivery(service_level="standard"),
        lines=(NewLine(f"{external_id}-1", "SHIRT", quantity, Decimal("20.00")),),
    )


def _capture(ctx: AppContext, external_id: str, quantity: int = 1) -> Order:
    order, _ = capture_order(ctx, command=_order(external_id, quantity), actor=SYSTEM)
    return order


def _history(ctx: AppContext) -> tuple[datetime, datetime]:
    """An old open order, then the range: orders, a shipment, a receipt mid-way, more orders."""
    _network(ctx)
    _capture(ctx, "OLD")  # placed before the range and still holding a unit at NWK
    start = datetime.now(UTC)
    first = [_capture(ctx, f"A-{n}") for n in range(3)]  # NWK has 3 left: all from NWK
    _capture(ctx, "B-0", quantity=2)  # NWK is out: CHI
    shipped = first[0].fulfillment_orders[0]
    accept(ctx, fo_id=shipped.id, actor=SYSTEM)
    ship(ctx, fo_id=shipped.id, command=ShipFulfillment("ups", "1Z1"), actor=SYSTEM)
    adjust_stock(ctx, adjustments=[AdjustStock("NWK", "SHIRT", 2, "receipt")], reference="PO-1", actor=SYSTEM)
    for n in range(2):
        _capture(ctx, f"C-{n}")  # from NWK again, thanks to the receipt
    _capture(ctx, "D-0", quantity=22)  # LAX's 20 and CHI's last unit; one backordered
    return start, datetime.now(UTC) + timedelta(seconds=1)


def _draft_without_newark(ctx: AppContext) -> str:
    document = copy.deepcopy(DEFAULT_RULE_SET)
    document["name"] = "no-newark"
    document["default"]["locations"]["exclude"] = ["NWK"]
    return create_rule_set(ctx, SYSTEM, document, note=None).id


def _everything(ctx: AppContext) -> dict[str, Any]:
    """What a simulation must leave exactly as it was."""

    def read(uow: UnitOfWork) -> dict[str, Any]:
        orders = uow.orders.page(OrderFilter(), after=None, limit=1000).rows
        days = [(code, day) for code in ("NWK", "CHI", "LAX") for day in _days()]
        return {
            "stock": uow.stock.levels(location=None, sku=None, after=None, limit=1000).rows,
            "movements": uow.stock.movements(location=None, sku=None, after=None, limit=1000).rows,
            "orders": [(o, o.status) for o in orders],
            "decisions": {o.id: uow.decisions.for_order(o.id, limit=100) for o in orders},
            "capacity": uow.capacity.used(days),
            "events": uow.outbox.feed(after=None, limit=1000).rows,
        }

    return ctx.read(read)


def _days() -> list[str]:
    today = datetime.now(UTC).date()
    return [(today + timedelta(days=n)).isoformat() for n in range(-1, 2)]


def _placed(ctx: AppContext, start: datetime) -> list[Order]:
    orders = ctx.read(lambda uow: uow.orders.page(OrderFilter(), after=None, limit=1000).rows)
    return [o for o in orders if o.placed_at >= start]


def _without_timings(result: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(result)
    stripped.pop("elapsed_seconds")
    for side in ("draft", "active", "difference"):
        stripped[side].pop("elapsed_seconds")
    return stripped


def test_the_active_rule_set_replays_what_happened_and_a_draft_shows_its_cost(ctx: AppContext) -> None:
    start, end = _history(ctx)
    draft = _draft_without_newark(ctx)
    before = _everything(ctx)

    run = _run_here(ctx, simulation.SimulationSpec(start=start, end=end, draft_id=draft))

    assert run.status == "done", run.error
    assert run.result is not None
    active, proposed = run.result["active"], run.result["draft"]
    placed = _placed(ctx, start)
    assert run.result["orders_replayed"] == active["orders_replayed"] == len(placed) == 7
    orders_at: dict[str, int] = {}
    units_at: dict[str, int] = {}
    for order in placed:
        for fo in order.fulfillment_orders:
            orders_at[fo.location] = orders_at.get(fo.location, 0) + 1
            units_at[fo.location] = units_at.get(fo.location, 0) + sum(fl.quantity for fl in fo.lines)
    assert {code: use["orders"] for code, use in active["capacity"].items()} == orders_at
    assert {code: use["units"] for code, use in active["capacity"].items()} == units_at
    backordered = sum(line.backordered for order in placed for line in order.lines)
    assert active["unfillable_units"] == backordered > 0
    assert active["split_rate"] == round(1 / 7, 4)  # D-0 only
    decided = [d for order in placed for d in before["decisions"][order.id]]
    assert [d.trigger for d in decided] == ["capture"] * len(placed)
    assert active["cost"]["total"] == pytest.approx(sum(d.explanation["chosen"]["cost"] for d in decided), abs=1e-3)
    assert "NWK" not in proposed["capacity"]
    assert proposed["cost"]["total"] > active["cost"]["total"]
    assert proposed["mean_distance_km"] > active["mean_distance_km"]
    assert run.result["difference"]["cost"]["total"] == round(proposed["cost"]["total"] - active["cost"]["total"], 4)
    assert active["capacity"]["NWK"]["order_capacity"] == 50
    assert _everything(ctx) == before


def test_two_runs_give_the_same_kpis(ctx: AppContext) -> None:
    start, end = _history(ctx)
    draft = _draft_without_newark(ctx)
    spec = simulation.SimulationSpec(start=start, end=end, draft_id=draft)

    first = _run_here(ctx, spec)
    second = _run_here(ctx, spec)

    assert first.result is not None and second.result is not None
    assert _without_timings(first.result) == _without_timings(second.result)


def test_uploaded_orders_replay_on_the_stock_as_it_was_before_the_first(ctx: AppContext) -> None:
    _network(ctx)
    placed = datetime.now(UTC)
    _capture(ctx, "LIVE", quantity=4)  # takes NWK's stock after the uploaded orders were placed
    uploaded = tuple(
        CaptureOrder(**{**_order(f"U-{n}").__dict__, "placed_at": placed + timedelta(microseconds=n)}) for n in range(2)
    )
    document = copy.deepcopy(DEFAULT_RULE_SET) | {"name": "inline"}
    progress: list[tuple[int, int]] = []

    run = _run_here(
        ctx,
        simulation.SimulationSpec(orders=uploaded, draft_document=document),
        lambda done, total: progress.append((done, total)),
    )

    assert run.status == "done", run.error
    assert run.result is not None
    assert run.result["active"]["capacity"]["NWK"]["orders"] == 2
    assert run.result["draft"]["rule_set"]["name"] == "inline"
    assert progress[0] == (0, 4) and progress[-1] == (4, 4)
    assert (run.plans_made, run.plans_to_make) == (4, 4)
    assert run.parameters["orders"] == {"uploaded": 2}
