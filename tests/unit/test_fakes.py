"""The fakes' own promises, beyond the port contracts they share with the SQL adapters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.domain.catalog import Item
from ordermesh.domain.geo import GeoPoint
from ordermesh.services.context import AppContext
from ordermesh.services.ports import DuplicateKey, RetryableConflict, UnitOfWork, UnitOfWorkFactory
from tests.contract.builders import new_order
from tests.fakes import (
    FakeClock,
    FakeGeocoder,
    FakeMisuse,
    FakeUnitOfWork,
    FakeUnitOfWorkFactory,
    SequentialIds,
    TransactionAborted,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TEE = Item("TEE", "Tee", 500)


def test_a_fake_unit_of_work_serves_where_a_unit_of_work_is_expected() -> None:
    factory: UnitOfWorkFactory = FakeUnitOfWorkFactory()
    uow: UnitOfWork = factory()

    with uow:
        uow.items.add(TEE, T0)
        uow.commit()

    with factory(read_only=True) as reader:
        assert isinstance(reader, FakeUnitOfWork)
        assert reader.items.get("TEE") == TEE


def test_a_duplicate_key_aborts_the_unit_of_work_until_it_is_rolled_back() -> None:
    factory = FakeUnitOfWorkFactory()
    with factory() as uow:
        uow.items.add(TEE, T0)
        uow.commit()

    with factory() as uow:
        with pytest.raises(DuplicateKey):
            uow.items.add(TEE, T0)
        with pytest.raises(TransactionAborted):
            uow.items.get("TEE")
        uow.rollback()
        assert uow.items.get("TEE") == TEE


def test_a_commit_after_another_unit_of_work_committed_is_a_retryable_conflict() -> None:
    factory = FakeUnitOfWorkFactory()
    with factory() as slow, factory() as fast:
        slow.items.add(TEE, T0)
        fast.items.add(Item("MUG", "Mug", 300), T0)
        fast.commit()

        with pytest.raises(RetryableConflict):
            slow.commit()


def test_an_app_context_runs_a_conflicting_transaction_again() -> None:
    factory = FakeUnitOfWorkFactory()
    ctx = AppContext(factory, FakeClock(), SequentialIds(), FakeGeocoder())
    attempts: list[int] = []

    def work(uow: UnitOfWork) -> None:
        attempts.append(1)
        uow.items.add(Item(f"SKU-{len(attempts)}", "x", 1), T0)
        if len(attempts) == 1:  # someone else commits while this one runs
            ctx.transaction(lambda other: other.items.add(TEE, T0))

    ctx.transaction(work)

    assert len(attempts) == 2
    assert ctx.read(lambda uow: uow.items.known(["TEE", "SKU-1", "SKU-2"])) == {"TEE", "SKU-2"}


def test_a_unit_of_work_commits_once() -> None:
    factory = FakeUnitOfWorkFactory()
    with factory() as uow:
        uow.items.add(TEE, T0)
        uow.commit()
        uow.items.add(Item("MUG", "Mug", 300), T0)

        with pytest.raises(FakeMisuse):
            uow.commit()


def test_a_rolled_back_unit_of_work_cannot_commit() -> None:
    with FakeUnitOfWorkFactory()() as uow:
        uow.items.add(TEE, T0)
        uow.rollback()

        with pytest.raises(FakeMisuse):
            uow.commit()


def test_a_read_only_unit_of_work_cannot_commit() -> None:
    with FakeUnitOfWorkFactory()(read_only=True) as uow, pytest.raises(FakeMisuse):
        uow.commit()


def test_a_unit_of_work_is_used_inside_its_with_block_only() -> None:
    uow = FakeUnitOfWorkFactory()()

    with pytest.raises(FakeMisuse):
        uow.items.get("TEE")


def test_an_order_is_saved_only_in_the_unit_of_work_that_added_or_read_it() -> None:
    factory = FakeUnitOfWorkFactory()
    order = new_order("ord-1")

    with factory() as uow, pytest.raises(FakeMisuse):
        uow.orders.save(order)


def test_the_clock_stands_still_until_moved() -> None:
    clock = FakeClock(T0)

    assert (clock.now(), clock.now()) == (T0, T0)
    assert clock.advance(timedelta(minutes=5)) == T0 + timedelta(minutes=5)
    clock.set(T0 - timedelta(days=1))
    assert clock.now() == T0 - timedelta(days=1)


def test_a_ticking_clock_moves_on_after_every_reading() -> None:
    clock = FakeClock(T0, tick=timedelta(seconds=1))

    assert [clock.now(), clock.now()] == [T0, T0 + timedelta(seconds=1)]


def test_the_clock_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        FakeClock(datetime(2025, 3, 1, 12, 0))


def test_ids_are_numbered_per_prefix() -> None:
    ids = SequentialIds()

    assert [ids("ord"), ids("line"), ids("ord")] == ["ord_000001", "line_000001", "ord_000002"]


def test_the_geocoder_knows_only_the_postal_codes_it_was_given() -> None:
    geocoder = FakeGeocoder({"10016": GeoPoint(40.7, -74.0)})

    assert geocoder.locate("US", "10016") == GeoPoint(40.7, -74.0)
    assert geocoder.locate("US", "99999") is None
    assert geocoder.locate("US", None) is None
