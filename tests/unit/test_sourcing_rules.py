"""Rule-set documents: validation names every problem by path; matching picks the right rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.domain.sourcing.rule_document import parse_rule_set
from ordermesh.domain.sourcing.rules import ItemFacts, OrderFacts, RuleSetInvalid, matches_item


def doc(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(DEFAULT_RULE_SET)
    document.update(changes)
    return document


def problems(document: Any, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(RuleSetInvalid) as caught:
        parse_rule_set(document, **kwargs)
    return caught.value.problems


def facts(**changes: Any) -> OrderFacts:
    base: dict[str, Any] = {
        "channel": "web",
        "delivery_method": "ship",
        "service_level": None,
        "country": "US",
        "region": "NY",
        "order_value": 100.0,
    }
    base.update(changes)
    return OrderFacts(**base)


def test_the_default_rule_set_is_valid() -> None:
    rules = parse_rule_set(DEFAULT_RULE_SET)
    assert rules.name == "default"
    assert rules.costs.rate_card("express").service_level == "express"
    assert rules.costs.rate_card("same_day").service_level == "*"
    assert rules.default_strategy.split == "allow"


def test_unknown_channel_is_named_with_its_path_and_a_suggestion() -> None:
    found = problems(doc(rules=[{"name": "a"}, {"name": "b"}, {"name": "c", "when": {"channel": "shopfy"}}]))
    assert found == [("rules[2].when.channel", "unknown channel 'shopfy' (did you mean 'shopify'?)")]


def test_every_problem_is_listed_at_once() -> None:
    found = problems(
        doc(
            rules=[
                {
                    "name": "x",
                    "when": {"delivery_method": "drone", "country": "usa", "order_value": {"min": 50, "max": 10}},
                    "locations": {"types": ["warehouse", "shop"], "max_distance_km": -3},
                    "strategy": {"split": "sometimes", "max_shipments": 0, "weights": {"speed": 2}},
                    "colour": "red",
                },
                {"name": "x"},
            ]
        )
    )
    paths = [path for path, _ in found]
    assert paths == [
        "rules[0].colour",
        "rules[0].when.delivery_method",
        "rules[0].when.country",
        "rules[0].when.order_value",
        "rules[0].locations.types[1]",
        "rules[0].locations.max_distance_km",
        "rules[0].strategy.weights.speed",
        "rules[0].strategy.max_shipments",
        "rules[0].strategy.split",
        "rules[1].name",
    ]
    assert ("rules[1].name", "duplicate rule name 'x'") in found


def test_cost_model_errors_name_their_path() -> None:
    document = doc()
    document["costs"]["rate_cards"][0]["weights"][1]["prices"] = [1, 2]
    document["costs"]["rate_cards"][0]["zones"][2]["max_km"] = 10
    document["costs"]["handling"]["shop"] = {"per_order": 1}
    del document["costs"]["currency"]
    found = dict(problems(document))
    assert found["costs.currency"] == "is required"
    assert found["costs.rate_cards[0].zones[2].max_km"] == "must be greater than the previous zone's 300"
    assert found["costs.rate_cards[0].weights[1].prices"].startswith("must list one price per zone (5)")
    assert found["costs.handling.shop"].startswith("unknown field 'shop'")


def test_line_rules_cannot_set_a_strategy_and_excluded_locations_must_exist() -> None:
    found = problems(
        doc(rules=[{"name": "h", "when": {"item": {"hazmat": True}}, "strategy": {"split": "allow"}}]),
    )
    assert found[0][0] == "rules[0].strategy"
    found = problems(
        doc(default={"locations": {"exclude": ["DC-EAST", "DC-WST"]}}), known_locations=["DC-EAST", "DC-WEST"]
    )
    assert found == [("default.locations.exclude[1]", "unknown location 'DC-WST' (did you mean 'DC-WEST'?)")]


def test_not_an_object_at_all() -> None:
    assert problems([1, 2]) == [("", "must be an object, got a list")]


def test_first_matching_order_rule_wins_and_item_rules_match_per_line() -> None:
    rules = parse_rule_set(
        doc(
            rules=[
                {"name": "hazmat", "when": {"item": {"hazmat": True}}, "locations": {"types": ["warehouse"]}},
                {"name": "big spenders", "when": {"order_value": {"min": 500}}, "strategy": {"split": "ship_complete"}},
                {"name": "shopify", "when": {"channel": "shopify"}, "strategy": {"max_shipments": 2}},
                {"name": "vip", "when": {"customer_tags": ["vip"], "region": "US-CA"}},
            ]
        ),
        known_channels=["shopify:acme.myshopify.com"],
    )
    first = rules.order_rule(facts(channel="shopify:acme.myshopify.com", order_value=900))
    assert first is not None and first.name == "big spenders"
    second = rules.order_rule(facts(channel="shopify:acme.myshopify.com"))
    assert second is not None and second.name == "shopify"
    assert rules.order_rule(facts()) is None
    vip = rules.order_rule(facts(customer_tags=frozenset({"vip"}), region="CA"))
    assert vip is not None and vip.name == "vip"
    assert rules.order_rule(facts(customer_tags=frozenset({"vip"}), region="NY")) is None
    hazmat = rules.line_rules(facts(), ItemFacts("SKU", {"hazmat": True}))
    assert [r.name for r in hazmat] == ["hazmat"]
    assert rules.line_rules(facts(), ItemFacts("SKU", {})) == []


def test_item_conditions_on_sku_and_attributes() -> None:
    rules = parse_rule_set(
        doc(rules=[{"name": "fragile", "when": {"item": {"sku": ["VASE-1"], "attributes": {"fragile": "yes"}}}}])
    )
    when = rules.rules[0].when
    assert matches_item(when, ItemFacts("VASE-1", {"fragile": "yes"}))
    assert not matches_item(when, ItemFacts("VASE-1", {"fragile": "no"}))
    assert not matches_item(when, ItemFacts("VASE-2", {"fragile": "yes"}))
