"""Sourcing sandbox runs: one row per run, its parameters, the process holding it and, once done, its KPIs.

Every change to an unfinished run is a conditional update (held by this runner, or heartbeat still stale), so
a process that lost a run and the processes failing abandoned runs never both write it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ordermesh.adapters.db.paging import decode_cursor, keyset_page
from ordermesh.adapters.db.tables import sourcing_simulations
from ordermesh.services.ports import DuplicateKey, Page, SimulationRun, SimulationStatus

ERROR_LENGTH = 2000
COLUMNS = sourcing_simulations.c
# A run stored by a process from before heartbeats (a rolling deploy) has none: it was last heard of when created.
LAST_HEARD = func.coalesce(COLUMNS.heartbeat_at, COLUMNS.created_at)
UNFINISHED = COLUMNS.status.in_(SimulationStatus.UNFINISHED)


class SqlSimulationRuns:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, run: SimulationRun) -> None:
        try:
            self.conn.execute(insert(sourcing_simulations).values(**_values(run)))
        except IntegrityError as exc:  # the one unique key besides the id: a retry of the same failed run
            raise DuplicateKey(run.retry_of or run.id) from exc

    def get(self, run_id: str) -> SimulationRun | None:
        row = self.conn.execute(select(sourcing_simulations).where(COLUMNS.id == run_id)).first()
        return _run(row._mapping) if row else None

    def retry_of(self, run_id: str) -> SimulationRun | None:
        row = self.conn.execute(select(sourcing_simulations).where(COLUMNS.retry_of == run_id)).first()
        return _run(row._mapping) if row else None

    def start(self, run_id: str, *, runner: str, at: datetime) -> bool:
        queued = COLUMNS.status == SimulationStatus.QUEUED
        held = (COLUMNS.id == run_id) & queued & (COLUMNS.runner == runner)
        running = {"status": SimulationStatus.RUNNING, "started_at": at, "heartbeat_at": at}
        return self._changed(update(sourcing_simulations).where(held).values(**running))

    def beat(self, run_id: str, *, runner: str, at: datetime, progress: tuple[int, int] | None) -> bool:
        values: dict[str, Any] = {"heartbeat_at": at}
        if progress is not None:
            values["plans_made"], values["plans_to_make"] = progress
        return self._changed(update(sourcing_simulations).where(_held(run_id, runner)).values(**values))

    def finish(self, run: SimulationRun, *, runner: str) -> bool:
        return self._changed(
            update(sourcing_simulations)
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
            select(sourcing_simulations)
            .where(UNFINISHED, LAST_HEARD < before)
            .order_by(LAST_HEARD, COLUMNS.id)
            .limit(limit)
        )
        return [_run(row._mapping) for row in self.conn.execute(query)]

    def abandon(self, run_id: str, *, before: datetime, at: datetime, error: str) -> bool:
        still_stale = (COLUMNS.id == run_id) & UNFINISHED & (LAST_HEARD < before)
        failed = {"status": SimulationStatus.FAILED, "finished_at": at, "error": _error(error)}
        return self._changed(update(sourcing_simulations).where(still_stale).values(**failed))

    def page(self, *, after: str | None, limit: int) -> Page:
        query = select(sourcing_simulations).order_by(COLUMNS.id.desc()).limit(limit + 1)
        key = decode_cursor(after)
        if key is not None:
            query = query.where(COLUMNS.id < key)
        runs = [_run(r._mapping) for r in self.conn.execute(query)]
        return Page(*keyset_page(runs, limit, lambda run: run.id))

    def _changed(self, statement: Any) -> bool:
        return bool(self.conn.execute(statement).rowcount == 1)


def _held(run_id: str, runner: str) -> Any:
    return (COLUMNS.id == run_id) & UNFINISHED & (COLUMNS.runner == runner)


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
