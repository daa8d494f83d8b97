"""Stock levels per (location, SKU) and the movements that change them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ordermesh.domain.errors import InvalidInput


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


def snapshot_movement(
    *,
    current: StockLevel | None,
    location: str,
    sku: str,
    on_hand: int,
    reason: str,
    reference: str | None,
    at: datetime,
) -> Movement:
    """Describe an absolute count as a ledger movement against the current level."""
    if on_hand < 0:
        raise InvalidInput("on_hand cannot be negative", field=("on_hand",))
    before = current.on_hand if current else 0
    return Movement(location, sku, MovementKind.SNAPSHOT, on_hand - before, 0, reason, reference, at, on_hand)
