"""Stock levels with conditional, atomic reservations, and the movement ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, case, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from ordermesh.adapters.db.catalog_repo import location_from_row
from ordermesh.adapters.db.engine import dumps
from ordermesh.adapters.db.errors import is_unique_violation
from ordermesh.adapters.db.paging import decode_cursor, int_key, keyset_page
from ordermesh.adapters.db.pg_bulk import AppendBuffer
from ordermesh.adapters.db.tables import locations, stock, stock_movements
from ordermesh.domain.catalog import Capability, Location
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.inventory import Movement, MovementKind, StockChange, StockLevel
from ordermesh.domain.sourcing import Candidate
from ordermesh.services.ports import Page, RetryableConflict

_AVAILABLE = stock.c.on_hand - stock.c.reserved - stock.c.safety_stock
_CAPABILITY_COLUMN = {
    Capability.SHIP: locations.c.can_ship,
    Capability.PICKUP: locations.c.can_pickup,
    Capability.RETURNS: locations.c.can_return,
}
_ROW = (stock.c.location_code == bindparam("b_location")) & (stock.c.sku == bindparam("b_sku"))

# Statements on the order-capture path are built once: building them per call cost more than running them.
# The WHERE clause is re-checked on the locked row, so two orders can never take the same unit.
_RESERVE = (
    update(stock)
    .where(_ROW, _AVAILABLE >= bindparam("b_quantity"))
    .values(reserved=stock.c.reserved + bindparam("b_quantity"))
)
_RELEASE = update(stock).where(_ROW).values(reserved=stock.c.reserved - bindparam("b_quantity"))
_CONSUME = (
    update(stock)
    .where(_ROW)
    .values(
        on_hand=stock.c.on_hand - bindparam("b_quantity"),
        reserved=stock.c.reserved - bindparam("b_quantity"),
        # The watermark only moves forward, even when a count was stamped ahead of this server's clock.
        as_of=case((stock.c.as_of > bindparam("b_now"), stock.c.as_of), else_=bindparam("b_now")),
        updated_at=bindparam("b_now"),
    )
)
_INSERT_MOVEMENTS = insert(stock_movements)
_RESERVE_ALL = text("SELECT ordermesh_reserve_all(CAST(:wanted AS json))")
_INSERT_STOCK = insert(stock)
_SET_LEVEL = (
    update(stock)
    .where(_ROW)
    .values(
        on_hand=bindparam("b_on_hand"),
        safety_stock=bindparam("b_safety"),
        as_of=bindparam("b_as_of"),
        updated_at=bindparam("b_now"),
    )
)


def _candidates_query(capability: Capability, only: bool) -> Select[Any]:
    query = (
        select(stock.c.location_code, stock.c.sku, _AVAILABLE.label("available"), locations.c.lat, locations.c.lon)
        .join(locations, locations.c.code == stock.c.location_code)
        .where(
            stock.c.sku.in_(bindparam("skus", expanding=True)),
            _AVAILABLE > 0,
            locations.c.active,
            _CAPABILITY_COLUMN[capability],
        )
    )
    return query.where(stock.c.location_code == bindparam("only")) if only else query


_CANDIDATES = {(c, only): _candidates_query(c, only) for c in Capability for only in (False, True)}


class SqlStock:
    def __init__(self, conn: Connection, *, lock_rows: bool, buffer: AppendBuffer | None = None) -> None:
        self.conn = conn
        self.lock_rows = lock_rows
        self.buffer = buffer

    def _row(self, location: str, sku: str, *, for_update: bool = False) -> Any:
        query = select(stock).where(stock.c.location_code == location, stock.c.sku == sku)
        if for_update and self.lock_rows:
            query = query.with_for_update()
        return self.conn.execute(query).first()

    def get(self, location: str, sku: str) -> StockLevel | None:
        row = self._row(location, sku)
        return _level(row._mapping) if row else None

    def set_level(
        self,
        location: str,
        sku: str,
        *,
        on_hand: int,
        safety_stock: int | None,
        as_of: datetime | None,
        now: datetime,
    ) -> StockChange | None:
        row = self._row(location, sku, for_update=True)
        mark = as_of or now
        if row is None:
            level = StockLevel(location, sku, on_hand, 0, safety_stock or 0, mark)
            try:
                self.conn.execute(_INSERT_STOCK, {**_row_values(level), "updated_at": now})
            except IntegrityError as exc:
                if is_unique_violation(exc):  # a concurrent transaction created the row first
                    raise RetryableConflict("stock row created concurrently") from exc
                raise
            return StockChange(None, level)
        before = _level(row._mapping)
        if as_of is not None and before.as_of is not None and as_of < before.as_of:
            return None
        after = StockLevel(
            location,
            sku,
            on_hand,
            before.reserved,
            before.safety_stock if safety_stock is None else safety_stock,
            max(mark, before.as_of) if before.as_of else mark,
        )
        self.conn.execute(
            _SET_LEVEL,
            {
                "b_location": location,
                "b_sku": sku,
                "b_on_hand": on_hand,
                "b_safety": after.safety_stock,
                "b_as_of": after.as_of,
                "b_now": now,
            },
        )
        return StockChange(before, after)

    def adjust(self, location: str, sku: str, delta: int, now: datetime) -> StockChange | None:
        row = self._row(location, sku, for_update=True)
        if row is None:
            if delta < 0:
                return None
            return self.set_level(location, sku, on_hand=delta, safety_stock=None, as_of=None, now=now)
        before = _level(row._mapping)
        if before.on_hand + delta < 0:
            return None
        mark = max(before.as_of, now) if before.as_of else now
        after = replace(before, on_hand=before.on_hand + delta, as_of=mark)
        self.conn.execute(
            _SET_LEVEL,
            {
                "b_location": location,
                "b_sku": sku,
                "b_on_hand": after.on_hand,
                "b_safety": after.safety_stock,
                "b_as_of": mark,
                "b_now": now,
            },
        )
        return StockChange(before, after)

    def try_reserve(self, location: str, sku: str, quantity: int) -> bool:
        result = self.conn.execute(_RESERVE, {"b_location": location, "b_sku": sku, "b_quantity": quantity})
        return result.rowcount == 1

    def reserve_all(self, wanted: Sequence[tuple[str, str, int]]) -> bool:
        rows = sorted(wanted)
        if self.conn.dialect.name == "postgresql" and len(rows) > 1:
            # One round trip: the function takes the same conditional reservations, in this order.
            payload = dumps([{"location_code": loc, "sku": sku, "quantity": qty} for loc, sku, qty in rows])
            return bool(self.conn.scalar(_RESERVE_ALL, {"wanted": payload}))
        taken: list[tuple[str, str, int]] = []
        for location, sku, quantity in rows:
            if not self.try_reserve(location, sku, quantity):
                for row in taken:
                    self.release(*row)
                return False
            taken.append((location, sku, quantity))
        return True

    def release(self, location: str, sku: str, quantity: int) -> None:
        self.conn.execute(_RELEASE, {"b_location": location, "b_sku": sku, "b_quantity": quantity})

    def consume(self, location: str, sku: str, quantity: int, now: datetime) -> None:
        # Shipping lowers both together; the CHECK constraints refuse anything below zero.
        self.conn.execute(_CONSUME, {"b_location": location, "b_sku": sku, "b_quantity": quantity, "b_now": now})

    def candidates(self, skus: Sequence[str], capability: Capability, *, only: str | None = None) -> list[Candidate]:
        query = _CANDIDATES[(capability, only is not None)]
        params: dict[str, Any] = {"skus": list(skus)}
        if only is not None:
            params["only"] = only
        found: dict[str, tuple[GeoPoint | None, dict[str, int]]] = {}
        for code, sku, available, lat, lon in self.conn.execute(query, params):
            entry = found.get(code)
            if entry is None:
                entry = found[code] = (GeoPoint(lat, lon) if lat is not None and lon is not None else None, {})
            entry[1][sku] = available
        return [Candidate(code, point, available) for code, (point, available) in sorted(found.items())]

    def record(self, movements: Sequence[Movement]) -> None:
        if not movements:
            return
        rows = [
            {
                "location_code": m.location,
                "sku": m.sku,
                "kind": m.kind.value,
                "on_hand_delta": m.on_hand_delta,
                "reserved_delta": m.reserved_delta,
                "on_hand_after": m.on_hand_after,
                "reason": m.reason[:300],
                "reference": m.reference,
                "at": m.at,
            }
            for m in movements
        ]
        if self.buffer is not None:
            self.buffer.movements.extend(rows)
        else:
            self.conn.execute(_INSERT_MOVEMENTS, rows)

    def movements(self, *, location: str | None, sku: str | None, after: str | None, limit: int) -> Page:
        if self.buffer is not None:
            self.buffer.flush()
        query = select(stock_movements).order_by(stock_movements.c.id).limit(limit + 1)
        if location is not None:
            query = query.where(stock_movements.c.location_code == location)
        if sku is not None:
            query = query.where(stock_movements.c.sku == sku)
        key = decode_cursor(after)
        if key is not None:
            query = query.where(stock_movements.c.id > int_key(key))
        rows, cursor = keyset_page(list(self.conn.execute(query)), limit, lambda r: str(r.id))
        return Page([_movement(r._mapping) for r in rows], cursor)

    def levels(self, *, location: str | None, sku: str | None, after: str | None, limit: int) -> Page:
        query = select(stock).order_by(stock.c.location_code, stock.c.sku).limit(limit + 1)
        if location is not None:
            query = query.where(stock.c.location_code == location)
        if sku is not None:
            query = query.where(stock.c.sku == sku)
        key = decode_cursor(after)
        if key is not None:
            last_location, _, last_sku = key.partition("\x1f")
            query = query.where(
                or_(
                    stock.c.location_code > last_location,
                    and_(stock.c.location_code == last_location, stock.c.sku > last_sku),
                )
            )
        levels = [_level(r._mapping) for r in self.conn.execute(query)]
        return Page(*keyset_page(levels, limit, lambda level: f"{level.location}\x1f{level.sku}"))

    def by_skus(self, skus: Sequence[str]) -> list[tuple[StockLevel, Location]]:
        query = (
            select(stock, locations)
            .join(locations, locations.c.code == stock.c.location_code)
            .where(stock.c.sku.in_(list(skus)))
            .order_by(stock.c.sku, stock.c.location_code)
        )
        return [(_level(r._mapping), location_from_row(r._mapping)) for r in self.conn.execute(query)]

    def changes_since(self, since: datetime) -> dict[tuple[str, str], tuple[int, int]]:
        if self.buffer is not None:
            self.buffer.flush()
        m = stock_movements.c
        query = (
            select(m.location_code, m.sku, func.sum(m.on_hand_delta), func.sum(m.reserved_delta))
            .where(m.at > since)
            .group_by(m.location_code, m.sku)
        )
        return {(loc, sku): (int(on_hand), int(reserved)) for loc, sku, on_hand, reserved in self.conn.execute(query)}

    def movements_between(
        self, start: datetime, end: datetime | None, *, kinds: Sequence[MovementKind]
    ) -> list[Movement]:
        if self.buffer is not None:
            self.buffer.flush()
        m = stock_movements.c
        query = (
            select(stock_movements)
            .where(m.at > start, m.kind.in_([kind.value for kind in kinds]))
            .order_by(m.at, m.id)
        )
        if end is not None:
            query = query.where(m.at <= end)
        return [_movement(r._mapping) for r in self.conn.execute(query)]


def _row_values(level: StockLevel) -> dict[str, Any]:
    return {
        "location_code": level.location,
        "sku": level.sku,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "safety_stock": level.safety_stock,
        "as_of": level.as_of,
    }


def _level(row: Any) -> StockLevel:
    return StockLevel(
        row["location_code"], row["sku"], row["on_hand"], row["reserved"], row["safety_stock"], row["as_of"]
    )


def _movement(row: Any) -> Movement:
    return Movement(
        row["location_code"],
        row["sku"],
        MovementKind(row["kind"]),
        row["on_hand_delta"],
        row["reserved_delta"],
        row["reason"],
        row["reference"],
        row["at"],
        row["on_hand_after"],
    )
