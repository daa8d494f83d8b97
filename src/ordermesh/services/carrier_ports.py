"""The carrier ports: versions of the rate-card document, and each shipment's tracking with its history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ordermesh.domain.carriers import ShipmentTracking, TrackingEvent
from ordermesh.services.ports import Page


@dataclass(frozen=True)
class RateCardVersion:
    """One stored version of the rate-card document; the highest version is the one in use."""

    version: int
    document: dict[str, Any]
    created_at: datetime
    created_by: str
    note: str | None = None


class RateCardVersions(Protocol):
    def add(self, record: RateCardVersion) -> None:
        """Store a new version; DuplicateKey when that version number exists."""
        ...

    def latest(self) -> RateCardVersion | None: ...
    def get(self, version: int) -> RateCardVersion | None: ...
    def page(self, *, after: str | None, limit: int) -> Page:
        """Versions, newest first."""
        ...


@dataclass(frozen=True)
class ShipmentRef:
    """A shipment as tracking finds it: by tracking number, with its fulfilment order and order."""

    shipment_id: str
    fulfillment_order_id: str
    order_id: str
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class RecordedEvent:
    """A carrier event as received: what it said, when it came, and whether it changed the status."""

    id: int
    shipment_id: str
    event: TrackingEvent
    changed: bool
    received_at: datetime


class ShipmentTrackingRepository(Protocol):
    def shipments(self, tracking_numbers: Sequence[str]) -> list[ShipmentRef]:
        """The shipments with any of these tracking numbers (of any carrier)."""
        ...

    def shipment(self, shipment_id: str) -> ShipmentRef | None: ...

    def get(self, shipment_id: str, *, for_update: bool = False) -> ShipmentTracking | None:
        """The shipment's tracking; `for_update` locks its row until the unit of work ends (PostgreSQL)."""
        ...

    def add(self, tracking: ShipmentTracking) -> None:
        """Start tracking a shipment; DuplicateKey when it is tracked already."""
        ...

    def save(self, tracking: ShipmentTracking) -> None: ...

    def seen(self, shipment_id: str, key: str) -> bool:
        """Tell whether an event with this de-duplication key was received for the shipment."""
        ...

    def record(self, shipment_id: str, event: TrackingEvent, *, changed: bool, received_at: datetime) -> None:
        """Append an event to the shipment's history; DuplicateKey when its key was received already."""
        ...

    def history(self, shipment_id: str) -> list[RecordedEvent]:
        """The shipment's events by event time (then arrival)."""
        ...

    def for_fulfillment_order(self, fo_id: str) -> list[ShipmentTracking]: ...

    def page(self, *, status: str | None, after: str | None, limit: int) -> Page:
        """Tracked shipments, most recently updated first, optionally in one status."""
        ...
