"""What inbound documents mean to Ordermesh, whichever set carried them.

A 945 and an 856 both confirm a shipment; an 846 gives on-hand snapshots; a 944 records receipts. The service
applies these, not the X12 documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ConfirmedLine:
    """Units of one line that left the location; `order_line_id` when the partner echoed it, else the SKU."""

    sku: str
    shipped: int
    ordered: int | None = None
    order_line_id: str | None = None
    line_number: str | None = None  # the partner's echo of our line number (LX01, PO1-01)


@dataclass(frozen=True)
class ShipmentConfirmation:
    """A location's word that (some of) a fulfilment order shipped."""

    fulfillment_order_id: str
    shipment_id: str | None  # the partner's id for the shipment: with the partner, the idempotency key
    shipped_on: date
    carrier: str | None  # SCAC
    service: str | None
    tracking_numbers: tuple[str, ...]
    lines: tuple[ConfirmedLine, ...]

    @property
    def partial(self) -> bool:
        """True when a line says it shipped fewer units than were ordered."""
        return any(line.ordered is not None and line.shipped < line.ordered for line in self.lines)


@dataclass(frozen=True)
class InventorySnapshot:
    """On-hand units per SKU at one location as of a moment (the partner's location code)."""

    location: str
    as_of: datetime
    on_hand: Mapping[str, int]


@dataclass(frozen=True)
class ReceivedUnits:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Receipt:
    """Units a warehouse received into stock."""

    receipt_id: str
    location: str | None
    received_on: date
    reference: str | None  # our order or transfer number the receipt answers, when given
    lines: tuple[ReceivedUnits, ...]
