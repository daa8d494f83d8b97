"""Channel webhook payloads for tests: the fixtures under tests/fixtures/channels, signed as the channels sign them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from ordermesh.adapters.channels.signatures import sign

FIXTURES = Path(__file__).parent / "fixtures" / "channels"
SHOP = "acme.myshopify.com"
SITE = "shop.example.com"
SHOPIFY_SECRET = "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"
WOO_SECRET = "wc-webhook-secret-7Hq2Lm9Xz4"


def fixture(kind: str, name: str, **changes: Any) -> dict[str, Any]:
    """A fixture payload with some top-level fields replaced."""
    payload: dict[str, Any] = json.loads((FIXTURES / kind / f"{name}.json").read_text())
    return payload | changes


def shopify(name: str = "orders_create_paid_multi_line", **changes: Any) -> dict[str, Any]:
    return fixture("shopify", name, **changes)


def woocommerce(name: str = "order_created_processing", **changes: Any) -> dict[str, Any]:
    return fixture("woocommerce", name, **changes)


def encoded(payload: dict[str, Any]) -> bytes:
    """The body as a channel sends it: JSON with integers as written (64-bit ids intact)."""
    return json.dumps(payload, separators=(",", ":")).encode()


def shopify_headers(
    body: bytes, *, topic: str = "orders/create", webhook_id: str | None = None, secret: str = SHOPIFY_SECRET
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": "2024-04",
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2024-05-14T13:21:09.812345Z",
    }


def woocommerce_headers(body: bytes, *, topic: str = "order.created", secret: str = WOO_SECRET) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)",
        "X-WC-Webhook-Source": f"https://{SITE}/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body, secret),
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
    }
