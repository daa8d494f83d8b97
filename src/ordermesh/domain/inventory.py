"""Stock levels per (location, SKU) and the movements that change them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class MovementKind(StrEnum):
    SNAPSHOT = "snapshot"  # absolute on-hand set by a count or a WMS snapshot
    ADJUSTMENT = "adjustment"  # a signed delta with a reason (receipt, damage, found...)
    RESERVATION = "reservation"  # units held for an order line
    RELEASE = "release"  # held units returned to available (cancel, reject)
    SHIPMENT = "shipment"  # held units left the building


@dataclass(frozen=True)
class StockLevel:
    location: str
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    as_of: datetime | None = None

    @property
    def available(self) -> int:
        """Units that can still be promised: never below zero."""
        return max(0, self.on_hand - self.reserved - self.safety_stock)


@dataclass(frozen=True)
class StockChange:
    """A stock row before and after one write (before is None for a new row)."""

    before: StockLevel | None
    after: StockLevel

    @property
    def on_hand_delta(self) -> int:
        return self.after.on_hand - (self.before.on_hand if self.before else 0)

    @property
    def freed_units(self) -> bool:
        """Tell whether more units can be promised than before."""
        return self.after.available > (self.before.available if self.before else 0)


@dataclass(frozen=True)
class Movement:
    """One append-only ledger entry: how on-hand and reserved moved, and why."""

    location: str
    sku: str
    kind: MovementKind
    on_hand_delta: int
    reserved_delta: int
    reason: str
    reference: str | None
    at: datetime
    on_hand_after: int | None = None
