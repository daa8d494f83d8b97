"""Carrier rate cards in the shape the sourcing cost model prices shipping with.

The sourcing cost model (`ordermesh.domain.sourcing.rules.CostModel.rate_cards`) holds one `RateCard` per
order service level: distance zones, weight tiers, a per-package base. A carrier service converts to one
with its surcharges folded in (the residential surcharge into the base, the fuel surcharge into every
price), so sourcing compares locations on what the chosen carrier service will charge:

    cards = parse_rate_cards(document)
    costs = dataclasses.replace(rule_set.costs, rate_cards=sourcing_rate_cards(cards))

`rule_set_rate_cards` gives the same cards as rule-set document data, for `costs.rate_cards`.
Services zoned by postal prefix have no distance bands and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ordermesh.domain.carriers.model import RateCards, Service, ZoneBasis
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.sourcing.rules import RateCard
from ordermesh.domain.sourcing.rules import Zone as SourcingZone

_CENT = Decimal("0.01")


def sourcing_rate_card(service: Service, *, service_level: str, residential: bool = True) -> RateCard:
    """One carrier service as the sourcing rate card of a service level, surcharges included.

    Raises InvalidInput for a service zoned by postal prefix (sourcing zones are distance bands).
    The last zone takes any distance and the last tier any weight, as sourcing expects.
    """
    if service.zone_basis != ZoneBasis.DISTANCE:
        raise InvalidInput(f"{service.key} is zoned by postal prefix; sourcing rate cards need distance zones")
    fuel = 1 + service.fuel_surcharge_pct / 100
    base = (service.per_package + (service.residential_surcharge if residential else 0)) * fuel
    last_zone, last_tier = len(service.zones) - 1, len(service.tiers) - 1
    zones = tuple(
        SourcingZone(zone.name, math.inf if i == last_zone else float(zone.max_km or math.inf), zone.transit_days)
        for i, zone in enumerate(service.zones)
    )
    tiers = tuple(
        (math.inf if i == last_tier else float(tier.max_grams), tuple(_float(price * fuel) for price in tier.prices))
        for i, tier in enumerate(service.tiers)
    )
    return RateCard(service_level, _float(base), zones, tiers)


def sourcing_rate_cards(
    cards: RateCards, *, residential: bool = True, prefer: Mapping[str, str] | None = None
) -> tuple[RateCard, ...]:
    """One sourcing rate card per service level the distance-zoned services carry.

    A level's card comes from `prefer[level]` ("ups/ground") when given, else from the first service in the
    document that carries the level. A `standard` card is repeated as the `*` fallback sourcing requires
    when no service declares `*`. Raises InvalidInput when a preferred service is unknown or cannot serve.
    """
    chosen: dict[str, Service] = {}
    by_key = {service.key: service for _, service in cards.services()}
    for level, key in (prefer or {}).items():
        service = by_key.get(key)
        if service is None or level not in service.service_levels:
            raise InvalidInput(f"no service '{key}' carrying service level '{level}'", field=("prefer", level))
        chosen[level] = service
    for _, service in cards.services():
        if service.zone_basis == ZoneBasis.DISTANCE:
            for level in sorted(service.service_levels):
                chosen.setdefault(level, service)
    result = [sourcing_rate_card(s, service_level=level, residential=residential) for level, s in chosen.items()]
    if "*" not in chosen and "standard" in chosen:
        result.append(sourcing_rate_card(chosen["standard"], service_level="*", residential=residential))
    return tuple(result)


def rule_set_rate_cards(cards: RateCards, *, residential: bool = True) -> list[dict[str, Any]]:
    """The sourcing rate cards as rule-set document data (`costs.rate_cards`), prices in currency units."""
    documents = []
    for card in sourcing_rate_cards(cards, residential=residential):
        zones: list[dict[str, Any]] = [
            {"zone": z.name, "transit_days": z.transit_days} | ({} if math.isinf(z.max_km) else {"max_km": z.max_km})
            for z in card.zones
        ]
        weights: list[dict[str, Any]] = [
            ({} if math.isinf(limit) else {"max_grams": int(limit)}) | {"prices": list(prices)}
            for limit, prices in card.tiers
        ]
        documents.append(
            {"service_level": card.service_level, "per_package": card.per_package, "zones": zones, "weights": weights}
        )
    return documents


def _float(amount: Decimal) -> float:
    return float(amount.quantize(_CENT, ROUND_HALF_UP))
