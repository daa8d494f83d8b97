"""Sandbox runs whose process stopped: failed as abandoned once their heartbeat is stale, with how far they got;
live runs keep their heartbeat and are left alone; several sweeps at once fail each run once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.domain.orders import Customer, Delivery
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.entrypoints.worker.loop import Worker
from ordermesh.services import simulation
from ordermesh.services.catalog import create_item, create_location
from ordermesh.services.commands import CaptureOrder, CreateItem, CreateLocation, NewLine, SetStock
from ordermesh.services.context import AppContext
from ordermesh.services.inventory import set_stock
from ordermesh.services.orders import capture_order
from ordermesh.services.ports import SimulationRun, UnitOfWorkFactory
from ordermesh.services.simulation import SimulationSpec
from ordermesh.services.simulation_lease import fail_abandoned_simulations
from ordermesh.services.simulation_runner import RunnerStopping, SimulationRunner
from ordermesh.services.sourcing import create_rule_set
from tests.builders import NEWARK, NYC
from tests.fakes import FakeClock
from tests.integration.pausing import GatedUnitOfWorks, PausingUnitOfWorks
from tests.simulation_runs import GONE, LONG_AGO, held_by_a_stopped_process, stalled_at_first_plan

STALE_AFTER = timedelta(seconds=1)

# Runs a replay in a process of its own that stalls at its first plan, until the test kills it.
STALLING_PROCESS = """
import sys, threading
from datetime import datetime
from ordermesh.bootstrap import build, simulation_runner
from ordermesh.config import Settings
from ordermesh.domain.access import SYSTEM
from ordermesh.services.simulation import SimulationSpec

database_url, start, end, draft_id = sys.argv[1:]
settings = Settings(database_url=database_url, simulation_stale_seconds=10)  # a heartbeat every 1.25 s
runner = simulation_runner(build(settings).context, settings, "cli")
spec = SimulationSpec(datetime.fromisoformat(start), datetime.fromisoformat(end), draft_id=draft_id)


def stall(done, total):
    if done == 1:
        print("stalled", flush=True)
        threading.Event().wait()


runner.run_here(SYSTEM, spec, progress=stall)
"""


def _history(ctx: AppContext, orders: int = 3) -> SimulationSpec:
    """A warehouse, some orders placed, and a range and draft that replay them."""
    create_item(ctx, command=CreateItem("TEE", "Tee", 200), actor=SYSTEM)
    address = Address(line1="1 Main St", country="US", lat=NEWARK[0], lon=NEWARK[1])
    command = CreateLocation("NWK", "NWK", LocationType.WAREHOUSE, address, frozenset({Capability.SHIP}))
    create_location(ctx, command=command, actor=SYSTEM)
    set_stock(ctx, command=SetStock("NWK", "TEE", 100), actor=SYSTEM)
    start = datetime.now(UTC)
    ship_to = Address(line1="5 Park Ave", postal_code="10016", country="US", lat=NYC[0], lon=NYC[1])
    for n in range(orders):
        capture = CaptureOrder(
            channel="web",
            external_id=f"A-{n}",
            currency="USD",
            customer=Customer(email="ada@example.com"),
            ship_to=ship_to,
            delivery=Delivery(),
            lines=(NewLine("1", "TEE", 1, Decimal("20.00")),),
        )
        capture_order(ctx, command=capture, actor=SYSTEM)
    draft = create_rule_set(ctx, SYSTEM, DEFAULT_RULE_SET | {"name": "draft"}, note=None).id
    return SimulationSpec(start=start, end=datetime.now(UTC) + timedelta(seconds=1), draft_id=draft)


def _eventually(check: Callable[[], SimulationRun], *, seconds: float = 20.0) -> SimulationRun:
    deadline = time.monotonic() + seconds
    while True:
        run = check()
        if run.status in ("done", "failed") or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


def test_a_run_whose_process_was_killed_is_failed_after_the_staleness_with_its_progress(
    ctx: AppContext, database_url: str
) -> None:
    spec = _history(ctx)
    assert spec.start is not None and spec.end is not None and spec.draft_id is not None
    arguments = [database_url, spec.start.isoformat(), spec.end.isoformat(), spec.draft_id]
    with subprocess.Popen(
        [sys.executable, "-c", STALLING_PROCESS, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None and process.stderr is not None
            assert process.stdout.readline().strip() == "stalled", process.stderr.read()
            running = _eventually_progress(ctx)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.kill()
            process.communicate()
    killed_at = datetime.now(UTC)

    failed = _eventually(lambda: simulation.get_simulation(ctx, running.id, stale_after=STALE_AFTER))

    assert failed.status == "failed"
    assert failed.error is not None
    assert re.fullmatch(
        r"abandoned: the process running it \(cli@[^:]+:\d+/[0-9a-f]{6}\) stopped at 1 of 6 plans "
        r"\(no heartbeat since .+\)",
        failed.error,
    ), failed.error
    assert failed.finished_at is not None and failed.finished_at >= killed_at
    assert (failed.plans_made, failed.plans_to_make) == (1, 6)


def _eventually_progress(ctx: AppContext) -> SimulationRun:
    """The killed process's run, once its heartbeat has recorded the first plan."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        runs = simulation.list_simulations(ctx, after=None, limit=10).rows
        running = [run for run in runs if run.status == "running" and run.plans_made == 1]
        if running:
            return running[0]
        time.sleep(0.05)
    raise AssertionError("the stalled process never reported its first plan")


def test_a_live_run_keeps_its_heartbeat_and_is_not_touched(ctx: AppContext) -> None:
    spec = _history(ctx)
    clock = FakeClock(datetime.now(UTC))
    here = replace(ctx, clock=clock)
    runner = SimulationRunner(here, name="cli@here:1/live00", stale_after=timedelta(minutes=2))

    with stalled_at_first_plan(here, runner, spec) as stalled:
        first = simulation.get_simulation(here, stalled.run_id)
        for _ in range(3):  # three times the staleness without a plan made, the heartbeat going on
            clock.advance(timedelta(minutes=1))
            runner.beat()
        swept = fail_abandoned_simulations(here, stale_after=timedelta(minutes=2))
        later = simulation.get_simulation(here, stalled.run_id, stale_after=timedelta(minutes=2))

    assert swept == []
    assert later.status == "running"
    assert first.heartbeat_at is not None and later.heartbeat_at is not None
    assert later.heartbeat_at >= first.heartbeat_at + timedelta(minutes=3)
    assert (later.plans_made, later.plans_to_make) == (1, 6)
    assert stalled.outcome.status == "done", stalled.outcome.error
    assert (stalled.outcome.plans_made, stalled.outcome.plans_to_make) == (6, 6)


def test_a_run_queued_in_a_process_that_stopped_is_failed_as_never_started(ctx: AppContext) -> None:
    run = held_by_a_stopped_process(ctx, _history(ctx))

    failed = fail_abandoned_simulations(ctx, stale_after=timedelta(minutes=2))

    assert [r.id for r in failed] == [run.id]
    stored = simulation.get_simulation(ctx, run.id)
    assert stored.status == "failed"
    assert stored.error == (
        f"abandoned: the process it was queued in ({GONE}) stopped before it started "
        f"(no heartbeat since {LONG_AGO.isoformat()})"
    )


def test_reading_a_run_whose_process_stopped_fails_it_with_how_far_it_got(ctx: AppContext) -> None:
    run = held_by_a_stopped_process(ctx, _history(ctx), started=True)

    read = simulation.get_simulation(ctx, run.id, stale_after=timedelta(minutes=2))

    assert read.status == "failed"
    assert read.error is not None
    assert read.error.startswith(f"abandoned: the process running it ({GONE}) stopped at 1,234 of 10,000 plans")
    assert simulation.get_simulation(ctx, run.id) == read


def test_concurrent_sweeps_fail_each_abandoned_run_once(ctx: AppContext) -> None:
    spec = _history(ctx)
    runs = {held_by_a_stopped_process(ctx, spec, started=n % 2 == 0).id for n in range(4)}
    # Every sweep reads the stale runs, then waits, so all of them have read before any of them writes.
    slow = replace(ctx, uow=PausingUnitOfWorks(ctx.uow, "simulations", "stale", seconds=0.5))
    barrier = threading.Barrier(4)
    failed: list[list[SimulationRun]] = []

    def sweep() -> None:
        barrier.wait()
        failed.append(fail_abandoned_simulations(slow, stale_after=timedelta(minutes=2)))

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    handled = [run.id for sweep_failed in failed for run in sweep_failed]
    assert len(failed) == 4
    assert sorted(handled) == sorted(runs)  # each once, by one of the sweeps
    assert {simulation.get_simulation(ctx, run_id).status for run_id in runs} == {"failed"}


def test_the_worker_fails_runs_whose_process_stopped(ctx: AppContext) -> None:
    run = held_by_a_stopped_process(ctx, _history(ctx), started=True)
    # A staleness of a year sweeps every quarter of a year: only a first sweep at once fails the run in time.
    worker = Worker(ctx, [], poll_seconds=0.05, simulations_stale_after=timedelta(days=365))

    thread = worker.start_in_thread()
    try:
        stored = _eventually(lambda: simulation.get_simulation(ctx, run.id), seconds=10)
    finally:
        worker.stop()
        thread.join(10)

    assert stored.status == "failed"
    assert stored.error is not None and "stopped at 1,234 of 10,000 plans" in stored.error


def test_a_run_failed_as_abandoned_while_it_stalled_stops_and_keeps_that_outcome(ctx: AppContext) -> None:
    spec = _history(ctx)
    runner = SimulationRunner(ctx, name="cli@here:1/slow00", stale_after=timedelta(minutes=2))

    with stalled_at_first_plan(ctx, runner, spec) as stalled:
        later = replace(ctx, clock=FakeClock(datetime.now(UTC) + timedelta(minutes=5)))
        failed = fail_abandoned_simulations(later, stale_after=timedelta(minutes=2))
        runner.beat()  # the runner learns it holds the run no more

    assert [r.id for r in failed] == [stalled.run_id]
    assert stalled.outcome.status == "failed"
    assert stalled.outcome.error is not None
    assert stalled.outcome.error.startswith("abandoned: the process running it")
    assert stalled.outcome.result is None


def test_closing_the_runner_stops_the_run_it_holds_at_its_next_plan(ctx: AppContext) -> None:
    spec = _history(ctx)
    runner = SimulationRunner(ctx, name="api@here:1/stop00", stale_after=timedelta(minutes=2))

    with stalled_at_first_plan(ctx, runner, spec) as stalled:
        runner.close()

    assert stalled.outcome.status == "failed"
    assert stalled.outcome.error == "stopped: the process running it shut down at 2 of 6 plans"


def test_closing_the_runner_fails_the_runs_queued_behind_a_running_one_at_once(ctx: AppContext) -> None:
    spec = _history(ctx)
    # One thread, whose run waits as it loads its orders: the second run stays queued behind it.
    loading = GatedUnitOfWorks(ctx.uow, "stock", "changes_since")
    runner = SimulationRunner(
        replace(ctx, uow=loading), name="api@here:1/stop01", stale_after=timedelta(minutes=2), threads=1
    )
    running = runner.start(SYSTEM, spec)
    queued = runner.start(SYSTEM, spec)
    try:
        assert loading.reached.wait(30)

        runner.close()
        queued_at_close = simulation.get_simulation(ctx, queued.id)
    finally:
        loading.go_on.set()
    stopped = _eventually(lambda: simulation.get_simulation(ctx, running.id))

    assert queued_at_close.status == "failed"
    assert queued_at_close.error == "stopped: the process it was queued in shut down before it started"
    assert stopped.status == "failed"
    assert stopped.error == "stopped: the process running it shut down at 0 of 6 plans"


def test_a_closed_runner_takes_no_new_run(ctx: AppContext) -> None:
    spec = _history(ctx)
    runner = SimulationRunner(ctx, name="api@here:1/stop02", stale_after=timedelta(minutes=2))
    runner.close()

    with pytest.raises(RunnerStopping):
        runner.start(SYSTEM, spec)
    with pytest.raises(RunnerStopping):
        runner.run_here(SYSTEM, spec, progress=None)

    assert simulation.list_simulations(ctx, after=None, limit=10).rows == []


def test_a_run_whose_outcome_cannot_be_stored_is_failed_with_that_error_not_as_abandoned(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    spec = _history(ctx)
    runner = SimulationRunner(
        replace(ctx, uow=FailingOnce(ctx.uow, "simulations", "finish")),
        name="api@here:1/fail00",
        stale_after=timedelta(minutes=2),
    )
    try:
        run = runner.start(SYSTEM, spec)
        failed = _eventually(lambda: simulation.get_simulation(ctx, run.id))
    finally:
        runner.close()

    assert failed.status == "failed"
    assert failed.error == "RuntimeError: the database went away"
    assert f"simulation {run.id} could not be run" in caplog.text


def test_a_page_read_as_another_process_fails_its_stale_runs_shows_them_failed(ctx: AppContext) -> None:
    run = held_by_a_stopped_process(ctx, _history(ctx), started=True)
    reading = GatedUnitOfWorks(ctx.uow, "simulations", "page")
    listed: list[SimulationRun] = []
    thread = threading.Thread(
        target=lambda: listed.extend(
            simulation.list_simulations(
                replace(ctx, uow=reading), after=None, limit=10, stale_after=timedelta(minutes=2)
            ).rows
        )
    )
    thread.start()
    try:
        assert reading.reached.wait(30)
        swept = fail_abandoned_simulations(ctx, stale_after=timedelta(minutes=2))  # the other process wins
    finally:
        reading.go_on.set()
        thread.join(30)

    assert [r.id for r in swept] == [run.id]
    assert [(r.id, r.status) for r in listed] == [(run.id, "failed")]


def test_a_run_stored_by_a_process_from_before_heartbeats_is_failed_with_its_progress_unknown(
    ctx: AppContext,
) -> None:
    spec = _history(ctx)
    old = replace(held_by_a_stopped_process(ctx, spec), runner=None, heartbeat_at=None)
    ctx.transaction(lambda uow: uow.simulations.add(replace(old, id="sim_old_code")))

    failed = fail_abandoned_simulations(ctx, stale_after=timedelta(minutes=2))

    assert "sim_old_code" in [r.id for r in failed]
    stored = simulation.get_simulation(ctx, "sim_old_code")
    assert stored.status == "failed"
    assert stored.error == (
        f"abandoned: the process that took it stopped, progress unknown (no heartbeat since {LONG_AGO.isoformat()})"
    )


class FailingOnce(PausingUnitOfWorks):
    """The first call to `repository.method` raises once it is made, as a database gone for a moment would."""

    def __init__(self, inner: UnitOfWorkFactory, repository: str, method: str) -> None:
        super().__init__(inner, repository, method)
        self.failed = False

    def pause(self) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("the database went away")
