"""The migrations build exactly the schema the code declares, and can be walked back and forth."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from ordermesh.adapters.db.engine import build_engine
from ordermesh.adapters.db.migrate import MIGRATION_LOCK, alembic_config, upgrade
from ordermesh.adapters.db.tables import metadata
from ordermesh.bootstrap import build
from ordermesh.config import Settings
from ordermesh.services.simulation_lease import fail_abandoned_simulations

ORDERMESH = str(Path(sys.executable).with_name("ordermesh"))


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


def test_a_process_migrating_postgres_waits_for_the_one_already_migrating(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers by its own file lock")
    command.downgrade(alembic_config(database_url), "base")
    env = {**os.environ, "ORDERMESH_DATABASE_URL": database_url}
    engine = build_engine(database_url)
    try:
        with engine.connect() as holder:  # another process migrating: it holds the migration lock
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            waiting = subprocess.Popen(
                [ORDERMESH, "db", "upgrade"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            time.sleep(3)
            still_waiting = waiting.poll() is None
            untouched = not inspect(holder).has_table("orders")
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            holder.commit()
            output = waiting.communicate(timeout=120)[0].decode()
    finally:
        engine.dispose()

    assert still_waiting and untouched, output
    assert waiting.returncode == 0, output
    assert _differences(database_url) == []


def test_runs_left_unfinished_before_heartbeats_existed_are_failed_as_abandoned_after_the_upgrade(
    database_url: str,
) -> None:
    command.downgrade(alembic_config(database_url), "0015")
    engine = build_engine(database_url)
    try:
        with engine.begin() as conn:
            for run_id, status in (("sim_1", "running"), ("sim_2", "done")):
                conn.execute(
                    text(
                        "INSERT INTO sourcing_simulations (id, status, parameters, created_at, created_by) "
                        "VALUES (:id, :status, '{}', :at, 'ops')"
                    ),
                    {"id": run_id, "status": status, "at": datetime(2025, 3, 1, 12, 0)},
                )
    finally:
        engine.dispose()

    upgrade(database_url)

    runtime = build(Settings(database_url=database_url))
    try:
        failed = fail_abandoned_simulations(runtime.context, stale_after=timedelta(minutes=2))
        done = runtime.context.read(lambda uow: uow.simulations.get("sim_2"))
    finally:
        runtime.close()
    assert [run.id for run in failed] == ["sim_1"]
    assert failed[0].error is not None and failed[0].error.startswith(
        "abandoned: the process that took it stopped, progress unknown (no heartbeat since 2025-03-01T12:00:00"
    )
    assert done is not None and done.status == "done" and done.heartbeat_at is None


def test_a_run_retried_twice_before_retries_were_unique_keeps_its_first_retry(database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "0016")
    engine = build_engine(database_url)
    try:
        with engine.begin() as conn:
            for run_id, retry_of in (("sim_1", None), ("sim_2", "sim_1"), ("sim_3", "sim_1")):
                conn.execute(
                    text(
                        "INSERT INTO sourcing_simulations (id, status, parameters, created_at, created_by, retry_of) "
                        "VALUES (:id, 'failed', '{}', :at, 'ops', :retry_of)"
                    ),
                    {"id": run_id, "at": datetime(2025, 3, 1, 12, 0), "retry_of": retry_of},
                )
    finally:
        engine.dispose()

    upgrade(database_url)

    runtime = build(Settings(database_url=database_url))
    try:
        retry = runtime.context.read(lambda uow: uow.simulations.retry_of("sim_1"))
        later = runtime.context.read(lambda uow: uow.simulations.get("sim_3"))
    finally:
        runtime.close()
    assert retry is not None and retry.id == "sim_2"
    assert later is not None and later.retry_of is None
