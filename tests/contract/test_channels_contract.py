"""The Channels, WebhookDeliveries and ChannelOrders contracts, on the fake and on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordermesh.services.channel_ports import ChannelOrderRecord, ChannelRecord, WebhookRecord
from ordermesh.services.ports import DuplicateKey, UnitOfWork, UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import T0, committed, every_page, minutes, read

BIG_ID = "820982911946154508"


def channel(name: str = "shopify:acme.myshopify.com", *, secret: str = "s3cret-s3cret") -> ChannelRecord:
    kind = name.split(":", maxsplit=1)[0]
    return ChannelRecord(name, kind, secret, {"pickup_locations": {"Main Street": "CHI-01"}}, T0, T0)


def delivery(webhook_id: str, *, channel_name: str = "shopify:acme.myshopify.com", at: int = 0) -> WebhookRecord:
    return WebhookRecord(channel_name, webhook_id, "orders/create", "created", "ord_1", minutes(at), None)


def picture(*, updated: int = 0, note: str = "leave at the door") -> ChannelOrderRecord:
    return ChannelOrderRecord(
        "shopify:acme.myshopify.com",
        BIG_ID,
        "ord_1",
        minutes(updated),
        {"payment_status": "paid", "quantities": {"466157049": 2}},
        {"note": note, "discount_codes": [{"code": "TENOFF", "amount": "10.00"}]},
        minutes(updated + 1),
    )


def added(factory: UnitOfWorkFactory, *records: ChannelRecord) -> None:
    def work(uow: UnitOfWork) -> None:
        for record in records:
            uow.channels.add(record)

    committed(factory, work)


def remembered(factory: UnitOfWorkFactory, *records: WebhookRecord) -> None:
    def work(uow: UnitOfWork) -> None:
        for record in records:
            uow.webhooks.add(record)

    committed(factory, work)


class ChannelsContract:
    def test_a_channel_is_found_by_its_name_with_its_secret_and_settings(self, uow_factory: UnitOfWorkFactory) -> None:
        added(uow_factory, channel())

        assert read(uow_factory, lambda uow: uow.channels.get("shopify:acme.myshopify.com")) == channel()
        assert read(uow_factory, lambda uow: uow.channels.get("shopify:other.myshopify.com")) is None

    def test_a_channel_is_configured_once(self, uow_factory: UnitOfWorkFactory) -> None:
        added(uow_factory, channel())

        with pytest.raises(DuplicateKey):
            added(uow_factory, channel(secret="another-secret"))

        assert read(uow_factory, lambda uow: uow.channels.get(channel().channel)) == channel()

    def test_saving_a_channel_rotates_its_secret_and_replaces_its_settings(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        added(uow_factory, channel())
        rotated = replace(
            channel(),
            webhook_secret="rotated-secret",
            settings={},
            api_credentials={"access_token": "shpat_0a1b2c"},
            updated_at=minutes(5),
        )

        committed(uow_factory, lambda uow: uow.channels.save(rotated))

        assert read(uow_factory, lambda uow: uow.channels.get(rotated.channel)) == rotated

    def test_channels_are_listed_by_name_page_by_page(self, uow_factory: UnitOfWorkFactory) -> None:
        names = ["woocommerce:shop.example.com", "shopify:b.myshopify.com", "shopify:a.myshopify.com"]
        added(uow_factory, *(channel(name) for name in names))

        listed = every_page(uow_factory, lambda uow, after: uow.channels.page(after=after, limit=2), limit=2)

        assert [record.channel for record in listed] == sorted(names)


class WebhookDeliveriesContract:
    def test_a_processed_delivery_is_found_again_by_channel_and_id(self, uow_factory: UnitOfWorkFactory) -> None:
        webhook_id = "b54557e4-8a5f-4f7d-b70b-cd043aa11f0e"
        remembered(uow_factory, delivery(webhook_id))

        found = read(uow_factory, lambda uow: uow.webhooks.get("shopify:acme.myshopify.com", webhook_id))

        assert found == delivery(webhook_id)
        assert read(uow_factory, lambda uow: uow.webhooks.get("shopify:other.myshopify.com", webhook_id)) is None

    def test_the_same_delivery_is_remembered_once(self, uow_factory: UnitOfWorkFactory) -> None:
        remembered(uow_factory, delivery("w-1"))

        with pytest.raises(DuplicateKey):
            remembered(uow_factory, replace(delivery("w-1"), outcome="updated"))

        assert read(uow_factory, lambda uow: uow.webhooks.get(delivery("w-1").channel, "w-1")) == delivery("w-1")

    def test_the_same_id_from_another_channel_is_another_delivery(self, uow_factory: UnitOfWorkFactory) -> None:
        remembered(uow_factory, delivery("w-1"))

        remembered(uow_factory, delivery("w-1", channel_name="woocommerce:shop.example.com"))

        assert read(uow_factory, lambda uow: uow.webhooks.get("woocommerce:shop.example.com", "w-1")) is not None

    def test_a_delivery_remembered_in_a_unit_of_work_that_did_not_commit_is_forgotten(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        with uow_factory() as uow:
            uow.webhooks.add(delivery("w-1"))

        assert read(uow_factory, lambda uow: uow.webhooks.get(delivery("w-1").channel, "w-1")) is None

    def test_a_channels_deliveries_are_listed_newest_first(self, uow_factory: UnitOfWorkFactory) -> None:
        remembered(uow_factory, delivery("w-1"), delivery("w-2", at=1), delivery("x-1", channel_name="shopify:b.x"))
        remembered(uow_factory, delivery("w-3", at=2))

        listed = every_page(
            uow_factory, lambda uow, after: uow.webhooks.page(delivery("w-1").channel, after=after, limit=2), limit=2
        )

        assert [record.webhook_id for record in listed] == ["w-3", "w-2", "w-1"]


class ChannelOrdersContract:
    def test_a_channel_orders_picture_is_found_by_channel_and_external_id(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.channel_orders.put(picture()))

        assert read(uow_factory, lambda uow: uow.channel_orders.get("shopify:acme.myshopify.com", BIG_ID)) == picture()
        assert read(uow_factory, lambda uow: uow.channel_orders.get("shopify:acme.myshopify.com", "1")) is None

    def test_putting_a_newer_picture_replaces_the_one_before(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.channel_orders.put(picture()))

        committed(uow_factory, lambda uow: uow.channel_orders.put(picture(updated=5, note="ring twice")))

        stored = read(uow_factory, lambda uow: uow.channel_orders.get("shopify:acme.myshopify.com", BIG_ID))
        assert stored == picture(updated=5, note="ring twice")


class TestChannelsOnFake(FakeBackend, ChannelsContract):
    pass


class TestChannelsOnSql(SqlBackend, ChannelsContract):
    pass


class TestWebhookDeliveriesOnFake(FakeBackend, WebhookDeliveriesContract):
    pass


class TestWebhookDeliveriesOnSql(SqlBackend, WebhookDeliveriesContract):
    pass


class TestChannelOrdersOnFake(FakeBackend, ChannelOrdersContract):
    pass


class TestChannelOrdersOnSql(SqlBackend, ChannelOrdersContract):
    pass
