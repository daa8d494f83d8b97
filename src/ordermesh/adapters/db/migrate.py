"""Bring a database to the newest schema with Alembic, from code (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from ordermesh.adapters.db.engine import build_engine, normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"
# Several processes may start on a new database at once (`serve` with workers, a deploy of several boxes): on
# PostgreSQL they take turns under this advisory lock, and each later one finds the schema where it should be.
MIGRATION_LOCK = 4_627_018_201


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def is_empty(url: str) -> bool:
    """Tell whether the database has no orders, items or locations yet (demo data may be loaded)."""
    engine = build_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("items"):
                return True
            from ordermesh.adapters.db.tables import items, locations, orders

            return not any(conn.execute(t.select().limit(1)).first() for t in (items, locations, orders))
    finally:
        engine.dispose()
