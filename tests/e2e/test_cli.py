"""The `ordermesh` command line, run as a real subprocess against a SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from ordermesh.bootstrap import build
from ordermesh.config import Settings
from ordermesh.domain.access import SYSTEM, Role
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.services import catalog, inventory
from ordermesh.services.access import authenticate
from ordermesh.services.commands import CreateItem, CreateLocation, SetStock

ORDERMESH = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "ordermesh"
IMPORT_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "orders.csv"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ordermesh.db'}"


def ordermesh(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI with the database URL in its environment; fail with its output when it fails."""
    env = {**os.environ, "ORDERMESH_DATABASE_URL": url, "COLUMNS": "200"}
    result = subprocess.run(
        [str(ORDERMESH), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"ordermesh {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def query(url: str, sql: str) -> list[Any]:
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
        return conn.execute(sql).fetchall()


def counts(url: str) -> dict[str, int]:
    tables = ("items", "locations", "stock", "orders", "fulfillment_orders")
    return {table: int(query(url, f"SELECT count(*) FROM {table}")[0][0]) for table in tables}


def test_demo_loads_a_network_with_stock_and_sample_orders(sqlite_url: str, tmp_path: Path) -> None:
    ordermesh(sqlite_url, "db", "upgrade", cwd=tmp_path)

    result = ordermesh(sqlite_url, "demo", "--skus", "60", "--orders", "15", cwd=tmp_path)

    assert "demo loaded" in result.stderr
    loaded = counts(sqlite_url)
    assert loaded["items"] == 60
    assert loaded["orders"] == 15
    assert loaded["stock"] > 60
    types = dict(query(sqlite_url, "SELECT type, count(*) FROM locations GROUP BY type"))
    assert types["dropship_vendor"] == types["returns_center"] == 1
    assert 3 <= types["warehouse"] <= 4
    assert 6 <= types["store"] <= 10
    statuses = {status for (status,) in query(sqlite_url, "SELECT status FROM orders")}
    assert {"on_hold", "exception", "allocated", "ready_for_pickup"} <= statuses
    assert statuses & {"shipped", "partially_shipped"}
    channels = {channel for (channel,) in query(sqlite_url, "SELECT DISTINCT channel FROM orders")}
    assert channels <= {"web", "shopify:demo-shop.myshopify.com", "pos"}


def test_a_second_demo_on_a_loaded_database_loads_nothing_more(sqlite_url: str, tmp_path: Path) -> None:
    ordermesh(sqlite_url, "demo", "--skus", "60", "--orders", "15", cwd=tmp_path)
    first = counts(sqlite_url)

    result = ordermesh(sqlite_url, "demo", "--skus", "60", "--orders", "15", cwd=tmp_path)

    assert "not loaded" in result.stderr
    assert counts(sqlite_url) == first


@pytest.mark.slow
def test_the_default_demo_loads_well_within_thirty_seconds(sqlite_url: str, tmp_path: Path) -> None:
    ordermesh(sqlite_url, "db", "upgrade", cwd=tmp_path)

    started = time.monotonic()
    ordermesh(sqlite_url, "demo", cwd=tmp_path)
    elapsed = time.monotonic() - started

    assert counts(sqlite_url)["items"] == 300
    assert counts(sqlite_url)["orders"] == 40
    assert elapsed < 30, f"the default demo took {elapsed:.1f}s"


def test_a_created_viewer_key_authenticates_as_a_viewer(sqlite_url: str, tmp_path: Path) -> None:
    ordermesh(sqlite_url, "db", "upgrade", cwd=tmp_path)

    result = ordermesh(sqlite_url, "apikey", "create", "--role", "viewer", "--name", "dashboard", cwd=tmp_path)

    key = result.stdout.strip()
    assert key.startswith("om_")
    runtime = build(Settings(database_url=sqlite_url))
    try:
        principal = authenticate(runtime.context, key)
        stranger = authenticate(runtime.context, key + "x")
    finally:
        runtime.close()
    assert principal is not None
    assert principal.role == Role.VIEWER
    assert principal.name == "dashboard"
    assert stranger is None


def test_import_orders_captures_good_rows_reports_bad_ones_and_a_rerun_adds_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    ordermesh(sqlite_url, "db", "upgrade", cwd=tmp_path)
    runtime = build(Settings(database_url=sqlite_url))
    try:
        ctx = runtime.context
        for sku in ("TEE", "MUG"):
            catalog.create_item(ctx, command=CreateItem(sku, sku, 300), actor=SYSTEM)
        address = Address(line1="1 Main St", country="US", lat=40.7357, lon=-74.1724)
        catalog.create_location(
            ctx, command=CreateLocation("NWK", "Newark", LocationType.WAREHOUSE, address, frozenset({Capability.SHIP})),
            actor=SYSTEM,
        )
        for sku in ("TEE", "MUG"):
            inventory.set_stock(ctx, command=SetStock("NWK", sku, 20), actor=SYSTEM)
    finally:
        runtime.close()
    env = {**os.environ, "ORDERMESH_DATABASE_URL": sqlite_url, "COLUMNS": "200"}
    run = [str(ORDERMESH), "import", "orders", str(IMPORT_FIXTURE)]

    first = subprocess.run(run, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    again = subprocess.run(run, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)

    assert first.returncode == 1, first.stderr  # some rows were rejected
    assert first.stdout.splitlines()[0] == "2 imported, 0 already present, 3 rejected"
    assert f"{IMPORT_FIXTURE}: row 5: " in first.stdout
    assert again.stdout.splitlines()[0] == "0 imported, 2 already present, 3 rejected"
    assert counts(sqlite_url)["orders"] == 2
