"""Channel configuration and inbound webhooks as use cases on the in-memory fakes: verify, de-duplicate, act once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ordermesh.adapters.channels.registry import channel_connectors
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.domain.channel_edits import REVIEW_PREFIX
from ordermesh.domain.errors import AlreadyExists, InvalidInput, NotFound
from ordermesh.domain.orders import PAYMENT_HOLD, Order, OrderStatus
from ordermesh.services import catalog, channels, inventory
from ordermesh.services.commands import CreateItem, CreateLocation, SetStock
from ordermesh.services.connectors import InboundRequest, InvalidSignature
from ordermesh.services.context import AppContext
from ordermesh.services.ports import OrderFilter
from ordermesh.services.webhooks import WebhookOutcome, receive_webhook
from tests.fakes import FakeClock, FakeGeocoder, FakeUnitOfWorkFactory, SequentialIds
from tests.webhooks import (
    SHOP,
    SHOPIFY_SECRET,
    SITE,
    WOO_SECRET,
    encoded,
    shopify,
    shopify_headers,
    woocommerce,
    woocommerce_headers,
)

T0 = datetime(2024, 5, 14, 14, 0, tzinfo=UTC)
SKUS = ("IPOD2008PINK", "CABLE-LTG-1M", "GIFTBOX-S", "MUG-STONE", "WOO-HOODIE-BLUE-L", "WOO-BEANIE")


# -- builders ------------------------------------------------------------------------------------


def shop_network() -> AppContext:
    """A context on fresh fakes with both channels configured and a New Jersey warehouse that stocks every SKU."""
    ids = SequentialIds()
    ctx = AppContext(
        uow=FakeUnitOfWorkFactory(ids=ids, source="/test"),
        clock=FakeClock(T0),
        ids=ids,
        geocoder=FakeGeocoder(),
        connectors=channel_connectors(),
    )
    for sku in SKUS:
        catalog.create_item(ctx, command=CreateItem(sku, f"Item {sku}", 300), actor=SYSTEM)
    address = Address(line1="1 Dock Rd", city="Edison", region="NJ", country="US", lat=40.5187, lon=-74.4121)
    warehouse = CreateLocation("NJ-DC", "Edison DC", LocationType.WAREHOUSE, address, frozenset({Capability.SHIP}))
    catalog.create_location(ctx, command=warehouse, actor=SYSTEM)
    for sku in SKUS:
        inventory.set_stock(ctx, command=SetStock("NJ-DC", sku, 10), actor=SYSTEM)
    for name, secret in ((f"shopify:{SHOP}", SHOPIFY_SECRET), (f"woocommerce:{SITE}", WOO_SECRET)):
        kind = name.split(":")[0]
        channels.add_channel(ctx, command=channels.AddChannel(name, kind, secret, {}), actor=SYSTEM)
    return ctx


def from_shopify(
    ctx: AppContext, payload: dict[str, Any], *, topic: str = "orders/create", webhook_id: str = "w-1", **headers: str
) -> WebhookOutcome:
    body = encoded(payload)
    sent = shopify_headers(body, topic=topic, webhook_id=webhook_id) | headers
    return receive_webhook(ctx, kind="shopify", instance=SHOP, request=_inbound(sent, body))


def from_woocommerce(ctx: AppContext, payload: dict[str, Any], *, topic: str = "order.created") -> WebhookOutcome:
    body = encoded(payload)
    return receive_webhook(
        ctx, kind="woocommerce", instance=SITE, request=_inbound(woocommerce_headers(body, topic=topic), body)
    )


def _inbound(headers: dict[str, str], body: bytes) -> InboundRequest:
    return InboundRequest({k.lower(): v for k, v in headers.items()}, body)


def shop_orders(ctx: AppContext, channel: str = f"shopify:{SHOP}") -> list[Order]:
    return list(ctx.read(lambda uow: uow.orders.page(OrderFilter(channel=channel), after=None, limit=100)).rows)


def the_order(ctx: AppContext, channel: str = f"shopify:{SHOP}") -> Order:
    [found] = shop_orders(ctx, channel)
    return found


def reserved(ctx: AppContext, sku: str) -> int:
    level = ctx.read(lambda uow: uow.stock.get("NJ-DC", sku))
    return level.reserved if level else 0


def later(payload: dict[str, Any], minutes: int, **changes: Any) -> dict[str, Any]:
    """The same Shopify order as it stands some minutes after it was placed."""
    return payload | {"updated_at": f"2024-05-14T09:{21 + minutes:02d}:09-04:00"} | changes


# -- capture and de-duplication ------------------------------------------------------------------


def test_a_signed_orders_create_captures_the_order_sources_it_and_keeps_the_channels_details() -> None:
    ctx = shop_network()

    outcome = from_shopify(ctx, shopify())

    order = the_order(ctx)
    assert outcome == WebhookOutcome("created", order.id)
    assert (order.external_id, order.status) == ("820982911946154508", OrderStatus.ALLOCATED)
    kept = ctx.read(lambda uow: uow.channel_orders.get(f"shopify:{SHOP}", "820982911946154508"))
    assert kept is not None and kept.details["note"] == "Please ring the concierge desk."


def test_the_same_delivery_five_times_creates_one_order_and_reserves_once() -> None:
    ctx = shop_network()

    outcomes = [from_shopify(ctx, shopify(), webhook_id="b54557e4").outcome for _ in range(5)]

    assert outcomes == ["created", "duplicate", "duplicate", "duplicate", "duplicate"]
    assert len(shop_orders(ctx)) == 1
    assert reserved(ctx, "IPOD2008PINK") == 2


def test_orders_create_and_orders_updated_for_a_new_order_make_one_order_in_either_order() -> None:
    ctx = shop_network()

    first = from_shopify(ctx, shopify(), topic="orders/updated", webhook_id="w-update")
    second = from_shopify(ctx, shopify(), topic="orders/create", webhook_id="w-create")

    assert (first.outcome, second.outcome) == ("created", "unchanged")
    assert len(shop_orders(ctx)) == 1


def test_a_forged_signature_is_refused_before_anything_is_read_or_written() -> None:
    ctx = shop_network()
    commits = ctx.uow.commits  # type: ignore[attr-defined]

    with pytest.raises(InvalidSignature):
        from_shopify(ctx, shopify(), **{"X-Shopify-Hmac-Sha256": "bm90IHRoZSByaWdodCBzaWduYXR1cmU="})

    assert shop_orders(ctx) == []
    assert ctx.uow.commits == commits  # type: ignore[attr-defined]


def test_a_shop_that_is_not_configured_is_not_found() -> None:
    ctx = shop_network()
    body = encoded(shopify())
    delivery = _inbound(shopify_headers(body), body)

    with pytest.raises(NotFound):
        receive_webhook(ctx, kind="shopify", instance="other.myshopify.com", request=delivery)


def test_a_payload_that_cannot_be_mapped_is_refused_and_leaves_nothing_behind() -> None:
    ctx = shop_network()
    broken = shopify()
    broken["line_items"][1]["price"] = "nineteen"

    with pytest.raises(InvalidInput):
        from_shopify(ctx, broken)

    assert shop_orders(ctx) == []
    assert ctx.read(lambda uow: uow.webhooks.get(f"shopify:{SHOP}", "w-1")) is None
    assert from_shopify(ctx, shopify()).outcome == "created"  # the corrected re-delivery goes through


def test_an_order_with_nothing_to_ship_is_recorded_and_not_captured() -> None:
    ctx = shop_network()

    outcome = from_shopify(ctx, shopify("orders_create_gift_card_only"))

    assert outcome.outcome == "ignored" and shop_orders(ctx) == []


def test_a_topic_ordermesh_does_not_act_on_is_recorded_as_ignored() -> None:
    ctx = shop_network()

    outcome = from_shopify(ctx, shopify(), topic="orders/fulfilled")

    assert outcome == WebhookOutcome("ignored", None, "topic 'orders/fulfilled' is not one Ordermesh acts on")
    assert from_shopify(ctx, shopify(), topic="orders/fulfilled").outcome == "duplicate"


# -- changes -------------------------------------------------------------------------------------


def test_an_unpaid_order_is_held_until_orders_paid_releases_and_sources_it() -> None:
    ctx = shop_network()
    from_shopify(ctx, shopify("orders_create_pending_gift_card"))
    assert the_order(ctx).hold_reason == PAYMENT_HOLD

    paid = shopify("orders_create_pending_gift_card", financial_status="paid", updated_at="2024-05-15T16:30:00-07:00")
    outcome = from_shopify(ctx, paid, topic="orders/paid", webhook_id="w-paid")

    order = the_order(ctx)
    assert outcome.outcome == "updated"
    assert order.hold_reason is None
    assert reserved(ctx, "MUG-STONE") == 2


def test_orders_cancelled_cancels_the_order_and_gives_its_stock_back() -> None:
    ctx = shop_network()
    from_shopify(ctx, shopify())

    cancelled = later(shopify(), 5, cancelled_at="2024-05-14T09:26:00-04:00", cancel_reason="customer")
    outcome = from_shopify(ctx, cancelled, topic="orders/cancelled", webhook_id="w-cancel")

    assert outcome.outcome == "cancelled"
    assert the_order(ctx).status == OrderStatus.CANCELLED
    assert reserved(ctx, "IPOD2008PINK") == 0


def test_the_orders_updated_that_follows_a_cancellation_changes_nothing_more() -> None:
    ctx = shop_network()
    from_shopify(ctx, shopify())
    cancelled = later(shopify(), 5, cancelled_at="2024-05-14T09:26:00-04:00")
    from_shopify(ctx, cancelled, topic="orders/cancelled", webhook_id="w-cancel")

    outcome = from_shopify(ctx, cancelled, topic="orders/updated", webhook_id="w-update")

    assert outcome.outcome == "unchanged"


def test_a_cancellation_of_an_order_never_captured_is_recorded_and_captures_nothing() -> None:
    ctx = shop_network()

    outcome = from_shopify(ctx, later(shopify(), 5, cancelled_at="2024-05-14T09:26:00-04:00"), topic="orders/cancelled")

    assert outcome.outcome == "ignored" and shop_orders(ctx) == []


def test_an_update_older_than_the_one_applied_is_stale_and_changes_nothing() -> None:
    ctx = shop_network()
    from_shopify(ctx, shopify())
    moved = {**shopify()["shipping_address"], "address1": "1 Lake Shore Dr", "city": "Chicago", "zip": "60611"}
    from_shopify(ctx, later(shopify(), 10, shipping_address=moved), topic="orders/updated", webhook_id="w-new")

    outcome = from_shopify(ctx, later(shopify(), 5), topic="orders/updated", webhook_id="w-old")

    assert outcome.outcome == "stale"
    ship_to = the_order(ctx).ship_to
    assert ship_to is not None and ship_to.city == "Chicago"


def test_a_line_added_on_the_channel_holds_the_order_for_review() -> None:
    ctx = shop_network()
    from_shopify(ctx, shopify())
    edited = later(shopify(), 5)
    edited["line_items"].append(edited["line_items"][2] | {"id": 866550311766439099, "sku": "MUG-STONE"})

    outcome = from_shopify(ctx, edited, topic="orders/updated", webhook_id="w-edit")

    order = the_order(ctx)
    assert outcome.outcome == "held"
    assert order.hold_reason == REVIEW_PREFIX + "new line 866550311766439099 (MUG-STONE): 0 -> 1 units"


def test_a_line_removed_on_the_channel_is_cancelled_and_its_stock_given_back() -> None:
    ctx = shop_network()
    from_shopify(ctx, shopify())
    edited = later(shopify(), 5)
    edited["line_items"][0] |= {"current_quantity": 0}

    outcome = from_shopify(ctx, edited, topic="orders/updated", webhook_id="w-edit")

    assert outcome.outcome == "updated"
    assert the_order(ctx).lines[0].cancelled == 2
    assert reserved(ctx, "IPOD2008PINK") == 0


def test_every_change_made_by_a_webhook_is_audited_in_the_channels_name() -> None:
    ctx = shop_network()
    from_shopify(ctx, shopify())
    from_shopify(ctx, later(shopify(), 5, email="ada@example.org"), topic="orders/updated", webhook_id="w-2")

    rows = ctx.read(lambda uow: uow.audit.page(entity="order", entity_id=None, after=None, limit=10)).rows

    assert [(row["action"], row["actor_name"]) for row in rows] == [
        ("order.channel_update", f"webhook shopify:{SHOP}"),
        ("order.capture", f"webhook shopify:{SHOP}"),
    ]


# -- WooCommerce ---------------------------------------------------------------------------------


def test_a_woocommerce_order_is_captured_and_its_cancellation_cancels_it() -> None:
    ctx = shop_network()
    created = from_woocommerce(ctx, woocommerce())

    cancelled = woocommerce(status="cancelled", date_modified_gmt="2024-05-14T11:00:00")
    outcome = from_woocommerce(ctx, cancelled, topic="order.updated")

    assert (created.outcome, outcome.outcome) == ("created", "cancelled")
    assert the_order(ctx, f"woocommerce:{SITE}").status == OrderStatus.CANCELLED


def test_a_woocommerce_deletion_cancels_the_order() -> None:
    ctx = shop_network()
    from_woocommerce(ctx, woocommerce())

    outcome = from_woocommerce(ctx, {"id": 727}, topic="order.deleted")

    assert outcome.outcome == "cancelled"


def test_the_unsigned_ping_woocommerce_sends_on_set_up_is_answered_and_writes_nothing() -> None:
    ctx = shop_network()
    commits = ctx.uow.commits  # type: ignore[attr-defined]
    ping = InboundRequest({"content-type": "application/x-www-form-urlencoded"}, b"webhook_id=12")

    outcome = receive_webhook(ctx, kind="woocommerce", instance=SITE, request=ping)

    assert outcome.outcome == "ping"
    assert ctx.uow.commits == commits  # type: ignore[attr-defined]


# -- configuration -------------------------------------------------------------------------------


def test_a_channel_is_configured_once_and_its_secret_never_reaches_the_audit_log() -> None:
    ctx = shop_network()

    with pytest.raises(AlreadyExists):
        channels.add_channel(
            ctx, command=channels.AddChannel(f"shopify:{SHOP}", "shopify", "another-secret", {}), actor=SYSTEM
        )

    rows = ctx.read(lambda uow: uow.audit.page(entity="channel", entity_id=None, after=None, limit=10)).rows
    assert [row["action"] for row in rows] == ["channel.create", "channel.create"]
    assert SHOPIFY_SECRET not in repr(rows) and WOO_SECRET not in repr(rows)


def test_a_kind_without_a_connector_or_a_channel_that_does_not_name_its_kind_is_refused() -> None:
    ctx = shop_network()

    with pytest.raises(InvalidInput) as unknown:
        channels.add_channel(ctx, command=channels.AddChannel("amazon:eu", "amazon", "s3cret-s3cret", {}), actor=SYSTEM)
    with pytest.raises(InvalidInput) as mismatched:
        channels.add_channel(
            ctx, command=channels.AddChannel("woocommerce:x.com", "shopify", "s3cret-s3cret", {}), actor=SYSTEM
        )

    assert (unknown.value.field, mismatched.value.field) == (("kind",), ("channel",))


def test_a_rotated_secret_verifies_new_deliveries_and_refuses_ones_signed_with_the_old() -> None:
    ctx = shop_network()
    channels.update_channel(
        ctx, channel=f"shopify:{SHOP}", webhook_secret="rotated-secret-0001", settings=None, actor=SYSTEM
    )
    body = encoded(shopify())

    with pytest.raises(InvalidSignature):
        from_shopify(ctx, shopify())
    outcome = receive_webhook(
        ctx,
        kind="shopify",
        instance=SHOP,
        request=_inbound(shopify_headers(body, secret="rotated-secret-0001"), body),
    )

    assert outcome.outcome == "created"
