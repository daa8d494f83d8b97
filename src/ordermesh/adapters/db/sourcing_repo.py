"""Sourcing rule sets, stored sourcing decisions and the daily capacity ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ordermesh.adapters.db.paging import decode_cursor, keyset_page
from ordermesh.adapters.db.pg_bulk import AppendBuffer
from ordermesh.adapters.db.tables import (
    location_capacity,
    sourcing_decisions,
    sourcing_rule_set_activations,
    sourcing_rule_sets,
)
from ordermesh.services.ports import Decision, DuplicateKey, Page, RuleSetActivation, RuleSetRecord


class SqlRuleSets:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, record: RuleSetRecord) -> None:
        try:
            self.conn.execute(insert(sourcing_rule_sets).values(**_values(record)))
        except IntegrityError as exc:
            raise DuplicateKey(f"{record.name} v{record.version}") from exc

    def get(self, rule_set_id: str, *, for_update: bool = False) -> RuleSetRecord | None:
        query = select(sourcing_rule_sets).where(sourcing_rule_sets.c.id == rule_set_id)
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _record(row._mapping) if row else None

    def active(self, *, for_update: bool = False) -> RuleSetRecord | None:
        query = select(sourcing_rule_sets).where(sourcing_rule_sets.c.status == "active")
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _record(row._mapping) if row else None

    def last_version(self, name: str) -> int:
        query = select(func.max(sourcing_rule_sets.c.version)).where(sourcing_rule_sets.c.name == name)
        return int(self.conn.scalar(query) or 0)

    def save(self, record: RuleSetRecord) -> None:
        try:
            self.conn.execute(
                update(sourcing_rule_sets).where(sourcing_rule_sets.c.id == record.id).values(**_values(record))
            )
        except IntegrityError as exc:  # the one-active index: another transaction activated a version first
            raise DuplicateKey(f"active rule set ({record.name} v{record.version})") from exc

    def add_activation(self, rule_set_id: str, at: datetime) -> None:
        self.conn.execute(insert(sourcing_rule_set_activations).values(rule_set_id=rule_set_id, activated_at=at))

    def standing_activations(self, *, limit: int) -> list[RuleSetActivation]:
        t = sourcing_rule_set_activations
        query = select(t).where(t.c.rolled_back_at.is_(None)).order_by(t.c.id.desc()).limit(limit)
        return [
            RuleSetActivation(r.id, r.rule_set_id, r.activated_at, r.rolled_back_at) for r in self.conn.execute(query)
        ]

    def roll_back_activation(self, activation_id: int, at: datetime) -> None:
        t = sourcing_rule_set_activations
        self.conn.execute(update(t).where(t.c.id == activation_id).values(rolled_back_at=at))

    def page(self, *, name: str | None, status: str | None, after: str | None, limit: int) -> Page:
        query = select(sourcing_rule_sets).order_by(sourcing_rule_sets.c.id.desc()).limit(limit + 1)
        if name is not None:
            query = query.where(sourcing_rule_sets.c.name == name)
        if status is not None:
            query = query.where(sourcing_rule_sets.c.status == status)
        key = decode_cursor(after)
        if key is not None:
            query = query.where(sourcing_rule_sets.c.id < key)
        rows = [_record(r._mapping) for r in self.conn.execute(query)]
        return Page(*keyset_page(rows, limit, lambda record: record.id))


def _values(record: RuleSetRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "version": record.version,
        "status": record.status,
        "document": record.document,
        "note": record.note,
        "created_at": record.created_at,
        "created_by": record.created_by,
        "activated_at": record.activated_at,
        "archived_at": record.archived_at,
    }


def _record(row: Any) -> RuleSetRecord:
    return RuleSetRecord(
        id=row["id"],
        name=row["name"],
        version=row["version"],
        status=row["status"],
        document=dict(row["document"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        note=row["note"],
        activated_at=row["activated_at"],
        archived_at=row["archived_at"],
    )


class SqlDecisions:
    def __init__(self, conn: Connection, buffer: AppendBuffer | None = None) -> None:
        self.conn = conn
        self.buffer = buffer

    def add(self, decision: Decision) -> None:
        row = {
            "order_id": decision.order_id,
            "trigger": decision.trigger,
            "rule_set_id": decision.rule_set_id,
            "decided_at": decision.decided_at,
            "explanation": decision.explanation,
        }
        if self.buffer is not None:
            self.buffer.decisions.append(row)
        else:
            self.conn.execute(insert(sourcing_decisions), [row])

    def for_order(self, order_id: str, *, limit: int) -> list[Decision]:
        if self.buffer is not None:
            self.buffer.flush()
        query = (
            select(sourcing_decisions)
            .where(sourcing_decisions.c.order_id == order_id)
            .order_by(sourcing_decisions.c.id.desc())
            .limit(limit)
        )
        return [
            Decision(r.order_id, r.trigger, r.rule_set_id, r.decided_at, dict(r.explanation))
            for r in self.conn.execute(query)
        ]


class SqlCapacity:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert

    def used(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
        if not keys:
            return {}
        t = location_capacity
        query = select(t.c.location_code, t.c.day, t.c.orders, t.c.units).where(
            tuple_(t.c.location_code, t.c.day).in_(sorted(set(keys)))
        )
        return {(r.location_code, r.day): (r.orders, r.units) for r in self.conn.execute(query)}

    def consume(self, location: str, day: str, orders: int, units: int, limits: tuple[int | None, int | None]) -> bool:
        max_orders, max_units = limits
        if (max_orders is not None and orders > max_orders) or (max_units is not None and units > max_units):
            return False
        t = location_capacity
        upsert = self._insert(t).values(location_code=location, day=day, orders=orders, units=units)
        within = []
        if max_orders is not None:
            within.append(t.c.orders + orders <= max_orders)
        if max_units is not None:
            within.append(t.c.units + units <= max_units)
        statement = upsert.on_conflict_do_update(
            index_elements=[t.c.location_code, t.c.day],
            set_={"orders": t.c.orders + orders, "units": t.c.units + units},
            where=and_(*within) if within else None,
        ).returning(t.c.orders)
        return self.conn.execute(statement).first() is not None

    def release(self, location: str, day: str, orders: int, units: int) -> None:
        t = location_capacity
        self.conn.execute(
            update(t)
            .where(t.c.location_code == location, t.c.day == day, or_(t.c.orders > 0, t.c.units > 0))
            .values(
                orders=func.max(t.c.orders - orders, 0)
                if self.conn.dialect.name == "sqlite"
                else func.greatest(t.c.orders - orders, 0),
                units=func.max(t.c.units - units, 0)
                if self.conn.dialect.name == "sqlite"
                else func.greatest(t.c.units - units, 0),
            )
        )
