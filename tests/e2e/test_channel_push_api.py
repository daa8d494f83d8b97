"""Status pushes end to end: orders from Shopify and WooCommerce webhooks, shipped or cancelled through the API,
reach a local fake of the shop's and the site's API through the worker, retried past an outage, once each."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordermesh.config import Settings
from ordermesh.entrypoints.api.app import create_app
from tests.conftest import ADMIN_KEY
from tests.e2e.test_channels_api import SHOPIFY_URL, WOO_URL, configure, deliver, shopify, woocommerce
from tests.fake_shops import SHOPIFY_TOKEN, WOO_KEY, WOO_SECRET, FakeShopify, FakeWooCommerce, serving
from tests.webhooks import SHOP, SITE, encoded, woocommerce_headers

ORDER = "820982911946154508"
LINES = {
    "866550311766439020": ("IPOD2008PINK", 2),
    "866550311766439021": ("CABLE-LTG-1M", 1),
    "866550311766439022": ("GIFTBOX-S", 1),
}


@pytest.fixture
def working_client(settings: Settings) -> Iterator[TestClient]:
    """An admin client on an app whose embedded worker pushes to channels, retrying fast."""
    fast = settings.model_copy(
        update={
            "embedded_worker": True,
            "webhook_backoff_base_seconds": 0.05,
            "webhook_backoff_cap_seconds": 0.4,
            "channel_push_timeout_seconds": 5,
            "reoptimise_every_seconds": 0,
        }
    )
    with TestClient(create_app(fast), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        yield client


@pytest.fixture
def shop() -> Iterator[tuple[FakeShopify, str]]:
    fake = FakeShopify()
    fake.add_order(ORDER, LINES)
    with serving(fake) as url:
        yield fake, url


@pytest.fixture
def site() -> Iterator[tuple[FakeWooCommerce, str]]:
    fake = FakeWooCommerce()
    fake.add_order("727")
    with serving(fake) as url:
        yield fake, url


def wait_for(condition: Callable[[], Any], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def credentials(client: TestClient, channel: str, base_url: str, api_credentials: dict[str, str]) -> None:
    body = {"settings": {"api_base_url": base_url}, "api_credentials": api_credentials}
    response = client.patch(f"/v1/channels/{channel}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["api_credentials"] == sorted(api_credentials)
    assert all(secret not in response.text for secret in api_credentials.values())


def test_a_shipped_shopify_order_is_fulfilled_in_the_shop_after_an_outage_once(
    working_client: TestClient, shop: tuple[FakeShopify, str]
) -> None:
    client, (fake, url) = working_client, shop
    configure(client)
    credentials(client, f"shopify:{SHOP}", url, {"access_token": SHOPIFY_TOKEN})
    fake.faults.append("503")
    assert deliver(TestClient(client.app), shopify()).status_code == 201
    (order,) = client.get("/v1/orders", params={"channel": f"shopify:{SHOP}"}).json()["data"]
    fo_id = order["fulfillment_orders"][0]["id"]
    shipped = client.post(f"/v1/fulfillment-orders/{fo_id}/ship", json={"carrier": "UPS", "tracking_number": "1ZA1"})
    assert shipped.status_code == 200, shipped.text

    wait_for(lambda: fake.orders[ORDER].fulfillments)
    wait_for(lambda: _pushes(client, f"shopify:{SHOP}")[0]["status"] == "done")

    (fulfilment,) = fake.orders[ORDER].fulfillments
    assert fulfilment.tracking == [{"company": "UPS", "number": "1ZA1"}]
    assert sorted((x["line_item"].rsplit("/", 1)[1], x["quantity"]) for x in fulfilment.line_items) == [
        (line, quantity) for line, (_, quantity) in sorted(LINES.items())
    ]
    (push,) = _pushes(client, f"shopify:{SHOP}")
    assert (push["event_type"], push["attempts"], push["reference"]) == (
        "ordermesh.fulfillment_order.shipped",
        2,  # the first try met the outage
        fulfilment.id,
    )
    assert push["update"]["tracking_number"] == "1ZA1"


def test_a_woocommerce_order_cancelled_in_ordermesh_is_cancelled_on_the_site(
    working_client: TestClient, site: tuple[FakeWooCommerce, str]
) -> None:
    client, (fake, url) = working_client, site
    configure(client)
    credentials(client, f"woocommerce:{SITE}", url, {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET})
    body = encoded(woocommerce())
    assert TestClient(client.app).post(WOO_URL, content=body, headers=woocommerce_headers(body)).status_code == 201
    (order,) = client.get("/v1/orders", params={"channel": f"woocommerce:{SITE}"}).json()["data"]

    assert client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "customer asked"}).status_code == 200

    wait_for(lambda: fake.orders["727"].status == "cancelled")
    wait_for(lambda: _pushes(client, f"woocommerce:{SITE}")[0]["status"] == "done")
    assert [r.method for r in fake.requests] == ["GET", "PUT"]


def test_a_push_the_shop_refuses_is_dead_until_sent_again_by_hand(
    working_client: TestClient, shop: tuple[FakeShopify, str]
) -> None:
    client, (fake, url) = working_client, shop
    configure(client)
    credentials(client, f"shopify:{SHOP}", url, {"access_token": "shpat_revoked"})
    assert deliver(TestClient(client.app), shopify()).status_code == 201
    (order,) = client.get("/v1/orders", params={"channel": f"shopify:{SHOP}"}).json()["data"]
    assert client.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "fraud suspected"}).status_code == 200
    wait_for(lambda: _pushes(client, f"shopify:{SHOP}", status="dead"))
    (dead,) = _pushes(client, f"shopify:{SHOP}", status="dead")
    assert "HTTP 401" in dead["last_error"]

    credentials(client, f"shopify:{SHOP}", url, {"access_token": SHOPIFY_TOKEN})
    retried = client.post(f"/v1/channels/shopify:{SHOP}/pushes/{dead['id']}/retry")
    again = client.post(f"/v1/channels/shopify:{SHOP}/pushes/{dead['id']}/retry")

    assert retried.status_code == 200, retried.text
    wait_for(lambda: fake.orders[ORDER].cancelled_at is not None)
    assert fake.orders[ORDER].cancel is not None and fake.orders[ORDER].cancel["reason"] == "FRAUD"
    assert again.status_code in (200, 409)  # 409 once the first retry is under way or done
    wait_for(lambda: _pushes(client, f"shopify:{SHOP}")[0]["status"] == "done")
    done = client.post(f"/v1/channels/shopify:{SHOP}/pushes/{dead['id']}/retry")
    assert done.status_code == 409
    assert done.headers["content-type"].startswith("application/problem+json")


def test_bad_credentials_and_settings_are_422_naming_the_field(working_client: TestClient) -> None:
    client = working_client
    configure(client)

    wrong_name = client.patch(f"/v1/channels/shopify:{SHOP}", json={"api_credentials": {"api_key": "x"}})
    bad_url = client.patch(f"/v1/channels/shopify:{SHOP}", json={"settings": {"api_base_url": "ftp://x"}})
    unknown = client.get("/v1/channels/shopify:nope.myshopify.com/pushes")

    assert wrong_name.status_code == 422
    assert "api_key" in wrong_name.text
    assert bad_url.status_code == 422
    assert "api_base_url" in bad_url.text
    assert unknown.status_code == 404
    assert SHOPIFY_URL.startswith("/v1/channels/shopify/")


def _pushes(client: TestClient, channel: str, status: str | None = None) -> list[dict[str, Any]]:
    params = {"status": status} if status else {}
    response = client.get(f"/v1/channels/{channel}/pushes", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])
