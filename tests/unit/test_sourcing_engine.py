"""The sourcing engine end to end in memory: rules, eligibility, costs, plan and explanation."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, time
from typing import Any

import pytest

from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.orders import DeliveryMethod
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.domain.sourcing.engine import SourcingEngine
from ordermesh.domain.sourcing.model import Candidate, LineDemand, SourcingRequest
from ordermesh.domain.sourcing.rule_document import parse_rule_set

NEW_YORK = GeoPoint(40.71, -74.01)
NEWARK = GeoPoint(40.73, -74.17)  # ~14 km from New York
PHILADELPHIA = GeoPoint(39.95, -75.17)  # ~130 km
CHICAGO = GeoPoint(41.88, -87.63)  # ~1,150 km
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 10:00 in New York


def engine(rules: list[dict[str, Any]] | None = None, **changes: Any) -> SourcingEngine:
    document = copy.deepcopy(DEFAULT_RULE_SET)
    document["rules"] = rules or []
    document.update(changes)
    return SourcingEngine(parse_rule_set(document))


def request(*lines: LineDemand, **changes: Any) -> SourcingRequest:
    base: dict[str, Any] = {
        "order_id": "ord_1",
        "lines": lines or (LineDemand("l1", "SHIRT", 1, unit_price=20.0, weight_grams=300),),
        "method": DeliveryMethod.SHIP,
        "destination": NEW_YORK,
        "country": "US",
        "region": "NY",
        "placed_at": NOW,
        "now": NOW,
    }
    base.update(changes)
    return SourcingRequest(**base)


def place(code: str, point: GeoPoint, stock: dict[str, int], **profile: Any) -> Candidate:
    return Candidate(code, point, stock, timezone="America/New_York", **profile)


def where(plan: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for allocation in plan.allocations:
        found[allocation.location] = found.get(allocation.location, 0) + allocation.quantity
    return found


def test_nearest_warehouse_with_everything_wins_and_the_explanation_says_why() -> None:
    plan = engine().plan(
        request(),
        [place("DC-CHI", CHICAGO, {"SHIRT": 5}), place("DC-EWR", NEWARK, {"SHIRT": 5})],
    )
    assert where(plan) == {"DC-EWR": 1}
    explanation = plan.explanation
    assert explanation is not None
    assert explanation["matched_rule"] == "default"
    assert explanation["chosen"]["method"] == "single" and explanation["chosen"]["optimal"]
    assert explanation["runner_up"]["shipments"][0]["location"] == "DC-CHI"
    assert explanation["runner_up"]["cost"] > explanation["chosen"]["cost"]
    assert explanation["summary"].startswith("Ship from DC-EWR (1 package(s)")
    assert "runner-up DC-CHI" in explanation["summary"]
    # zone 1 price for 300 g (3.80) + per package 1.00 + warehouse handling 1.20 + 0.25 per unit
    assert explanation["chosen"]["cost"] == pytest.approx(3.80 + 1.00 + 1.20 + 0.25)


def test_store_labour_costs_more_than_a_warehouse_at_the_same_distance() -> None:
    plan = engine().plan(
        request(),
        [place("STORE-EWR", NEWARK, {"SHIRT": 5}, type="store"), place("DC-EWR", NEWARK, {"SHIRT": 5})],
    )
    assert where(plan) == {"DC-EWR": 1}


def test_split_over_two_locations_when_nobody_has_everything() -> None:
    lines = (LineDemand("l1", "SHIRT", 1, 20.0, 300), LineDemand("l2", "HAT", 1, 15.0, 200))
    plan = engine().plan(
        request(*lines),
        [place("DC-EWR", NEWARK, {"SHIRT": 5}), place("DC-PHL", PHILADELPHIA, {"HAT": 5})],
    )
    assert where(plan) == {"DC-EWR": 1, "DC-PHL": 1}
    assert plan.explanation is not None and plan.explanation["chosen"]["breakdown"]["split"] == pytest.approx(2.5)


def test_hazmat_line_rule_keeps_that_line_out_of_stores_only() -> None:
    rules = [{"name": "Hazmat from DCs", "when": {"item": {"hazmat": True}}, "locations": {"types": ["warehouse"]}}]
    lines = (
        LineDemand("l1", "SHIRT", 1, 20.0, 300),
        LineDemand("l2", "SPRAY", 1, 9.0, 300, attributes={"hazmat": True}),
    )
    candidates = [
        place("STORE-NYC", NEW_YORK, {"SHIRT": 3, "SPRAY": 3}, type="store"),
        place("DC-CHI", CHICAGO, {"SPRAY": 3}),
    ]
    plan = engine(rules).plan(request(*lines), candidates)
    assert {(a.line_id, a.location) for a in plan.allocations} == {("l1", "STORE-NYC"), ("l2", "DC-CHI")}
    assert plan.explanation is not None
    assert plan.explanation["line_rules"] == {"l1": [], "l2": ["Hazmat from DCs"]}
    assert {
        "location": "STORE-NYC",
        "rule": "Hazmat from DCs",
        "reason": "location type store not in ['warehouse']",
        "lines": ["l2"],
    } in plan.explanation["eliminated"]


def test_order_rule_eligibility_distance_and_exclusions_are_explained() -> None:
    rules = [
        {
            "name": "Express close by",
            "when": {"service_level": "express"},
            "locations": {"max_distance_km": 500, "exclude": ["DC-EWR"]},
        }
    ]
    candidates = [
        place("DC-EWR", NEWARK, {"SHIRT": 5}),
        place("DC-PHL", PHILADELPHIA, {"SHIRT": 5}),
        place("DC-CHI", CHICAGO, {"SHIRT": 5}),
    ]
    plan = engine(rules).plan(request(service_level="express"), candidates)
    assert where(plan) == {"DC-PHL": 1}
    assert plan.explanation is not None
    reasons = {e["location"]: e["reason"] for e in plan.explanation["eliminated"]}
    assert reasons["DC-EWR"] == "excluded by name"
    assert reasons["DC-CHI"].endswith("beyond 500 km")
    assert plan.explanation["matched_rule"] == "Express close by"


def test_capacity_and_cutoff_drop_locations() -> None:
    rules = [{"name": "Same day", "when": {"service_level": "express"}, "locations": {"before_cutoff": True}}]
    candidates = [
        place("DC-EWR", NEWARK, {"SHIRT": 5}, cutoff=time(9, 30)),  # 10:00 local: past the cut-off
        place("DC-PHL", PHILADELPHIA, {"SHIRT": 5}, orders_left=0),
        place("DC-CHI", CHICAGO, {"SHIRT": 5}),
    ]
    plan = engine(rules).plan(request(service_level="express"), candidates)
    assert where(plan) == {"DC-CHI": 1}
    assert plan.explanation is not None
    rules_by_location = {e["location"]: (e["rule"], e["reason"]) for e in plan.explanation["eliminated"]}
    assert rules_by_location["DC-EWR"] == ("Same day", "past today's cut-off 09:30 (America/New_York)")
    assert rules_by_location["DC-PHL"] == ("capacity", "daily order capacity reached")


def test_unit_capacity_limits_what_a_location_takes() -> None:
    lines = (LineDemand("l1", "SHIRT", 4, 20.0, 300),)
    plan = engine().plan(
        request(*lines), [place("DC-EWR", NEWARK, {"SHIRT": 9}, units_left=3), place("DC-CHI", CHICAGO, {"SHIRT": 9})]
    )
    assert where(plan) in ({"DC-CHI": 4}, {"DC-EWR": 3, "DC-CHI": 1})
    assert where(plan).get("DC-EWR", 0) <= 3


def test_lateness_against_the_promise_moves_the_choice() -> None:
    lines = (LineDemand("l1", "SHIRT", 1, 20.0, 300),)
    slow = place("DC-EWR", NEWARK, {"SHIRT": 5}, processing_days=6)
    plan = engine().plan(request(*lines), [slow, place("DC-PHL", PHILADELPHIA, {"SHIRT": 5})])
    assert where(plan) == {"DC-PHL": 1}
    assert plan.explanation is not None
    late = {c["location"]: c["days_late"] for c in plan.explanation["candidates"]}
    assert late == {"DC-EWR": 2, "DC-PHL": 0}


def test_an_order_placed_long_ago_is_still_shipped_and_lateness_only_ranks_the_locations() -> None:
    # Every location is hundreds of days late against the promise: that lateness is nobody's choice, so it
    # must not make leaving the order unfilled look cheaper; the days one location adds over another still count.
    lines = (LineDemand("l1", "SHIRT", 2, 20.0, 300),)
    long_ago = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    slow = place("DC-EWR", NEWARK, {"SHIRT": 5}, processing_days=6)
    plan = engine().plan(request(*lines, placed_at=long_ago), [slow, place("DC-PHL", PHILADELPHIA, {"SHIRT": 5})])
    assert where(plan) == {"DC-PHL": 2}
    assert plan.backordered == {}
    assert plan.explanation is not None
    assert plan.explanation["chosen"]["breakdown"]["handling_and_lateness"] < 10  # no 900 days of penalty


def test_drop_ship_only_for_skus_nobody_else_stocks() -> None:
    lines = (LineDemand("l1", "SHIRT", 1, 20.0, 300), LineDemand("l2", "SOFA", 1, 900.0, 40_000))
    candidates = [
        place("VENDOR", NEWARK, {"SHIRT": 50, "SOFA": 5}, type="dropship_vendor"),
        place("DC-CHI", CHICAGO, {"SHIRT": 5}),
    ]
    plan = engine().plan(request(*lines), candidates)
    assert {(a.line_id, a.location) for a in plan.allocations} == {("l1", "DC-CHI"), ("l2", "VENDOR")}


def test_pickup_only_at_the_pickup_store_without_shipping() -> None:
    candidates = [place("STORE-A", NEWARK, {"SHIRT": 1}, type="store"), place("DC-EWR", NEWARK, {"SHIRT": 5})]
    plan = engine().plan(request(method=DeliveryMethod.PICKUP, pickup_location="STORE-A"), candidates)
    assert where(plan) == {"STORE-A": 1}
    assert plan.explanation is not None and plan.explanation["chosen"]["breakdown"]["shipping"] == 0


def test_ship_complete_backorders_rather_than_split_and_reports_the_policy() -> None:
    rules = [
        {"name": "Complete", "when": {"channel": "b2b"}, "strategy": {"split": "ship_complete", "unfillable": "cancel"}}
    ]
    lines = (LineDemand("l1", "SHIRT", 1, 20.0, 300), LineDemand("l2", "HAT", 1, 15.0, 200))
    candidates = [place("DC-EWR", NEWARK, {"SHIRT": 5}), place("DC-PHL", PHILADELPHIA, {"HAT": 5})]
    plan = engine(rules).plan(request(*lines, channel="b2b"), candidates)
    assert plan.allocations == ()
    assert plan.backordered == {"l1": 1, "l2": 1}
    assert plan.unfillable == "cancel"


def test_opportunity_cost_steers_away_from_scarce_stock() -> None:
    document = copy.deepcopy(DEFAULT_RULE_SET)
    candidates = [place("DC-EWR", NEWARK, {"SHIRT": 5}), place("DC-PHL", PHILADELPHIA, {"SHIRT": 5})]
    plain = SourcingEngine(parse_rule_set(document)).plan(request(), candidates)
    steered = SourcingEngine(parse_rule_set(document), opportunity={("DC-EWR", "SHIRT"): 5.0}).plan(
        request(), candidates
    )
    assert where(plain) == {"DC-EWR": 1}
    assert where(steered) == {"DC-PHL": 1}


def test_same_input_same_plan() -> None:
    lines = tuple(LineDemand(f"l{i}", f"SKU{i}", 1 + i % 3, 10.0, 250) for i in range(6))
    candidates = [
        place(f"DC{j}", GeoPoint(40 + j * 0.3, -74 - j * 0.5), {f"SKU{i}": (i + j) % 4 for i in range(6)})
        for j in range(8)
    ]
    first = engine().plan(request(*lines), candidates)
    assert all(engine().plan(request(*lines), candidates).allocations == first.allocations for _ in range(5))


def test_beyond_fifty_candidates_the_explanation_shows_the_nearest_and_the_planned_ones_and_counts_the_rest() -> None:
    # 70 empty stores spread west of New York, nearest first by index; the one location with stock is farthest
    stores = [place(f"S{i:02}", GeoPoint(40.71, -74.1 - 0.1 * i), {}, type="store") for i in range(70)]
    far = place("FAR_DC", CHICAGO, {"SHIRT": 5})
    plan = engine().plan(request(), [*stores, far])

    assert where(plan) == {"FAR_DC": 1}
    explanation = plan.explanation
    assert explanation is not None
    shown = [c["location"] for c in explanation["candidates"]]
    assert shown == [f"S{i:02}" for i in range(50)] + ["FAR_DC"]  # nearest first, the chosen one kept
    not_shown = explanation["candidates_not_shown"]
    assert (not_shown["count"], not_shown["eligible"]) == (20, 20)
    assert not_shown["nearest_km"] == pytest.approx(NEW_YORK.distance_km(stores[50].point), abs=0.05)
    assert "among 71 eligible of 71 locations" in explanation["summary"]


def test_up_to_fifty_candidates_the_explanation_shows_every_one() -> None:
    stores = [place(f"S{i:02}", GeoPoint(40.71, -74.1 - 0.1 * i), {"SHIRT": 1}, type="store") for i in range(50)]
    explanation = engine().plan(request(), stores).explanation
    assert explanation is not None
    assert len(explanation["candidates"]) == 50
    assert explanation["candidates_not_shown"] is None
