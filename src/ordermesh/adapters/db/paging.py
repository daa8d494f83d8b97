"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, ColumnElement, Connection, Table, select

from ordermesh.domain.errors import InvalidInput

T = TypeVar("T")


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """Return the key inside a cursor. Raises InvalidInput for a cursor we did not issue."""
    if cursor is None:
        return None
    try:
        key = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        key = ""
    if not key:
        raise InvalidInput(f"malformed cursor '{cursor}'", field=("query", "after"))
    return key


def keyset_page(rows: Sequence[T], limit: int, key: Callable[[T], str]) -> tuple[list[T], str | None]:
    """Cut rows fetched with LIMIT limit + 1 to a page; return it with the cursor of the next page, if any."""
    shown = list(rows[:limit])
    more = len(rows) > limit
    return shown, encode_cursor(key(shown[-1])) if more and shown else None


def int_key(key: str) -> int:
    """Read a numeric key out of a decoded cursor. Raises InvalidInput when it is not one we issued."""
    if not key.isdigit():
        raise InvalidInput("malformed cursor: not one this list issued", field=("query", "after"))
    return int(key)


def page_by_text_key(
    conn: Connection, table: Table, column: Column[Any], *, after: str | None, limit: int, read: Callable[[Any], T]
) -> tuple[list[T], str | None]:
    """One page of a table ordered by a unique text column, and the cursor of the next page, if any."""
    query = select(table).order_by(column).limit(limit + 1)
    key = decode_cursor(after)
    if key is not None:
        query = query.where(column > key)
    rows = [row._mapping for row in conn.execute(query)]
    shown, cursor = keyset_page(rows, limit, lambda row: str(row[column.name]))
    return [read(row) for row in shown], cursor


def page_newest_first(
    conn: Connection,
    table: Table,
    *conditions: ColumnElement[bool],
    after: str | None,
    limit: int,
    read: Callable[[Any], T],
    numeric: bool = True,
) -> tuple[list[T], str | None]:
    """One page of the rows matching `conditions`, newest (highest `id`: an integer, or a time-ordered text id
    when not `numeric`) first, and the next cursor."""
    query = select(table).where(*conditions).order_by(table.c.id.desc()).limit(limit + 1)
    key = decode_cursor(after)
    if key is not None:
        query = query.where(table.c.id < (int_key(key) if numeric else key))
    rows = [row._mapping for row in conn.execute(query)]
    shown, cursor = keyset_page(rows, limit, lambda row: str(row["id"]))
    return [read(row) for row in shown], cursor

