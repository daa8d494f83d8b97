"""Items and locations on the wire."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, Field

from ordermesh.domain.catalog import Address, Capability, Item, Location, LocationType
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


class LocationIn(Input):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    type: LocationType
    address: AddressIn
    capabilities: list[Capability] = Field(min_length=1)

    def command(self) -> CreateLocation:
        return CreateLocation(
            self.code, self.name, self.type, Address(**self.address.model_dump()), frozenset(self.capabilities)
        )


class LocationOut(BaseModel):
    code: str
    name: str
    type: LocationType
    address: AddressOut
    capabilities: list[Capability]
    active: bool

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
        )
