"""The Shopify and WooCommerce status clients, over HTTP, against local fakes of the shop's and site's APIs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from ordermesh.adapters.channels.http_push import push_http_client
from ordermesh.adapters.channels.shopify_push import ShopifyStatusClient, cancel_reason
from ordermesh.adapters.channels.woocommerce_push import WooCommerceStatusClient
from ordermesh.domain.channel_status import PushedLine, StatusUpdate, UpdateKind
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.connectors import PushOutcome
from tests.fake_shops import SHOPIFY_TOKEN, WOO_KEY, WOO_SECRET, FakeShopify, FakeWooCommerce, serving

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ORDER = "820982911946154508"  # beyond 2^53, as Shopify's ids are
LINES = {"466157049": ("IPOD2008GREEN", 2), "518995019": ("IPOD2008RED", 1)}
Shop = tuple[FakeShopify, ChannelRecord]
Site = tuple[FakeWooCommerce, ChannelRecord]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    client = push_http_client(timeout_seconds=5, allow_private=True)  # the fakes listen on loopback
    yield client
    client.close()


@pytest.fixture
def shop() -> Iterator[Shop]:
    fake = FakeShopify()
    fake.add_order(ORDER, LINES)
    with serving(fake) as url:
        settings = {"api_base_url": url}
        yield (
            fake,
            ChannelRecord(
                "shopify:acme.myshopify.com", "shopify", "whsec", settings, T0, T0, {"access_token": SHOPIFY_TOKEN}
            ),
        )


@pytest.fixture
def site() -> Iterator[Site]:
    fake = FakeWooCommerce()
    fake.add_order("727")
    with serving(fake) as url:
        credentials = {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET}
        yield (
            fake,
            ChannelRecord(
                "woocommerce:shop.example.com", "woocommerce", "s", {"api_base_url": url}, T0, T0, credentials
            ),
        )


def shipment(
    *lines: tuple[str, str, int],
    order: str = ORDER,
    tracking: str | None = "1Z999AA10123456784",
    complete: bool = False,
) -> StatusUpdate:
    return StatusUpdate(
        UpdateKind.SHIPMENT,
        "ord_1",
        order,
        "shp_01",
        tuple(PushedLine(*line) for line in lines),
        carrier="UPS" if tracking else None,
        tracking_number=tracking,
        order_complete=complete,
    )


def cancellation(*, whole: bool = True, order: str = ORDER, reason: str = "stock unavailable") -> StatusUpdate:
    lines = (PushedLine("518995019", "IPOD2008RED", 1),)
    return StatusUpdate(UpdateKind.CANCELLATION, "ord_1", order, "evt_9", lines, whole_order=whole, reason=reason)


class TestShopify:
    def test_a_shipment_fulfils_the_fulfilment_order_line_items_with_its_tracking(
        self, shop: Shop, http: httpx.Client
    ) -> None:
        fake, channel = shop

        result = ShopifyStatusClient(http).push(channel, shipment(("466157049", "IPOD2008GREEN", 2)))

        assert result.outcome == PushOutcome.DONE, result.detail
        (fulfilment,) = fake.orders[ORDER].fulfillments
        assert result.reference == fulfilment.id
        assert fulfilment.tracking == [{"company": "UPS", "number": "1Z999AA10123456784"}]
        assert fulfilment.line_items == [{"line_item": "gid://shopify/LineItem/466157049", "quantity": 2}]
        (fo,) = fake.orders[ORDER].fulfillment_orders
        assert [line.remaining for line in fo.lines] == [0, 1]
        assert fo.status == "IN_PROGRESS"
        assert fake.graphql_calls() == ["OrderForFulfilment", "FulfilmentCreate"]
        request = fake.requests[-1]
        assert request.path == "/admin/api/2025-01/graphql.json"
        assert request.headers["x-shopify-access-token"] == SHOPIFY_TOKEN
        assert request.body["variables"]["fulfillment"]["notifyCustomer"] is True

    def test_lines_split_over_two_fulfilment_orders_are_fulfilled_in_one_call(self, http: httpx.Client) -> None:
        fake = FakeShopify()
        fake.add_order(ORDER, LINES, split=[["466157049"], ["518995019"]])
        with serving(fake) as url:
            channel = ChannelRecord(
                "shopify:a", "shopify", "w", {"api_base_url": url}, T0, T0, {"access_token": SHOPIFY_TOKEN}
            )
            update = shipment(("466157049", "IPOD2008GREEN", 2), ("518995019", "IPOD2008RED", 1))

            result = ShopifyStatusClient(http).push(channel, update)

        assert result.outcome == PushOutcome.DONE, result.detail
        groups = fake.requests[-1].body["variables"]["fulfillment"]["lineItemsByFulfillmentOrder"]
        assert [fo.id for fo in fake.orders[ORDER].fulfillment_orders] == [g["fulfillmentOrderId"] for g in groups]
        assert [fo.status for fo in fake.orders[ORDER].fulfillment_orders] == ["CLOSED", "CLOSED"]

    def test_a_push_repeated_after_its_answer_was_lost_fulfils_once(self, shop: Shop, http: httpx.Client) -> None:
        fake, channel = shop
        client = ShopifyStatusClient(http)
        fake.faults[:] = ["pass", "drop"]  # the read goes through; the fulfilment is made, its answer lost

        first = client.push(channel, shipment(("466157049", "IPOD2008GREEN", 2)))
        second = client.push(channel, shipment(("466157049", "IPOD2008GREEN", 2)))

        assert first.outcome == PushOutcome.RETRY
        assert second.outcome == PushOutcome.DONE
        assert "already" in (second.detail or "")
        assert len(fake.orders[ORDER].fulfillments) == 1
        assert fake.graphql_calls().count("FulfilmentCreate") == 1

    def test_units_with_nothing_left_to_fulfil_are_done_without_a_call(self, shop: Shop, http: httpx.Client) -> None:
        fake, channel = shop
        client = ShopifyStatusClient(http)
        client.push(channel, shipment(("518995019", "IPOD2008RED", 1), tracking=None))

        again = client.push(channel, shipment(("518995019", "IPOD2008RED", 1), tracking=None))

        assert again.outcome == PushOutcome.DONE
        assert again.detail == "nothing of these lines is left to fulfil in the shop"
        assert fake.graphql_calls().count("FulfilmentCreate") == 1

    def test_a_fulfilment_order_on_hold_is_tried_again_later(self, shop: Shop, http: httpx.Client) -> None:
        fake, channel = shop
        fake.orders[ORDER].fulfillment_orders[0].status = "ON_HOLD"

        result = ShopifyStatusClient(http).push(channel, shipment(("466157049", "IPOD2008GREEN", 2)))

        assert result.outcome == PushOutcome.RETRY
        assert "on hold" in (result.detail or "")

    @pytest.mark.parametrize(("fault", "retry_after"), [("429", 1.0), ("503", None), ("throttled", 2.0)])
    def test_throttling_and_server_errors_are_tried_again(
        self, shop: Shop, http: httpx.Client, fault: str, retry_after: float | None
    ) -> None:
        fake, channel = shop
        fake.faults.append(fault)

        result = ShopifyStatusClient(http).push(channel, shipment(("466157049", "IPOD2008GREEN", 2)))

        assert result.outcome == PushOutcome.RETRY
        assert result.retry_after == retry_after
        assert fake.orders[ORDER].fulfillments == []

    def test_a_wrong_token_or_an_unknown_order_is_refused(self, shop: Shop, http: httpx.Client) -> None:
        _, channel = shop
        client = ShopifyStatusClient(http)
        wrong = ChannelRecord(channel.channel, "shopify", "w", channel.settings, T0, T0, {"access_token": "shpat_old"})

        refused = client.push(wrong, shipment(("466157049", "IPOD2008GREEN", 2)))
        unknown = client.push(channel, shipment(("466157049", "IPOD2008GREEN", 2), order="1"))

        assert refused.outcome == PushOutcome.REFUSED
        assert "HTTP 401" in (refused.detail or "")
        assert unknown.outcome == PushOutcome.REFUSED
        assert unknown.detail == "order gid://shopify/Order/1 is not in the shop"

    def test_a_whole_order_cancellation_cancels_the_order_once(self, shop: Shop, http: httpx.Client) -> None:
        fake, channel = shop
        client = ShopifyStatusClient(http)

        first = client.push(channel, cancellation())
        again = client.push(channel, cancellation())

        assert first.outcome == PushOutcome.DONE and first.reference
        assert fake.orders[ORDER].cancel == {
            "reason": "INVENTORY",
            "refund": True,
            "restock": False,
            "notifyCustomer": True,
            "staffNote": "stock unavailable",
        }
        assert again.outcome == PushOutcome.DONE
        assert fake.graphql_calls() == ["OrderCancelled", "OrderCancel", "OrderCancelled"]

    def test_a_partial_cancellation_is_skipped_without_a_call(self, shop: Shop, http: httpx.Client) -> None:
        fake, channel = shop

        result = ShopifyStatusClient(http).push(channel, cancellation(whole=False))

        assert result.outcome == PushOutcome.SKIPPED
        assert fake.requests == []

    @pytest.mark.parametrize(
        ("reason", "code"),
        [
            ("suspected fraud", "FRAUD"),
            ("payment declined", "DECLINED"),
            ("customer changed mind", "CUSTOMER"),
            ("x", "OTHER"),
        ],
    )
    def test_cancellation_reasons_map_to_shopifys(self, reason: str, code: str) -> None:
        assert cancel_reason(reason) == code


class TestWooCommerce:
    def test_a_completing_shipment_adds_a_customer_note_and_completes_the_order(
        self, site: Site, http: httpx.Client
    ) -> None:
        fake, channel = site
        update = shipment(("5", "WOO-HOODIE", 2), order="727", complete=True)

        result = WooCommerceStatusClient(http).push(channel, update)

        assert result.outcome == PushOutcome.DONE, result.detail
        (note,) = fake.orders["727"].notes
        assert note["customer_note"] is True
        assert note["note"] == "Shipped by UPS, tracking number 1Z999AA10123456784: 2 x WOO-HOODIE. (ref shp_01)"
        assert fake.orders["727"].status == "completed"

    def test_a_repeated_push_adds_no_second_note(self, site: Site, http: httpx.Client) -> None:
        fake, channel = site
        client = WooCommerceStatusClient(http)
        update = shipment(("5", "WOO-HOODIE", 2), order="727", complete=True)
        client.push(channel, update)

        again = client.push(channel, update)

        assert again.outcome == PushOutcome.DONE
        assert len(fake.orders["727"].notes) == 1
        assert [r.method for r in fake.requests].count("PUT") == 1

    def test_a_partial_shipment_leaves_the_order_processing(self, site: Site, http: httpx.Client) -> None:
        fake, channel = site

        WooCommerceStatusClient(http).push(channel, shipment(("5", "WOO-HOODIE", 1), order="727"))

        assert fake.orders["727"].status == "processing"
        assert len(fake.orders["727"].notes) == 1

    def test_a_cancellation_cancels_the_order_unless_it_is_cancelled(self, site: Site, http: httpx.Client) -> None:
        fake, channel = site
        client = WooCommerceStatusClient(http)

        first = client.push(channel, cancellation(order="727"))
        again = client.push(channel, cancellation(order="727"))
        partial = client.push(channel, cancellation(order="727", whole=False))

        assert (first.outcome, again.outcome, partial.outcome) == (
            PushOutcome.DONE,
            PushOutcome.DONE,
            PushOutcome.SKIPPED,
        )
        assert fake.orders["727"].status == "cancelled"
        assert [r.method for r in fake.requests] == ["GET", "PUT", "GET"]

    def test_wrong_credentials_or_an_unknown_order_are_refused_and_outages_tried_again(
        self, site: Site, http: httpx.Client
    ) -> None:
        fake, channel = site
        client = WooCommerceStatusClient(http)
        wrong = ChannelRecord(
            channel.channel,
            "woocommerce",
            "s",
            channel.settings,
            T0,
            T0,
            {"consumer_key": "ck_x", "consumer_secret": "cs_x"},
        )

        refused = client.push(wrong, cancellation(order="727"))
        unknown = client.push(channel, cancellation(order="1"))
        fake.faults.append("503")
        outage = client.push(channel, cancellation(order="727"))

        assert refused.outcome == PushOutcome.REFUSED and "HTTP 401" in (refused.detail or "")
        assert unknown.outcome == PushOutcome.REFUSED and "woocommerce_rest_shop_order_invalid_id" in (
            unknown.detail or ""
        )
        assert outage.outcome == PushOutcome.RETRY
        assert fake.orders["727"].status == "processing"
