"""Engines for SQLite and PostgreSQL, tuned so the same code is safe on both."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool, QueuePool

SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL_OVERFLOW = 5


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def dumps(value: Any) -> str:
    """JSON for the database's JSON columns (orjson: datetimes as RFC 3339, Decimals as strings)."""
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def build_engine(url: str, *, read_only: bool = False, pool_size: int = 10) -> Engine:
    """Create an engine; SQLite writers take the write lock up front (BEGIN IMMEDIATE).

    Taking SQLite's lock at BEGIN makes every write transaction serial across threads and
    processes, so conditional reservations cannot interleave and no transaction fails late
    on a lock upgrade. Readers use deferred transactions and WAL, so they never block writers.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, read_only=read_only)
    return create_engine(
        url,
        poolclass=QueuePool,
        pool_size=pool_size,
        # The API runs at most pool_size requests at once (see the app's thread limit), so the overflow only
        # serves the embedded worker and health checks: connections are kept, not opened per request.
        max_overflow=POOL_OVERFLOW,
        pool_pre_ping=False,
        json_serializer=dumps,
        json_deserializer=orjson.loads,
        isolation_level="READ COMMITTED",
    )


def _sqlite_engine(url: str, *, read_only: bool) -> Engine:
    memory = ":memory:" in url or url.rstrip("/").endswith("sqlite:")
    engine = create_engine(
        url,
        json_serializer=dumps,
        json_deserializer=orjson.loads,
        poolclass=QueuePool if not memory else NullPool,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
