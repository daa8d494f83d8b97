"""The queue of status pushes to sales channels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, exists, insert, or_, select, update

from ordermesh.adapters.db.paging import page_newest_first
from ordermesh.adapters.db.tables import channel_pushes
from ordermesh.domain.channel_status import WAITING
from ordermesh.services.channel_ports import ChannelPush
from ordermesh.services.ports import Page

_push = channel_pushes
_WAITING = [status.value for status in WAITING]
_SAVED = (
    "status",
    "attempts",
    "next_attempt_at",
    "leased_until",
    "last_attempt_at",
    "last_error",
    "reference",
    "done_at",
)


class SqlChannelPushes:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def add(self, pushes: Sequence[ChannelPush]) -> None:
        if pushes:
            self.conn.execute(insert(_push), [_row(push) for push in pushes])

    def due(self, now: datetime, *, limit: int) -> list[ChannelPush]:
        earlier = _push.alias("earlier")
        blocked = exists().where(
            earlier.c.channel == _push.c.channel,
            earlier.c.order_id == _push.c.order_id,
            earlier.c.status.in_(_WAITING),
            earlier.c.id < _push.c.id,
        )
        query = (
            select(_push)
            .where(
                _push.c.status.in_(_WAITING),
                _push.c.next_attempt_at <= now,
                or_(_push.c.leased_until.is_(None), _push.c.leased_until <= now),
                ~blocked,
            )
            .order_by(_push.c.id)
            .limit(limit)
        )
        if self.postgres:
            query = query.with_for_update(of=_push, skip_locked=True)
        return [_channel_push(row._mapping) for row in self.conn.execute(query)]

    def lease(self, push_ids: Sequence[int], until: datetime) -> None:
        if push_ids:
            self.conn.execute(update(_push).where(_push.c.id.in_(list(push_ids))).values(leased_until=until))

    def get(self, push_id: int) -> ChannelPush | None:
        row = self.conn.execute(select(_push).where(_push.c.id == push_id)).first()
        return _channel_push(row._mapping) if row else None

    def save(self, push: ChannelPush) -> None:
        values = {name: getattr(push, name) for name in _SAVED}
        self.conn.execute(update(_push).where(_push.c.id == push.id).values(**values))

    def page(self, channel: str, *, status: str | None, after: str | None, limit: int) -> Page:
        where = [_push.c.channel == channel]
        if status is not None:
            where.append(_push.c.status == status)
        return Page(*page_newest_first(self.conn, _push, *where, after=after, limit=limit, read=_channel_push))


def _row(push: ChannelPush) -> dict[str, Any]:
    return {
        "channel": push.channel,
        "order_id": push.order_id,
        "event_id": push.event_id,
        "event_type": push.event_type,
        "update": push.update,
        "status": push.status,
        "attempts": push.attempts,
        "next_attempt_at": push.next_attempt_at,
        "leased_until": push.leased_until,
        "last_attempt_at": push.last_attempt_at,
        "last_error": push.last_error,
        "reference": push.reference,
        "done_at": push.done_at,
        "created_at": push.created_at,
    }


def _channel_push(row: Any) -> ChannelPush:
    return ChannelPush(
        id=row["id"],
        channel=row["channel"],
        order_id=row["order_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        update=dict(row["update"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        last_attempt_at=row["last_attempt_at"],
        last_error=row["last_error"],
        reference=row["reference"],
        done_at=row["done_at"],
        leased_until=row["leased_until"],
    )
