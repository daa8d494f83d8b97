"""The UnitOfWork contract: one transaction; only what is committed survives the `with` block."""

from __future__ import annotations

import pytest

from ordermesh.services.ports import UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import T0, committed, item, read


def item_exists(factory: UnitOfWorkFactory, sku: str) -> bool:
    return read(factory, lambda uow: uow.items.get(sku)) is not None


class Boom(Exception):
    pass


class UnitOfWorkContract:
    def test_committed_work_is_seen_by_the_next_unit_of_work(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.items.add(item("TEE"), T0))

        assert item_exists(uow_factory, "TEE")

    def test_work_that_is_not_committed_is_gone_after_the_unit_of_work_exits(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        with uow_factory() as uow:
            uow.items.add(item("TEE"), T0)
            assert uow.items.get("TEE") == item("TEE")  # it sees its own writes

        assert not item_exists(uow_factory, "TEE")

    def test_a_unit_of_work_that_raises_leaves_nothing_behind(self, uow_factory: UnitOfWorkFactory) -> None:
        with pytest.raises(Boom), uow_factory() as uow:
            uow.items.add(item("TEE"), T0)
            uow.outbox.add([], T0)
            raise Boom

        assert not item_exists(uow_factory, "TEE")

    def test_rollback_discards_the_work_so_far(self, uow_factory: UnitOfWorkFactory) -> None:
        with uow_factory() as uow:
            uow.items.add(item("TEE"), T0)
            uow.rollback()

        assert not item_exists(uow_factory, "TEE")

    def test_uncommitted_work_is_invisible_to_another_unit_of_work(self, uow_factory: UnitOfWorkFactory) -> None:
        with uow_factory() as writer:
            writer.items.add(item("TEE"), T0)

            assert not item_exists(uow_factory, "TEE")

            writer.commit()

        assert item_exists(uow_factory, "TEE")

    def test_work_after_the_commit_is_discarded_when_the_unit_of_work_exits(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        with uow_factory() as uow:
            uow.items.add(item("TEE"), T0)
            uow.commit()
            uow.items.add(item("MUG"), T0)

        assert item_exists(uow_factory, "TEE")
        assert not item_exists(uow_factory, "MUG")


class TestUnitOfWorkOnFake(FakeBackend, UnitOfWorkContract):
    pass


class TestUnitOfWorkOnSql(SqlBackend, UnitOfWorkContract):
    pass
