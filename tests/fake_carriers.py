"""In-memory rate-card versions and shipment tracking, for the fake unit of work in tests/fakes.py."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from ordermesh.adapters.db.paging import decode_cursor, int_key, keyset_page
from ordermesh.domain.carriers import ShipmentTracking, TrackingEvent
from ordermesh.domain.orders import Order
from ordermesh.services.carrier_ports import RateCardVersion, RecordedEvent, ShipmentRef
from ordermesh.services.ports import DuplicateKey, Page


class _OrderRow(Protocol):
    @property
    def order(self) -> Order: ...


class _Tables(Protocol):
    rate_cards: dict[int, RateCardVersion]
    tracking: dict[str, ShipmentTracking]
    tracking_events: list[RecordedEvent]

    @property
    def orders(self) -> dict[str, Any]: ...

    def next_id(self, table: str) -> int: ...


class _Session(Protocol):
    @property
    def tables(self) -> _Tables: ...

    def fail(self, error: Exception) -> Exception: ...


class FakeRateCards:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, record: RateCardVersion) -> None:
        tables = self._s.tables
        if record.version in tables.rate_cards:
            raise self._s.fail(DuplicateKey(f"rate cards v{record.version}"))
        tables.rate_cards[record.version] = replace(record, document=json.loads(json.dumps(record.document)))

    def latest(self) -> RateCardVersion | None:
        cards = self._s.tables.rate_cards
        return cards[max(cards)] if cards else None

    def get(self, version: int) -> RateCardVersion | None:
        return self._s.tables.rate_cards.get(version)

    def page(self, *, after: str | None, limit: int) -> Page:
        key = decode_cursor(after)
        below = int_key(key) if key is not None else None
        rows = [r for v, r in sorted(self._s.tables.rate_cards.items(), reverse=True) if below is None or v < below]
        return Page(*keyset_page(rows, limit, lambda record: str(record.version)))


class FakeShipmentTracking:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def _refs(self) -> list[ShipmentRef]:
        refs = []
        for row in self._s.tables.orders.values():
            order = row.order
            for fo in order.fulfillment_orders:
                refs += [ShipmentRef(s.id, fo.id, order.id, s.carrier, s.tracking_number) for s in fo.shipments]
        return sorted(refs, key=lambda ref: ref.shipment_id)

    def shipments(self, tracking_numbers: Sequence[str]) -> list[ShipmentRef]:
        wanted = set(tracking_numbers)
        return [ref for ref in self._refs() if ref.tracking_number in wanted]

    def shipment(self, shipment_id: str) -> ShipmentRef | None:
        return next((ref for ref in self._refs() if ref.shipment_id == shipment_id), None)

    def get(self, shipment_id: str, *, for_update: bool = False) -> ShipmentTracking | None:
        found = self._s.tables.tracking.get(shipment_id)
        return copy.copy(found) if found else None

    def add(self, tracking: ShipmentTracking) -> None:
        tables = self._s.tables
        if tracking.shipment_id in tables.tracking:
            raise self._s.fail(DuplicateKey(f"tracking of {tracking.shipment_id}"))
        tables.tracking[tracking.shipment_id] = copy.copy(tracking)

    def save(self, tracking: ShipmentTracking) -> None:
        tables = self._s.tables
        if tracking.shipment_id in tables.tracking:
            tables.tracking[tracking.shipment_id] = copy.copy(tracking)

    def seen(self, shipment_id: str, key: str) -> bool:
        return any(r.shipment_id == shipment_id and r.event.key == key for r in self._s.tables.tracking_events)

    def record(self, shipment_id: str, event: TrackingEvent, *, changed: bool, received_at: datetime) -> None:
        tables = self._s.tables
        if self.seen(shipment_id, event.key):
            raise self._s.fail(DuplicateKey(f"event {event.key} of {shipment_id}"))
        recorded = RecordedEvent(tables.next_id("tracking_events"), shipment_id, event, changed, received_at)
        tables.tracking_events.append(recorded)

    def history(self, shipment_id: str) -> list[RecordedEvent]:
        mine = [r for r in self._s.tables.tracking_events if r.shipment_id == shipment_id]
        return sorted(mine, key=lambda r: (r.event.event_time, r.id))

    def for_fulfillment_order(self, fo_id: str) -> list[ShipmentTracking]:
        found = [t for t in self._s.tables.tracking.values() if t.fulfillment_order_id == fo_id]
        return [copy.copy(t) for t in sorted(found, key=lambda t: t.shipment_id)]

    def page(self, *, status: str | None, after: str | None, limit: int) -> Page:
        key = decode_cursor(after)
        rows = [
            copy.copy(t)
            for sid, t in sorted(self._s.tables.tracking.items(), reverse=True)
            if (status is None or t.status == status) and (key is None or sid < key)
        ]
        return Page(*keyset_page(rows, limit, lambda tracking: tracking.shipment_id))
