"""The AuditLog contract: who did what, newest first, filtered by entity."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ordermesh.domain.access import SYSTEM, Principal, Role
from ordermesh.domain.errors import InvalidInput
from ordermesh.services.ports import UnitOfWork, UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import T0, committed, every_page, minutes, read

CURSOR_BUG = "SqlAuditLog.page() calls int() on the cursor key: a foreign cursor raises ValueError, not InvalidInput"
CLERK = Principal("key_clerk", "warehouse clerk", Role.OPERATOR)


def recorded(factory: UnitOfWorkFactory, *entries: tuple[str, str, str]) -> None:
    """Commit (action, entity, entity_id) audit records, one minute apart."""

    def work(uow: UnitOfWork) -> None:
        for n, (action, entity, entity_id) in enumerate(entries):
            uow.audit.record(
                actor=CLERK, action=action, entity=entity, entity_id=entity_id, before={"n": n}, after={"n": n + 1},
                at=minutes(n),
            )

    committed(factory, work)


def page(factory: UnitOfWorkFactory, **filters: Any) -> list[dict[str, Any]]:
    return every_page(
        factory,
        lambda uow, after: uow.audit.page(
            entity=filters.get("entity"), entity_id=filters.get("entity_id"), after=after, limit=2
        ),
        limit=2,
    )


class AuditContract:
    def test_a_record_keeps_who_did_what_to_which_entity_when(self, uow_factory: UnitOfWorkFactory) -> None:
        before = {"on_hand": 3, "as_of": None}
        after = {"on_hand": 5, "total": Decimal("1.50"), "at": T0, "tags": ("a",)}
        committed(
            uow_factory,
            lambda uow: uow.audit.record(
                actor=SYSTEM, action="inventory.set", entity="stock", entity_id="WH/TEE", before=before, after=after,
                at=T0,
            ),
        )

        [row] = page(uow_factory)

        assert {k: v for k, v in row.items() if k != "id"} == {
            "at": T0,
            "actor_id": "system",
            "actor_name": "system",
            "action": "inventory.set",
            "entity": "stock",
            "entity_id": "WH/TEE",
            "before": {"on_hand": 3, "as_of": None},
            "after": {"on_hand": 5, "total": "1.50", "at": T0.isoformat(), "tags": ["a"]},
        }

    def test_a_unit_of_work_reads_the_records_it_has_written(self, uow_factory: UnitOfWorkFactory) -> None:
        def write_then_read(uow: UnitOfWork) -> list[str]:
            uow.audit.record(actor=SYSTEM, action="order.hold", entity="order", entity_id="o1", before=None,
                             after={"status": "on_hold"}, at=T0)
            return [row["entity_id"] for row in uow.audit.page(entity=None, entity_id=None, after=None, limit=10).rows]

        assert committed(uow_factory, write_then_read) == ["o1"]
        assert [row["entity_id"] for row in page(uow_factory)] == ["o1"]

    def test_a_record_without_a_before_picture_keeps_none(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(
            uow_factory,
            lambda uow: uow.audit.record(
                actor=CLERK, action="item.create", entity="item", entity_id="TEE", before=None, after={"sku": "TEE"},
                at=T0,
            ),
        )

        [row] = page(uow_factory)

        assert (row["before"], row["after"], row["actor_id"]) == (None, {"sku": "TEE"}, "key_clerk")

    def test_pages_are_newest_first_complete_and_non_overlapping(self, uow_factory: UnitOfWorkFactory) -> None:
        recorded(uow_factory, ("a1", "order", "o1"), ("a2", "stock", "WH/TEE"), ("a3", "order", "o2"))
        recorded(uow_factory, ("a4", "order", "o1"), ("a5", "item", "TEE"))

        assert [r["action"] for r in page(uow_factory)] == ["a5", "a4", "a3", "a2", "a1"]

    def test_pages_filter_by_entity_and_entity_id(self, uow_factory: UnitOfWorkFactory) -> None:
        recorded(
            uow_factory, ("a1", "order", "o1"), ("a2", "stock", "o1"), ("a3", "order", "o2"), ("a4", "order", "o1")
        )

        assert [r["action"] for r in page(uow_factory, entity="order")] == ["a4", "a3", "a1"]
        assert [r["action"] for r in page(uow_factory, entity="order", entity_id="o1")] == ["a4", "a1"]
        assert [r["action"] for r in page(uow_factory, entity_id="o1")] == ["a4", "a2", "a1"]

    def test_an_audit_cursor_that_is_not_base64_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        with pytest.raises(InvalidInput):
            read(uow_factory, lambda uow: uow.audit.page(entity=None, entity_id=None, after="%%%", limit=2))

    def test_an_audit_cursor_we_did_not_issue_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        with pytest.raises(InvalidInput):
            read(uow_factory, lambda uow: uow.audit.page(entity=None, entity_id=None, after="YWJj", limit=2))


class TestAuditOnFake(FakeBackend, AuditContract):
    pass


class TestAuditOnSql(SqlBackend, AuditContract):
    pass
