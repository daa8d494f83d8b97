"""Golden tests: WooCommerce order webhooks (REST API v3 order JSON) mapped to Ordermesh's capture command."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ordermesh.adapters.channels.signatures import sign
from ordermesh.adapters.channels.woocommerce import WooCommerceConnector
from ordermesh.domain.catalog import Address
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.orders import Customer, Delivery, DeliveryMethod, PaymentStatus
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.commands import CaptureOrder, NewLine
from ordermesh.services.connectors import ChannelOrder, InboundRequest, Intent
from tests.webhooks import SITE, WOO_SECRET, encoded, woocommerce, woocommerce_headers

T0 = datetime(2024, 5, 1, tzinfo=UTC)
CHANNEL = ChannelRecord(
    f"woocommerce:{SITE}",
    "woocommerce",
    WOO_SECRET,
    {"pickup_locations": {"Pike Place store": "SEA-PIKE"}, "service_levels": {"flat_rate": "standard"}},
    T0,
    T0,
)
CONNECTOR = WooCommerceConnector()


def request(payload: dict[str, Any], *, topic: str = "order.created") -> InboundRequest:
    body = encoded(payload)
    return InboundRequest({k.lower(): v for k, v in woocommerce_headers(body, topic=topic).items()}, body)


def mapped(payload: dict[str, Any], *, topic: str = "order.created") -> ChannelOrder:
    return CONNECTOR.read_order(request(payload, topic=topic), CHANNEL)


def command_of(payload: dict[str, Any]) -> CaptureOrder:
    command = mapped(payload).command
    assert command is not None
    return command


EMPTY_ADDRESS = dict.fromkeys(
    ("first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country"), ""
)


# -- the shapes ----------------------------------------------------------------------------------


def test_a_processing_order_maps_to_its_canonical_capture_command() -> None:
    command = command_of(woocommerce("order_created_processing"))

    assert command == CaptureOrder(
        channel="woocommerce:shop.example.com",
        external_id="727",
        currency="USD",
        customer=Customer(email="margaret.hamilton@example.com", name="Margaret Hamilton", phone="(206) 555-0134"),
        ship_to=Address(
            name="Margaret Hamilton",
            line1="1301 2nd Ave",
            line2="Apt 1804",
            city="Seattle",
            region="WA",
            postal_code="98101",
            country="US",
        ),
        delivery=Delivery(DeliveryMethod.SHIP, None, "standard"),
        lines=(
            NewLine("315", "WOO-HOODIE-BLUE-L", 1, Decimal("45.00")),
            NewLine("316", "WOO-BEANIE", 3, Decimal("18.00")),
        ),
        shipping_total=Decimal("10.00"),
        tax_total=Decimal("8.25"),
        discount_total=Decimal("9.90"),
        payment_status=PaymentStatus.PAID,
        placed_at=datetime(2024, 5, 14, 10, 21, 9, tzinfo=UTC),
    )


def test_the_unit_price_is_the_exact_price_before_coupons_not_the_float_after_them() -> None:
    command = command_of(woocommerce("order_created_processing"))

    assert [line.unit_price for line in command.lines] == [Decimal("45.00"), Decimal("18.00")]  # `price`: 40.5, 16.2


def test_a_unit_price_that_does_not_divide_evenly_is_rounded_to_the_currency() -> None:
    payload = woocommerce()
    payload["line_items"][1] |= {"quantity": 3, "subtotal": "10.00"}

    assert command_of(payload).lines[1].unit_price == Decimal("3.33")


def test_coupons_fees_taxes_shipping_lines_and_public_meta_data_are_kept_in_the_details() -> None:
    details = mapped(woocommerce("order_created_processing")).details

    assert details["coupon_lines"] == [{"code": "spring10", "discount": "9.90"}]
    assert details["fee_lines"] == [{"name": "Gift wrapping", "total": "4.00", "total_tax": "0.32"}]
    assert details["tax_lines"] == [
        {
            "rate_code": "US-WA-SEATTLE-1",
            "label": "Sales tax",
            "rate_percent": 8,
            "tax_total": "7.45",
            "shipping_tax_total": "0.80",
        }
    ]
    assert [(s["method_id"], s["total"]) for s in details["shipping_lines"]] == [("flat_rate", "10.00")]
    assert details["meta_data"] == [
        {"key": "gift_message", "value": "Happy launch day!"},
        {"key": "is_vat_exempt", "value": "no"},
    ]
    assert details["note"] == "Please leave the parcel with the concierge."
    assert details["status"] == "processing"


def test_a_lines_attributes_are_kept_without_woocommerces_private_meta_data() -> None:
    hoodie = mapped(woocommerce("order_created_processing")).details["lines"][0]

    assert hoodie["meta_data"] == [{"key": "pa_color", "value": "blue"}, {"key": "pa_size", "value": "l"}]
    assert (hoodie["product_id"], hoodie["variation_id"], hoodie["total"]) == ("2134", "2141", "40.50")


def test_an_order_on_hold_for_a_bank_transfer_is_pending_so_capture_holds_it() -> None:
    assert command_of(woocommerce("order_created_on_hold_local_pickup")).payment_status == PaymentStatus.PENDING


def test_a_local_pickup_order_is_picked_up_at_the_mapped_location_and_has_no_ship_to() -> None:
    command = command_of(woocommerce("order_created_on_hold_local_pickup"))

    assert command.delivery == Delivery(DeliveryMethod.PICKUP, "SEA-PIKE")
    assert command.ship_to is None
    assert command.customer.email == "katherine.johnson@example.com"


def test_a_line_without_a_sku_is_kept_under_a_placeholder_sku_that_names_its_product() -> None:
    command = command_of(woocommerce("order_created_on_hold_local_pickup"))

    assert command.lines == (
        NewLine("331", "woocommerce:product:3310", 2, Decimal("15.00")),
        NewLine("332", "WOO-MUG-ENAMEL", 1, Decimal("10.00")),
    )


def test_a_negative_fee_is_kept_as_sent() -> None:
    details = mapped(woocommerce("order_created_on_hold_local_pickup")).details

    assert details["fee_lines"] == [{"name": "Loyalty discount", "total": "-2.00", "total_tax": "0.00"}]


def test_an_empty_shipping_address_falls_back_to_the_billing_address_when_a_parcel_is_shipped() -> None:
    command = command_of(woocommerce(shipping=EMPTY_ADDRESS))

    assert command.ship_to is not None and command.ship_to.line1 == "1301 2nd Ave"


def test_an_order_with_no_shipping_line_and_no_address_is_virtual_and_nothing_to_ship() -> None:
    order = mapped(woocommerce(shipping=EMPTY_ADDRESS, shipping_lines=[]))

    assert order.ignored == "no shipping line and no address: nothing to ship (a virtual order)"


@pytest.mark.parametrize(
    ("status", "payment", "cancelled"),
    [
        ("processing", PaymentStatus.PAID, False),
        ("completed", PaymentStatus.PAID, False),
        ("pending", PaymentStatus.PENDING, False),
        ("on-hold", PaymentStatus.PENDING, False),
        ("failed", PaymentStatus.PENDING, False),
        ("awaiting-shipment", PaymentStatus.PENDING, False),
        ("cancelled", PaymentStatus.PENDING, True),
        ("refunded", PaymentStatus.PENDING, True),
        ("trash", PaymentStatus.PENDING, True),
    ],
)
def test_the_status_says_whether_the_order_is_paid_or_cancelled(
    status: str, payment: PaymentStatus, cancelled: bool
) -> None:
    order = mapped(woocommerce(status=status))

    assert order.command is not None
    assert (order.command.payment_status, order.cancelled) == (payment, cancelled)


def test_a_checkout_draft_is_not_an_order_yet() -> None:
    assert mapped(woocommerce(status="checkout-draft")).ignored == "a checkout draft is not an order yet"


def test_a_deletion_carries_only_the_id_and_cancels() -> None:
    order = mapped({"id": 727}, topic="order.deleted")

    assert (order.external_id, order.command, order.cancelled) == ("727", None, True)


def test_the_time_the_order_last_changed_is_read_as_utc() -> None:
    assert mapped(woocommerce()).updated_at == datetime(2024, 5, 14, 10, 21, 12, tzinfo=UTC)


def test_a_subtotal_that_is_no_amount_is_refused_naming_the_line_and_field() -> None:
    payload = woocommerce()
    payload["line_items"][0] |= {"subtotal": "forty-five"}

    with pytest.raises(InvalidInput) as refused:
        mapped(payload)

    assert refused.value.field == ("line_items", 0, "subtotal")


# -- headers: topic, delivery id, signature, the set-up ping ---------------------------------------


@pytest.mark.parametrize(
    ("topic", "intent"),
    [
        ("order.created", Intent.CREATE),
        ("order.updated", Intent.UPDATE),
        ("order.restored", Intent.UPDATE),
        ("order.deleted", Intent.CANCEL),
        ("product.updated", Intent.IGNORE),
    ],
)
def test_each_topic_asks_for_what_ordermesh_does_with_it(topic: str, intent: Intent) -> None:
    assert CONNECTOR.delivery(request(woocommerce(), topic=topic)).intent == intent


def test_deliveries_are_told_apart_by_their_bodies_since_woocommerce_sends_no_stable_id() -> None:
    first, again = request(woocommerce()), request(woocommerce())
    changed = request(woocommerce(date_modified_gmt="2024-05-14T10:30:00"))

    assert CONNECTOR.delivery(first).webhook_id == CONNECTOR.delivery(again).webhook_id
    assert CONNECTOR.delivery(first).webhook_id != CONNECTOR.delivery(changed).webhook_id


def test_the_unsigned_ping_sent_when_a_webhook_is_saved_is_recognised() -> None:
    ping = InboundRequest({"content-type": "application/x-www-form-urlencoded"}, b"webhook_id=12")

    assert CONNECTOR.delivery(ping).intent == Intent.PING


def test_a_body_signed_with_the_secret_verifies_and_a_forged_one_does_not() -> None:
    genuine = request(woocommerce())
    forged = InboundRequest(
        dict(genuine.headers) | {"x-wc-webhook-signature": sign(genuine.body, "guessed")}, genuine.body
    )

    assert CONNECTOR.verify(genuine, WOO_SECRET)
    assert not CONNECTOR.verify(forged, WOO_SECRET)
