"""The item master and the inventory network's locations."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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
class Location:
    code: str
    name: str
    type: LocationType
    address: Address
    capabilities: frozenset[Capability]
    active: bool = True

    def can(self, capability: Capability) -> bool:
        return self.active and capability in self.capabilities
