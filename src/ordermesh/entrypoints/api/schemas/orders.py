"""Orders and fulfilment orders on the wire: the canonical order in, the full picture out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from ordermesh.domain.catalog import Address
from ordermesh.domain.fulfillment import FulfillmentOrder, FulfillmentStatus
from ordermesh.domain.money import fits_currency, is_currency
from ordermesh.domain.orders import (
    Customer,
    Delivery,
    DeliveryMethod,
    Order,
    OrderStatus,
    PaymentStatus,
)
from ordermesh.entrypoints.api.schemas.common import AddressIn, AddressOut, Code, Count, Input, Money, Sku
from ordermesh.services.commands import CaptureOrder, NewLine, ShipFulfillment

MAX_LINE_QUANTITY = 1_000_000


class CustomerIn(Input):
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    tags: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(default_factory=list, max_length=50)


class DeliveryIn(Input):
    method: DeliveryMethod = DeliveryMethod.SHIP
    pickup_location: Code | None = None
    service_level: str | None = Field(default=None, max_length=50)

    @model_validator(mode="after")
    def _pickup_needs_location(self) -> Self:
        if self.method == DeliveryMethod.PICKUP and not self.pickup_location:
            raise ValueError("pickup_location is required when method is pickup")
        return self


class LineIn(Input):
    external_id: str | None = Field(default=None, max_length=200)
    sku: Sku
    quantity: Count = Field(gt=0, le=MAX_LINE_QUANTITY)
    unit_price: Money


class OrderIn(Input):
    channel: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[a-z0-9][a-z0-9_\-]*(:[^\s]+)?$",
        examples=["web", "shopify:acme.myshopify.com"],
    )
    external_id: str = Field(min_length=1, max_length=200)
    currency: str = Field(description="ISO 4217 code", examples=["USD"])
    customer: CustomerIn = Field(default_factory=CustomerIn)
    ship_to: AddressIn | None = None
    delivery: DeliveryIn = Field(default_factory=DeliveryIn)
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    shipping_total: Money = Decimal("0")
    tax_total: Money = Decimal("0")
    discount_total: Money = Decimal("0")
    payment_status: PaymentStatus = PaymentStatus.AUTHORIZED
    placed_at: AwareDatetime | None = None

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        if not is_currency(value):
            raise ValueError(f"'{value}' is not an ISO 4217 currency code")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.delivery.method == DeliveryMethod.SHIP and self.ship_to is None:
            raise ValueError("ship_to is required when delivery.method is ship")
        if not is_currency(self.currency):
            return self
        amounts = [
            ("shipping_total", self.shipping_total),
            ("tax_total", self.tax_total),
            ("discount_total", self.discount_total),
        ]
        amounts += [(f"lines[{i}].unit_price", line.unit_price) for i, line in enumerate(self.lines)]
        for name, amount in amounts:
            if not fits_currency(amount, self.currency):
                raise ValueError(f"{name}: {amount} has more decimals than {self.currency} allows")
        return self

    def command(self) -> CaptureOrder:
        return CaptureOrder(
            channel=self.channel,
            external_id=self.external_id,
            currency=self.currency,
            customer=Customer(**{**self.customer.model_dump(), "tags": tuple(self.customer.tags)}),
            ship_to=Address(**self.ship_to.model_dump()) if self.ship_to else None,
            delivery=Delivery(self.delivery.method, self.delivery.pickup_location, self.delivery.service_level),
            lines=tuple(NewLine(li.external_id, li.sku, li.quantity, li.unit_price) for li in self.lines),
            shipping_total=self.shipping_total,
            tax_total=self.tax_total,
            discount_total=self.discount_total,
            payment_status=self.payment_status,
            placed_at=self.placed_at,
        )


class LineQuantity(Input):
    line_id: str = Field(min_length=1, max_length=40)
    quantity: Count = Field(gt=0, le=MAX_LINE_QUANTITY)


def _by_line(lines: list[LineQuantity] | None) -> dict[str, int] | None:
    if lines is None:
        return None
    result: dict[str, int] = {}
    for line in lines:
        result[line.line_id] = result.get(line.line_id, 0) + line.quantity
    return result


class CancelIn(Input):
    lines: list[LineQuantity] | None = Field(default=None, min_length=1, description="Omit to cancel the whole order")
    reason: str = Field(default="cancelled by request", max_length=200)

    def by_line(self) -> dict[str, int] | None:
        return _by_line(self.lines)


class HoldIn(Input):
    reason: str = Field(default="manual hold", min_length=1, max_length=200)


class RejectIn(Input):
    reason: str = Field(min_length=1, max_length=500)


class ShipIn(Input):
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)
    lines: list[LineQuantity] | None = Field(default=None, min_length=1, description="Omit to ship everything open")

    def command(self) -> ShipFulfillment:
        return ShipFulfillment(self.carrier, self.tracking_number, _by_line(self.lines))


class CustomerOut(BaseModel):
    email: str | None
    name: str | None
    phone: str | None
    tags: list[str] = []


class DeliveryOut(BaseModel):
    method: DeliveryMethod
    pickup_location: str | None
    service_level: str | None


class AllocationOut(BaseModel):
    location: str
    quantity: int


class Quantities(BaseModel):
    unallocated: int = Field(description="Not sourced yet: the order is held or the line is in exception")
    allocated: int = Field(description="Reserved at a location, waiting to ship or be picked up")
    backordered: int = Field(description="No location has stock; allocated when stock arrives")
    shipped: int
    delivered: int
    cancelled: int


class LineOut(BaseModel):
    id: str
    external_id: str | None
    sku: str
    quantity: int
    unit_price: Money
    quantities: Quantities
    allocations: list[AllocationOut]
    exception: str | None


class ShipmentOut(BaseModel):
    id: str
    carrier: str
    tracking_number: str
    lines: dict[str, int]
    shipped_at: datetime


class FulfillmentLineOut(BaseModel):
    line_id: str
    sku: str
    quantity: int
    open: int
    shipped: int
    delivered: int
    cancelled: int


class FulfillmentOrderOut(BaseModel):
    id: str
    order_id: str
    location: str
    status: FulfillmentStatus
    reason: str | None
    lines: list[FulfillmentLineOut]
    shipments: list[ShipmentOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, fo: FulfillmentOrder) -> FulfillmentOrderOut:
        return cls(
            id=fo.id,
            order_id=fo.order_id,
            location=fo.location,
            status=fo.status,
            reason=fo.reason,
            lines=[
                FulfillmentLineOut(
                    line_id=fl.order_line_id,
                    sku=fl.sku,
                    quantity=fl.quantity,
                    open=fl.open,
                    shipped=fl.shipped,
                    delivered=fl.delivered,
                    cancelled=fl.cancelled,
                )
                for fl in fo.lines
            ],
            shipments=[
                ShipmentOut(
                    id=s.id,
                    carrier=s.carrier,
                    tracking_number=s.tracking_number,
                    lines=s.lines,
                    shipped_at=s.shipped_at,
                )
                for s in fo.shipments
            ],
            created_at=fo.created_at,
            updated_at=fo.updated_at,
        )


class OrderOut(BaseModel):
    id: str
    channel: str
    external_id: str
    status: OrderStatus
    hold_reason: str | None
    currency: str
    customer: CustomerOut
    ship_to: AddressOut | None
    delivery: DeliveryOut
    payment_status: PaymentStatus
    shipping_total: Money
    tax_total: Money
    discount_total: Money
    placed_at: datetime
    created_at: datetime
    updated_at: datetime
    lines: list[LineOut]
    fulfillment_orders: list[FulfillmentOrderOut]

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        allocations = order.allocations()
        ship_to = order.ship_to
        return cls(
            id=order.id,
            channel=order.channel,
            external_id=order.external_id,
            status=order.status,
            hold_reason=order.hold_reason,
            currency=order.currency,
            customer=CustomerOut(
                email=order.customer.email,
                name=order.customer.name,
                phone=order.customer.phone,
                tags=list(order.customer.tags),
            ),
            ship_to=AddressOut(**vars(ship_to)) if ship_to else None,
            delivery=DeliveryOut(
                method=order.delivery.method,
                pickup_location=order.delivery.pickup_location,
                service_level=order.delivery.service_level,
            ),
            payment_status=order.payment_status,
            shipping_total=order.shipping_total,
            tax_total=order.tax_total,
            discount_total=order.discount_total,
            placed_at=order.placed_at,
            created_at=order.created_at,
            updated_at=order.updated_at,
            lines=[
                LineOut(
                    id=line.id,
                    external_id=line.external_id,
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    quantities=Quantities(**line.buckets()),
                    allocations=[AllocationOut(location=a.location, quantity=a.quantity) for a in allocations[line.id]],
                    exception=line.exception,
                )
                for line in order.lines
            ],
            fulfillment_orders=[FulfillmentOrderOut.of(fo) for fo in order.fulfillment_orders],
        )
