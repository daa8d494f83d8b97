"""Outbound webhooks: subscriptions and the delivery queue the dispatcher works through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ordermesh.adapters.db.paging import page_by_text_key, page_newest_first
from ordermesh.adapters.db.tables import webhook_deliveries, webhook_subscriptions
from ordermesh.domain.outbound_webhooks import WAITING, DeliveryStatus
from ordermesh.services.ports import DuplicateKey, Page, StoredEvent
from ordermesh.services.webhook_ports import DeliveryAttempt, OutboundDelivery, Subscription

_subs = webhook_subscriptions
_dlv = webhook_deliveries
_WAITING = [status.value for status in WAITING]


class SqlWebhookSubscriptions:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, record: Subscription) -> None:
        try:
            self.conn.execute(insert(_subs).values(**_subscription_row(record)))
        except IntegrityError as exc:
            raise DuplicateKey(record.id) from exc

    def get(self, subscription_id: str) -> Subscription | None:
        row = self.conn.execute(select(_subs).where(_subs.c.id == subscription_id)).first()
        return _subscription(row._mapping) if row else None

    def save(self, record: Subscription) -> None:
        values = _subscription_row(record)
        del values["id"], values["created_at"]
        self.conn.execute(update(_subs).where(_subs.c.id == record.id).values(**values))

    def delete(self, subscription_id: str) -> None:
        self.conn.execute(delete(_dlv).where(_dlv.c.subscription_id == subscription_id))
        self.conn.execute(delete(_subs).where(_subs.c.id == subscription_id))

    def active(self) -> list[Subscription]:
        rows = self.conn.execute(select(_subs).where(_subs.c.active.is_(True)).order_by(_subs.c.id))
        return [_subscription(r._mapping) for r in rows]

    def page(self, *, after: str | None, limit: int) -> Page:
        return Page(*page_by_text_key(self.conn, _subs, _subs.c.id, after=after, limit=limit, read=_subscription))


def _subscription_row(record: Subscription) -> dict[str, Any]:
    return {
        "id": record.id,
        "url": record.url,
        "event_types": list(record.event_types),
        "secret": record.secret,
        "active": record.active,
        "description": record.description,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def _subscription(row: Any) -> Subscription:
    return Subscription(
        row["id"],
        row["url"],
        tuple(row["event_types"]),
        row["secret"],
        bool(row["active"]),
        row["description"],
        row["created_at"],
        row["updated_at"],
    )


class SqlOutboundDeliveries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def add(self, subscription_id: str, events: Sequence[StoredEvent], now: datetime) -> None:
        if not events:
            return
        rows = [
            {
                "subscription_id": subscription_id,
                "event_id": e.id,
                "event_cursor": e.cursor,
                "event_type": e.type,
                "event_source": e.source,
                "subject": e.subject,
                "event_time": e.time,
                "data": e.data,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "log": [],
                "created_at": now,
            }
            for e in events
        ]
        self.conn.execute(insert(_dlv), rows)

    def due(self, now: datetime, *, limit: int, exclude: Sequence[str] = ()) -> list[OutboundDelivery]:
        earlier = _dlv.alias("earlier")
        blocked = exists().where(
            earlier.c.subscription_id == _dlv.c.subscription_id,
            earlier.c.subject == _dlv.c.subject,
            earlier.c.status.in_(_WAITING),
            earlier.c.id < _dlv.c.id,
        )
        query = (
            select(_dlv)
            .join(_subs, and_(_subs.c.id == _dlv.c.subscription_id, _subs.c.active.is_(True)))
            .where(
                _dlv.c.status.in_(_WAITING),
                _dlv.c.next_attempt_at <= now,
                or_(_dlv.c.leased_until.is_(None), _dlv.c.leased_until <= now),
                ~blocked,
            )
            .order_by(_dlv.c.id)
            .limit(limit)
        )
        if exclude:
            query = query.where(_dlv.c.subscription_id.not_in(list(exclude)))
        if self.postgres:
            query = query.with_for_update(of=_dlv, skip_locked=True)
        return [_delivery(r._mapping) for r in self.conn.execute(query)]

    def lease(self, delivery_ids: Sequence[int], until: datetime) -> None:
        if delivery_ids:
            self.conn.execute(update(_dlv).where(_dlv.c.id.in_(list(delivery_ids))).values(leased_until=until))

    def get(self, delivery_id: int) -> OutboundDelivery | None:
        row = self.conn.execute(select(_dlv).where(_dlv.c.id == delivery_id)).first()
        return _delivery(row._mapping) if row else None

    def save(self, delivery: OutboundDelivery) -> None:
        self.conn.execute(
            update(_dlv)
            .where(_dlv.c.id == delivery.id)
            .values(
                status=delivery.status,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                leased_until=delivery.leased_until,
                last_attempt_at=delivery.last_attempt_at,
                last_status_code=delivery.last_status_code,
                last_error=delivery.last_error,
                delivered_at=delivery.delivered_at,
                log=[_attempt_json(a) for a in delivery.log],
            )
        )

    def events(
        self, subscription_id: str, *, event_id: str | None, start: datetime | None, end: datetime | None, limit: int
    ) -> list[StoredEvent]:
        first_id = func.min(_dlv.c.id)
        query = (
            select(first_id)
            .where(_dlv.c.subscription_id == subscription_id)
            .group_by(_dlv.c.event_id)
            .order_by(first_id)
            .limit(limit)
        )
        if event_id is not None:
            query = query.where(_dlv.c.event_id == event_id)
        if start is not None:
            query = query.where(_dlv.c.event_time >= start)
        if end is not None:
            query = query.where(_dlv.c.event_time < end)
        ids = list(self.conn.scalars(query))
        if not ids:
            return []
        rows = self.conn.execute(select(_dlv).where(_dlv.c.id.in_(ids)).order_by(_dlv.c.id))
        return [_event(r._mapping) for r in rows]

    def page(self, subscription_id: str, *, status: str | None, after: str | None, limit: int) -> Page:
        where = [_dlv.c.subscription_id == subscription_id]
        if status is not None:
            where.append(_dlv.c.status == status)
        return Page(*page_newest_first(self.conn, _dlv, *where, after=after, limit=limit, read=_delivery))


def _event(row: Any) -> StoredEvent:
    return StoredEvent(
        row["event_id"],
        row["event_cursor"],
        row["event_type"],
        row["event_source"],
        row["subject"],
        row["event_time"],
        dict(row["data"]),
    )


def _delivery(row: Any) -> OutboundDelivery:
    return OutboundDelivery(
        id=row["id"],
        subscription_id=row["subscription_id"],
        event=_event(row),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        last_attempt_at=row["last_attempt_at"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        delivered_at=row["delivered_at"],
        leased_until=row["leased_until"],
        log=tuple(_attempt(a) for a in row["log"]),
    )


def _attempt_json(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "at": attempt.at.isoformat(),
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
    }


def _attempt(value: dict[str, Any]) -> DeliveryAttempt:
    return DeliveryAttempt(
        datetime.fromisoformat(value["at"]), value["status_code"], value["error"], int(value["duration_ms"])
    )
