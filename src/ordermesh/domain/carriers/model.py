"""Carrier rate cards, parsed: carriers, their services, zones, weight tiers, surcharges and calendars.

A service prices a package by zone and weight: `per_package + tier price in the zone`, plus the
residential surcharge for a home address, plus the fuel surcharge (a percentage of both). Zones are
either distance bands (km between ship-from and ship-to) or destination postal prefixes per origin.
Transit days count the service's delivery days (ground: Monday to Friday) and skip carrier holidays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import StrEnum

from ordermesh.domain.errors import DomainError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY_TO_FRIDAY = frozenset(range(5))


class RateCardsInvalid(DomainError):
    """A rate-card document breaks the vocabulary; every problem is listed with its path."""

    title = "Invalid rate cards"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems


class ZoneBasis(StrEnum):
    DISTANCE = "distance"  # km between ship-from and ship-to
    POSTAL_PREFIX = "postal_prefix"  # destination postal prefixes, optionally per origin prefix


@dataclass(frozen=True)
class Zone:
    name: str
    transit_days: int
    max_km: float | None = None  # distance zones
    destinations: tuple[str, ...] = ()  # postal zones: destination postal prefixes
    origins: tuple[str, ...] = ()  # postal zones: ship-from postal prefixes; empty: any origin


@dataclass(frozen=True)
class WeightTier:
    max_grams: int
    prices: tuple[Decimal, ...]  # one per zone, in the order of the service's zones


@dataclass(frozen=True)
class Service:
    carrier: str  # the carrier's code
    code: str
    name: str
    service_levels: frozenset[str]  # the order service levels it can carry (standard, expedited, ...)
    zone_basis: ZoneBasis
    zones: tuple[Zone, ...]
    tiers: tuple[WeightTier, ...]
    per_package: Decimal = Decimal(0)
    fuel_surcharge_pct: Decimal = Decimal(0)
    residential_surcharge: Decimal = Decimal(0)
    pickup_cutoff: time | None = None  # origin local time; later ready packages leave the next pickup day
    pickup_days: frozenset[int] = MONDAY_TO_FRIDAY  # weekday numbers, Monday 0
    delivery_days: frozenset[int] = MONDAY_TO_FRIDAY  # days that count as transit days and can be delivery days
    dim_divisor: int | None = None  # cm³ per kg for dimensional weight; None: actual weight only
    origin_countries: frozenset[str] | None = None  # None: any
    destination_countries: frozenset[str] | None = None  # None: any

    @property
    def key(self) -> str:
        return f"{self.carrier}/{self.code}"

    @property
    def max_grams(self) -> int:
        return self.tiers[-1].max_grams


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    services: tuple[Service, ...]
    aliases: tuple[str, ...] = ()
    holidays: frozenset[date] = frozenset()  # no pickup, no transit, no delivery

    def answers_to(self, name: str) -> bool:
        """Tell whether a carrier name as written on a shipment ("UPS", "FedEx Ground") means this carrier."""
        wanted = carrier_key(name)
        return any(wanted == key or wanted.startswith(key) for key in map(carrier_key, (self.code, *self.aliases)))


@dataclass(frozen=True)
class RateCards:
    currency: str
    carriers: tuple[Carrier, ...]

    def services(self) -> Iterator[tuple[Carrier, Service]]:
        for carrier in self.carriers:
            for service in carrier.services:
                yield carrier, service

    def carrier(self, name: str) -> Carrier | None:
        return next((c for c in self.carriers if c.answers_to(name)), None)


_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def carrier_key(name: str) -> str:
    """A carrier name reduced for comparison: "FedEx" and "fed-ex" are "fedex"."""
    return _NOT_ALNUM.sub("", name.lower())


def postal_key(postal_code: str | None) -> str:
    """A postal code reduced for prefix matching: "sw1a 1aa" is "SW1A1AA"."""
    return _NOT_ALNUM.sub("", (postal_code or "").lower()).upper()
