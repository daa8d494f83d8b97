"""The outbox, the audit log, idempotency keys and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, func, insert, literal, literal_column, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnClause

from ordermesh.adapters.db.paging import decode_cursor, encode_cursor, int_key, keyset_page
from ordermesh.adapters.db.pg_bulk import AppendBuffer
from ordermesh.adapters.db.tables import api_keys, audit_log, idempotency_keys, outbox, relay_positions
from ordermesh.domain.access import Principal, Role
from ordermesh.domain.events import Event
from ordermesh.services.ports import ApiKeyRecord, DuplicateKey, IdFactory, Page, RelayClaim, StoredEvent

# PostgreSQL hands out transaction ids in start order, not commit order. Serving only events of
# transactions older than every one still running (the snapshot's xmin) keeps a cursor from ever
# skipping an event that commits late.
_PG_TXID: ColumnClause[int] = literal_column("pg_current_xact_id()::text::bigint")
_PG_HORIZON: ColumnClause[int] = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")

_INSERT_EVENTS = insert(outbox)
_INSERT_EVENTS_PG = insert(outbox).values(txid=_PG_TXID)
_INSERT_AUDIT = insert(audit_log)


class SqlOutbox:
    def __init__(self, conn: Connection, *, ids: IdFactory, source: str, buffer: AppendBuffer | None = None) -> None:
        self.conn = conn
        self.ids = ids
        self.source = source
        self.buffer = buffer
        self.postgres = conn.dialect.name == "postgresql"

    def add(self, events: Sequence[Event], now: datetime) -> None:
        if not events:
            return
        rows = [
            {
                "event_id": self.ids("evt"),
                "type": e.type,
                "source": self.source,
                "subject": e.subject,
                "time": now,
                "data": dict(e.data),
            }
            for e in events
        ]
        if self.buffer is not None:
            self.buffer.events.extend(rows)
        else:
            self.conn.execute(_INSERT_EVENTS_PG if self.postgres else _INSERT_EVENTS, rows)

    def feed(self, *, after: str | None, limit: int) -> Page:
        if self.buffer is not None:
            self.buffer.flush()
        txid, last_id = _parse_position(decode_cursor(after))
        query = select(outbox).order_by(outbox.c.txid, outbox.c.id).limit(limit)
        # A row-value comparison lets both databases walk the (txid, id) index from the cursor on.
        query = query.where(
            tuple_(outbox.c.txid, outbox.c.id) > tuple_(literal(txid, BigInteger), literal(last_id, BigInteger))
        )
        if self.postgres:
            query = query.where(outbox.c.txid < _PG_HORIZON)
        rows = list(self.conn.execute(query))
        events = [_stored(r._mapping) for r in rows]
        cursor = events[-1].cursor if events else after
        return Page(events, cursor)


def _parse_position(key: str | None) -> tuple[int, int]:
    if key is None:
        return 0, 0
    txid, _, last_id = key.partition(":")
    return int_key(txid), int_key(last_id)


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(
        row["event_id"],
        encode_cursor(f"{row['txid']}:{row['id']}"),
        row["type"],
        row["source"],
        row["subject"],
        row["time"],
        dict(row["data"]),
    )


class SqlRelayPositions:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def claim(self, name: str, now: datetime) -> RelayClaim | None:
        query = select(relay_positions.c.cursor).where(relay_positions.c.name == name)
        if self.postgres:
            query = query.with_for_update(skip_locked=True)
        row = self.conn.execute(query).first()
        if row is not None:
            return RelayClaim(name, row.cursor)
        if self.conn.execute(select(relay_positions.c.name).where(relay_positions.c.name == name)).first():
            return None  # the row exists and another process holds it
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(relay_positions).values(name=name, cursor=None, updated_at=now))
        except IntegrityError:
            return None  # another process created it first and holds it now
        return RelayClaim(name, None)

    def advance(self, claim: RelayClaim, cursor: str | None, now: datetime) -> None:
        self.conn.execute(
            update(relay_positions).where(relay_positions.c.name == claim.name).values(cursor=cursor, updated_at=now)
        )

    def position(self, name: str) -> str | None:
        return self.conn.execute(
            select(relay_positions.c.cursor).where(relay_positions.c.name == name)
        ).scalar()

    def advance_from(self, name: str, expected: str | None, cursor: str | None, now: datetime) -> bool:
        moved = self.conn.execute(
            update(relay_positions)
            .where(relay_positions.c.name == name, relay_positions.c.cursor.is_not_distinct_from(expected))
            .values(cursor=cursor, updated_at=now)
        )
        if moved.rowcount:
            return True
        if expected is not None or self.position(name) is not None:
            return False
        try:  # the first move of a relay that has no row yet
            with self.conn.begin_nested():
                self.conn.execute(insert(relay_positions).values(name=name, cursor=cursor, updated_at=now))
        except IntegrityError:
            return False
        return True


class SqlAuditLog:
    def __init__(self, conn: Connection, buffer: AppendBuffer | None = None) -> None:
        self.conn = conn
        self.buffer = buffer

    def record(
        self, *, actor: Principal, action: str, entity: str, entity_id: str, before: Any, after: Any, at: datetime
    ) -> None:
        row = {
            "at": at,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "before": before,
            "after": after,
        }
        if self.buffer is not None:
            self.buffer.audit.append(row)
        else:
            self.conn.execute(_INSERT_AUDIT, row)

    def page(self, *, entity: str | None, entity_id: str | None, after: str | None, limit: int) -> Page:
        if self.buffer is not None:
            self.buffer.flush()
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit + 1)
        if entity is not None:
            query = query.where(audit_log.c.entity == entity)
        if entity_id is not None:
            query = query.where(audit_log.c.entity_id == entity_id)
        key = decode_cursor(after)
        if key is not None:
            query = query.where(audit_log.c.id < int_key(key))
        rows = [dict(r._mapping) for r in self.conn.execute(query)]
        return Page(*keyset_page(rows, limit, lambda row: str(row["id"])))


class SqlIdempotencyKeys:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def claim(self, *, key: str, scope: str, fingerprint: str, resource_id: str, now: datetime) -> None:
        try:
            self.conn.execute(
                insert(idempotency_keys).values(
                    scope=scope, key=key, fingerprint=fingerprint, resource_id=resource_id, created_at=now
                )
            )
        except IntegrityError as exc:
            raise DuplicateKey(key) from exc

    def get(self, *, key: str, scope: str) -> tuple[str, str] | None:
        row = self.conn.execute(
            select(idempotency_keys.c.fingerprint, idempotency_keys.c.resource_id).where(
                idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
            )
        ).first()
        return (row.fingerprint, row.resource_id) if row else None


class SqlApiKeys:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, record: ApiKeyRecord) -> None:
        try:
            self.conn.execute(
                insert(api_keys).values(
                    id=record.id,
                    name=record.name,
                    role=record.role.value,
                    key_hash=record.key_hash,
                    created_at=record.created_at,
                    revoked_at=record.revoked_at,
                )
            )
        except IntegrityError as exc:
            raise DuplicateKey(record.id) from exc

    def by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        row = self.conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
        if row is None:
            return None
        return ApiKeyRecord(row.id, row.name, Role(row.role), row.key_hash, row.created_at, row.revoked_at)

    def count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(api_keys)) or 0)
