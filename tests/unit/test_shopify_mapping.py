"""Golden tests: Shopify order webhooks (Admin REST `Order` JSON) mapped to Ordermesh's capture command."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ordermesh.adapters.channels.shopify import ShopifyConnector
from ordermesh.adapters.channels.signatures import sign
from ordermesh.domain.catalog import Address
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.orders import Customer, Delivery, DeliveryMethod, PaymentStatus
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.commands import CaptureOrder, NewLine
from ordermesh.services.connectors import ChannelOrder, InboundRequest, Intent, MalformedPayload
from tests.webhooks import SHOP, SHOPIFY_SECRET, encoded, shopify, shopify_headers

T0 = datetime(2024, 5, 1, tzinfo=UTC)
CHANNEL = ChannelRecord(
    f"shopify:{SHOP}",
    "shopify",
    SHOPIFY_SECRET,
    {"pickup_locations": {"Queen Street West": "TOR-QSW"}, "service_levels": {"Standard": "standard"}},
    T0,
    T0,
)
CONNECTOR = ShopifyConnector()


def request(payload: dict[str, Any], **headers: str) -> InboundRequest:
    body = encoded(payload)
    return InboundRequest({k.lower(): v for k, v in (shopify_headers(body) | headers).items()}, body)


def mapped(payload: dict[str, Any], channel: ChannelRecord = CHANNEL) -> ChannelOrder:
    return CONNECTOR.read_order(request(payload), channel)


def command_of(payload: dict[str, Any], channel: ChannelRecord = CHANNEL) -> CaptureOrder:
    command = mapped(payload, channel).command
    assert command is not None
    return command


def line_item(payload: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    """The payload with one line item changed."""
    items = [dict(item) for item in payload["line_items"]]
    items[index] |= changes
    return payload | {"line_items": items}


# -- the shapes ----------------------------------------------------------------------------------


def test_a_paid_multi_line_order_maps_to_its_canonical_capture_command() -> None:
    command = command_of(shopify("orders_create_paid_multi_line"))

    assert command == CaptureOrder(
        channel="shopify:acme.myshopify.com",
        external_id="820982911946154508",
        currency="USD",
        customer=Customer(
            email="ada.lovelace@example.com", name="Ada Lovelace", phone="+12125550147", tags=("vip", "newsletter")
        ),
        ship_to=Address(
            name="Charles Babbage",
            line1="350 5th Ave",
            line2="Floor 86",
            city="New York",
            region="NY",
            postal_code="10118",
            country="US",
            lat=40.7484405,
            lon=-73.9856644,
        ),
        delivery=Delivery(DeliveryMethod.SHIP, None, "standard"),
        lines=(
            NewLine("866550311766439020", "IPOD2008PINK", 2, Decimal("199.00")),
            NewLine("866550311766439021", "CABLE-LTG-1M", 1, Decimal("19.00")),
            NewLine("866550311766439022", "GIFTBOX-S", 1, Decimal("5.00")),
        ),
        shipping_total=Decimal("9.99"),
        tax_total=Decimal("35.02"),
        discount_total=Decimal("10.00"),
        payment_status=PaymentStatus.PAID,
        placed_at=datetime(2024, 5, 14, 13, 21, 5, tzinfo=UTC),
    )


def test_ids_beyond_two_to_the_53_stay_exact_where_a_json_double_would_round_them() -> None:
    order = mapped(shopify("orders_create_paid_multi_line"))

    assert order.external_id == "820982911946154508"
    assert str(int(float(820982911946154508))) == "820982911946154496"  # what a JavaScript client would see
    assert order.details["lines"][0]["id"] == "866550311766439020"


def test_what_the_order_has_no_field_for_is_kept_in_the_details() -> None:
    details = mapped(shopify("orders_create_paid_multi_line")).details

    assert details["name"] == "#1089"
    assert details["note"] == "Please ring the concierge desk."
    assert details["note_attributes"] == [
        {"name": "gift_message", "value": "Happy birthday, Charles!"},
        {"name": "delivery_window", "value": "weekday mornings"},
    ]
    assert details["tags"] == ["first-order", "newsletter"]
    assert details["discount_codes"] == [{"code": "SPRING10", "amount": "10.00", "type": "fixed_amount"}]
    assert details["tax_lines"] == [
        {"title": "NY State Tax", "rate": "0.04", "price": "16.48"},
        {"title": "New York City Tax", "rate": "0.045", "price": "18.54"},
    ]
    assert details["shipping_lines"] == [
        {
            "code": "Standard",
            "title": "Standard Shipping",
            "source": "shopify",
            "price": "9.99",
            "discounted_price": "9.99",
            "carrier_identifier": None,
        }
    ]
    assert details["shipping_company"] == "Analytical Engines Ltd"
    assert details["total_price"] == "457.01"


def test_each_line_keeps_its_weight_properties_taxes_and_discount_in_the_details() -> None:
    first = mapped(shopify("orders_create_paid_multi_line")).details["lines"][0]

    assert first == {
        "id": "866550311766439020",
        "title": "IPod Nano - 8GB",
        "variant_title": "Pink",
        "sku": "IPOD2008PINK",
        "variant_id": "808950810",
        "product_id": "632910392",
        "quantity": 2,
        "price": "199.00",
        "grams": 200,
        "requires_shipping": True,
        "gift_card": False,
        "properties": [{"name": "Engraving", "value": "For Charles, with love"}],
        "tax_lines": [
            {"title": "NY State Tax", "rate": "0.04", "price": "15.54"},
            {"title": "New York City Tax", "rate": "0.045", "price": "17.49"},
        ],
        "discount": "9.43",
        "fulfilled_by_ordermesh": True,
    }


def test_an_unpaid_order_is_pending_so_capture_holds_it() -> None:
    command = command_of(shopify("orders_create_pending_gift_card"))

    assert command.payment_status == PaymentStatus.PENDING
    assert command.external_id == "6012345678901234567"
    assert command.tax_total == Decimal("9.28")
    assert command.shipping_total == Decimal("14.00")


def test_a_gift_card_that_needs_no_shipping_is_not_a_line_to_fulfil_but_stays_in_the_details() -> None:
    order = mapped(shopify("orders_create_pending_gift_card"))

    assert order.command is not None
    assert [line.sku for line in order.command.lines] == ["MUG-STONE", "shopify:line:14892011012345680"]
    gift_card = order.details["lines"][0]
    assert (gift_card["gift_card"], gift_card["fulfilled_by_ordermesh"]) == (True, False)
    assert gift_card["skipped"] == "gift card that does not require shipping"


def test_a_line_without_a_sku_is_kept_under_a_placeholder_sku_that_names_its_variant() -> None:
    payload = line_item(shopify("orders_create_pending_gift_card"), 1, sku="", variant_id=44123456789013)

    command = command_of(payload)

    assert command.lines[0] == NewLine("14892011012345679", "shopify:variant:44123456789013", 2, Decimal("24.00"))
    assert command.lines[1].sku == "shopify:line:14892011012345680"  # a custom item has no variant either


def test_an_address_that_was_not_geocoded_has_no_coordinates() -> None:
    command = command_of(shopify("orders_create_pending_gift_card"))

    assert command.ship_to is not None
    assert (command.ship_to.lat, command.ship_to.lon, command.ship_to.region) == (None, None, "CA")


def test_a_shipping_method_without_a_mapped_service_level_leaves_it_to_the_rate_cards_fallback() -> None:
    assert command_of(shopify("orders_create_pending_gift_card")).delivery == Delivery(DeliveryMethod.SHIP)


def test_a_local_pickup_order_is_picked_up_at_the_location_its_shipping_line_names() -> None:
    command = command_of(shopify("orders_create_local_pickup"))

    assert command.delivery == Delivery(DeliveryMethod.PICKUP, "TOR-QSW")
    assert command.ship_to is None
    assert (command.currency, command.payment_status) == ("CAD", PaymentStatus.AUTHORIZED)


def test_a_pickup_location_that_is_not_mapped_is_passed_on_as_named_so_the_order_is_kept() -> None:
    unmapped = ChannelRecord(CHANNEL.channel, "shopify", SHOPIFY_SECRET, {}, T0, T0)

    command = command_of(shopify("orders_create_local_pickup"), unmapped)

    assert command.delivery == Delivery(DeliveryMethod.PICKUP, "Queen Street West")


def test_prices_that_include_tax_are_kept_as_sent_and_say_so_in_the_details() -> None:
    order = mapped(shopify("orders_create_local_pickup"))

    assert order.command is not None and order.command.lines[0].unit_price == Decimal("35.00")
    assert order.details["taxes_included"] is True


def test_an_order_with_nothing_to_ship_is_marked_as_nothing_for_ordermesh() -> None:
    order = mapped(shopify("orders_create_gift_card_only"))

    assert order.command is not None and order.command.lines == ()
    assert order.ignored == "no line requires shipping: nothing for Ordermesh to fulfil"


@pytest.mark.parametrize(
    ("financial_status", "payment"),
    [
        ("paid", PaymentStatus.PAID),
        ("partially_refunded", PaymentStatus.PAID),
        ("authorized", PaymentStatus.AUTHORIZED),
        ("pending", PaymentStatus.PENDING),
        ("partially_paid", PaymentStatus.PENDING),
        ("voided", PaymentStatus.PENDING),
        ("expired", PaymentStatus.PENDING),
        ("refunded", PaymentStatus.PENDING),
        (None, PaymentStatus.PENDING),
        ("something_new", PaymentStatus.PENDING),
    ],
)
def test_financial_status_maps_to_a_payment_status_that_holds_anything_not_paid_or_authorized(
    financial_status: str | None, payment: PaymentStatus
) -> None:
    assert command_of(shopify(financial_status=financial_status)).payment_status == payment


def test_a_cancelled_order_says_so_with_its_reason() -> None:
    order = mapped(shopify(cancelled_at="2024-05-14T10:02:00-04:00", cancel_reason="customer"))

    assert (order.cancelled, order.cancel_reason) == (True, "customer")


def test_an_edited_line_counts_its_current_quantity_and_a_removed_line_drops_out() -> None:
    payload = line_item(shopify(), 0, current_quantity=1)
    payload = line_item(payload, 2, current_quantity=0)

    command = command_of(payload)

    assert [(line.external_id, line.quantity) for line in command.lines] == [
        ("866550311766439020", 1),
        ("866550311766439021", 1),
    ]


def test_the_time_the_order_last_changed_orders_its_deliveries() -> None:
    assert mapped(shopify()).updated_at == datetime(2024, 5, 14, 13, 21, 9, tzinfo=UTC)


# -- payloads that cannot be mapped --------------------------------------------------------------


def test_a_price_that_is_no_amount_is_refused_naming_the_line_and_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        mapped(line_item(shopify(), 1, price="nineteen"))

    assert refused.value.field == ("line_items", 1, "price")
    assert "line_items[1].price" in refused.value.detail


def test_an_id_sent_as_a_float_is_refused_rather_than_rounded() -> None:
    with pytest.raises(InvalidInput) as refused:
        mapped(shopify(id=8.209829119461545e17))

    assert refused.value.field == ("id",)


def test_a_quantity_that_is_not_a_whole_number_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        mapped(line_item(shopify(), 0, current_quantity=1.5))

    assert refused.value.field == ("line_items", 0, "current_quantity")


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        mapped(shopify(currency="XYZ"))

    assert refused.value.field == ("currency",)


def test_a_body_that_is_not_a_json_object_is_malformed() -> None:
    for body in (b"<html>", b"[1, 2]", b'{"id": NaN}'):
        with pytest.raises(MalformedPayload):
            CONNECTOR.read_order(InboundRequest({}, body), CHANNEL)


# -- headers: topic, delivery id, signature ------------------------------------------------------


def test_the_topic_and_webhook_id_come_from_the_headers() -> None:
    headers = {"X-Shopify-Topic": "orders/updated", "X-Shopify-Webhook-Id": "b54557e4"}

    delivery = CONNECTOR.delivery(request(shopify(), **headers))

    assert (delivery.webhook_id, delivery.topic, delivery.intent) == ("b54557e4", "orders/updated", Intent.UPDATE)


@pytest.mark.parametrize(
    ("topic", "intent"),
    [
        ("orders/create", Intent.CREATE),
        ("orders/updated", Intent.UPDATE),
        ("orders/paid", Intent.UPDATE),
        ("orders/cancelled", Intent.CANCEL),
        ("orders/fulfilled", Intent.IGNORE),
        ("products/update", Intent.IGNORE),
    ],
)
def test_each_topic_asks_for_what_ordermesh_does_with_it(topic: str, intent: Intent) -> None:
    assert CONNECTOR.delivery(request(shopify(), **{"X-Shopify-Topic": topic})).intent == intent


def test_a_body_signed_with_the_secret_verifies() -> None:
    assert CONNECTOR.verify(request(shopify()), SHOPIFY_SECRET)


def test_a_forged_signature_a_changed_body_or_no_signature_do_not_verify() -> None:
    genuine = request(shopify())
    headers = dict(genuine.headers)

    forged = InboundRequest(headers | {"x-shopify-hmac-sha256": sign(genuine.body, "guessed-secret")}, genuine.body)
    tampered = InboundRequest(headers, genuine.body.replace(b'"199.00"', b'"1.00"'))
    unsigned = InboundRequest({k: v for k, v in headers.items() if k != "x-shopify-hmac-sha256"}, genuine.body)
    garbled = InboundRequest(headers | {"x-shopify-hmac-sha256": "not base64 at all!"}, genuine.body)

    for attempt in (forged, tampered, unsigned, garbled):
        assert not CONNECTOR.verify(attempt, SHOPIFY_SECRET)
