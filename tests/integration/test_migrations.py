"""The migrations build exactly the schema the code declares, and can be walked back and forth."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ordermesh.adapters.db.engine import build_engine
from ordermesh.adapters.db.migrate import alembic_config, upgrade
from ordermesh.adapters.db.tables import metadata


def _differences(url: str) -> list[object]:
    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_the_migrated_schema_matches_the_tables_the_code_declares(database_url: str) -> None:
    assert _differences(database_url) == []


def test_the_migrations_go_down_to_nothing_and_up_again(database_url: str) -> None:
    config = alembic_config(database_url)

    command.downgrade(config, "base")
    upgrade(database_url)

    assert _differences(database_url) == []
