"""Sourcing sandbox runs: one row per run, its parameters and, once done, its KPIs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from ordermesh.adapters.db.paging import decode_cursor, keyset_page
from ordermesh.adapters.db.tables import sourcing_simulations
from ordermesh.services.ports import Page, SimulationRun

ERROR_LENGTH = 2000


class SqlSimulationRuns:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, run: SimulationRun) -> None:
        self.conn.execute(insert(sourcing_simulations).values(**_values(run)))

    def get(self, run_id: str) -> SimulationRun | None:
        row = self.conn.execute(select(sourcing_simulations).where(sourcing_simulations.c.id == run_id)).first()
        return _run(row._mapping) if row else None

    def save(self, run: SimulationRun) -> None:
        t = sourcing_simulations
        self.conn.execute(
            update(t)
            .where(t.c.id == run.id)
            .values(status=run.status, result=run.result, finished_at=run.finished_at, error=_error(run.error))
        )

    def page(self, *, after: str | None, limit: int) -> Page:
        t = sourcing_simulations
        query = select(t).order_by(t.c.id.desc()).limit(limit + 1)
        key = decode_cursor(after)
        if key is not None:
            query = query.where(t.c.id < key)
        runs = [_run(r._mapping) for r in self.conn.execute(query)]
        return Page(*keyset_page(runs, limit, lambda run: run.id))


def _error(error: str | None) -> str | None:
    return None if error is None else error[:ERROR_LENGTH]


def _values(run: SimulationRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "parameters": run.parameters,
        "result": run.result,
        "created_at": run.created_at,
        "created_by": run.created_by,
        "finished_at": run.finished_at,
        "error": _error(run.error),
    }


def _run(row: Any) -> SimulationRun:
    return SimulationRun(
        id=row["id"],
        status=row["status"],
        parameters=dict(row["parameters"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        result=dict(row["result"]) if row["result"] is not None else None,
        finished_at=row["finished_at"],
        error=row["error"],
    )
