"""Carrier rate cards, rate quotes and tracking updates on the wire.

The rate-card document is free data (JSON or YAML) checked by the domain's validator, which names every
problem by its path; quotes and tracking updates are pydantic models.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from ordermesh.domain.carriers import Package, Quote, RateShop, ShipmentTracking, TrackingStatus, Vocabulary
from ordermesh.domain.catalog import Address
from ordermesh.entrypoints.api.schemas.common import AddressIn, Code, Input, Money
from ordermesh.services.carrier_ports import RateCardVersion, RecordedEvent
from ordermesh.services.carriers import CurrentRateCards, QuoteShipment
from ordermesh.services.tracking import ShipmentTrackingView, TrackingOutcome, TrackingUpdate

# --- rate cards -----------------------------------------------------------------------------------------


class RateCardsOut(BaseModel):
    version: int | None = Field(description="null for the built-in sample cards (none stored yet)")
    built_in: bool
    note: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    document: dict[str, Any]

    @classmethod
    def of(cls, record: RateCardVersion) -> RateCardsOut:
        return cls(
            version=record.version,
            built_in=False,
            note=record.note,
            created_at=record.created_at,
            created_by=record.created_by,
            document=record.document,
        )

    @classmethod
    def sample(cls, document: dict[str, Any]) -> RateCardsOut:
        return cls(version=None, built_in=True, note="sample figures; store your own rate cards", document=document)


class RateCardVersionOut(BaseModel):
    version: int
    note: str | None
    created_at: datetime
    created_by: str
    carriers: list[str]

    @classmethod
    def of(cls, record: RateCardVersion) -> RateCardVersionOut:
        carriers = [str(c.get("code")) for c in record.document.get("carriers", []) if isinstance(c, dict)]
        return cls(
            version=record.version,
            note=record.note,
            created_at=record.created_at,
            created_by=record.created_by,
            carriers=carriers,
        )


class SourcingCardsOut(BaseModel):
    """The rate cards as a sourcing rule set's `costs.rate_cards`, surcharges folded in."""

    currency: str
    rate_cards: list[dict[str, Any]]


# --- quotes ---------------------------------------------------------------------------------------------


class PackageIn(Input):
    weight_grams: int = Field(gt=0, le=1_000_000)
    length_cm: float | None = Field(default=None, gt=0, le=1000)
    width_cm: float | None = Field(default=None, gt=0, le=1000)
    height_cm: float | None = Field(default=None, gt=0, le=1000)

    def package(self) -> Package:
        return Package(self.weight_grams, self.length_cm, self.width_cm, self.height_cm)


class QuoteIn(Input):
    from_location: Code | None = Field(default=None, description="Ship from this location (its address and time zone)")
    ship_from: AddressIn | None = Field(default=None, description="Or from this address (cut-offs read in UTC)")
    ship_to: AddressIn
    packages: list[PackageIn] = Field(min_length=1, max_length=100)
    ready_at: AwareDatetime | None = Field(default=None, description="When the packages can leave; default now")
    promised_by: date | None = Field(default=None, description="The delivery date promised to the customer")
    residential: bool = True
    service_level: str | None = Field(default=None, max_length=50, description="Only services that carry it")

    @model_validator(mode="after")
    def _one_origin(self) -> QuoteIn:
        if (self.from_location is None) == (self.ship_from is None):
            raise ValueError("give from_location or ship_from (one of them)")
        return self

    def command(self) -> QuoteShipment:
        origin = self.from_location if self.from_location is not None else _address(self.ship_from)
        return QuoteShipment(
            ship_to=_address(self.ship_to),
            packages=tuple(p.package() for p in self.packages),
            ship_from=origin,
            ready_at=self.ready_at,
            promised_by=self.promised_by,
            residential=self.residential,
            service_level=self.service_level,
        )


def _address(address: AddressIn | None) -> Address:
    assert address is not None
    return Address(**address.model_dump())


class ChargesOut(BaseModel):
    transportation: Money
    per_package: Money
    residential: Money
    fuel: Money
    total: Money


class QuoteOut(BaseModel):
    carrier: str
    carrier_name: str
    service: str
    service_name: str
    zone: str
    billable_grams: int
    charges: ChargesOut
    currency: str
    ship_date: date
    transit_days: int
    delivery_date: date
    meets_promise: bool | None = Field(description="null when no promised date was given")
    days_late: int | None
    notes: list[str]

    @classmethod
    def of(cls, quote: Quote) -> QuoteOut:
        c = quote.charges
        return cls(
            carrier=quote.carrier,
            carrier_name=quote.carrier_name,
            service=quote.service,
            service_name=quote.service_name,
            zone=quote.zone,
            billable_grams=quote.billable_grams,
            charges=ChargesOut(
                transportation=c.transportation,
                per_package=c.per_package,
                residential=c.residential,
                fuel=c.fuel,
                total=c.total,
            ),
            currency=quote.currency,
            ship_date=quote.ship_date,
            transit_days=quote.transit_days,
            delivery_date=quote.delivery_date,
            meets_promise=quote.meets_promise,
            days_late=quote.days_late,
            notes=list(quote.notes),
        )


class UnavailableOut(BaseModel):
    carrier: str
    service: str
    reason: str


class RateCardsRef(BaseModel):
    version: int | None
    built_in: bool


class RateShopOut(BaseModel):
    choice: QuoteOut | None = Field(description="The cheapest on time; when none is, the fastest (late: true)")
    late: bool
    quotes: list[QuoteOut] = Field(description="Cheapest first")
    unavailable: list[UnavailableOut]
    rate_cards: RateCardsRef

    @classmethod
    def of(cls, shop: RateShop, current: CurrentRateCards) -> RateShopOut:
        return cls(
            choice=QuoteOut.of(shop.choice) if shop.choice else None,
            late=shop.late,
            quotes=[QuoteOut.of(q) for q in shop.quotes],
            unavailable=[
                UnavailableOut(carrier=u.carrier, service=u.service, reason=u.reason) for u in shop.unavailable
            ],
            rate_cards=RateCardsRef(
                version=current.record.version if current.record else None, built_in=current.built_in
            ),
        )


# --- tracking -------------------------------------------------------------------------------------------


class PlaceIn(Input):
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=2)

    def text(self) -> str | None:
        return " ".join(part for part in (self.city, self.region, self.postal_code, self.country) if part) or None


class TrackingUpdateIn(Input):
    tracking_number: str = Field(min_length=1, max_length=100)
    status: str = Field(min_length=1, max_length=40, description="The status code as the carrier sends it")
    detail: str | None = Field(
        default=None, max_length=100, description="The carrier's sub-code: UPS activity code, EasyPost status_detail"
    )
    event_time: AwareDatetime
    location: str | PlaceIn | None = Field(default=None, description="Where it happened: text, or its parts")
    description: str | None = Field(default=None, max_length=500)
    event_id: str | None = Field(default=None, max_length=150, description="The carrier's id of the event, if any")
    vocabulary: Vocabulary | None = Field(
        default=None, description="Whose status codes: default the carrier's own (ups, fedex), else easypost"
    )

    def update(self) -> TrackingUpdate:
        where = self.location.text() if isinstance(self.location, PlaceIn) else self.location
        return TrackingUpdate(
            tracking_number=self.tracking_number,
            status=self.status,
            event_time=self.event_time,
            detail=self.detail,
            location=(where or None) and where[:300],
            description=self.description,
            event_id=self.event_id,
            vocabulary=self.vocabulary,
        )


class TrackingBatchIn(Input):
    updates: list[TrackingUpdateIn] = Field(min_length=1, max_length=500)


class TrackingResultOut(BaseModel):
    tracking_number: str
    shipment_id: str
    fulfillment_order_id: str
    status: TrackingStatus
    changed: bool
    previous_status: TrackingStatus | None = Field(description="The status before, when this update changed it")
    duplicate: bool = Field(description="The same event was received before; it changed nothing this time")
    fulfillment_order_status: str | None

    @classmethod
    def of(cls, outcome: TrackingOutcome) -> TrackingResultOut:
        return cls(
            tracking_number=outcome.tracking_number,
            shipment_id=outcome.shipment_id,
            fulfillment_order_id=outcome.fulfillment_order_id,
            status=outcome.status,
            changed=outcome.changed_from is not None,
            previous_status=outcome.changed_from,
            duplicate=outcome.duplicate,
            fulfillment_order_status=outcome.fulfillment_order_status,
        )


class TrackingIngestOut(BaseModel):
    results: list[TrackingResultOut]


class TrackingOut(BaseModel):
    shipment_id: str
    fulfillment_order_id: str
    order_id: str
    carrier: str
    tracking_number: str
    status: TrackingStatus
    status_at: datetime | None
    exception_reason: str | None
    last_event_at: datetime | None
    location: str | None
    description: str | None
    carrier_status: str | None

    @classmethod
    def of(cls, tracking: ShipmentTracking) -> TrackingOut:
        return cls(
            shipment_id=tracking.shipment_id,
            fulfillment_order_id=tracking.fulfillment_order_id,
            order_id=tracking.order_id,
            carrier=tracking.carrier,
            tracking_number=tracking.tracking_number,
            status=tracking.status,
            status_at=tracking.status_at,
            exception_reason=tracking.exception_reason,
            last_event_at=tracking.last_event_at,
            location=tracking.location,
            description=tracking.description,
            carrier_status=tracking.carrier_status,
        )


class TrackingEventOut(BaseModel):
    status: TrackingStatus | None
    carrier_status: str
    event_time: datetime
    location: str | None
    description: str | None
    exception_reason: str | None
    changed_status: bool
    received_at: datetime

    @classmethod
    def of(cls, recorded: RecordedEvent) -> TrackingEventOut:
        e = recorded.event
        return cls(
            status=e.status,
            carrier_status=e.carrier_status,
            event_time=e.event_time,
            location=e.location,
            description=e.description,
            exception_reason=e.reason,
            changed_status=recorded.changed,
            received_at=recorded.received_at,
        )


class ShipmentTrackingOut(TrackingOut):
    events: list[TrackingEventOut]

    @classmethod
    def of_view(cls, view: ShipmentTrackingView) -> ShipmentTrackingOut:
        ref = view.shipment
        current = view.tracking or ShipmentTracking(
            ref.shipment_id,
            ref.fulfillment_order_id,
            ref.order_id,
            ref.carrier,
            ref.tracking_number,
            TrackingStatus.LABEL_CREATED,
            datetime.min,
        )
        return cls(**TrackingOut.of(current).model_dump(), events=[TrackingEventOut.of(r) for r in view.history])
