"""Items and locations on the wire."""

from __future__ import annotations

from dataclasses import asdict
from datetime import time
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import BaseModel, Field, field_validator

from ordermesh.domain.catalog import Address, Capability, Item, Location, LocationType, SourcingProfile
from ordermesh.entrypoints.api.schemas.common import AddressIn, AddressOut, Code, Count, Input, Sku
from ordermesh.services.commands import CreateItem, CreateLocation


class ItemIn(Input):
    sku: Sku
    name: str = Field(min_length=1, max_length=300)
    weight_grams: Count = Field(ge=0, le=10_000_000)
    attributes: dict[str, Any] = Field(default_factory=dict, description="Free-form flags, e.g. hazmat")

    def command(self) -> CreateItem:
        return CreateItem(self.sku, self.name, self.weight_grams, self.attributes)


class ItemOut(BaseModel):
    sku: str
    name: str
    weight_grams: int
    attributes: dict[str, Any]

    @classmethod
    def of(cls, item: Item) -> ItemOut:
        return cls(sku=item.sku, name=item.name, weight_grams=item.weight_grams, attributes=item.attributes)


Label = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^\S(.*\S)?$")]
# Capacity lives in a 32-bit column; no location ships a billion orders a day.
Capacity = Annotated[Count, Field(ge=0, le=1_000_000_000)] | None


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones() | {"UTC"})


class SourcingProfileIn(Input):
    """How sourcing sees a location. On PATCH, only the fields sent change."""

    groups: list[Label] = Field(default_factory=list, max_length=50, description="Named in rules' `groups`")
    tags: list[Label] = Field(default_factory=list, max_length=50, description="Named in rules' `tags`")
    timezone: str = Field(default="UTC", max_length=64, examples=["America/New_York"])
    cutoff: str | None = Field(
        default=None,
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Local HH:MM after which the day's work ships the next working day",
        examples=["15:00"],
    )
    processing_days: Count = Field(default=0, ge=0, le=30, description="Days between allocation and shipping")
    daily_order_capacity: Capacity = Field(default=None, description="Orders per local day; null: unlimited")
    daily_unit_capacity: Capacity = Field(default=None, description="Units per local day; null: unlimited")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in _timezones():
            raise ValueError(f"'{value}' is not an IANA time zone such as America/New_York")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields sent, as SourcingProfile values."""
        values = {
            "groups": frozenset(self.groups),
            "tags": frozenset(self.tags),
            "timezone": self.timezone,
            "cutoff": time.fromisoformat(self.cutoff) if self.cutoff else None,
            "processing_days": self.processing_days,
            "daily_order_capacity": self.daily_order_capacity,
            "daily_unit_capacity": self.daily_unit_capacity,
        }
        return {name: value for name, value in values.items() if name in self.model_fields_set}

    def profile(self) -> SourcingProfile:
        """The whole profile: the fields sent over the defaults."""
        return SourcingProfile(**self.changes())


class SourcingProfileOut(BaseModel):
    groups: list[str]
    tags: list[str]
    timezone: str
    cutoff: str | None
    processing_days: int
    daily_order_capacity: int | None
    daily_unit_capacity: int | None

    @classmethod
    def of(cls, profile: SourcingProfile) -> SourcingProfileOut:
        return cls(
            groups=sorted(profile.groups),
            tags=sorted(profile.tags),
            timezone=profile.timezone,
            cutoff=profile.cutoff.strftime("%H:%M") if profile.cutoff else None,
            processing_days=profile.processing_days,
            daily_order_capacity=profile.daily_order_capacity,
            daily_unit_capacity=profile.daily_unit_capacity,
        )


class LocationIn(Input):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    type: LocationType
    address: AddressIn
    capabilities: list[Capability] = Field(min_length=1)
    sourcing: SourcingProfileIn | None = Field(default=None, description="Groups, tags, working day and capacity")

    def command(self) -> CreateLocation:
        return CreateLocation(
            self.code,
            self.name,
            self.type,
            Address(**self.address.model_dump()),
            frozenset(self.capabilities),
            self.sourcing.profile() if self.sourcing else SourcingProfile(),
        )


class LocationOut(BaseModel):
    code: str
    name: str
    type: LocationType
    address: AddressOut
    capabilities: list[Capability]
    active: bool
    sourcing: SourcingProfileOut

    @classmethod
    def of(cls, location: Location) -> LocationOut:
        address = asdict(location.address)
        address.pop("name", None)
        return cls(
            code=location.code,
            name=location.name,
            type=location.type,
            address=AddressOut(**address),
            capabilities=sorted(location.capabilities),
            active=location.active,
            sourcing=SourcingProfileOut.of(location.profile),
        )
