"""Rate shopping: price every service for a shipment, then pick the cheapest that meets the promise.

Each package is priced in its zone and weight tier (billable weight: the larger of actual and
dimensional weight when the package's dimensions are known), plus the per-package base, the
residential surcharge for a home address, and the fuel surcharge on all three. The delivery date
counts the zone's transit days over the service's delivery days from the day the packages are
picked up (after the cut-off, the next pickup day).

The choice is the cheapest quote that arrives by the promised date (ties: the earlier delivery, then
the carrier/service name); when none does, the earliest delivery (ties: cheaper, then name), flagged late.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from ordermesh.domain.carriers.calendar import delivery_date, pickup_date
from ordermesh.domain.carriers.model import Carrier, RateCards, Service, Zone, ZoneBasis, postal_key
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.money import minor_units

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Package:
    weight_grams: int
    length_cm: float | None = None
    width_cm: float | None = None
    height_cm: float | None = None

    def billable_grams(self, dim_divisor: int | None) -> int:
        """The larger of the actual and the dimensional weight (L x W x H / divisor kg) when dimensions are known."""
        if dim_divisor is None or self.length_cm is None or self.width_cm is None or self.height_cm is None:
            return self.weight_grams
        dimensional = math.ceil(self.length_cm * self.width_cm * self.height_cm * 1000 / dim_divisor)
        return max(self.weight_grams, dimensional)


@dataclass(frozen=True)
class Place:
    country: str | None = None
    postal_code: str | None = None
    point: GeoPoint | None = None


@dataclass(frozen=True)
class RateRequest:
    ship_from: Place
    ship_to: Place
    packages: tuple[Package, ...]
    ready_at: datetime  # when the packages can be handed over (timezone-aware)
    origin_timezone: str = "UTC"  # the ship-from location's: cut-offs are local times
    promised_by: date | None = None
    residential: bool = True
    service_level: str | None = None  # only services that carry this level; None: every service


@dataclass(frozen=True)
class Charges:
    transportation: Decimal
    per_package: Decimal
    residential: Decimal
    fuel: Decimal

    @property
    def total(self) -> Decimal:
        return self.transportation + self.per_package + self.residential + self.fuel


@dataclass(frozen=True)
class Quote:
    carrier: str
    carrier_name: str
    service: str
    service_name: str
    zone: str
    billable_grams: int  # all packages
    charges: Charges
    currency: str
    ship_date: date
    transit_days: int
    delivery_date: date
    days_late: int | None  # None: no promise to meet; 0: on time
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.carrier}/{self.service}"

    @property
    def meets_promise(self) -> bool | None:
        return None if self.days_late is None else self.days_late == 0


@dataclass(frozen=True)
class Unavailable:
    carrier: str
    service: str
    reason: str


@dataclass(frozen=True)
class RateShop:
    quotes: tuple[Quote, ...]  # cheapest first
    unavailable: tuple[Unavailable, ...]
    choice: Quote | None  # None: no service can carry the shipment
    late: bool  # the choice misses the promised date (no quote meets it)


def shop_rates(cards: RateCards, request: RateRequest) -> RateShop:
    """Quote every service of the rate cards for the shipment and choose one."""
    quotes: list[Quote] = []
    unavailable: list[Unavailable] = []
    for carrier, service in cards.services():
        if request.service_level is not None and request.service_level not in service.service_levels:
            continue
        priced = quote_service(carrier, service, request, currency=cards.currency)
        if isinstance(priced, Quote):
            quotes.append(priced)
        else:
            unavailable.append(priced)
    quotes.sort(key=lambda q: (q.charges.total, q.delivery_date, q.key))
    choice, late = choose(quotes)
    return RateShop(tuple(quotes), tuple(unavailable), choice, late)


def choose(quotes: list[Quote]) -> tuple[Quote | None, bool]:
    """The cheapest quote on time (ties: earlier, then name); else the earliest (ties: cheaper, then name), late."""
    on_time = [q for q in quotes if q.meets_promise is not False]
    if on_time:
        return min(on_time, key=lambda q: (q.charges.total, q.delivery_date, q.key)), False
    if not quotes:
        return None, False
    return min(quotes, key=lambda q: (q.delivery_date, q.charges.total, q.key)), True


def quote_service(carrier: Carrier, service: Service, request: RateRequest, *, currency: str) -> Quote | Unavailable:
    """Price the shipment with one service, or say why the service cannot carry it."""

    def refuse(reason: str) -> Unavailable:
        return Unavailable(carrier.code, service.code, reason)

    for place, allowed, what in (
        (request.ship_from, service.origin_countries, "ship from"),
        (request.ship_to, service.destination_countries, "deliver to"),
    ):
        if allowed is not None and place.country is not None and place.country not in allowed:
            return refuse(f"does not {what} {place.country}")
    found = _zone(service, request)
    if isinstance(found, str):
        return refuse(found)
    index, zone, notes = found
    charges = [Decimal(0)] * 4
    billable = 0
    for number, package in enumerate(request.packages, start=1):
        grams = package.billable_grams(service.dim_divisor)
        tier = next((t for t in service.tiers if grams <= t.max_grams), None)
        if tier is None:
            return refuse(f"package {number} weighs {grams} g billable, over the service's {service.max_grams} g")
        billable += grams
        residential = service.residential_surcharge if request.residential else Decimal(0)
        base = tier.prices[index] + service.per_package + residential
        for slot, amount in enumerate(
            (tier.prices[index], service.per_package, residential, base * service.fuel_surcharge_pct / HUNDRED)
        ):
            charges[slot] += amount
    cent = Decimal(1).scaleb(-minor_units(currency))
    transportation, per_package, residential_total, fuel = (c.quantize(cent, ROUND_HALF_UP) for c in charges)
    local = request.ready_at.astimezone(ZoneInfo(request.origin_timezone))
    shipped = pickup_date(
        local, cutoff=service.pickup_cutoff, pickup_days=service.pickup_days, holidays=carrier.holidays
    )
    arrives = delivery_date(shipped, zone.transit_days, delivery_days=service.delivery_days, holidays=carrier.holidays)
    late = None if request.promised_by is None else max(0, (arrives - request.promised_by).days)
    return Quote(
        carrier=carrier.code,
        carrier_name=carrier.name,
        service=service.code,
        service_name=service.name,
        zone=zone.name,
        billable_grams=billable,
        charges=Charges(transportation, per_package, residential_total, fuel),
        currency=currency,
        ship_date=shipped,
        transit_days=zone.transit_days,
        delivery_date=arrives,
        days_late=late,
        notes=notes,
    )


def _zone(service: Service, request: RateRequest) -> tuple[int, Zone, tuple[str, ...]] | str:
    """(index, zone, notes) of the shipment's lane, or why the service has none."""
    if service.zone_basis == ZoneBasis.DISTANCE:
        start, end = request.ship_from.point, request.ship_to.point
        if start is None or end is None:
            last = len(service.zones) - 1
            return last, service.zones[last], ("distance unknown (no coordinates): priced in the farthest zone",)
        km = start.distance_km(end)
        for index, zone in enumerate(service.zones):
            if zone.max_km is not None and km <= zone.max_km:
                return index, zone, ()
        return f"{km:.0f} km is beyond the farthest zone ({service.zones[-1].max_km:g} km)"
    destination = postal_key(request.ship_to.postal_code)
    if not destination:
        return "zones by postal code, and the destination has none"
    origin = postal_key(request.ship_from.postal_code)
    best: tuple[tuple[int, int], int] | None = None
    for index, zone in enumerate(service.zones):
        to = max((len(p) for p in zone.destinations if destination.startswith(p)), default=-1)
        since = max((len(p) for p in zone.origins if origin.startswith(p)), default=-1) if zone.origins else 0
        if to >= 0 and since >= 0 and (best is None or (since, to) > best[0]):
            best = ((since, to), index)
    if best is None:
        return f"no zone for postal code {destination}" + (f" from {origin}" if origin else "")
    return best[1], service.zones[best[1]], ()
