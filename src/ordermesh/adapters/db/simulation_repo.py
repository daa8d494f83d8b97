"""Sourcing sandbox runs: one row per run, its parameters, the process holding it and, once done, its KPIs.

Every change to an unfinished run is a conditional update (held by this runner, or heartbeat still stale), so
a process that lost a run and the processes failing abandoned runs never both write it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ordermesh.adapters.db.paging import decode_cursor, keyset_page
from ordermesh.adapters.db.tables import sourcing_simulations
from ordermesh.services.ports import Page, SimulationRun

ERROR_LENGTH = 2000
UNFINISHED = ("queued", "running")
_t = sourcing_simulations


class SqlSimulationRuns:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, run: SimulationRun) -> None:
        self.conn.execute(insert(_t).values(**_values(run)))

    def get(self, run_id: str) -> SimulationRun | None:
        row = self.conn.execute(select(_t).where(_t.c.id == run_id)).first()
        return _run(row._mapping) if row else None

    def start(self, run_id: str, *, runner: str, at: datetime) -> bool:
        held = (_t.c.id == run_id) & (_t.c.status == "queued") & (_t.c.runner == runner)
        return self._changed(update(_t).where(held).values(status="running", started_at=at, heartbeat_at=at))

    def beat(self, run_id: str, *, runner: str, at: datetime, progress: tuple[int, int] | None) -> bool:
        values: dict[str, Any] = {"heartbeat_at": at}
        if progress is not None:
            values["plans_made"], values["plans_to_make"] = progress
        return self._changed(update(_t).where(_held(run_id, runner)).values(**values))

    def finish(self, run: SimulationRun, *, runner: str) -> bool:
        return self._changed(
            update(_t)
            .where(_held(run.id, runner))
            .values(
                status=run.status,
                result=run.result,
                finished_at=run.finished_at,
                error=_error(run.error),
                plans_made=run.plans_made,
                plans_to_make=run.plans_to_make,
            )
        )

    def stale(self, *, before: datetime, limit: int) -> list[SimulationRun]:
        query = (
            select(_t)
            .where(_t.c.status.in_(UNFINISHED), _t.c.heartbeat_at < before)
            .order_by(_t.c.heartbeat_at, _t.c.id)
            .limit(limit)
        )
        return [_run(row._mapping) for row in self.conn.execute(query)]

    def abandon(self, run_id: str, *, before: datetime, at: datetime, error: str) -> bool:
        still_stale = (_t.c.id == run_id) & _t.c.status.in_(UNFINISHED) & (_t.c.heartbeat_at < before)
        return self._changed(
            update(_t).where(still_stale).values(status="failed", finished_at=at, error=_error(error))
        )

    def page(self, *, after: str | None, limit: int) -> Page:
        query = select(_t).order_by(_t.c.id.desc()).limit(limit + 1)
        key = decode_cursor(after)
        if key is not None:
            query = query.where(_t.c.id < key)
        runs = [_run(r._mapping) for r in self.conn.execute(query)]
        return Page(*keyset_page(runs, limit, lambda run: run.id))

    def _changed(self, statement: Any) -> bool:
        return bool(self.conn.execute(statement).rowcount == 1)


def _held(run_id: str, runner: str) -> Any:
    return (_t.c.id == run_id) & _t.c.status.in_(UNFINISHED) & (_t.c.runner == runner)


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
        "runner": run.runner,
        "heartbeat_at": run.heartbeat_at,
        "started_at": run.started_at,
        "plans_made": run.plans_made,
        "plans_to_make": run.plans_to_make,
        "retry_of": run.retry_of,
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
        runner=row["runner"],
        heartbeat_at=row["heartbeat_at"],
        started_at=row["started_at"],
        plans_made=row["plans_made"],
        plans_to_make=row["plans_to_make"],
        retry_of=row["retry_of"],
    )
