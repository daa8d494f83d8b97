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
from ordermesh.services.ports import SimulationRun, SimulationStatus, UnitOfWork

log = logging.getLogger(__name__)


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
    since = last_heard(run).isoformat()
    if run.runner is None:  # stored by a process from before heartbeats: nothing says how far it got
        return f"abandoned: the process that took it stopped, progress unknown (no heartbeat since {since})"
    if run.status == SimulationStatus.QUEUED:
        where = f"the process it was queued in ({run.runner}) stopped before it started"
    else:
        where = f"the process running it ({run.runner}) stopped {progress_text(progress_of(run))}"
    return f"abandoned: {where} (no heartbeat since {since})"


def abandon(ctx: AppContext, runs: Sequence[SimulationRun], *, before: datetime) -> list[SimulationRun]:
    """Fail those of `runs` whose heartbeat is still older than `before`; return the ones failed here."""
    if not runs:
        return []
    # Rows in primary-key order, as the heartbeat takes them: two transactions over several runs never deadlock.
    ordered = sorted(runs, key=lambda run: run.id)

    def work(uow: UnitOfWork) -> list[SimulationRun]:
        now = ctx.clock.now()
        return [
            replace(run, status=SimulationStatus.FAILED, finished_at=now, error=abandoned_error(run))
            for run in ordered
            if uow.simulations.abandon(run.id, before=before, at=now, error=abandoned_error(run))
        ]

    failed: list[SimulationRun] = ctx.transaction(work)
    for run in failed:  # after the commit: a transaction retried after a deadlock would say it twice
        log.warning("simulation %s failed: %s", run.id, run.error)
    return failed


def last_heard(run: SimulationRun) -> datetime:
    """When the run's process last said it holds it: its heartbeat, or its creation for a run stored before
    heartbeats existed (by a process of an older version, during a rolling deploy)."""
    return run.heartbeat_at if run.heartbeat_at is not None else run.created_at


def is_stale(ctx: AppContext, run: SimulationRun, stale_after: timedelta) -> bool:
    """Whether the run is unfinished and its process has been silent for longer than `stale_after`."""
    return run.status in SimulationStatus.UNFINISHED and last_heard(run) < ctx.clock.now() - stale_after


def progress_of(run: SimulationRun) -> tuple[int, int] | None:
    """The run's (plans made, plans to make), or None before its orders were loaded and the plans counted."""
    if run.plans_made is None or run.plans_to_make is None:
        return None
    return run.plans_made, run.plans_to_make


def progress_text(progress: tuple[int, int] | None) -> str:
    """How far a run got, for its error: "at 1,234 of 10,000 plans", or before the first plan."""
    if progress is None:
        return "before its first plan (loading the orders)"
    return f"at {progress[0]:,} of {progress[1]:,} plans"


def with_progress(run: SimulationRun, progress: tuple[int, int] | None) -> SimulationRun:
    """The run with the last progress reported (none before the plans are counted)."""
    if progress is None:
        return run
    return replace(run, plans_made=progress[0], plans_to_make=progress[1])
