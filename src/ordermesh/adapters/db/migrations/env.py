"""Alembic environment: runs migrations on the connection or URL that `migrate.upgrade` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from ordermesh.adapters.db.engine import build_engine
from ordermesh.adapters.db.migrate import MIGRATION_LOCK
from ordermesh.adapters.db.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is required"
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()  # the lock is the session's: it outlives this transaction
            _run(connection)
            connection.commit()
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
    finally:
        engine.dispose()


run_migrations_online()
