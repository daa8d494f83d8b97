"""Sourcing rule sets: a data document (YAML or JSON), validated with errors that name their path.

A rule set has a cost model (`costs`), a `default` (location eligibility and strategy for every
order) and ordered `rules`. A rule's `when` holds conditions; all of them must hold.

- An *order rule* has only order conditions. The first order rule that matches supplies the
  order's `locations` and `strategy`, each merged field by field over the default.
- A *line rule* also has `when.item` conditions on the SKU's attributes. Every matching line rule
  narrows the locations its matching lines may use (hazmat from warehouses only, oversize not from
  stores); line rules cannot set the strategy.

This module holds the parsed form and the matching; `rule_document.parse_rule_set` reads and checks
a document into it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ordermesh.domain.catalog import LocationType
from ordermesh.domain.errors import DomainError

SCHEMA_VERSION = 1

# Channel kinds Ordermesh knows; an order's channel is a kind, optionally with ":<instance>"
# (shopify:acme.myshopify.com). Conditions may name a kind or a full channel.
CHANNEL_KINDS = frozenset(
    {"web", "mobile", "pos", "phone", "b2b", "edi", "api", "import", "marketplace", "amazon", "ebay", "walmart"}
    | {"etsy", "zalando", "shopify", "woocommerce", "bigcommerce", "magento"}
)
ITEM_FLAGS = ("hazmat", "oversize", "ship_alone", "final_sale", "preorder")
COST_COMPONENTS = ("shipping", "handling", "split", "lateness", "opportunity")
SPLIT_POLICIES = ("allow", "ship_complete")
UNFILLABLE_POLICIES = ("backorder", "preorder", "cancel")
DROPSHIP_POLICIES = ("vendor_only_skus", "allow", "never")


class RuleSetInvalid(DomainError):
    """A rule-set document breaks the vocabulary; every problem is listed with its path."""

    title = "Invalid rule set"

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = list(problems)


# --- the parsed form ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    name: str
    max_km: float  # inf for the last zone
    transit_days: int


@dataclass(frozen=True)
class RateCard:
    """Shipping prices for one service level: zone by distance, then price by weight tier in that zone."""

    service_level: str  # "*" applies to every service level without its own card
    per_package: float
    zones: tuple[Zone, ...]
    tiers: tuple[tuple[float, tuple[float, ...]], ...]  # (maximum grams or inf, price per zone)

    def zone_for(self, km: float | None) -> tuple[int, Zone]:
        """The zone of a distance; an unknown distance falls in the farthest zone."""
        if km is not None:
            for index, zone in enumerate(self.zones):
                if km <= zone.max_km:
                    return index, zone
        return len(self.zones) - 1, self.zones[-1]

    def price_tiers(self, zone: int) -> tuple[tuple[float, float], ...]:
        """(maximum grams, package price) in one zone, the per-package base included."""
        return tuple((limit, self.per_package + prices[zone]) for limit, prices in self.tiers)


@dataclass(frozen=True)
class Handling:
    per_order: float = 0.0
    per_unit: float = 0.0


@dataclass(frozen=True)
class Scarcity:
    """Opportunity cost of taking a location's last units: per unit taken while stock is at or below the level."""

    below_units: int = 0
    per_unit: float = 0.0


@dataclass(frozen=True)
class CostModel:
    currency: str
    rate_cards: tuple[RateCard, ...]
    handling: Mapping[str, Handling]
    split_penalty: float
    lateness_per_day: float
    promise_days: Mapping[str, int]
    scarcity: Scarcity
    unfilled_per_unit: float

    def rate_card(self, service_level: str | None) -> RateCard:
        level = service_level or "standard"
        for card in self.rate_cards:
            if card.service_level == level:
                return card
        return next(card for card in self.rate_cards if card.service_level == "*")

    def promise(self, service_level: str | None) -> int:
        level = service_level or "standard"
        return self.promise_days.get(level, self.promise_days.get("*", 5))


@dataclass(frozen=True)
class Range:
    minimum: float | None = None
    maximum: float | None = None

    def holds(self, value: float) -> bool:
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)


@dataclass(frozen=True)
class Conditions:
    channels: frozenset[str] | None = None
    delivery_methods: frozenset[str] | None = None
    service_levels: frozenset[str] | None = None
    countries: frozenset[str] | None = None
    regions: frozenset[str] | None = None  # "US-CA" or "CA"
    order_value: Range | None = None
    customer_tags: frozenset[str] | None = None  # any of them
    item_flags: Mapping[str, bool] = field(default_factory=dict)
    item_skus: frozenset[str] | None = None
    item_attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def about_items(self) -> bool:
        return bool(self.item_flags or self.item_attributes) or self.item_skus is not None


@dataclass(frozen=True)
class Eligibility:
    """Which locations may serve; None leaves a field to the default."""

    types: frozenset[str] | None = None
    groups: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    exclude: frozenset[str] | None = None
    max_distance_km: float | None = None
    respect_capacity: bool | None = None
    before_cutoff: bool | None = None
    dropship: str | None = None

    def over(self, base: Eligibility) -> Eligibility:
        """This eligibility's fields where set, the base's elsewhere."""
        return Eligibility(**{name: _first(getattr(self, name), getattr(base, name)) for name in ELIGIBILITY_FIELDS})


ELIGIBILITY_FIELDS = (
    "types",
    "groups",
    "tags",
    "exclude",
    "max_distance_km",
    "respect_capacity",
    "before_cutoff",
    "dropship",
)


@dataclass(frozen=True)
class Strategy:
    weights: Mapping[str, float] | None = None
    max_shipments: int | None = None
    split: str | None = None
    min_split_value: float | None = None
    unfillable: str | None = None
    time_budget_ms: float | None = None

    def over(self, base: Strategy) -> Strategy:
        weights = dict(base.weights or {})
        weights.update(self.weights or {})
        return Strategy(
            weights=weights,
            max_shipments=_first(self.max_shipments, base.max_shipments),
            split=_first(self.split, base.split),
            min_split_value=_first(self.min_split_value, base.min_split_value),
            unfillable=_first(self.unfillable, base.unfillable),
            time_budget_ms=_first(self.time_budget_ms, base.time_budget_ms),
        )

    def weight(self, component: str) -> float:
        return (self.weights or {}).get(component, 1.0)


def _first(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


DEFAULT_ELIGIBILITY = Eligibility(
    types=frozenset(
        {LocationType.WAREHOUSE, LocationType.STORE, LocationType.THIRD_PARTY, LocationType.DROPSHIP_VENDOR}
    ),
    respect_capacity=True,
    before_cutoff=False,
    dropship="vendor_only_skus",
)
DEFAULT_STRATEGY = Strategy(
    weights=dict.fromkeys(COST_COMPONENTS, 1.0),
    max_shipments=None,
    split="allow",
    min_split_value=0.0,
    unfillable="backorder",
    time_budget_ms=50.0,
)


@dataclass(frozen=True)
class Rule:
    name: str
    when: Conditions
    locations: Eligibility
    strategy: Strategy | None  # None for line rules

    @property
    def is_line_rule(self) -> bool:
        return self.when.about_items


@dataclass(frozen=True)
class RuleSet:
    name: str
    costs: CostModel
    default_locations: Eligibility
    default_strategy: Strategy
    rules: tuple[Rule, ...]

    def order_rule(self, facts: OrderFacts) -> Rule | None:
        """The first order rule whose conditions hold (None: the default applies)."""
        for rule in self.rules:
            if not rule.is_line_rule and matches_order(rule.when, facts):
                return rule
        return None

    def line_rules(self, facts: OrderFacts, item: ItemFacts) -> list[Rule]:
        return [
            rule
            for rule in self.rules
            if rule.is_line_rule and matches_order(rule.when, facts) and matches_item(rule.when, item)
        ]


# --- matching -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFacts:
    channel: str
    delivery_method: str
    service_level: str | None
    country: str | None
    region: str | None
    order_value: float
    customer_tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ItemFacts:
    sku: str
    attributes: Mapping[str, Any]


def channel_kind(channel: str) -> str:
    return channel.split(":", 1)[0]


def matches_order(when: Conditions, facts: OrderFacts) -> bool:
    if when.channels is not None and not (
        facts.channel in when.channels or channel_kind(facts.channel) in when.channels
    ):
        return False
    if when.delivery_methods is not None and facts.delivery_method not in when.delivery_methods:
        return False
    if when.service_levels is not None and (facts.service_level or "standard") not in when.service_levels:
        return False
    if when.countries is not None and (facts.country or "") not in when.countries:
        return False
    if when.regions is not None:
        region = facts.region or ""
        if region not in when.regions and f"{facts.country}-{region}" not in when.regions:
            return False
    if when.order_value is not None and not when.order_value.holds(facts.order_value):
        return False
    return not (when.customer_tags is not None and not (when.customer_tags & facts.customer_tags))


def matches_item(when: Conditions, item: ItemFacts) -> bool:
    if when.item_skus is not None and item.sku not in when.item_skus:
        return False
    for flag, wanted in when.item_flags.items():
        if bool(item.attributes.get(flag, False)) != wanted:
            return False
    return all(item.attributes.get(key) == value for key, value in when.item_attributes.items())
