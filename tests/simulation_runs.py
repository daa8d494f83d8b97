"""Sandbox runs for the tests: one held by a process that stopped long ago, and one stalled at its first plan."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ordermesh.domain.access import SYSTEM
from ordermesh.services import simulation
from ordermesh.services.context import AppContext
from ordermesh.services.ports import SimulationRun
from ordermesh.services.simulation import SimulationSpec
from ordermesh.services.simulation_runner import SimulationRunner
from tests.fakes import FakeClock

GONE = "api@old-host:4242/dead00"  # a process that stopped long ago
LONG_AGO = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def held_by_a_stopped_process(ctx: AppContext, spec: SimulationSpec, *, started: bool = False) -> SimulationRun:
    """A run held by a process that stopped long ago (its heartbeat is from then); once `started`, the process
    stopped at plan 1,234 of 10,000."""
    past = replace(ctx, clock=FakeClock(LONG_AGO))
    run = simulation.submit_simulation(past, SYSTEM, spec, runner=GONE)
    if started:
        past.transaction(lambda uow: uow.simulations.start(run.id, runner=GONE, at=LONG_AGO))
        past.transaction(lambda uow: uow.simulations.beat(run.id, runner=GONE, at=LONG_AGO, progress=(1_234, 10_000)))
    return run


@dataclass
class Stalled:
    """A run stalled at its first plan; `outcome` holds what `run_here` returned, once the stall is over."""

    run_id: str
    outcomes: list[SimulationRun] = field(default_factory=list)

    @property
    def outcome(self) -> SimulationRun:
        assert self.outcomes, "the run has not returned"
        return self.outcomes[0]


@contextmanager
def stalled_at_first_plan(ctx: AppContext, runner: SimulationRunner, spec: SimulationSpec) -> Iterator[Stalled]:
    """Run `spec` with `runner.run_here` on a thread of its own, stalled at its first plan while the block runs;
    then let it go on, wait for it and close the runner."""
    stalled, go_on = threading.Event(), threading.Event()
    outcomes: list[SimulationRun] = []

    def stall(done: int, total: int) -> None:
        if done == 1:
            stalled.set()
            go_on.wait(30)

    thread = threading.Thread(target=lambda: outcomes.append(runner.run_here(SYSTEM, spec, progress=stall)))
    thread.start()
    try:
        assert stalled.wait(30), "the run never reached its first plan"
        run_id = simulation.list_simulations(ctx, after=None, limit=1).rows[0].id
        yield Stalled(run_id, outcomes)
    finally:
        go_on.set()
        thread.join(30)
        runner.close()
