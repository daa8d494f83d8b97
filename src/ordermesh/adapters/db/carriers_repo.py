"""Rate-card versions and shipment tracking (status per shipment, every carrier event once)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from ordermesh.adapters.db.paging import decode_cursor, int_key, keyset_page
from ordermesh.adapters.db.tables import (
    carrier_rate_cards,
    fulfillment_orders,
    shipment_tracking,
    shipments,
    tracking_events,
)
from ordermesh.domain.carriers import ShipmentTracking, TrackingEvent, TrackingStatus
from ordermesh.services.carrier_ports import RateCardVersion, RecordedEvent, ShipmentRef
from ordermesh.services.ports import DuplicateKey, Page


class SqlRateCards:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, record: RateCardVersion) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(carrier_rate_cards).values(
                        version=record.version,
                        document=record.document,
                        note=record.note,
                        created_at=record.created_at,
                        created_by=record.created_by,
                    )
                )
        except IntegrityError as exc:
            raise DuplicateKey(f"rate cards v{record.version}") from exc

    def latest(self) -> RateCardVersion | None:
        query = select(carrier_rate_cards).order_by(carrier_rate_cards.c.version.desc()).limit(1)
        row = self.conn.execute(query).first()
        return _version(row._mapping) if row else None

    def get(self, version: int) -> RateCardVersion | None:
        row = self.conn.execute(select(carrier_rate_cards).where(carrier_rate_cards.c.version == version)).first()
        return _version(row._mapping) if row else None

    def page(self, *, after: str | None, limit: int) -> Page:
        t = carrier_rate_cards
        query = select(t).order_by(t.c.version.desc()).limit(limit + 1)
        key = decode_cursor(after)
        if key is not None:
            query = query.where(t.c.version < int_key(key))
        rows = [_version(r._mapping) for r in self.conn.execute(query)]
        return Page(*keyset_page(rows, limit, lambda record: str(record.version)))


def _version(row: Any) -> RateCardVersion:
    return RateCardVersion(row["version"], dict(row["document"]), row["created_at"], row["created_by"], row["note"])


_REFS = select(
    shipments.c.id,
    shipments.c.fulfillment_order_id,
    fulfillment_orders.c.order_id,
    shipments.c.carrier,
    shipments.c.tracking_number,
).join(fulfillment_orders, fulfillment_orders.c.id == shipments.c.fulfillment_order_id)


class SqlShipmentTracking:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def shipments(self, tracking_numbers: Sequence[str]) -> list[ShipmentRef]:
        if not tracking_numbers:
            return []
        query = _REFS.where(shipments.c.tracking_number.in_(sorted(set(tracking_numbers)))).order_by(shipments.c.id)
        return [ShipmentRef(*row) for row in self.conn.execute(query)]

    def shipment(self, shipment_id: str) -> ShipmentRef | None:
        row = self.conn.execute(_REFS.where(shipments.c.id == shipment_id)).first()
        return ShipmentRef(*row) if row else None

    def get(self, shipment_id: str, *, for_update: bool = False) -> ShipmentTracking | None:
        query = select(shipment_tracking).where(shipment_tracking.c.shipment_id == shipment_id)
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _tracking(row._mapping) if row else None

    def add(self, tracking: ShipmentTracking) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(shipment_tracking).values(**_tracking_values(tracking)))
        except IntegrityError as exc:
            raise DuplicateKey(f"tracking of {tracking.shipment_id}") from exc

    def save(self, tracking: ShipmentTracking) -> None:
        t = shipment_tracking
        self.conn.execute(update(t).where(t.c.shipment_id == tracking.shipment_id).values(**_tracking_values(tracking)))

    def seen(self, shipment_id: str, key: str) -> bool:
        t = tracking_events
        query = select(t.c.id).where(t.c.shipment_id == shipment_id, t.c.event_key == key)
        return self.conn.execute(query).first() is not None

    def record(self, shipment_id: str, event: TrackingEvent, *, changed: bool, received_at: datetime) -> None:
        row = {
            "shipment_id": shipment_id,
            "event_key": event.key,
            "status": event.status.value if event.status else None,
            "carrier_status": event.carrier_status,
            "event_time": event.event_time,
            "location": event.location,
            "description": event.description,
            "reason": event.reason,
            "changed": changed,
            "received_at": received_at,
        }
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(tracking_events).values(**row))
        except IntegrityError as exc:
            raise DuplicateKey(f"event {event.key} of {shipment_id}") from exc

    def history(self, shipment_id: str) -> list[RecordedEvent]:
        t = tracking_events
        query = select(t).where(t.c.shipment_id == shipment_id).order_by(t.c.event_time, t.c.id)
        return [_recorded(r._mapping) for r in self.conn.execute(query)]

    def for_fulfillment_order(self, fo_id: str) -> list[ShipmentTracking]:
        t = shipment_tracking
        query = select(t).where(t.c.fulfillment_order_id == fo_id).order_by(t.c.shipment_id)
        return [_tracking(r._mapping) for r in self.conn.execute(query)]

    def page(self, *, status: str | None, after: str | None, limit: int) -> Page:
        t = shipment_tracking
        query = select(t).order_by(t.c.shipment_id.desc()).limit(limit + 1)
        if status is not None:
            query = query.where(t.c.status == status)
        key = decode_cursor(after)
        if key is not None:
            query = query.where(t.c.shipment_id < key)
        rows = [_tracking(r._mapping) for r in self.conn.execute(query)]
        return Page(*keyset_page(rows, limit, lambda tracking: tracking.shipment_id))


def _tracking_values(tracking: ShipmentTracking) -> dict[str, Any]:
    return {
        "shipment_id": tracking.shipment_id,
        "fulfillment_order_id": tracking.fulfillment_order_id,
        "order_id": tracking.order_id,
        "carrier": tracking.carrier,
        "tracking_number": tracking.tracking_number,
        "status": tracking.status.value,
        "status_at": tracking.status_at,
        "reached": tracking.reached.value,
        "last_event_at": tracking.last_event_at,
        "location": tracking.location,
        "description": tracking.description,
        "carrier_status": tracking.carrier_status,
        "exception_reason": tracking.exception_reason,
        "updated_at": tracking.updated_at,
    }


def _tracking(row: Any) -> ShipmentTracking:
    return ShipmentTracking(
        shipment_id=row["shipment_id"],
        fulfillment_order_id=row["fulfillment_order_id"],
        order_id=row["order_id"],
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        status=TrackingStatus(row["status"]),
        updated_at=row["updated_at"],
        status_at=row["status_at"],
        reached=TrackingStatus(row["reached"]),
        last_event_at=row["last_event_at"],
        location=row["location"],
        description=row["description"],
        carrier_status=row["carrier_status"],
        exception_reason=row["exception_reason"],
    )


def _recorded(row: Any) -> RecordedEvent:
    event = TrackingEvent(
        key=row["event_key"],
        status=TrackingStatus(row["status"]) if row["status"] else None,
        carrier_status=row["carrier_status"],
        event_time=row["event_time"],
        location=row["location"],
        description=row["description"],
        reason=row["reason"],
    )
    return RecordedEvent(row["id"], row["shipment_id"], event, row["changed"], row["received_at"])
