"""The sandbox runs this process holds: run on a small pool, kept alive by a heartbeat while they are held.

A thread of the runner refreshes the heartbeat (and the progress) of every run the process holds, queued in
the pool or running, a few times per staleness. It writes nothing per plan: the replay only records its
progress in memory. When the process dies the heartbeats stop, and the run is failed as abandoned once they
are older than the staleness (`simulation_lease`). A run the process finds it no longer holds (failed as
abandoned after a long stall) is stopped at its next plan. When the process shuts down it takes no new run,
fails the runs still queued in it at once and stops the running ones at their next plan ("stopped: ..."),
instead of leaving them to the staleness.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta

from ordermesh.domain.access import Principal
from ordermesh.services import simulation
from ordermesh.services.commands import CaptureOrder
from ordermesh.services.context import AppContext
from ordermesh.services.ports import SimulationRun, SimulationStatus, UnitOfWork
from ordermesh.services.simulation import Progress, SimulationSpec
from ordermesh.services.simulation_lease import SimulationStopped, with_progress

log = logging.getLogger(__name__)

THREADS = 2  # replays are CPU-bound: more threads of one process would only take turns
MAX_BEAT_SECONDS = 5.0  # also how fresh the progress a client polls is
MIN_BEAT_SECONDS = 0.05


@dataclass
class _Held:
    """A run this process holds, and what its thread last reported."""

    run: SimulationRun
    progress: tuple[int, int] | None = None
    started: bool = False
    lost: bool = False  # another process failed it as abandoned
    stop_reason: str | None = None


class RunnerStopping(Exception):
    """The process is shutting down: it takes no new run (the API answers 503; another process will)."""

    def __init__(self, runner: str) -> None:
        super().__init__(f"{runner} is shutting down and takes no new sandbox run; retry shortly")


class SimulationRunner:
    """Queue, run and keep alive the sandbox runs of this process (named `name` in their `runner`)."""

    def __init__(self, ctx: AppContext, *, name: str, stale_after: timedelta, threads: int = THREADS) -> None:
        self.ctx = ctx
        self.name = name
        self.stale_after = stale_after
        # Several beats per staleness, so a slow database or a long pause of the process is not taken for death.
        self.beat_seconds = min(MAX_BEAT_SECONDS, max(MIN_BEAT_SECONDS, stale_after.total_seconds() / 8))
        self._threads = threads
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._keeper: threading.Thread | None = None

    # --- what the API and the CLI call

    def start(self, actor: Principal, spec: SimulationSpec) -> SimulationRun:
        """Store a queued run (see `simulation.submit_simulation` for what it raises) and run it on the pool.

        Raises RunnerStopping once the process is shutting down.
        """
        self._refuse_if_stopping()
        run = simulation.submit_simulation(self.ctx, actor, spec, runner=self.name)
        self._queue(run, spec.orders)
        return run

    def retry(self, actor: Principal, run_id: str) -> SimulationRun:
        """Queue a failed run's parameters again as a new run (see `simulation.retry_simulation`).

        Raises RunnerStopping once the process is shutting down.
        """
        self._refuse_if_stopping()
        run = simulation.retry_simulation(self.ctx, actor, run_id, runner=self.name)
        self._queue(run, None)
        return run

    def run_here(self, actor: Principal, spec: SimulationSpec, *, progress: Progress | None) -> SimulationRun:
        """Submit and run in this thread (the CLI), with the heartbeat kept by the runner's thread.

        Raises RunnerStopping once the runner is closed.
        """
        self._refuse_if_stopping()
        run = simulation.submit_simulation(self.ctx, actor, spec, runner=self.name)
        with self._lock:
            stopping = self._stopping.is_set()
            if not stopping:
                self._held[run.id] = _Held(run)
                self._start_keeper()
        if stopping:  # closed since the check: the run never starts
            self._fail_waiting([run])
            raise RunnerStopping(self.name)
        return self._run(run.id, spec.orders, progress)

    def close(self) -> None:
        """Stop: fail the queued runs now, stop the running ones at their next plan, end the heartbeat."""
        with self._lock:
            self._stopping.set()
            waiting = [held.run for held in self._held.values() if not held.started]
            for held in self._held.values():
                held.stop_reason = "stopped: the process running it shut down"
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if waiting:
            self._fail_waiting(waiting)

    def _refuse_if_stopping(self) -> None:
        if self._stopping.is_set():
            raise RunnerStopping(self.name)

    # --- the pool

    def _queue(self, run: SimulationRun, orders: Sequence[CaptureOrder] | None) -> None:
        with self._lock:
            stopping = self._stopping.is_set()
            if not stopping:
                self._held[run.id] = _Held(run)
                self._start_keeper()
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="simulation")
                self._pool.submit(self._run_in_pool, run.id, orders)
        if stopping:  # closed between the check and now: the run is stored, fail it rather than leave it queued
            self._fail_waiting([run])
            raise RunnerStopping(self.name)

    def _run_in_pool(self, run_id: str, orders: Sequence[CaptureOrder] | None) -> None:
        # Nobody reads the pool's futures: what `_run` raises is logged there, and the run failed with it.
        with contextlib.suppress(Exception):
            self._run(run_id, orders, None)

    def _run(self, run_id: str, orders: Sequence[CaptureOrder] | None, progress: Progress | None) -> SimulationRun:
        with self._lock:
            held = self._held[run_id]
            if self._stopping.is_set():
                self._held.pop(run_id, None)
                return simulation.get_simulation(self.ctx, run_id)  # failed by close()
            held.started = True

        def tick(done: int, total: int) -> None:
            held.progress = (done, total)
            if held.lost:
                raise SimulationStopped("stopped: another process failed it as abandoned")
            if held.stop_reason is not None:
                raise SimulationStopped(held.stop_reason)
            if progress is not None:
                progress(done, total)

        try:
            return simulation.run_simulation(self.ctx, held.run, runner=self.name, orders=orders, progress=tick)
        except Exception as exc:  # starting or storing it failed (the database): say so rather than "abandoned"
            log.exception("simulation %s could not be run", run_id)
            self._fail_with(held, exc)
            raise
        finally:
            with self._lock:
                self._held.pop(run_id, None)

    def _fail_with(self, held: _Held, exc: Exception) -> None:
        """Fail a run held here with the error that stopped it, if the database takes the write."""
        failed = replace(held.run, status=SimulationStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        try:
            self.ctx.transaction(
                lambda uow: uow.simulations.finish(
                    with_progress(replace(failed, finished_at=self.ctx.clock.now()), held.progress), runner=self.name
                )
            )
        except Exception:  # the run keeps its status until its heartbeat goes stale and a sweep fails it
            log.exception("simulation %s could not be failed", held.run.id)

    def _fail_waiting(self, runs: Sequence[SimulationRun]) -> None:
        def work(uow: UnitOfWork) -> None:
            now = self.ctx.clock.now()
            for run in runs:
                error = "stopped: the process it was queued in shut down before it started"
                uow.simulations.finish(
                    replace(run, status=SimulationStatus.FAILED, finished_at=now, error=error), runner=self.name
                )

        self.ctx.transaction(work)

    # --- the heartbeat

    def _start_keeper(self) -> None:
        if self._keeper is None or not self._keeper.is_alive():
            self._keeper = threading.Thread(target=self._keep, name="simulation-heartbeat", daemon=True)
            self._keeper.start()

    def _keep(self) -> None:
        while not self._stopping.wait(self.beat_seconds):
            try:
                self.beat()
            except Exception:  # a failed beat is retried at the next; enough of them and the run goes stale
                log.exception("simulation heartbeat failed")

    def beat(self) -> None:
        """Refresh the heartbeat and progress of every run held here; note the ones held no more."""
        with self._lock:  # rows are updated in primary-key order, as every multi-row transaction takes them
            held = sorted((run_id, h.progress) for run_id, h in self._held.items())
        if not held:
            return

        def work(uow: UnitOfWork) -> list[str]:
            now = self.ctx.clock.now()
            return [
                run_id
                for run_id, progress in held
                if not uow.simulations.beat(run_id, runner=self.name, at=now, progress=progress)
            ]

        for run_id in self.ctx.transaction(work):
            with self._lock:
                if run_id in self._held:  # else it has just finished: nothing left to stop
                    self._held[run_id].lost = True
