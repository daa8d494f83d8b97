"""The backends every contract suite runs on: the in-memory fake, SQLite and PostgreSQL.

A contract suite is a class of tests written against `uow_factory`; each module subclasses it
twice, once with `FakeBackend` and once with `SqlBackend` (which runs on both databases through
the `database_url` fixture). A contract the SQL adapter breaks today is marked with `sql_bug`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from ordermesh.adapters.db.engine import build_engine
from ordermesh.adapters.db.uow import SqlUnitOfWorkFactory
from ordermesh.services.ports import UnitOfWorkFactory
from tests.fakes import FakeUnitOfWorkFactory, SequentialIds

SOURCE = "/ordermesh-contract"
F = TypeVar("F", bound=Callable[..., None])


def sql_bug(reason: str, *, on: tuple[str, ...] = ("sqlite", "postgres")) -> Callable[[F], F]:
    """Mark a contract the SQL adapter breaks: on those databases it runs as xfail(strict=True)."""

    def mark(test: F) -> F:
        bugs: dict[str, str] = test.__dict__.setdefault("sql_bugs", {})
        bugs.update(dict.fromkeys(on, reason))
        return test

    return mark


class FakeBackend:
    @pytest.fixture
    def uow_factory(self) -> UnitOfWorkFactory:
        return FakeUnitOfWorkFactory(ids=SequentialIds(), source=SOURCE)


class SqlBackend:
    @pytest.fixture
    def uow_factory(self, database_url: str, request: pytest.FixtureRequest) -> Iterator[UnitOfWorkFactory]:
        writer = build_engine(database_url)
        dialect = "sqlite" if writer.dialect.name == "sqlite" else "postgres"
        reason = getattr(request.function, "sql_bugs", {}).get(dialect)
        if reason:
            request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
        reader = build_engine(database_url, read_only=True) if dialect == "sqlite" else writer
        try:
            yield SqlUnitOfWorkFactory(writer, reader, ids=SequentialIds(), source=SOURCE)
        finally:
            writer.dispose()
            reader.dispose()
