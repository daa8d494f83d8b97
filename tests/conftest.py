"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL started here."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ordermesh.adapters.db.migrate import upgrade
from ordermesh.bootstrap import Runtime, build
from ordermesh.config import Settings
from ordermesh.entrypoints.api.app import create_app
from ordermesh.services.context import AppContext
from tests.pg import PgCluster, start_cluster

ADMIN_KEY = "om_test_admin_key_0123456789"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = start_cluster()
    try:
        cluster.psql("CREATE DATABASE om_template")
        upgrade(cluster.database_url("om_template"))
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A freshly migrated, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "ordermesh.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    name = f"om_test_{next(_counter)}"
    cluster.psql(f"CREATE DATABASE {name} TEMPLATE om_template")
    return cluster.database_url(name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Webhook receivers and channel APIs in the tests listen on loopback.
    return Settings(database_url=database_url, bootstrap_admin_key=ADMIN_KEY, embedded_worker=False,
                    db_pool_size=20, outbound_allow_private=True)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build(settings)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def ctx(runtime: Runtime) -> AppContext:
    return runtime.context


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """An API client authenticated as the bootstrap admin."""
    app = create_app(settings)
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as test_client:
        yield test_client
