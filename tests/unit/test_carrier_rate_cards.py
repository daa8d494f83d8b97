"""Rate-card documents: every problem named by its path; the sourcing cost model's shape."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from ordermesh.domain.carriers import RateCardsInvalid, parse_rate_cards
from ordermesh.domain.carriers.sample import SAMPLE_RATE_CARDS
from ordermesh.domain.carriers.sourcing_cards import rule_set_rate_cards, sourcing_rate_card, sourcing_rate_cards
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.sourcing.rule_document import parse_rule_set


def problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(RateCardsInvalid) as caught:
        parse_rate_cards(document)
    return caught.value.problems


def sample() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE_RATE_CARDS)


def test_the_sample_cards_are_valid_and_say_they_are_samples() -> None:
    cards = parse_rate_cards(SAMPLE_RATE_CARDS)

    assert [c.code for c in cards.carriers] == ["ups", "fedex", "usps", "dhl"]
    assert "SAMPLE" in SAMPLE_RATE_CARDS["description"]


def test_zones_out_of_order_are_named_by_their_path() -> None:
    document = sample()
    document["carriers"][1]["services"][0]["zones"][2]["max_km"] = 100

    assert problems(document) == [
        ("carriers[1].services[0].zones[2].max_km", "must be greater than the previous zone's 480")
    ]


def test_every_problem_of_a_document_is_listed_at_once() -> None:
    document = sample()
    ground = document["carriers"][0]["services"][0]
    ground["weights"][1]["prices"] = [1.0, 2.0]
    ground["pickup_cutoff"] = "5pm"
    ground["delivery_days"] = ["mon", "sunday"]
    ground["fuel_surcharge_pct"] = -3
    document["carriers"][2]["services"][0]["zone_basis"] = "zip"
    document["currency"] = "usd"

    found = dict(problems(document))

    assert found == {
        "currency": "must be an ISO 4217 code such as USD, got 'usd'",
        "carriers[0].services[0].weights[1].prices": "must list one price per zone (7), got [1.0, 2.0]",
        "carriers[0].services[0].pickup_cutoff": "must be a 24-hour HH:MM time, got '5pm'",
        "carriers[0].services[0].delivery_days[1]": "must be one of mon, tue, wed, thu, fri, sat, sun, got 'sunday'",
        "carriers[0].services[0].fuel_surcharge_pct": "must be between 0 and 100, got -3",
        "carriers[2].services[0].zone_basis": "must be distance or postal_prefix, got 'zip'",  # zones unread
    }


def test_weight_tiers_must_grow_and_give_exactly_one_limit() -> None:
    document = sample()
    weights = document["carriers"][0]["services"][1]["weights"]
    weights[1] = {"max_kg": 0.2, "prices": weights[1]["prices"]}
    weights[2] = {"max_grams": 5000, "max_kg": 5, "prices": weights[2]["prices"]}

    assert problems(document) == [
        ("carriers[0].services[1].weights[1].max_kg", "must be greater than the previous tier's 454 g"),
        ("carriers[0].services[1].weights[2].max_grams", "give max_grams or max_kg (one of them)"),
    ]


def test_a_postal_lane_in_two_zones_is_refused() -> None:
    document = sample()
    zones = document["carriers"][2]["services"][0]["zones"]
    zones[1]["destinations"].append("10")

    assert problems(document) == [
        ("carriers[2].services[0].zones[1].destinations", "'10' from '07' is already in zone 0"),
        ("carriers[2].services[0].zones[1].destinations", "'10' from '08' is already in zone 0"),
        ("carriers[2].services[0].zones[1].destinations", "'10' from '10' is already in zone 0"),
        ("carriers[2].services[0].zones[1].destinations", "'10' from '11' is already in zone 0"),
    ]


def test_two_carriers_answering_to_one_name_and_a_repeated_service_are_refused() -> None:
    document = sample()
    document["carriers"][1]["aliases"].append("U.P.S.")
    document["carriers"][0]["services"][1]["code"] = "ground"

    assert problems(document) == [
        ("carriers[0].services[1].code", "a second service 'ground' for this carrier"),
        ("carriers[1]", "'U.P.S.' also names carriers[0]"),
    ]


def test_unknown_fields_and_a_missing_document_shape_are_named() -> None:
    assert problems([]) == [("", "must be an object, got a list")]
    assert problems({"currency": "USD", "carriers": [{"code": "ups", "name": "UPS", "services": [], "rates": 1}]}) == [
        ("carriers[0].rates", "unknown field 'rates'; one of code, name, aliases, holidays, services"),
        ("carriers[0].services", "must be a non-empty list of services, got a list"),
    ]


def test_a_distance_service_becomes_a_sourcing_rate_card_with_its_surcharges_folded_in() -> None:
    cards = parse_rate_cards(SAMPLE_RATE_CARDS)
    ground = cards.carriers[0].services[0]  # fuel 16.25 %, residential 5.85, no base

    card = sourcing_rate_card(ground, service_level="standard")

    assert card.per_package == pytest.approx(5.85 * 1.1625, abs=0.005)
    assert card.tiers[0] == (
        454.0,
        tuple(round(p * 1.1625, 2) for p in (10.20, 10.65, 11.05, 11.55, 11.85, 12.10, 12.45)),
    )
    assert math.isinf(card.zones[-1].max_km) and math.isinf(card.tiers[-1][0])  # sourcing's open-ended last band
    assert [z.transit_days for z in card.zones] == [1, 2, 3, 3, 4, 5, 5]


def test_the_sourcing_cards_take_the_preferred_service_per_level_and_add_the_fallback() -> None:
    cards = parse_rate_cards(SAMPLE_RATE_CARDS)

    by_level = {c.service_level: c for c in sourcing_rate_cards(cards, prefer={"expedited": "fedex/2day"})}

    assert set(by_level) >= {"standard", "expedited", "overnight", "*"}
    assert by_level["expedited"].tiers[0][1][0] == round(22.95 * 1.20, 2)  # FedEx 2Day, not UPS 2nd Day Air
    assert by_level["*"].tiers == by_level["standard"].tiers
    with pytest.raises(InvalidInput):
        sourcing_rate_cards(cards, prefer={"standard": "usps/ground_advantage"})  # zoned by postal prefix


def test_the_rule_set_fragment_is_a_valid_costs_rate_cards_section() -> None:
    fragment = rule_set_rate_cards(parse_rate_cards(SAMPLE_RATE_CARDS))

    rule_set = parse_rule_set({"name": "carriers", "costs": {"currency": "USD", "rate_cards": fragment}})

    standard = rule_set.costs.rate_card("standard")
    assert standard.zones[0].max_km == 240 and standard.zones[0].transit_days == 1
    assert standard.price_tiers(0)[0] == (454.0, round(5.85 * 1.1625, 2) + round(10.20 * 1.1625, 2))
