"""The item master and the inventory network's locations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from ordermesh.domain.geo import GeoPoint


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    weight_grams: int
    attributes: dict[str, Any] = field(default_factory=dict)


class LocationType(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    DROPSHIP_VENDOR = "dropship_vendor"
    THIRD_PARTY = "3pl"
    RETURNS_CENTER = "returns_center"


class Capability(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    RETURNS = "returns"


@dataclass(frozen=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    name: str | None = None

    @property
    def point(self) -> GeoPoint | None:
        if self.lat is None or self.lon is None:
            return None
        return GeoPoint(self.lat, self.lon)


@dataclass(frozen=True)
class SourcingProfile:
    """How sourcing sees a location: its groups and tags, its working day and its daily capacity."""

    groups: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    timezone: str = "UTC"
    cutoff: time | None = None  # local time after which the day's work ships the next day
    processing_days: int = 0
    daily_order_capacity: int | None = None  # None: unlimited
    daily_unit_capacity: int | None = None

    def working_day(self, now: datetime) -> date:
        """The local day whose capacity an allocation made at `now` uses (after the cut-off: the next day)."""
        local = now.astimezone(ZoneInfo(self.timezone))
        day = local.date()
        if self.cutoff is not None and local.time() > self.cutoff:
            day += timedelta(days=1)
        return day

    @property
    def limited(self) -> bool:
        return self.daily_order_capacity is not None or self.daily_unit_capacity is not None


@dataclass(frozen=True)
class Location:
    code: str
    name: str
    type: LocationType
    address: Address
    capabilities: frozenset[Capability]
    active: bool = True
    profile: SourcingProfile = field(default_factory=SourcingProfile)

    def can(self, capability: Capability) -> bool:
        return self.active and capability in self.capabilities
