"""Shopify: order webhooks (`orders/create`, `orders/updated`, `orders/paid`, `orders/cancelled`) to Ordermesh.

The payload is the Admin REST API's `Order` resource. What maps where:

- `id` (a 64-bit integer, beyond what a JSON double holds exactly) -> `external_id`, as text; each line's
  `id` -> the line's `external_id`;
- `line_items` that require shipping -> lines: `sku`, `current_quantity` (the quantity left after edits and
  refunds; `quantity` before API 2024-01), `price` as a Decimal. A line without a SKU gets `shopify:variant:<id>`
  (or `shopify:line:<id>` for a custom item): the order is kept and that line is an exception a person sees.
  Lines that do not require shipping (digital goods, gift cards sent by e-mail) are not Ordermesh's to fulfil;
  they stay in the details. An order with none left to ship is not captured.
- `shipping_address` -> `ship_to`, with its latitude and longitude; no shipping address but a shipping line
  -> pickup at the location that line names (mapped through the channel's `pickup_locations`);
- `shipping_lines` -> `shipping_total` (the sum of their prices) and the service level (mapped through
  `service_levels`); `total_tax` -> `tax_total`; `total_discounts` -> `discount_total`;
- `financial_status` -> payment status: `paid` and `partially_refunded` are paid, `authorized` is authorized,
  everything else (`pending`, `partially_paid`, `refunded`, `voided`, `expired`, unknown) is pending, which
  holds the order until the payment comes through;
- `email`, `phone` and `customer` -> the customer, whose `tags` sourcing rules can match;
- `cancelled_at` -> cancelled; `updated_at` orders the deliveries;
- `note`, `note_attributes`, `tags`, `discount_codes`, `tax_lines`, `shipping_lines`, line weights (`grams`),
  `properties`, `gift_card` and `requires_shipping` -> the details kept beside the order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ordermesh.adapters.channels.payload import Fields, parse_object, plain
from ordermesh.adapters.channels.settings import ChannelSettings
from ordermesh.adapters.channels.signatures import body_digest, signed_with
from ordermesh.domain.catalog import Address
from ordermesh.domain.orders import Customer, Delivery, DeliveryMethod, PaymentStatus
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.commands import CaptureOrder, NewLine
from ordermesh.services.connectors import ChannelOrder, InboundRequest, Intent, WebhookDelivery

KIND = "shopify"
TOPICS = {
    "orders/create": Intent.CREATE,
    "orders/updated": Intent.UPDATE,
    "orders/paid": Intent.UPDATE,
    "orders/cancelled": Intent.CANCEL,
}
PAYMENT = {
    "paid": PaymentStatus.PAID,
    "partially_refunded": PaymentStatus.PAID,
    "authorized": PaymentStatus.AUTHORIZED,
}


class ShopifyConnector:
    """Verifies `X-Shopify-Hmac-Sha256`, de-duplicates on `X-Shopify-Webhook-Id`, maps the order JSON."""

    kind = KIND
    # Status pushes: the Admin API access token of the app installed on the shop.
    credential_names: tuple[str, ...] = ("access_token",)

    def delivery(self, request: InboundRequest) -> WebhookDelivery:
        topic = request.header("X-Shopify-Topic") or ""
        webhook_id = (request.header("X-Shopify-Webhook-Id") or "").strip() or body_digest(request.body)
        return WebhookDelivery(webhook_id[:100], topic[:100], TOPICS.get(topic, Intent.IGNORE))

    def verify(self, request: InboundRequest, secret: str) -> bool:
        return signed_with(request.body, secret, request.header("X-Shopify-Hmac-Sha256"))

    def read_order(self, request: InboundRequest, channel: ChannelRecord) -> ChannelOrder:
        return read_order(parse_object(request.body), channel)


def read_order(order: Fields, channel: ChannelRecord) -> ChannelOrder:
    """Map one Shopify `Order` object; raises InvalidInput naming the first field that cannot be mapped."""
    external_id = order.ident("id")
    currency = order.currency("currency")
    settings = ChannelSettings.of(channel.settings)
    lines, line_details = _lines(order, currency)
    shipping = order.objects("shipping_lines")
    address = order.object("shipping_address")
    ship_to = _address(address) if address else None
    command = CaptureOrder(
        channel=channel.channel,
        external_id=external_id,
        currency=currency,
        customer=_customer(order, address),
        ship_to=ship_to,
        delivery=_delivery(ship_to, shipping, settings),
        lines=tuple(lines),
        shipping_total=sum((line.money("price", currency) for line in shipping), Decimal("0")),
        tax_total=order.money("total_tax", currency),
        discount_total=order.money("total_discounts", currency),
        payment_status=PAYMENT.get(order.text("financial_status") or "", PaymentStatus.PENDING),
        placed_at=order.timestamp("processed_at") or order.timestamp("created_at"),
    )
    return ChannelOrder(
        external_id=external_id,
        command=command,
        updated_at=order.timestamp("updated_at"),
        cancelled=order.has("cancelled_at"),
        cancel_reason=order.text("cancel_reason"),
        ignored=None if lines else "no line requires shipping: nothing for Ordermesh to fulfil",
        details=_details(order, currency, shipping, address, line_details),
    )


def _lines(order: Fields, currency: str) -> tuple[list[NewLine], list[dict[str, Any]]]:
    lines: list[NewLine] = []
    details: list[dict[str, Any]] = []
    for item in order.objects("line_items"):
        line_id = item.ident("id")
        variant = item.optional_ident("variant_id")
        quantity = item.integer("current_quantity", default=item.integer("quantity"))
        sku = item.text("sku", limit=100)
        requires_shipping = item.flag("requires_shipping", default=True)
        gift_card = item.flag("gift_card", default=False)
        price = item.money("price", currency, default=None)
        skipped = None
        if not requires_shipping:
            skipped = "gift card that does not require shipping" if gift_card else "does not require shipping"
        elif quantity == 0:
            skipped = "no units left (removed or refunded)"
        else:
            placeholder = f"shopify:variant:{variant}" if variant else f"shopify:line:{line_id}"
            lines.append(NewLine(line_id, sku or placeholder, quantity, price))
        details.append(
            {
                "id": line_id,
                "title": item.text("title"),
                "variant_title": item.text("variant_title"),
                "sku": sku,
                "variant_id": variant,
                "product_id": item.optional_ident("product_id"),
                "quantity": quantity,
                "price": str(price),
                "grams": item.integer("grams", default=0),
                "requires_shipping": requires_shipping,
                "gift_card": gift_card,
                "properties": [_pair(p) for p in item.objects("properties")],
                "tax_lines": [_tax_line(t, currency) for t in item.objects("tax_lines")],
                "discount": str(
                    sum((d.money("amount", currency) for d in item.objects("discount_allocations")), Decimal("0"))
                ),
                "fulfilled_by_ordermesh": skipped is None,
                **({"skipped": skipped} if skipped else {}),
            }
        )
    return lines, details


def _address(address: Fields) -> Address:
    first, last = address.text("first_name"), address.text("last_name")
    return Address(
        name=address.text("name") or " ".join(part for part in (first, last) if part) or None,
        line1=address.text("address1", limit=200),
        line2=address.text("address2", limit=200),
        city=address.text("city", limit=100),
        region=address.text("province_code", limit=100) or address.text("province", limit=100),
        postal_code=address.text("zip", limit=20),
        country=address.country("country_code"),
        lat=address.coordinate("latitude", 90),
        lon=address.coordinate("longitude", 180),
    )


def _customer(order: Fields, address: Fields | None) -> Customer:
    customer = order.object("customer")
    names = (customer.text("first_name"), customer.text("last_name")) if customer else (None, None)
    name = " ".join(part for part in names if part) or (address.text("name") if address else None)
    tags = (customer.text("tags", limit=2000) if customer else None) or ""
    return Customer(
        email=order.text("email") or order.text("contact_email") or (customer.text("email") if customer else None),
        name=name,
        phone=order.text("phone")
        or (customer.text("phone") if customer else None)
        or (address.text("phone") if address else None),
        tags=tuple(tag.strip() for tag in tags.split(",") if tag.strip()),
    )


def _delivery(ship_to: Address | None, shipping: list[Fields], settings: ChannelSettings) -> Delivery:
    first = shipping[0] if shipping else None
    code, title = (first.text("code"), first.text("title")) if first else (None, None)
    if ship_to is None and first is not None:
        # Local pickup: Shopify sends no shipping address and a shipping line named after the pickup location.
        return Delivery(DeliveryMethod.PICKUP, settings.pickup_location(code, title), settings.service_level(code))
    return Delivery(DeliveryMethod.SHIP, None, settings.service_level(code, title))


def _details(
    order: Fields, currency: str, shipping: list[Fields], address: Fields | None, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    tags = order.text("tags", limit=5000) or ""
    return {
        "name": order.text("name"),
        "order_number": plain(order.raw("order_number")),
        "source_name": order.text("source_name"),
        "test": order.flag("test", default=False),
        "financial_status": order.text("financial_status"),
        "fulfillment_status": order.text("fulfillment_status"),
        "note": order.text("note", limit=5000),
        "note_attributes": [_pair(p) for p in order.objects("note_attributes")],
        "tags": [tag.strip() for tag in tags.split(",") if tag.strip()],
        "taxes_included": order.flag("taxes_included", default=False),
        "total_price": str(order.money("total_price", currency)),
        "subtotal_price": str(order.money("subtotal_price", currency)),
        "presentment_currency": order.text("presentment_currency"),
        "discount_codes": [
            {"code": d.text("code"), "amount": str(d.money("amount", currency)), "type": d.text("type")}
            for d in order.objects("discount_codes")
        ],
        "tax_lines": [_tax_line(t, currency) for t in order.objects("tax_lines")],
        "shipping_lines": [
            {
                "code": s.text("code"),
                "title": s.text("title"),
                "source": s.text("source"),
                "price": str(s.money("price", currency)),
                "discounted_price": str(s.money("discounted_price", currency, default=s.money("price", currency))),
                "carrier_identifier": s.text("carrier_identifier"),
            }
            for s in shipping
        ],
        "shipping_company": address.text("company") if address else None,
        "lines": lines,
    }


def _pair(pair: Fields) -> dict[str, Any]:
    return {"name": plain(pair.raw("name")), "value": plain(pair.raw("value"))}


def _tax_line(tax: Fields, currency: str) -> dict[str, Any]:
    return {"title": tax.text("title"), "rate": plain(tax.raw("rate")), "price": str(tax.money("price", currency))}
