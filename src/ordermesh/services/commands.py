"""Commands: what a caller asks Ordermesh to do, as plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ordermesh.domain.catalog import Address, Capability, LocationType, SourcingProfile
from ordermesh.domain.orders import Customer, Delivery, PaymentStatus


@dataclass(frozen=True)
class CreateItem:
    sku: str
    name: str
    weight_grams: int
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CreateLocation:
    code: str
    name: str
    type: LocationType
    address: Address
    capabilities: frozenset[Capability]
    profile: SourcingProfile = field(default_factory=SourcingProfile)


@dataclass(frozen=True)
class NewLine:
    external_id: str | None
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class CaptureOrder:
    channel: str
    external_id: str
    currency: str
    customer: Customer
    ship_to: Address | None
    delivery: Delivery
    lines: tuple[NewLine, ...]
    shipping_total: Decimal = Decimal("0")
    tax_total: Decimal = Decimal("0")
    discount_total: Decimal = Decimal("0")
    payment_status: PaymentStatus = PaymentStatus.PAID
    placed_at: datetime | None = None


@dataclass(frozen=True)
class SetStock:
    location: str
    sku: str
    on_hand: int
    safety_stock: int | None = None
    as_of: datetime | None = None
    reason: str = "count"


@dataclass(frozen=True)
class AdjustStock:
    location: str
    sku: str
    delta: int
    reason: str


@dataclass(frozen=True)
class ShipFulfillment:
    carrier: str
    tracking_number: str
    lines: dict[str, int] | None = None
