"""The sourcing ports' contracts: rule-set versions (one active), stored decisions, the capacity ledger."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordermesh.services.ports import Decision, DuplicateKey, RuleSetRecord, UnitOfWork, UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import T0, committed, minutes, read

DOCUMENT = {"name": "spring", "costs": {"currency": "USD"}, "rules": [{"name": "a", "when": {"channel": "web"}}]}


def version(record_id: str, number: int, *, status: str = "draft", name: str = "spring") -> RuleSetRecord:
    return RuleSetRecord(record_id, name, number, status, dict(DOCUMENT, name=name), minutes(number), "ops")


class RuleSetsContract:
    def test_a_version_reads_back_equal_and_numbers_grow_per_name(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.rule_sets.add(version("rs_1", 1)))
        committed(uow_factory, lambda uow: uow.rule_sets.add(version("rs_2", 2)))
        committed(uow_factory, lambda uow: uow.rule_sets.add(version("rs_3", 1, name="autumn")))

        assert read(uow_factory, lambda uow: uow.rule_sets.get("rs_1")) == version("rs_1", 1)
        assert read(uow_factory, lambda uow: uow.rule_sets.last_version("spring")) == 2
        assert read(uow_factory, lambda uow: uow.rule_sets.last_version("winter")) == 0
        assert read(uow_factory, lambda uow: uow.rule_sets.get("rs_9")) is None

    def test_the_same_name_and_version_twice_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.rule_sets.add(version("rs_1", 1)))

        with pytest.raises(DuplicateKey):
            committed(uow_factory, lambda uow: uow.rule_sets.add(version("rs_2", 1)))

    def test_activation_archives_the_active_version_and_a_second_active_one_is_refused(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        first = replace(version("rs_1", 1), status="active", activated_at=minutes(10))
        committed(uow_factory, lambda uow: uow.rule_sets.add(first))
        committed(uow_factory, lambda uow: uow.rule_sets.add(version("rs_2", 2)))
        committed(uow_factory, lambda uow: uow.rule_sets.add(version("rs_3", 3)))
        archived = replace(first, status="archived", archived_at=minutes(20))
        second = replace(version("rs_2", 2), status="active", activated_at=minutes(20))

        def switch(uow: UnitOfWork) -> None:
            uow.rule_sets.save(archived)
            uow.rule_sets.save(second)

        committed(uow_factory, switch)

        assert read(uow_factory, lambda uow: uow.rule_sets.active()) == second
        assert committed(uow_factory, lambda uow: uow.rule_sets.active(for_update=True)) == second
        assert read(uow_factory, lambda uow: uow.rule_sets.get("rs_1")) == archived
        with pytest.raises(DuplicateKey):
            committed(uow_factory, lambda uow: uow.rule_sets.save(replace(version("rs_3", 3), status="active")))
        assert read(uow_factory, lambda uow: uow.rule_sets.active()) == second

    def test_standing_activations_come_newest_first_without_the_rolled_back_ones(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        for number in range(1, 4):
            committed(uow_factory, lambda uow, n=number: uow.rule_sets.add(version(f"rs_{n}", n)))
        for number, rule_set_id in enumerate(("rs_1", "rs_2", "rs_1", "rs_3"), start=1):
            committed(uow_factory, lambda uow, r=rule_set_id, n=number: uow.rule_sets.add_activation(r, minutes(n)))

        newest = read(uow_factory, lambda uow: uow.rule_sets.standing_activations(limit=2))
        committed(uow_factory, lambda uow: uow.rule_sets.roll_back_activation(newest[0].id, minutes(9)))
        after = read(uow_factory, lambda uow: uow.rule_sets.standing_activations(limit=10))

        assert [(a.rule_set_id, a.activated_at, a.rolled_back_at) for a in newest] == [
            ("rs_3", minutes(4), None),
            ("rs_1", minutes(3), None),
        ]
        assert [a.rule_set_id for a in after] == ["rs_1", "rs_2", "rs_1"]
        assert read(uow_factory, lambda uow: uow.rule_sets.standing_activations(limit=0)) == []

    def test_pages_filter_by_status_newest_first(self, uow_factory: UnitOfWorkFactory) -> None:
        for number in range(1, 5):
            committed(uow_factory, lambda uow, n=number: uow.rule_sets.add(version(f"rs_{n}", n)))
        committed(uow_factory, lambda uow: uow.rule_sets.save(replace(version("rs_2", 2), status="active")))

        first = read(uow_factory, lambda uow: uow.rule_sets.page(name=None, status="draft", after=None, limit=2))
        rest = read(
            uow_factory, lambda uow: uow.rule_sets.page(name="spring", status="draft", after=first.next_cursor, limit=2)
        )

        assert [r.id for r in first.rows] == ["rs_4", "rs_3"]
        assert [r.id for r in rest.rows] == ["rs_1"] and rest.next_cursor is None


class DecisionsContract:
    def test_decisions_come_back_newest_first_per_order(self, uow_factory: UnitOfWorkFactory) -> None:
        def work(uow: object) -> None:
            for trigger, order_id in (("capture", "ord_1"), ("capture", "ord_2"), ("rejection", "ord_1")):
                uow.decisions.add(  # type: ignore[attr-defined]
                    Decision(order_id, trigger, "rs_1", T0, {"summary": f"{trigger} {order_id}", "cost": 1.5})
                )

        committed(uow_factory, work)

        found = read(uow_factory, lambda uow: uow.decisions.for_order("ord_1", limit=10))
        assert [(d.trigger, d.explanation["summary"]) for d in found] == [
            ("rejection", "rejection ord_1"),
            ("capture", "capture ord_1"),
        ]
        assert found[0].decided_at == T0 and found[0].rule_set_id == "rs_1"
        assert read(uow_factory, lambda uow: uow.decisions.for_order("ord_1", limit=1))[0].trigger == "rejection"


class CapacityContract:
    def test_consumption_stops_at_the_limits_and_release_gives_back(self, uow_factory: UnitOfWorkFactory) -> None:
        limits = (2, 5)
        assert committed(uow_factory, lambda uow: uow.capacity.consume("DC", "2025-03-01", 1, 3, limits))
        assert not committed(uow_factory, lambda uow: uow.capacity.consume("DC", "2025-03-01", 1, 3, limits))
        assert committed(uow_factory, lambda uow: uow.capacity.consume("DC", "2025-03-01", 1, 2, limits))
        assert not committed(uow_factory, lambda uow: uow.capacity.consume("DC", "2025-03-01", 1, 0, limits))
        assert committed(uow_factory, lambda uow: uow.capacity.consume("DC", "2025-03-02", 1, 5, limits))
        assert not committed(uow_factory, lambda uow: uow.capacity.consume("ST", "2025-03-01", 0, 6, limits))

        keys = [("DC", "2025-03-01"), ("DC", "2025-03-02"), ("ST", "2025-03-01")]
        assert read(uow_factory, lambda uow: uow.capacity.used(keys)) == {
            ("DC", "2025-03-01"): (2, 5),
            ("DC", "2025-03-02"): (1, 5),
        }

        committed(uow_factory, lambda uow: uow.capacity.release("DC", "2025-03-01", 1, 4))
        committed(uow_factory, lambda uow: uow.capacity.release("DC", "2025-03-02", 5, 9))
        assert read(uow_factory, lambda uow: uow.capacity.used(keys)) == {
            ("DC", "2025-03-01"): (1, 1),
            ("DC", "2025-03-02"): (0, 0),
        }

    def test_unlimited_dimensions_are_only_counted(self, uow_factory: UnitOfWorkFactory) -> None:
        for _ in range(3):
            assert committed(uow_factory, lambda uow: uow.capacity.consume("DC", "2025-03-01", 1, 40, (None, None)))
        assert read(uow_factory, lambda uow: uow.capacity.used([("DC", "2025-03-01")])) == {
            ("DC", "2025-03-01"): (3, 120)
        }


class TestRuleSetsOnFake(FakeBackend, RuleSetsContract):
    pass


class TestRuleSetsOnSql(SqlBackend, RuleSetsContract):
    pass


class TestDecisionsOnFake(FakeBackend, DecisionsContract):
    pass


class TestDecisionsOnSql(SqlBackend, DecisionsContract):
    pass


class TestCapacityOnFake(FakeBackend, CapacityContract):
    pass


class TestCapacityOnSql(SqlBackend, CapacityContract):
    pass
