"""The SimulationRuns contract: only the process holding a run moves it on, and a run whose heartbeat is stale is
failed as abandoned exactly once, never after a heartbeat came."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordermesh.services.ports import DuplicateKey, SimulationRun, UnitOfWork, UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import T0, committed, minutes, read

HERE = "api@host-a:10/aaaaaa"
THERE = "api@host-b:20/bbbbbb"


def queued(run_id: str, *, runner: str = HERE, heartbeat: int = 0) -> SimulationRun:
    parameters = {"orders": {"from": "2025-03-01T00:00:00+00:00", "to": "2025-03-02T00:00:00+00:00"}}
    return SimulationRun(run_id, "queued", parameters, T0, "ops", runner=runner, heartbeat_at=minutes(heartbeat))


def added(factory: UnitOfWorkFactory, *runs: SimulationRun) -> None:
    def work(uow: UnitOfWork) -> None:
        for run in runs:
            uow.simulations.add(run)

    committed(factory, work)


def started(factory: UnitOfWorkFactory, run_id: str, *, runner: str = HERE, at: int = 1) -> bool:
    return committed(factory, lambda uow: uow.simulations.start(run_id, runner=runner, at=minutes(at)))


def beat(
    factory: UnitOfWorkFactory, run_id: str, *, runner: str = HERE, at: int, progress: tuple[int, int] | None = None
) -> bool:
    return committed(
        factory, lambda uow: uow.simulations.beat(run_id, runner=runner, at=minutes(at), progress=progress)
    )


def abandoned(factory: UnitOfWorkFactory, run_id: str, *, before: int, at: int = 10) -> bool:
    return committed(
        factory,
        lambda uow: uow.simulations.abandon(run_id, before=minutes(before), at=minutes(at), error="abandoned: gone"),
    )


def stored(factory: UnitOfWorkFactory, run_id: str) -> SimulationRun:
    run = read(factory, lambda uow: uow.simulations.get(run_id))
    assert run is not None
    return run


class SimulationRunsContract:
    def test_a_run_is_stored_with_the_process_holding_it_and_its_heartbeat(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        added(uow_factory, queued("sim_1", heartbeat=0))

        run = stored(uow_factory, "sim_1")

        assert (run.status, run.runner, run.heartbeat_at) == ("queued", HERE, T0)
        assert (run.plans_made, run.plans_to_make, run.started_at, run.retry_of) == (None, None, None, None)

    def test_only_the_process_holding_a_queued_run_starts_it_and_only_once(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        added(uow_factory, queued("sim_1"))

        assert not started(uow_factory, "sim_1", runner=THERE)
        assert started(uow_factory, "sim_1", at=1)
        assert not started(uow_factory, "sim_1", at=2)

        run = stored(uow_factory, "sim_1")
        assert (run.status, run.started_at, run.heartbeat_at) == ("running", minutes(1), minutes(1))

    def test_a_heartbeat_moves_on_the_heartbeat_and_progress_of_a_run_the_process_holds(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        added(uow_factory, queued("sim_1"))
        started(uow_factory, "sim_1")

        assert beat(uow_factory, "sim_1", at=2, progress=(1_234, 10_000))
        assert beat(uow_factory, "sim_1", at=3)  # no progress yet to tell: the last one stays
        assert not beat(uow_factory, "sim_1", runner=THERE, at=4, progress=(1, 2))

        run = stored(uow_factory, "sim_1")
        assert (run.heartbeat_at, run.plans_made, run.plans_to_make) == (minutes(3), 1_234, 10_000)

    def test_the_outcome_is_stored_only_while_the_process_still_holds_the_run(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        added(uow_factory, queued("sim_1"), queued("sim_2"))
        started(uow_factory, "sim_1")
        started(uow_factory, "sim_2")
        abandoned(uow_factory, "sim_2", before=5)
        run = stored(uow_factory, "sim_1")
        done = SimulationRun(
            "sim_1",
            "done",
            run.parameters,
            T0,
            "ops",
            {"orders_replayed": 3},
            minutes(4),
            plans_made=6,
            plans_to_make=6,
        )
        late = SimulationRun("sim_2", "done", run.parameters, T0, "ops", {"orders_replayed": 3}, minutes(11))

        assert not committed(uow_factory, lambda uow: uow.simulations.finish(done, runner=THERE))
        assert committed(uow_factory, lambda uow: uow.simulations.finish(done, runner=HERE))
        assert not committed(uow_factory, lambda uow: uow.simulations.finish(done, runner=HERE))
        assert not committed(uow_factory, lambda uow: uow.simulations.finish(late, runner=HERE))

        first = stored(uow_factory, "sim_1")
        assert (first.status, first.result, first.finished_at) == ("done", {"orders_replayed": 3}, minutes(4))
        assert (first.plans_made, first.plans_to_make) == (6, 6)
        assert not beat(uow_factory, "sim_1", at=5)
        second = stored(uow_factory, "sim_2")
        assert (second.status, second.error, second.result) == ("failed", "abandoned: gone", None)

    def test_stale_runs_are_the_unfinished_ones_with_an_old_heartbeat_oldest_first(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        added(
            uow_factory,
            queued("sim_1", heartbeat=3),
            queued("sim_2", heartbeat=1),
            queued("sim_3", heartbeat=8),  # fresh
            queued("sim_4", heartbeat=2),
        )
        started(uow_factory, "sim_4", at=2)
        started(uow_factory, "sim_1", at=3)
        done = SimulationRun("sim_1", "done", {}, T0, "ops", {}, minutes(4))
        committed(uow_factory, lambda uow: uow.simulations.finish(done, runner=HERE))

        stale = read(uow_factory, lambda uow: uow.simulations.stale(before=minutes(5), limit=10))

        assert [(run.id, run.status) for run in stale] == [("sim_2", "queued"), ("sim_4", "running")]
        assert [run.id for run in read(uow_factory, lambda uow: uow.simulations.stale(before=minutes(5), limit=1))] == [
            "sim_2"
        ]

    def test_a_stale_run_is_failed_as_abandoned_once(self, uow_factory: UnitOfWorkFactory) -> None:
        added(uow_factory, queued("sim_1", heartbeat=0))
        started(uow_factory, "sim_1", at=1)

        first = abandoned(uow_factory, "sim_1", before=5, at=6)
        second = abandoned(uow_factory, "sim_1", before=5, at=7)

        assert (first, second) == (True, False)
        run = stored(uow_factory, "sim_1")
        assert (run.status, run.finished_at, run.error) == ("failed", minutes(6), "abandoned: gone")
        assert not beat(uow_factory, "sim_1", at=8)

    def test_a_run_whose_heartbeat_came_after_it_was_found_stale_is_not_failed(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        added(uow_factory, queued("sim_1", heartbeat=0))
        found = read(uow_factory, lambda uow: uow.simulations.stale(before=minutes(5), limit=10))

        beat(uow_factory, "sim_1", at=6)

        assert [run.id for run in found] == ["sim_1"]
        assert not abandoned(uow_factory, "sim_1", before=5)
        assert stored(uow_factory, "sim_1").status == "queued"

    def test_a_run_stored_without_a_heartbeat_is_stale_from_its_creation(self, uow_factory: UnitOfWorkFactory) -> None:
        # as a process of a version from before heartbeats stores it, during a rolling deploy
        added(uow_factory, replace(queued("sim_1"), runner=None, heartbeat_at=None, created_at=minutes(2)))

        fresh = read(uow_factory, lambda uow: uow.simulations.stale(before=minutes(1), limit=10))
        stale = read(uow_factory, lambda uow: uow.simulations.stale(before=minutes(5), limit=10))

        assert (fresh, [run.id for run in stale]) == ([], ["sim_1"])
        assert not abandoned(uow_factory, "sim_1", before=1)
        assert abandoned(uow_factory, "sim_1", before=5)
        assert stored(uow_factory, "sim_1").status == "failed"

    def test_a_run_is_retried_once(self, uow_factory: UnitOfWorkFactory) -> None:
        added(uow_factory, queued("sim_1"), replace(queued("sim_2"), retry_of="sim_1"))

        with uow_factory() as uow, pytest.raises(DuplicateKey):
            uow.simulations.add(replace(queued("sim_3"), retry_of="sim_1"))

        retry = read(uow_factory, lambda uow: uow.simulations.retry_of("sim_1"))
        assert retry is not None and retry.id == "sim_2"
        assert read(uow_factory, lambda uow: uow.simulations.retry_of("sim_2")) is None
        assert read(uow_factory, lambda uow: uow.simulations.get("sim_3")) is None


class TestSimulationRunsOnFake(FakeBackend, SimulationRunsContract):
    pass


class TestSimulationRunsOnSql(SqlBackend, SimulationRunsContract):
    pass
