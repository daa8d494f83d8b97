"""The ChannelPushes contract (the queue of status updates to sales channels), on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from ordermesh.domain.channel_status import PushStatus
from ordermesh.services.channel_ports import ChannelPush
from ordermesh.services.ports import UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import committed, every_page, minutes, read

SHOP = "shopify:acme.myshopify.com"
SITE = "woocommerce:shop.example.com"


def push(event: int, order: str = "ord_1", *, channel: str = SHOP, status: str = "pending", at: int = 0) -> ChannelPush:
    update = {
        "kind": "shipment",
        "external_order_id": "820982911946154508",
        "lines": [{"external_id": "1", "n": event}],
    }
    return ChannelPush(
        0,
        channel,
        order,
        f"evt_{event:03}",
        "ordermesh.fulfillment_order.shipped",
        update,
        status,
        0,
        minutes(at),
        minutes(at),
    )


def queued(factory: UnitOfWorkFactory, *pushes: ChannelPush) -> None:
    committed(factory, lambda uow: uow.channel_pushes.add(list(pushes)))


def due(factory: UnitOfWorkFactory, at: int, limit: int = 100) -> list[ChannelPush]:
    return read(factory, lambda uow: uow.channel_pushes.due(minutes(at), limit=limit))


def events(pushes: list[ChannelPush]) -> list[str]:
    return [p.event_id for p in pushes]


class ChannelPushesContract:
    def test_pushes_are_stored_as_given_with_ids_in_queue_order(self, uow_factory: UnitOfWorkFactory) -> None:
        queued(uow_factory, push(1), push(2, "ord_2"))

        first, second = due(uow_factory, 0)

        assert first.id < second.id
        assert replace(first, id=0) == push(1)
        assert read(uow_factory, lambda uow: uow.channel_pushes.get(second.id)) == second

    def test_only_the_first_waiting_push_of_an_order_is_due(self, uow_factory: UnitOfWorkFactory) -> None:
        queued(uow_factory, push(1), push(2), push(3, "ord_2"), push(4, channel=SITE))

        assert events(due(uow_factory, 0)) == ["evt_001", "evt_003", "evt_004"]

    def test_a_settled_push_lets_the_next_of_its_order_go(self, uow_factory: UnitOfWorkFactory) -> None:
        queued(uow_factory, push(1), push(2), push(3))
        first = due(uow_factory, 0)[0]
        committed(uow_factory, lambda uow: uow.channel_pushes.save(replace(first, status="dead", attempts=3)))

        assert events(due(uow_factory, 0)) == ["evt_002"]

    def test_a_push_is_not_due_before_its_next_attempt_nor_while_leased(self, uow_factory: UnitOfWorkFactory) -> None:
        queued(uow_factory, push(1), push(2, "ord_2"))
        first, second = due(uow_factory, 0)
        committed(
            uow_factory,
            lambda uow: uow.channel_pushes.save(replace(first, status="failed", next_attempt_at=minutes(5))),
        )
        committed(uow_factory, lambda uow: uow.channel_pushes.lease([second.id], minutes(2)))

        assert due(uow_factory, 1) == []
        assert events(due(uow_factory, 3)) == ["evt_002"]
        assert events(due(uow_factory, 5)) == ["evt_001", "evt_002"]

    def test_saving_keeps_what_the_push_is_and_stores_its_outcome(self, uow_factory: UnitOfWorkFactory) -> None:
        queued(uow_factory, push(1))
        stored = due(uow_factory, 0)[0]
        outcome = replace(
            stored,
            status=PushStatus.DONE.value,
            attempts=2,
            last_attempt_at=minutes(1),
            last_error=None,
            reference="gid://shopify/Fulfillment/255858046",
            done_at=minutes(1),
            leased_until=None,
        )

        committed(uow_factory, lambda uow: uow.channel_pushes.save(replace(outcome, update={"changed": True})))

        assert read(uow_factory, lambda uow: uow.channel_pushes.get(stored.id)) == outcome
        assert due(uow_factory, 2) == []

    def test_a_channels_pushes_are_listed_newest_first_page_by_page_and_by_status(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        queued(uow_factory, push(1), push(2, "ord_2"), push(3, "ord_3", status="skipped"), push(4, channel=SITE))

        listed = every_page(
            uow_factory, lambda uow, after: uow.channel_pushes.page(SHOP, status=None, after=after, limit=2), limit=2
        )
        skipped = read(uow_factory, lambda uow: uow.channel_pushes.page(SHOP, status="skipped", after=None, limit=5))

        assert events(listed) == ["evt_003", "evt_002", "evt_001"]
        assert events(skipped.rows) == ["evt_003"]


class TestChannelPushesOnFake(FakeBackend, ChannelPushesContract):
    pass


class TestChannelPushesOnSql(SqlBackend, ChannelPushesContract):
    pass
