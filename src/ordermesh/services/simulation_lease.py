"""Sandbox runs whose process stopped: the heartbeat that says a run is held, and failing the ones without.

A queued or running run names the process holding it (`runner`) and carries that process's last heartbeat.
A run whose heartbeat is older than the staleness is failed as abandoned, with how far it got, by the worker's
sweep and by whoever reads it first; a retry runs it again. Abandoned runs are not run again by whoever finds
them: uploaded orders live only in the memory of the process that took them, and a run that took its process
down (memory, a crash in the solver) would take the next one down too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from ordermesh.services.context import AppContext
from ordermesh.services.ports import SimulationRun, UnitOfWork

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class SimulationStopped(Exception):
    """Raised by a progress callback to stop a run; the message starts the run's error ("stopped: ...")."""


def fail_abandoned_simulations(ctx: AppContext, *, stale_after: timedelta, limit: int = 100) -> list[SimulationRun]:
    """Fail the queued and running runs whose process has sent no heartbeat for `stale_after`; return them.

    Each is failed by a conditional update, so a heartbeat that comes meanwhile keeps the run, and of several
    processes sweeping at once exactly one fails it (and returns it).
    """
    before = ctx.clock.now() - stale_after
    stale = ctx.read(lambda uow: uow.simulations.stale(before=before, limit=limit))
    return abandon(ctx, stale, before=before)


def abandoned_error(run: SimulationRun) -> str:
    """The error of a run whose process stopped: where it stood, and since when nothing was heard of it."""
    since = run.heartbeat_at.isoformat() if run.heartbeat_at else "never"
    who = f" ({run.runner})" if run.runner else ""  # runs stored before heartbeats existed name no process
    if run.status == QUEUED:
        where = f"the process it was queued in{who} stopped before it started"
    else:
        where = f"the process running it{who} stopped {progress_text(progress_of(run))}"
    return f"abandoned: {where} (no heartbeat since {since})"


def abandon(ctx: AppContext, runs: Sequence[SimulationRun], *, before: datetime) -> list[SimulationRun]:
    """Fail those of `runs` whose heartbeat is still older than `before`; return the ones failed here."""

    def work(uow: UnitOfWork) -> list[SimulationRun]:
        now = ctx.clock.now()
        failed = [
            replace(run, status=FAILED, finished_at=now, error=abandoned_error(run))
            for run in runs
            if uow.simulations.abandon(run.id, before=before, at=now, error=abandoned_error(run))
        ]
        for run in failed:
            log.warning("simulation %s failed: %s", run.id, run.error)
        return failed

    return ctx.transaction(work) if runs else []


def is_stale(ctx: AppContext, run: SimulationRun, stale_after: timedelta) -> bool:
    unfinished = run.status in (QUEUED, RUNNING)
    return unfinished and run.heartbeat_at is not None and run.heartbeat_at < ctx.clock.now() - stale_after


def progress_of(run: SimulationRun) -> tuple[int, int] | None:
    if run.plans_made is None or run.plans_to_make is None:
        return None
    return run.plans_made, run.plans_to_make


def progress_text(progress: tuple[int, int] | None) -> str:
    if progress is None:
        return "before its first plan (loading the orders)"
    return f"at {progress[0]:,} of {progress[1]:,} plans"


def with_progress(run: SimulationRun, made: Sequence[tuple[int, int]]) -> SimulationRun:
    """The run with the last progress reported (none before the plans are counted)."""
    if not made:
        return run
    return replace(run, plans_made=made[0][0], plans_to_make=made[0][1])
