"""Reading a rule-set document (YAML or JSON data) into a `RuleSet`, with errors that name their path.

Everything is checked on save; `parse_rule_set` either returns a `RuleSet` or raises `RuleSetInvalid`
listing every problem with its path (`rules[2].when.channel: unknown channel 'shopfy'`) and, for a
misspelt name, what was probably meant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ordermesh.domain.catalog import LocationType
from ordermesh.domain.orders import DeliveryMethod
from ordermesh.domain.sourcing.rules import (
    CHANNEL_KINDS,
    COST_COMPONENTS,
    DEFAULT_ELIGIBILITY,
    DEFAULT_STRATEGY,
    DROPSHIP_POLICIES,
    ELIGIBILITY_FIELDS,
    ITEM_FLAGS,
    SCHEMA_VERSION,
    SPLIT_POLICIES,
    UNFILLABLE_POLICIES,
    Conditions,
    CostModel,
    Eligibility,
    Handling,
    Range,
    RateCard,
    Rule,
    RuleSet,
    RuleSetInvalid,
    Scarcity,
    Strategy,
    Zone,
    channel_kind,
)

_COUNTRY = re.compile(r"^[A-Z]{2}$")


class _Checker:
    """Collects every problem of a document with its path, so one answer lists them all."""

    def __init__(self, known_channels: Iterable[str]) -> None:
        self.problems: list[tuple[str, str]] = []
        self.known_channels = set(known_channels) | CHANNEL_KINDS

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def mapping(self, value: Any, path: str, allowed: Sequence[str], *, required: Sequence[str] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, got {_kind(value)}")
            return {}
        for key in value:
            if key not in allowed:
                self.fail(_join(path, key), f"unknown field '{key}'{_suggest(key, allowed)}")
        for key in required:
            if key not in value:
                self.fail(_join(path, key), "is required")
        return value

    def number(self, value: Any, path: str, *, minimum: float = 0.0, integer: bool = False) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            self.fail(path, f"must be {'an integer' if integer else 'a number'}, got {_kind(value)}")
            return None
        if not math.isfinite(value) or value < minimum:
            self.fail(path, f"must be at least {minimum:g}, got {value}")
            return None
        return float(value)

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false, got {_kind(value)}")
            return None
        return value

    def text(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"must be a non-empty string, got {_kind(value)}")
            return None
        return value

    def choice(self, value: Any, path: str, allowed: Iterable[str], what: str) -> str | None:
        options = sorted(allowed)
        if not isinstance(value, str) or value not in options:
            self.fail(path, f"unknown {what} {_show(value)}{_suggest(value, options)}; one of {', '.join(options)}")
            return None
        return value

    def entries(self, value: Any, path: str, what: str) -> list[Any]:
        """A non-empty list (empty when it is not one, after recording the problem)."""
        if not isinstance(value, list) or not value:
            self.fail(path, f"must be a non-empty list of {what}")
            return []
        return value

    def strings(self, value: Any, path: str) -> list[tuple[str, str]]:
        """A string or a list of strings, each with its own path."""
        if isinstance(value, str):
            return [(path, value)]
        if not isinstance(value, list) or not value:
            self.fail(path, f"must be a string or a non-empty list of strings, got {_kind(value)}")
            return []
        found: list[tuple[str, str]] = []
        for index, entry in enumerate(value):
            if isinstance(entry, str) and entry.strip():
                found.append((f"{path}[{index}]", entry))
            else:
                self.fail(f"{path}[{index}]", f"must be a non-empty string, got {_kind(entry)}")
        return found


def parse_rule_set(
    document: Any, *, known_channels: Iterable[str] = (), known_locations: Iterable[str] = ()
) -> RuleSet:
    """Validate a rule-set document and return its parsed form, or raise `RuleSetInvalid` naming every problem."""
    check = _Checker(known_channels)
    doc = check.mapping(
        document, "", ("schema", "name", "description", "costs", "default", "rules"), required=("name", "costs")
    )
    if "schema" in doc and doc["schema"] != SCHEMA_VERSION:
        check.fail(
            "schema", f"unsupported schema version {_show(doc['schema'])}; this Ordermesh reads {SCHEMA_VERSION}"
        )
    name = check.text(doc.get("name"), "name") if "name" in doc else None
    if "description" in doc and not isinstance(doc["description"], str):
        check.fail("description", f"must be a string, got {_kind(doc['description'])}")
    locations = set(known_locations)
    costs = _costs(check, doc.get("costs"), "costs") if "costs" in doc else None
    default_raw = check.mapping(doc.get("default", {}), "default", ("locations", "strategy"))
    service_levels = {card.service_level for card in costs.rate_cards} if costs else set()
    default_locations = _eligibility(check, default_raw.get("locations", {}), "default.locations", locations)
    default_strategy = _strategy(check, default_raw.get("strategy", {}), "default.strategy")
    rules: list[Rule] = []
    raw_rules = doc.get("rules", [])
    if not isinstance(raw_rules, list):
        check.fail("rules", f"must be a list, got {_kind(raw_rules)}")
        raw_rules = []
    names: set[str] = set()
    for index, raw in enumerate(raw_rules):
        path = f"rules[{index}]"
        entry = check.mapping(raw, path, ("name", "description", "when", "locations", "strategy"), required=("name",))
        rule_name = check.text(entry.get("name"), f"{path}.name") if "name" in entry else None
        if rule_name is not None:
            if rule_name in names:
                check.fail(f"{path}.name", f"duplicate rule name '{rule_name}'")
            names.add(rule_name)
        when = _conditions(check, entry.get("when", {}), f"{path}.when", service_levels)
        eligibility = _eligibility(check, entry.get("locations", {}), f"{path}.locations", locations)
        strategy = None
        if "strategy" in entry:
            if when.about_items:
                check.fail(
                    f"{path}.strategy", "a rule with item conditions narrows locations only; it cannot set a strategy"
                )
            else:
                strategy = _strategy(check, entry["strategy"], f"{path}.strategy")
        rules.append(Rule(rule_name or f"rule {index + 1}", when, eligibility, strategy))
    if check.problems or costs is None or name is None:
        raise RuleSetInvalid(check.problems or [("", "invalid rule set")])
    return RuleSet(
        name=name,
        costs=costs,
        default_locations=default_locations.over(DEFAULT_ELIGIBILITY),
        default_strategy=default_strategy.over(DEFAULT_STRATEGY),
        rules=tuple(rules),
    )


def _costs(check: _Checker, raw: Any, path: str) -> CostModel | None:
    doc = check.mapping(
        raw,
        path,
        (
            "currency",
            "rate_cards",
            "handling",
            "split_penalty",
            "lateness_per_day",
            "promise_days",
            "scarcity",
            "unfilled_per_unit",
        ),
        required=("currency", "rate_cards"),
    )
    currency = doc.get("currency")
    if "currency" in doc and (not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency)):
        check.fail(f"{path}.currency", f"must be an ISO 4217 code such as USD, got {_show(currency)}")
    cards: list[RateCard] = []
    raw_cards = check.entries(doc.get("rate_cards"), f"{path}.rate_cards", "rate cards")
    for index, raw_card in enumerate(raw_cards):
        card = _rate_card(check, raw_card, f"{path}.rate_cards[{index}]")
        if card is not None:
            if any(c.service_level == card.service_level for c in cards):
                check.fail(f"{path}.rate_cards[{index}].service_level", f"a second card for '{card.service_level}'")
            cards.append(card)
    if cards and not any(c.service_level in ("*", "standard") for c in cards):
        check.fail(f"{path}.rate_cards", "needs a card for service level 'standard' or '*' (the fallback)")
    handling: dict[str, Handling] = {}
    raw_handling = check.mapping(doc.get("handling", {}), f"{path}.handling", [t.value for t in LocationType])
    for location_type, raw_cost in raw_handling.items():
        where = f"{path}.handling.{location_type}"
        entry = check.mapping(raw_cost, where, ("per_order", "per_unit"))
        handling[location_type] = Handling(
            per_order=check.number(entry.get("per_order", 0.0), f"{where}.per_order") or 0.0,
            per_unit=check.number(entry.get("per_unit", 0.0), f"{where}.per_unit") or 0.0,
        )
    promise: dict[str, int] = {}
    for level, days in check.mapping(doc.get("promise_days", {}), f"{path}.promise_days", _ANY).items():
        value = check.number(days, f"{path}.promise_days.{level}", integer=True)
        if value is not None:
            promise[level] = int(value)
    scarcity_raw = check.mapping(doc.get("scarcity", {}), f"{path}.scarcity", ("below_units", "per_unit"))
    scarcity = Scarcity(
        below_units=int(
            check.number(scarcity_raw.get("below_units", 0), f"{path}.scarcity.below_units", integer=True) or 0
        ),
        per_unit=check.number(scarcity_raw.get("per_unit", 0.0), f"{path}.scarcity.per_unit") or 0.0,
    )
    return CostModel(
        currency=currency if isinstance(currency, str) else "USD",
        rate_cards=tuple(cards),
        handling=handling,
        split_penalty=check.number(doc.get("split_penalty", 0.0), f"{path}.split_penalty") or 0.0,
        lateness_per_day=check.number(doc.get("lateness_per_day", 0.0), f"{path}.lateness_per_day") or 0.0,
        promise_days=promise,
        scarcity=scarcity,
        unfilled_per_unit=check.number(doc.get("unfilled_per_unit", 100.0), f"{path}.unfilled_per_unit") or 0.0,
    )


class _AnyKey(tuple[str, ...]):
    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)


_ANY = _AnyKey()


def _rate_card(check: _Checker, raw: Any, path: str) -> RateCard | None:
    doc = check.mapping(raw, path, ("service_level", "per_package", "zones", "weights"), required=("zones", "weights"))
    level = check.text(doc.get("service_level", "*"), f"{path}.service_level")
    per_package = check.number(doc.get("per_package", 0.0), f"{path}.per_package")
    zones: list[Zone] = []
    raw_zones = check.entries(doc.get("zones"), f"{path}.zones", "zones")
    previous = -1.0
    for index, raw_zone in enumerate(raw_zones):
        where = f"{path}.zones[{index}]"
        zone = check.mapping(raw_zone, where, ("zone", "max_km", "transit_days"), required=("transit_days",))
        last = index == len(raw_zones) - 1
        if "max_km" in zone:
            max_km = check.number(zone["max_km"], f"{where}.max_km")
            if max_km is not None and max_km <= previous:
                check.fail(f"{where}.max_km", f"must be greater than the previous zone's {previous:g}")
        elif not last:
            check.fail(f"{where}.max_km", "is required on every zone but the last")
            max_km = None
        else:
            max_km = math.inf
        transit = check.number(zone.get("transit_days", 0), f"{where}.transit_days", integer=True)
        previous = max_km if max_km is not None else previous
        zones.append(
            Zone(str(zone.get("zone", index + 1)), max_km if max_km is not None else math.inf, int(transit or 0))
        )
    if zones and zones[-1].max_km != math.inf:
        zones[-1] = Zone(zones[-1].name, math.inf, zones[-1].transit_days)  # the last zone takes any distance
    tiers: list[tuple[float, tuple[float, ...]]] = []
    raw_tiers = check.entries(doc.get("weights"), f"{path}.weights", "weight tiers")
    previous = -1.0
    for index, raw_tier in enumerate(raw_tiers):
        where = f"{path}.weights[{index}]"
        tier = check.mapping(raw_tier, where, ("max_grams", "prices"), required=("prices",))
        limit = check.number(tier["max_grams"], f"{where}.max_grams") if "max_grams" in tier else math.inf
        if limit is not None and limit <= previous:
            check.fail(f"{where}.max_grams", f"must be greater than the previous tier's {previous:g}")
        prices = tier.get("prices")
        if not isinstance(prices, list) or len(prices) != len(zones):
            check.fail(f"{where}.prices", f"must list one price per zone ({len(zones)}), got {_show(prices)}")
            continue
        values = [check.number(p, f"{where}.prices[{i}]") for i, p in enumerate(prices)]
        tiers.append((limit if limit is not None else math.inf, tuple(v or 0.0 for v in values)))
        previous = limit if limit is not None else previous
    if not zones or not tiers or level is None or per_package is None:
        return None
    return RateCard(level, per_package, tuple(zones), tuple(tiers))


def _conditions(check: _Checker, raw: Any, path: str, service_levels: set[str]) -> Conditions:
    allowed = (
        "channel",
        "delivery_method",
        "service_level",
        "country",
        "region",
        "order_value",
        "customer_tags",
        "item",
    )
    doc = check.mapping(raw, path, allowed)
    channels = None
    if "channel" in doc:
        channels = set()
        for where, value in check.strings(doc["channel"], f"{path}.channel"):
            if value not in check.known_channels and channel_kind(value) not in check.known_channels:
                check.fail(where, f"unknown channel '{value}'{_suggest(value, sorted(check.known_channels))}")
            channels.add(value)
    methods = None
    if "delivery_method" in doc:
        methods = {
            m
            for where, value in check.strings(doc["delivery_method"], f"{path}.delivery_method")
            if (m := check.choice(value, where, [d.value for d in DeliveryMethod], "delivery method"))
        }
    levels = None
    if "service_level" in doc:
        levels = set()
        for where, value in check.strings(doc["service_level"], f"{path}.service_level"):
            if service_levels and "*" not in service_levels and value not in service_levels:
                check.fail(where, f"no rate card for service level '{value}'{_suggest(value, sorted(service_levels))}")
            levels.add(value)
    countries = None
    if "country" in doc:
        countries = set()
        for where, value in check.strings(doc["country"], f"{path}.country"):
            if not _COUNTRY.match(value):
                check.fail(where, f"must be an ISO 3166-1 alpha-2 code such as US, got '{value}'")
            countries.add(value)
    regions = {value for _, value in check.strings(doc["region"], f"{path}.region")} if "region" in doc else None
    value_range = None
    if "order_value" in doc:
        bounds = check.mapping(doc["order_value"], f"{path}.order_value", ("min", "max"))
        low = check.number(bounds["min"], f"{path}.order_value.min") if "min" in bounds else None
        high = check.number(bounds["max"], f"{path}.order_value.max") if "max" in bounds else None
        if low is not None and high is not None and low > high:
            check.fail(f"{path}.order_value", f"min {low:g} is above max {high:g}")
        value_range = Range(low, high)
    tags = None
    if "customer_tags" in doc:
        tags = {value for _, value in check.strings(doc["customer_tags"], f"{path}.customer_tags")}
    flags: dict[str, bool] = {}
    skus = None
    attributes: dict[str, Any] = {}
    if "item" in doc:
        item = check.mapping(doc["item"], f"{path}.item", (*ITEM_FLAGS, "sku", "attributes"))
        if not item:
            check.fail(f"{path}.item", "needs at least one condition")
        for flag in ITEM_FLAGS:
            if flag in item:
                wanted = check.boolean(item[flag], f"{path}.item.{flag}")
                if wanted is not None:
                    flags[flag] = wanted
        if "sku" in item:
            skus = {value for _, value in check.strings(item["sku"], f"{path}.item.sku")}
        if "attributes" in item:
            attributes = check.mapping(item["attributes"], f"{path}.item.attributes", _ANY)
    return Conditions(
        channels=frozenset(channels) if channels is not None else None,
        delivery_methods=frozenset(methods) if methods is not None else None,
        service_levels=frozenset(levels) if levels is not None else None,
        countries=frozenset(countries) if countries is not None else None,
        regions=frozenset(regions) if regions is not None else None,
        order_value=value_range,
        customer_tags=frozenset(tags) if tags is not None else None,
        item_flags=flags,
        item_skus=frozenset(skus) if skus is not None else None,
        item_attributes=attributes,
    )


def _eligibility(check: _Checker, raw: Any, path: str, known_locations: set[str]) -> Eligibility:
    doc = check.mapping(raw, path, ("types", "groups", "tags", "exclude", *ELIGIBILITY_FIELDS[4:]))
    types = None
    if "types" in doc:
        types = {
            t
            for where, value in check.strings(doc["types"], f"{path}.types")
            if (t := check.choice(value, where, [lt.value for lt in LocationType], "location type"))
        }
    groups = {v for _, v in check.strings(doc["groups"], f"{path}.groups")} if "groups" in doc else None
    tags = {v for _, v in check.strings(doc["tags"], f"{path}.tags")} if "tags" in doc else None
    exclude = None
    if "exclude" in doc:
        exclude = set()
        for where, value in check.strings(doc["exclude"], f"{path}.exclude"):
            if known_locations and value not in known_locations:
                check.fail(where, f"unknown location '{value}'{_suggest(value, sorted(known_locations))}")
            exclude.add(value)
    distance = check.number(doc["max_distance_km"], f"{path}.max_distance_km") if "max_distance_km" in doc else None
    capacity = check.boolean(doc["respect_capacity"], f"{path}.respect_capacity") if "respect_capacity" in doc else None
    cutoff = check.boolean(doc["before_cutoff"], f"{path}.before_cutoff") if "before_cutoff" in doc else None
    dropship = (
        check.choice(doc["dropship"], f"{path}.dropship", DROPSHIP_POLICIES, "drop-ship policy")
        if "dropship" in doc
        else None
    )
    return Eligibility(
        types=frozenset(types) if types is not None else None,
        groups=frozenset(groups) if groups is not None else None,
        tags=frozenset(tags) if tags is not None else None,
        exclude=frozenset(exclude) if exclude is not None else None,
        max_distance_km=distance,
        respect_capacity=capacity,
        before_cutoff=cutoff,
        dropship=dropship,
    )


def _strategy(check: _Checker, raw: Any, path: str) -> Strategy:
    doc = check.mapping(
        raw, path, ("weights", "max_shipments", "split", "min_split_value", "unfillable", "time_budget_ms")
    )
    weights = None
    if "weights" in doc:
        weights = {}
        for component, value in check.mapping(doc["weights"], f"{path}.weights", COST_COMPONENTS).items():
            number = check.number(value, f"{path}.weights.{component}")
            if number is not None:
                weights[component] = number
    max_shipments = None
    if "max_shipments" in doc:
        number = check.number(doc["max_shipments"], f"{path}.max_shipments", minimum=1, integer=True)
        max_shipments = int(number) if number is not None else None
    budget = None
    if "time_budget_ms" in doc:
        budget = check.number(doc["time_budget_ms"], f"{path}.time_budget_ms", minimum=1)
        if budget is not None and budget > 10_000:
            check.fail(f"{path}.time_budget_ms", f"must be at most 10000 ms, got {budget:g}")
    return Strategy(
        weights=weights,
        max_shipments=max_shipments,
        split=check.choice(doc["split"], f"{path}.split", SPLIT_POLICIES, "split policy") if "split" in doc else None,
        min_split_value=check.number(doc["min_split_value"], f"{path}.min_split_value")
        if "min_split_value" in doc
        else None,
        unfillable=check.choice(doc["unfillable"], f"{path}.unfillable", UNFILLABLE_POLICIES, "unfillable policy")
        if "unfillable" in doc
        else None,
        time_budget_ms=budget,
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)


def _suggest(value: Any, options: Sequence[str]) -> str:
    """' (did you mean 'shopify'?)' when an option is one or two edits away."""
    if not isinstance(value, str):
        return ""
    scored = sorted((_edits(value.lower(), o.lower()), o) for o in options)
    return f" (did you mean '{scored[0][1]}'?)" if scored and scored[0][0] <= 2 else ""


def _edits(a: str, b: str) -> int:
    if abs(len(a) - len(b)) > 2:
        return 3
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]
