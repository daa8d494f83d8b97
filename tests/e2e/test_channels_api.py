"""Channels over HTTP: admins configure them; Shopify and WooCommerce webhooks, signed, capture and change orders."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ordermesh.domain.access import Role
from ordermesh.services.access import create_api_key
from ordermesh.services.context import AppContext
from tests.builders import NEWARK
from tests.servers import serving
from tests.webhooks import (
    SHOP,
    SHOPIFY_SECRET,
    SITE,
    WOO_SECRET,
    encoded,
    shopify_headers,
    woocommerce_headers,
)
from tests.webhooks import shopify as shopify_fixture
from tests.webhooks import woocommerce as woocommerce_fixture

PROBLEM = "application/problem+json"
SHOPIFY_URL = f"/v1/channels/shopify/{SHOP}/webhooks"
WOO_URL = f"/v1/channels/woocommerce/{SITE}/webhooks"
SKUS = ("IPOD2008PINK", "CABLE-LTG-1M", "GIFTBOX-S", "WOO-HOODIE-BLUE-L", "WOO-BEANIE")


def shopify(name: str = "orders_create_paid_multi_line", **changes: Any) -> dict[str, Any]:
    """A Shopify fixture placed just now: an order placed long ago would be sourced as one already late."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return shopify_fixture(name, **{"created_at": now, "processed_at": now, **changes})


def woocommerce(name: str = "order_created_processing", **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return woocommerce_fixture(name, **{"date_created_gmt": now, **changes})


def configure(api: TestClient | httpx.Client) -> None:
    """Both channels, and a warehouse near New York that stocks what their orders ask for."""
    for sku in SKUS:
        response = api.post("/v1/items", json={"sku": sku, "name": sku, "weight_grams": 200})
        assert response.status_code == 201, response.text
    body = {
        "code": "NWK", "name": "Newark", "type": "warehouse", "capabilities": ["ship"],
        "address": {"line1": "1 Dock Rd", "city": "Newark", "country": "US", "lat": NEWARK[0], "lon": NEWARK[1]},
    }
    assert api.post("/v1/locations", json=body).status_code == 201
    for sku in SKUS:
        assert api.put(f"/v1/inventory/NWK/{sku}", json={"on_hand": 10}).status_code == 200
    for channel, secret in ((f"shopify:{SHOP}", SHOPIFY_SECRET), (f"woocommerce:{SITE}", WOO_SECRET)):
        kind = channel.split(":")[0]
        response = api.post("/v1/channels", json={"channel": channel, "kind": kind, "webhook_secret": secret})
        assert response.status_code == 201, response.text


@pytest.fixture
def shop(client: TestClient) -> TestClient:
    configure(client)
    return client


@pytest.fixture
def channel_sender(shop: TestClient) -> TestClient:
    """A client with no API key: channels authenticate by their signature alone."""
    return TestClient(shop.app)


def deliver(
    sender: TestClient | httpx.Client, payload: dict[str, Any], *, topic: str = "orders/create",
    webhook_id: str = "b54557e4-8a5f-4f7d-b70b-cd043aa11f0e", **headers: str,
) -> httpx.Response:
    body = encoded(payload)
    return sender.post(SHOPIFY_URL, content=body, headers=shopify_headers(body, topic=topic, webhook_id=webhook_id)
                       | headers)


def shop_orders(api: TestClient | httpx.Client) -> list[dict[str, Any]]:
    return list(api.get("/v1/orders", params={"channel": f"shopify:{SHOP}"}).json()["data"])


def reserved(api: TestClient | httpx.Client, sku: str) -> int:
    return int(api.get(f"/v1/inventory/NWK/{sku}").json()["reserved"])


# -- configuration -------------------------------------------------------------------------------


def test_an_admin_configures_a_channel_and_its_secret_is_never_returned(client: TestClient) -> None:
    body = {"channel": "Shopify:Acme.myshopify.com", "kind": "shopify", "webhook_secret": SHOPIFY_SECRET,
            "settings": {"pickup_locations": {"Queen Street West": "TOR-QSW"}}}

    created = client.post("/v1/channels", json=body)
    listed = client.get("/v1/channels")
    one = client.get(f"/v1/channels/shopify:{SHOP}")

    assert created.status_code == 201, created.text
    assert created.json()["channel"] == "shopify:acme.myshopify.com"
    assert created.json()["webhook_path"] == SHOPIFY_URL
    assert [c["channel"] for c in listed.json()["data"]] == ["shopify:acme.myshopify.com"]
    assert one.json()["settings"]["pickup_locations"] == {"Queen Street West": "TOR-QSW"}
    audit = client.get("/v1/audit", params={"entity": "channel"})
    for response in (created, listed, one, audit):
        assert SHOPIFY_SECRET not in response.text
        assert "webhook_secret" not in response.text


def test_configuring_channels_needs_an_admin_key(client: TestClient, ctx: AppContext) -> None:
    _, operator = create_api_key(ctx, name="operator", role=Role.OPERATOR)
    headers = {"Authorization": f"Bearer {operator}"}
    body = {"channel": f"shopify:{SHOP}", "kind": "shopify", "webhook_secret": SHOPIFY_SECRET}

    assert client.post("/v1/channels", json=body, headers=headers).status_code == 403
    assert client.get("/v1/channels", headers=headers).status_code == 403


def test_a_channel_configured_twice_or_named_after_another_kind_is_refused(client: TestClient) -> None:
    body = {"channel": f"shopify:{SHOP}", "kind": "shopify", "webhook_secret": SHOPIFY_SECRET}
    client.post("/v1/channels", json=body)

    again = client.post("/v1/channels", json=body)
    mismatched = client.post("/v1/channels", json=body | {"channel": f"woocommerce:{SITE}"})
    unknown = client.post("/v1/channels", json=body | {"channel": "amazon:eu", "kind": "amazon"})

    assert again.status_code == 409
    assert mismatched.status_code == 422
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["body", "kind"]


def test_rotating_the_secret_refuses_deliveries_signed_with_the_old_one(
    shop: TestClient, channel_sender: TestClient
) -> None:
    rotated = shop.patch(f"/v1/channels/shopify:{SHOP}", json={"webhook_secret": "rotated-secret-0001"})

    old = deliver(channel_sender, shopify())
    body = encoded(shopify())
    new = channel_sender.post(SHOPIFY_URL, content=body, headers=shopify_headers(body, secret="rotated-secret-0001"))

    assert rotated.status_code == 200 and "rotated-secret-0001" not in rotated.text
    assert (old.status_code, new.status_code) == (401, 201)


# -- Shopify webhooks ----------------------------------------------------------------------------


def test_a_signed_shopify_order_is_captured_and_sourced(shop: TestClient, channel_sender: TestClient) -> None:
    response = deliver(channel_sender, shopify())

    assert response.status_code == 201, response.text
    order = shop.get(response.headers["Location"]).json()
    assert (order["channel"], order["external_id"]) == (f"shopify:{SHOP}", "820982911946154508")
    assert order["status"] == "allocated"
    assert order["lines"][0]["external_id"] == "866550311766439020"
    assert order["ship_to"]["lat"] == 40.7484405


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Shopify-Hmac-Sha256": "bm90IHRoZSByaWdodCBzaWduYXR1cmUsIG5vdCBhdCBhbGw="},
        {"X-Shopify-Hmac-Sha256": ""},
        {"X-Shopify-Hmac-Sha256": "%%% not base64 %%%"},
    ],
    ids=["forged", "empty", "garbled"],
)
def test_a_forged_or_missing_signature_is_401_and_captures_nothing(
    shop: TestClient, channel_sender: TestClient, headers: dict[str, str]
) -> None:
    response = deliver(channel_sender, shopify(), **headers)

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/invalid-signature"
    assert shop_orders(shop) == []


def test_a_body_changed_after_it_was_signed_is_401(shop: TestClient, channel_sender: TestClient) -> None:
    body = encoded(shopify())
    headers = shopify_headers(body)

    response = channel_sender.post(SHOPIFY_URL, content=body.replace(b'"199.00"', b'"1.00"'), headers=headers)

    assert response.status_code == 401
    assert shop_orders(shop) == []


def test_the_same_webhook_delivered_five_times_creates_one_order(shop: TestClient, channel_sender: TestClient) -> None:
    answers = [deliver(channel_sender, shopify()) for _ in range(5)]

    assert [a.status_code for a in answers] == [201, 200, 200, 200, 200]
    assert [a.json()["outcome"] for a in answers[1:]] == ["duplicate"] * 4
    assert {a.json()["order_id"] for a in answers} == {answers[0].json()["order_id"]}
    assert len(shop_orders(shop)) == 1
    assert reserved(shop, "IPOD2008PINK") == 2


def test_a_shopify_order_created_then_cancelled_gives_its_stock_back(
    shop: TestClient, channel_sender: TestClient
) -> None:
    deliver(channel_sender, shopify())
    cancelled = shopify(cancelled_at="2024-05-14T09:30:00-04:00", cancel_reason="customer",
                        updated_at="2024-05-14T09:30:01-04:00", financial_status="voided")

    response = deliver(channel_sender, cancelled, topic="orders/cancelled", webhook_id="c0ffee00-0001")

    assert response.status_code == 200 and response.json()["outcome"] == "cancelled"
    assert shop_orders(shop)[0]["status"] == "cancelled"
    assert reserved(shop, "IPOD2008PINK") == 0
    types = [e["type"] for e in shop.get("/v1/events", params={"limit": 1000}).json()["data"]]
    assert "ordermesh.order.created" in types and "ordermesh.order.cancelled" in types


def test_a_webhook_for_a_shop_that_is_not_configured_is_404(shop: TestClient, channel_sender: TestClient) -> None:
    body = encoded(shopify())

    response = channel_sender.post("/v1/channels/shopify/unknown.myshopify.com/webhooks", content=body,
                                   headers=shopify_headers(body))

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_a_payload_that_cannot_be_mapped_is_422_naming_the_field_and_writes_nothing(
    shop: TestClient, channel_sender: TestClient
) -> None:
    broken = shopify()
    broken["line_items"][2]["price"] = "five"

    response = deliver(channel_sender, broken)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body", "line_items", 2, "price"], "msg": "line_items[2].price: 'five' is not a decimal amount"}
    ]
    assert shop_orders(shop) == []
    assert shop.get(f"/v1/channels/shopify:{SHOP}/webhooks").json()["data"] == []


def test_a_body_that_is_not_json_is_400(shop: TestClient, channel_sender: TestClient) -> None:
    body = b"<orders><order/></orders>"

    response = channel_sender.post(SHOPIFY_URL, content=body, headers=shopify_headers(body))

    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-payload"


def test_deliveries_and_the_channels_details_of_an_order_can_be_read_back(
    shop: TestClient, channel_sender: TestClient
) -> None:
    deliver(channel_sender, shopify())
    deliver(channel_sender, shopify(), topic="orders/fulfilled", webhook_id="f-1")

    deliveries = shop.get(f"/v1/channels/shopify:{SHOP}/webhooks").json()["data"]
    details = shop.get(f"/v1/channels/shopify:{SHOP}/orders/820982911946154508").json()["details"]

    assert [(d["topic"], d["outcome"]) for d in deliveries] == [("orders/fulfilled", "ignored"),
                                                                ("orders/create", "created")]
    assert details["discount_codes"] == [{"code": "SPRING10", "amount": "10.00", "type": "fixed_amount"}]
    assert details["lines"][0]["grams"] == 200


# -- WooCommerce webhooks ------------------------------------------------------------------------


def test_a_signed_woocommerce_order_is_captured_and_its_set_up_ping_answered(
    shop: TestClient, channel_sender: TestClient
) -> None:
    ping = channel_sender.post(WOO_URL, content=b"webhook_id=12",
                               headers={"content-type": "application/x-www-form-urlencoded"})
    body = encoded(woocommerce())
    created = channel_sender.post(WOO_URL, content=body, headers=woocommerce_headers(body))
    again = channel_sender.post(WOO_URL, content=body, headers=woocommerce_headers(body))

    assert (ping.status_code, ping.json()["outcome"]) == (200, "ping")
    assert created.status_code == 201, created.text
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    order = shop.get(created.headers["Location"]).json()
    assert [(line["sku"], line["unit_price"]) for line in order["lines"]] == [
        ("WOO-HOODIE-BLUE-L", "45.00"), ("WOO-BEANIE", "18.00"),
    ]


def test_a_woocommerce_webhook_signed_with_another_secret_is_401(shop: TestClient, channel_sender: TestClient) -> None:
    body = encoded(woocommerce())

    response = channel_sender.post(WOO_URL, content=body, headers=woocommerce_headers(body, secret="guessed-secret"))

    assert response.status_code == 401


# -- a real server: the retries arrive at once -----------------------------------------------------


@pytest.mark.slow
def test_five_concurrent_deliveries_of_one_webhook_to_a_real_server_create_one_order(
    database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path) as (server,), server.client() as api:
        configure(api)
        body = encoded(shopify())
        headers = shopify_headers(body, webhook_id="b54557e4-8a5f-4f7d-b70b-cd043aa11f0e")
        with httpx.Client(base_url=server.url, timeout=60) as sender, ThreadPoolExecutor(5) as pool:
            answers = list(pool.map(lambda _: sender.post(SHOPIFY_URL, content=body, headers=headers), range(5)))

        assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
        assert len({a.json()["order_id"] for a in answers}) == 1
        assert len(shop_orders(api)) == 1
        assert reserved(api, "IPOD2008PINK") == 2
