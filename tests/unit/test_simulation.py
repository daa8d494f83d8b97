"""The sandbox's arithmetic: the stock as it was, the replay on a copy of it, and the KPIs, all in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.domain.catalog import Address, Capability, Location, LocationType, SourcingProfile
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.inventory import Movement, MovementKind, StockLevel
from ordermesh.domain.orders import DeliveryMethod
from ordermesh.domain.sourcing import Candidate, LineDemand, SourcingRequest
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.domain.sourcing.engine import SourcingEngine
from ordermesh.domain.sourcing.rule_document import parse_rule_set
from ordermesh.services.replay import (
    Replay,
    Shipped,
    StockCell,
    Tally,
    difference,
    replay,
    stock_at,
)
from tests.fakes import FakeUnitOfWorkFactory

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
NYC = GeoPoint(40.7128, -74.0060)
NEWARK = GeoPoint(40.7357, -74.1724)
CHICAGO = GeoPoint(41.8781, -87.6298)
RULES = parse_rule_set(DEFAULT_RULE_SET)


def _location(code: str, at: GeoPoint, *, kind: LocationType = LocationType.WAREHOUSE, **profile: int) -> Location:
    address = Address(country="US", lat=at.lat, lon=at.lon)
    return Location(code, code, kind, address, frozenset({Capability.SHIP}), True, SourcingProfile(**profile))


def _request(order_id: str, at: datetime, quantity: int = 1) -> SourcingRequest:
    return SourcingRequest(
        order_id=order_id,
        lines=(LineDemand(f"{order_id}-1", "TEE", quantity, unit_price=10.0, weight_grams=300),),
        method=DeliveryMethod.SHIP,
        destination=NYC,
        service_level="standard",
        placed_at=at,
        now=at,
    )


def _receipt(location: str, units: int, at: datetime) -> Movement:
    return Movement(location, "TEE", MovementKind.ADJUSTMENT, units, 0, "receipt", "PO-1", at)


def _engine() -> SourcingEngine:
    return SourcingEngine(RULES, explain=False, deterministic=True)


# --- the stock as it was -----------------------------------------------------------------------------------


def test_the_stock_at_the_start_is_today_s_less_what_the_ledger_moved_since() -> None:
    factory = FakeUnitOfWorkFactory()
    with factory() as uow:
        uow.stock.record(
            [
                Movement("NWK", "TEE", MovementKind.SNAPSHOT, 10, 0, "count", None, T0 - HOUR),
                Movement("NWK", "TEE", MovementKind.RESERVATION, 0, 3, "order allocated", "ord_1", T0 - HOUR),
                Movement("NWK", "TEE", MovementKind.RESERVATION, 0, 2, "order allocated", "ord_2", T0 + HOUR),
                Movement("NWK", "TEE", MovementKind.SHIPMENT, -3, -3, "shipped", "fo_1", T0 + 2 * HOUR),
                Movement("NWK", "TEE", MovementKind.ADJUSTMENT, 5, 0, "receipt", "PO-1", T0 + 3 * HOUR),
            ]
        )
        changes = uow.stock.changes_since(T0)
        arrivals = uow.stock.movements_between(T0, None, kinds=(MovementKind.ADJUSTMENT, MovementKind.SNAPSHOT))
    today = StockLevel("NWK", "TEE", on_hand=12, reserved=2, safety_stock=1)

    cells = stock_at(iter([("NWK", "TEE", today.on_hand, today.reserved, today.safety_stock)]), changes)

    assert changes == {("NWK", "TEE"): (2, -1)}
    assert cells == {("NWK", "TEE"): StockCell(on_hand=10, reserved=3, safety_stock=1)}
    assert cells[("NWK", "TEE")].available == 6
    assert [m.reason for m in arrivals] == ["receipt"]


def test_stock_never_goes_below_zero_when_the_ledger_does_not_add_up() -> None:
    cells = stock_at(iter([("NWK", "TEE", 1, 0, 0)]), {("NWK", "TEE"): (4, 2)})

    assert cells[("NWK", "TEE")] == StockCell(0, 0, 0)


# --- the replay --------------------------------------------------------------------------------------------


def _replay(
    *requests: SourcingRequest, arrivals: tuple[Movement, ...] = (), newark_orders: int | None = None
) -> Replay:
    network = {
        "NWK": _location("NWK", NEWARK, **({"daily_order_capacity": newark_orders} if newark_orders else {})),
        "CHI": _location("CHI", CHICAGO, kind=LocationType.STORE),
    }
    stock = {("NWK", "TEE"): StockCell(1, 0, 0), ("CHI", "TEE"): StockCell(5, 0, 0)}
    return Replay(tuple(requests), network, stock, arrivals)


def test_stock_received_during_the_range_arrives_in_the_copy_at_its_time() -> None:
    orders = (_request("A", T0 + HOUR), _request("B", T0 + 3 * HOUR))

    without = replay(_replay(*orders), _engine(), RULES)
    received = replay(_replay(*orders, arrivals=(_receipt("NWK", 1, T0 + 2 * HOUR),)), _engine(), RULES)

    assert {code: use["orders"] for code, use in without["capacity"].items()} == {"NWK": 1, "CHI": 1}
    assert {code: use["orders"] for code, use in received["capacity"].items()} == {"NWK": 2}
    assert without["store_unit_share"] == 0.5 and received["store_unit_share"] == 0.0


def test_a_full_location_is_left_out_for_the_rest_of_its_day() -> None:
    inputs = _replay(_request("A", T0), _request("B", T0 + HOUR), newark_orders=1)
    inputs = replace(inputs, stock={**inputs.stock, ("NWK", "TEE"): StockCell(10, 0, 0)})

    kpis = replay(inputs, _engine(), RULES)

    newark = kpis["capacity"]["NWK"]
    assert (newark["orders"], newark["order_capacity"], newark["peak_order_use"]) == (1, 1, 1.0)
    assert newark["days"] == {"2026-11-02": {"orders": 1, "units": 1, "order_use": 1.0, "unit_use": None}}
    assert kpis["capacity"]["CHI"]["orders"] == 1


def test_the_replay_leaves_its_inputs_as_they_were() -> None:
    inputs = _replay(_request("A", T0, quantity=3))

    replay(inputs, _engine(), RULES)

    assert inputs.stock[("NWK", "TEE")] == StockCell(1, 0, 0)


def test_cost_is_the_engine_s_cost_of_each_plan() -> None:
    request = _request("A", T0, quantity=2)
    inputs = _replay(request)
    explaining = SourcingEngine(RULES, explain=True, deterministic=True)
    candidates = [
        Candidate("CHI", CHICAGO, {"TEE": 5}, type="store"),
        Candidate("NWK", NEWARK, {"TEE": 1}),
    ]

    kpis = replay(inputs, _engine(), RULES)

    explanation = explaining.plan(request, candidates).explanation
    assert explanation is not None
    assert kpis["cost"]["total"] == pytest.approx(explanation["chosen"]["cost"], abs=1e-4)


# --- the KPIs ----------------------------------------------------------------------------------------------


def test_kpis_add_up_over_a_hand_made_set_of_orders() -> None:
    tally = Tally("USD")
    tally.add([Shipped("NWK", "warehouse", 2, 10.0, 0)], 0, 8.0)
    tally.add([Shipped("NWK", "warehouse", 1, 10.0, 0), Shipped("CHI", "store", 1, 1000.0, 2)], 1, 170.0)
    tally.add([], 3, 450.0)
    tally.add([Shipped("CHI", "store", 4, None, 0)], 0, None)

    kpis = tally.kpis({("NWK", "2026-11-02"): [2, 3]}, {"NWK": _location("NWK", NEWARK, daily_order_capacity=4)}, 1.5)

    assert kpis["orders_replayed"] == 4
    assert kpis["cost"] == {"total": 628.0, "per_order": 157.0}
    assert kpis["orders_unpriced"] == 1
    assert kpis["split_rate"] == round(1 / 3, 4)
    assert kpis["on_time_rate"] == round(2 / 3, 4)
    assert kpis["mean_distance_km"] == round((2 * 10 + 10 + 1000) / 4, 1)  # per unit; the unknown distance left out
    assert kpis["store_unit_share"] == round(5 / 8, 4)
    assert (kpis["units_allocated"], kpis["unfillable_units"], kpis["shipments"]) == (8, 4, 4)
    assert kpis["capacity"]["NWK"]["peak_order_use"] == 0.5


def test_an_empty_replay_has_no_rates_rather_than_zero() -> None:
    kpis = Tally("USD").kpis({}, {}, 0.0)

    assert (kpis["split_rate"], kpis["on_time_rate"], kpis["mean_distance_km"], kpis["cost"]["per_order"]) == (
        None,
        None,
        None,
        None,
    )


def test_the_difference_is_draft_minus_active_and_leaves_out_costs_in_different_currencies() -> None:
    active = Tally("USD")
    active.add([Shipped("NWK", "warehouse", 1, 10.0, 0)], 0, 5.0)
    draft = Tally("USD")
    draft.add([Shipped("CHI", "store", 1, 1100.0, 1)], 0, 9.5)
    network = {"NWK": _location("NWK", NEWARK), "CHI": _location("CHI", CHICAGO)}
    draft_kpis = draft.kpis({("CHI", "2026-11-02"): [1, 1]}, network, 2.0)
    active_kpis = active.kpis({("NWK", "2026-11-02"): [1, 1]}, network, 1.0)

    diff = difference(draft_kpis, active_kpis)
    euros = difference({**draft_kpis, "currency": "EUR"}, active_kpis)

    assert diff["cost"] == {"total": 4.5, "per_order": 4.5}
    assert (diff["mean_distance_km"], diff["on_time_rate"], diff["store_unit_share"]) == (1090.0, -1.0, 1.0)
    assert diff["capacity"] == {"CHI": {"orders": 1, "units": 1}, "NWK": {"orders": -1, "units": -1}}
    assert euros["cost"] == {"total": None, "per_order": None}
