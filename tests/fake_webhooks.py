"""In-memory webhook subscriptions and delivery queue, for the fake unit of work in tests/fakes.py.

Kept apart from fakes.py only for size; they follow its rules (working copies, fresh rows, JSON round trips).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from ordermesh.adapters.db.paging import decode_cursor, int_key, keyset_page
from ordermesh.domain.outbound_webhooks import WAITING, DeliveryStatus
from ordermesh.services.ports import DuplicateKey, Page, StoredEvent
from ordermesh.services.webhook_ports import OutboundDelivery, Subscription


class _Tables(Protocol):
    subscriptions: dict[str, Subscription]
    deliveries: list[OutboundDelivery]

    def next_id(self, table: str) -> int: ...


class _Session(Protocol):
    @property
    def tables(self) -> _Tables: ...

    def fail(self, error: Exception) -> Exception: ...


class FakeWebhookSubscriptions:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, record: Subscription) -> None:
        if record.id in self._s.tables.subscriptions:
            raise self._s.fail(DuplicateKey(record.id))
        self._s.tables.subscriptions[record.id] = record

    def get(self, subscription_id: str) -> Subscription | None:
        return self._s.tables.subscriptions.get(subscription_id)

    def save(self, record: Subscription) -> None:
        stored = self._s.tables.subscriptions.get(record.id)
        if stored is not None:
            self._s.tables.subscriptions[record.id] = replace(record, created_at=stored.created_at)

    def delete(self, subscription_id: str) -> None:
        tables = self._s.tables
        tables.subscriptions.pop(subscription_id, None)
        tables.deliveries[:] = [d for d in tables.deliveries if d.subscription_id != subscription_id]

    def active(self) -> list[Subscription]:
        return [s for _, s in sorted(self._s.tables.subscriptions.items()) if s.active]

    def page(self, *, after: str | None, limit: int) -> Page:
        key = decode_cursor(after)
        rows = [s for name, s in sorted(self._s.tables.subscriptions.items()) if key is None or name > key]
        return Page(*keyset_page(rows, limit, lambda row: str(row.id)))


class FakeOutboundDeliveries:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, subscription_id: str, events: Sequence[StoredEvent], now: datetime) -> None:
        tables = self._s.tables
        for event in events:
            stored = replace(event, data=json.loads(json.dumps(event.data)))
            tables.deliveries.append(
                OutboundDelivery(
                    tables.next_id("deliveries"), subscription_id, stored, DeliveryStatus.PENDING.value, 0, now, now
                )
            )

    def due(self, now: datetime, *, limit: int, exclude: Sequence[str] = ()) -> list[OutboundDelivery]:
        subscriptions = self._s.tables.subscriptions
        heads: dict[tuple[str, str], OutboundDelivery] = {}
        for delivery in self._s.tables.deliveries:  # in id order
            if delivery.status in WAITING:
                heads.setdefault((delivery.subscription_id, delivery.event.subject), delivery)
        due = [
            d
            for d in heads.values()
            if d.next_attempt_at <= now
            and (d.leased_until is None or d.leased_until <= now)
            and d.subscription_id in subscriptions
            and d.subscription_id not in exclude
            and subscriptions[d.subscription_id].active
        ]
        return sorted(due, key=lambda d: d.id)[:limit]

    def lease(self, delivery_ids: Sequence[int], until: datetime) -> None:
        wanted = set(delivery_ids)
        self._s.tables.deliveries[:] = [
            replace(d, leased_until=until) if d.id in wanted else d for d in self._s.tables.deliveries
        ]

    def get(self, delivery_id: int) -> OutboundDelivery | None:
        return next((d for d in self._s.tables.deliveries if d.id == delivery_id), None)

    def save(self, delivery: OutboundDelivery) -> None:
        self._s.tables.deliveries[:] = [
            replace(delivery, event=d.event, subscription_id=d.subscription_id, created_at=d.created_at)
            if d.id == delivery.id
            else d
            for d in self._s.tables.deliveries
        ]

    def events(
        self, subscription_id: str, *, event_id: str | None, start: datetime | None, end: datetime | None, limit: int
    ) -> list[StoredEvent]:
        found: dict[str, StoredEvent] = {}
        for d in self._s.tables.deliveries:
            e = d.event
            if d.subscription_id != subscription_id or e.id in found:
                continue
            if (
                (event_id is None or e.id == event_id)
                and (start is None or e.time >= start)
                and (end is None or e.time < end)
            ):
                found[e.id] = e
        return list(found.values())[:limit]

    def page(self, subscription_id: str, *, status: str | None, after: str | None, limit: int) -> Page:
        key = decode_cursor(after)
        last = None if key is None else int_key(key)
        rows = [
            d
            for d in reversed(self._s.tables.deliveries)
            if d.subscription_id == subscription_id
            and (status is None or d.status == status)
            and (last is None or d.id < last)
        ]
        return Page(*keyset_page(rows, limit, lambda row: str(row.id)))
