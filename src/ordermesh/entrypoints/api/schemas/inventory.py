"""Stock levels, adjustments, snapshots, movements and availability on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from ordermesh.domain.inventory import Movement, MovementKind, StockLevel
from ordermesh.entrypoints.api.schemas.common import Code, Count, Input, Sku
from ordermesh.services.commands import AdjustStock, SetStock

MAX_QUANTITY = 100_000_000


class StockIn(Input):
    on_hand: Count = Field(ge=0, le=MAX_QUANTITY)
    safety_stock: Count | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    as_of: AwareDatetime | None = Field(
        default=None, description="When the count was taken; older counts than the last one applied are ignored"
    )


class StockOut(BaseModel):
    location: str
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    as_of: datetime | None

    @classmethod
    def of(cls, level: StockLevel) -> StockOut:
        return cls(
            location=level.location,
            sku=level.sku,
            on_hand=level.on_hand,
            reserved=level.reserved,
            safety_stock=level.safety_stock,
            available=level.available,
            as_of=level.as_of,
        )


class StockSetOut(StockOut):
    applied: bool = Field(description="False when the count was older than the last one applied")


class AdjustmentIn(Input):
    location: Code
    sku: Sku
    delta: Count = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)
    reason: str = Field(min_length=1, max_length=200)

    def command(self) -> AdjustStock:
        return AdjustStock(self.location, self.sku, self.delta, self.reason)


class AdjustmentsIn(Input):
    adjustments: list[AdjustmentIn] = Field(min_length=1, max_length=10_000)
    reference: str | None = Field(default=None, max_length=100, description="Source document, e.g. a receipt")


class SnapshotEntryIn(Input):
    location: Code
    sku: Sku
    on_hand: Count = Field(ge=0, le=MAX_QUANTITY)
    safety_stock: Count | None = Field(default=None, ge=0, le=MAX_QUANTITY)


class SnapshotIn(Input):
    as_of: AwareDatetime
    counts: list[SnapshotEntryIn] = Field(min_length=1, max_length=50_000)

    def commands(self) -> list[SetStock]:
        return [SetStock(c.location, c.sku, c.on_hand, c.safety_stock, self.as_of, "snapshot") for c in self.counts]


class SnapshotOut(BaseModel):
    applied: int
    skipped_stale: int


class MovementOut(BaseModel):
    location: str
    sku: str
    kind: MovementKind
    on_hand_delta: int
    reserved_delta: int
    on_hand_after: int | None
    reason: str
    reference: str | None
    at: datetime

    @classmethod
    def of(cls, m: Movement) -> MovementOut:
        return cls(
            location=m.location,
            sku=m.sku,
            kind=m.kind,
            on_hand_delta=m.on_hand_delta,
            reserved_delta=m.reserved_delta,
            on_hand_after=m.on_hand_after,
            reason=m.reason,
            reference=m.reference,
            at=m.at,
        )


class LocationAvailability(BaseModel):
    location: str
    type: str
    available: int
    on_hand: int
    reserved: int
    safety_stock: int
    distance_km: float | None


class SkuAvailability(BaseModel):
    sku: str
    available: int = Field(description="Network available-to-promise: the sum over shipping locations")
    locations: list[LocationAvailability]
