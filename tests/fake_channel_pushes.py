"""The in-memory channel push queue, for the fake unit of work in tests/fakes.py (same rules as its tables)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from ordermesh.adapters.db.paging import decode_cursor, int_key, keyset_page
from ordermesh.domain.channel_status import WAITING
from ordermesh.services.channel_ports import ChannelPush
from ordermesh.services.ports import Page


class _Tables(Protocol):
    channel_pushes: list[ChannelPush]

    def next_id(self, table: str) -> int: ...


class _Session(Protocol):
    @property
    def tables(self) -> _Tables: ...


class FakeChannelPushes:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, pushes: Sequence[ChannelPush]) -> None:
        tables = self._s.tables
        for push in pushes:
            stored = replace(push, id=tables.next_id("channel_pushes"), update=json.loads(json.dumps(push.update)))
            tables.channel_pushes.append(stored)

    def due(self, now: datetime, *, limit: int) -> list[ChannelPush]:
        heads: dict[tuple[str, str], ChannelPush] = {}
        for push in self._s.tables.channel_pushes:  # in id order
            if push.status in WAITING:
                heads.setdefault((push.channel, push.order_id), push)
        due = [
            p for p in heads.values() if p.next_attempt_at <= now and (p.leased_until is None or p.leased_until <= now)
        ]
        return sorted(due, key=lambda p: p.id)[:limit]

    def lease(self, push_ids: Sequence[int], until: datetime) -> None:
        wanted = set(push_ids)
        pushes = self._s.tables.channel_pushes
        pushes[:] = [replace(p, leased_until=until) if p.id in wanted else p for p in pushes]

    def get(self, push_id: int) -> ChannelPush | None:
        return next((p for p in self._s.tables.channel_pushes if p.id == push_id), None)

    def save(self, push: ChannelPush) -> None:
        pushes = self._s.tables.channel_pushes
        pushes[:] = [
            replace(
                push,
                channel=p.channel,
                order_id=p.order_id,
                event_id=p.event_id,
                event_type=p.event_type,
                update=p.update,
                created_at=p.created_at,
            )
            if p.id == push.id
            else p
            for p in pushes
        ]

    def page(self, channel: str, *, status: str | None, after: str | None, limit: int) -> Page:
        key = decode_cursor(after)
        last = None if key is None else int_key(key)
        rows = [
            p
            for p in reversed(self._s.tables.channel_pushes)
            if p.channel == channel and (status is None or p.status == status) and (last is None or p.id < last)
        ]
        return Page(*keyset_page(rows, limit, lambda push: str(push.id)))
