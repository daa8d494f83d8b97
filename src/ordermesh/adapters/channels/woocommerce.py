"""WooCommerce: order webhooks (`order.created`, `order.updated`, `order.restored`, `order.deleted`) to Ordermesh.

The payload is the REST API v3 order. What maps where:

- `id` -> `external_id` (the `number` shown to shoppers stays in the details); each line's `id` -> the line's
  `external_id`;
- `line_items` -> lines: `sku` (`woocommerce:product:<product_id>[:<variation_id>]` when empty: the order is
  kept and that line is an exception a person sees), `quantity`, and the unit price before coupons
  (`subtotal` / `quantity`, exact; `price` is a float after coupons);
- `shipping` -> `ship_to` (the billing address when the shipping address is empty but a shipping line
  exists); a `local_pickup` or `pickup_location` shipping line -> pickup at the location it names (mapped
  through the channel's `pickup_locations`); no shipping line and no address -> nothing to ship (a virtual
  order), not captured;
- `shipping_total`, `total_tax`, `discount_total` -> the order's totals; the shipping line's `method_id`
  -> the service level (mapped through `service_levels`);
- `status` -> payment and lifecycle: `processing` and `completed` are paid; `pending`, `on-hold`, `failed`
  and any status Ordermesh does not know are pending (held until paid); `cancelled`, `refunded` and `trash`
  cancel; `checkout-draft` is not an order yet;
- `billing` -> the customer (e-mail, name, phone);
- `tax_lines`, `fee_lines`, `coupon_lines`, `shipping_lines`, `customer_note`, the public `meta_data` and
  each line's `meta_data` -> the details kept beside the order.

WooCommerce gives a delivery no stable id of its own, so deliveries are de-duplicated on the body's SHA-256:
the same order sent again is the same bytes, and every change to it moves `date_modified`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ordermesh.adapters.channels.payload import Fields, parse_object, plain
from ordermesh.adapters.channels.settings import ChannelSettings
from ordermesh.adapters.channels.signatures import body_digest, signed_with
from ordermesh.domain.catalog import Address
from ordermesh.domain.money import minor_units
from ordermesh.domain.orders import Customer, Delivery, DeliveryMethod, PaymentStatus
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.commands import CaptureOrder, NewLine
from ordermesh.services.connectors import ChannelOrder, InboundRequest, Intent, WebhookDelivery

KIND = "woocommerce"
TOPICS = {
    "order.created": Intent.CREATE,
    "order.updated": Intent.UPDATE,
    "order.restored": Intent.UPDATE,
    "order.deleted": Intent.CANCEL,
}
PAID = frozenset({"processing", "completed"})
CANCELLED = frozenset({"cancelled", "refunded", "trash"})
DRAFT = "checkout-draft"
PICKUP_METHODS = frozenset({"local_pickup", "pickup_location"})


class WooCommerceConnector:
    """Verifies `X-WC-Webhook-Signature`, answers the set-up ping, maps the v3 order JSON."""

    kind = KIND
    # Status pushes: a read/write REST API key's consumer key and secret.
    credential_names: tuple[str, ...] = ("consumer_key", "consumer_secret")

    def delivery(self, request: InboundRequest) -> WebhookDelivery:
        topic = request.header("X-WC-Webhook-Topic") or ""
        if not topic and request.header("X-WC-Webhook-Signature") is None and request.body.startswith(b"webhook_id="):
            # Saving a webhook in WooCommerce posts `webhook_id=<n>`, unsigned, and wants a 200 back.
            return WebhookDelivery(body_digest(request.body), "ping", Intent.PING)
        return WebhookDelivery(body_digest(request.body), topic[:100], TOPICS.get(topic, Intent.IGNORE))

    def verify(self, request: InboundRequest, secret: str) -> bool:
        return signed_with(request.body, secret, request.header("X-WC-Webhook-Signature"))

    def read_order(self, request: InboundRequest, channel: ChannelRecord) -> ChannelOrder:
        order = parse_object(request.body)
        if request.header("X-WC-Webhook-Topic") == "order.deleted":
            # A deletion carries the order's id and nothing else.
            return ChannelOrder(order.ident("id"), None, cancelled=True, cancel_reason="deleted on the channel")
        return read_order(order, channel)


def read_order(order: Fields, channel: ChannelRecord) -> ChannelOrder:
    """Map one WooCommerce v3 order; raises InvalidInput naming the first field that cannot be mapped."""
    external_id = order.ident("id")
    currency = order.currency("currency")
    status = order.text("status") or "pending"
    settings = ChannelSettings.of(channel.settings)
    lines, line_details = _lines(order, currency)
    shipping = order.objects("shipping_lines")
    ship_to = _address(order.object("shipping")) or (_address(order.object("billing")) if shipping else None)
    delivery = _delivery(shipping, settings)
    if delivery.method == DeliveryMethod.PICKUP:
        ship_to = None  # the shopper's address is not where the parcel goes
    command = CaptureOrder(
        channel=channel.channel,
        external_id=external_id,
        currency=currency,
        customer=_customer(order.object("billing")),
        ship_to=ship_to,
        delivery=delivery,
        lines=tuple(lines),
        shipping_total=order.money("shipping_total", currency),
        tax_total=order.money("total_tax", currency),
        discount_total=order.money("discount_total", currency),
        payment_status=PaymentStatus.PAID if status in PAID else PaymentStatus.PENDING,
        placed_at=order.timestamp("date_created_gmt", naive_is_utc=True),
    )
    return ChannelOrder(
        external_id=external_id,
        command=command,
        updated_at=order.timestamp("date_modified_gmt", naive_is_utc=True),
        cancelled=status in CANCELLED,
        cancel_reason=f"{status} on the channel" if status in CANCELLED else None,
        ignored=_ignored(status, lines, ship_to, delivery),
        details=_details(order, currency, status, shipping, line_details),
    )


def _ignored(status: str, lines: list[NewLine], ship_to: Address | None, delivery: Delivery) -> str | None:
    if status == DRAFT:
        return "a checkout draft is not an order yet"
    if not lines:
        return "the order has no lines"
    if ship_to is None and delivery.method == DeliveryMethod.SHIP:
        return "no shipping line and no address: nothing to ship (a virtual order)"
    return None


def _lines(order: Fields, currency: str) -> tuple[list[NewLine], list[dict[str, Any]]]:
    lines: list[NewLine] = []
    details: list[dict[str, Any]] = []
    exponent = Decimal(1).scaleb(-minor_units(currency))
    for item in order.objects("line_items"):
        line_id = item.ident("id")
        quantity = item.integer("quantity")
        product, variation = item.optional_ident("product_id"), item.optional_ident("variation_id")
        sku = item.text("sku", limit=100)
        subtotal = item.money("subtotal", currency, default=None)
        unit = (subtotal / quantity).quantize(exponent, ROUND_HALF_EVEN) if quantity else subtotal
        if quantity:
            placeholder = f"woocommerce:product:{product}" + (f":{variation}" if variation not in (None, "0") else "")
            lines.append(NewLine(line_id, sku or placeholder, quantity, unit))
        details.append(
            {
                "id": line_id,
                "name": item.text("name"),
                "sku": sku,
                "product_id": product,
                "variation_id": variation,
                "quantity": quantity,
                "subtotal": str(subtotal),
                "total": str(item.money("total", currency)),
                "total_tax": str(item.money("total_tax", currency)),
                "meta_data": _public_meta(item),
                "fulfilled_by_ordermesh": quantity > 0,
            }
        )
    return lines, details


def _address(address: Fields | None) -> Address | None:
    if address is None:
        return None
    names = (address.text("first_name"), address.text("last_name"))
    line1 = address.text("address_1", limit=200)
    postal_code = address.text("postcode", limit=20)
    if not (line1 or postal_code):
        return None
    return Address(
        name=" ".join(part for part in names if part) or address.text("company"),
        line1=line1,
        line2=address.text("address_2", limit=200),
        city=address.text("city", limit=100),
        region=address.text("state", limit=100),
        postal_code=postal_code,
        country=address.country("country"),
    )


def _customer(billing: Fields | None) -> Customer:
    if billing is None:
        return Customer()
    names = (billing.text("first_name"), billing.text("last_name"))
    return Customer(
        email=billing.text("email"),
        name=" ".join(part for part in names if part) or None,
        phone=billing.text("phone", limit=40),
    )


def _delivery(shipping: list[Fields], settings: ChannelSettings) -> Delivery:
    first = shipping[0] if shipping else None
    if first is None:
        return Delivery(DeliveryMethod.SHIP)
    method, title = first.text("method_id"), first.text("method_title")
    if method in PICKUP_METHODS:
        meta = {m["key"]: m["value"] for m in _public_meta(first)}
        named = meta.get("pickup_location") if isinstance(meta.get("pickup_location"), str) else None
        where = settings.pickup_location(named, first.optional_ident("instance_id"), title)
        return Delivery(DeliveryMethod.PICKUP, where)
    return Delivery(DeliveryMethod.SHIP, None, settings.service_level(method, title))


def _public_meta(fields: Fields) -> list[dict[str, Any]]:
    """Meta data a plugin meant to show: keys starting with `_` are WooCommerce's private ones."""
    return [
        {"key": m.text("key"), "value": plain(m.raw("value"))}
        for m in fields.objects("meta_data")
        if not (m.text("key") or "_").startswith("_")
    ]


def _details(
    order: Fields, currency: str, status: str, shipping: list[Fields], lines: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "number": order.text("number"),
        "status": status,
        "created_via": order.text("created_via"),
        "payment_method": order.text("payment_method"),
        "date_paid_gmt": order.text("date_paid_gmt"),
        "note": order.text("customer_note", limit=5000),
        "prices_include_tax": order.flag("prices_include_tax", default=False),
        "total": str(order.money("total", currency)),
        "meta_data": _public_meta(order),
        "tax_lines": [
            {
                "rate_code": t.text("rate_code"),
                "label": t.text("label"),
                "rate_percent": plain(t.raw("rate_percent")),
                "tax_total": str(t.money("tax_total", currency)),
                "shipping_tax_total": str(t.money("shipping_tax_total", currency)),
            }
            for t in order.objects("tax_lines")
        ],
        "shipping_lines": [
            {
                "method_id": s.text("method_id"),
                "method_title": s.text("method_title"),
                "instance_id": s.optional_ident("instance_id"),
                "total": str(s.money("total", currency)),
                "meta_data": _public_meta(s),
            }
            for s in shipping
        ],
        "fee_lines": [
            {"name": f.text("name"), "total": plain(f.raw("total")), "total_tax": plain(f.raw("total_tax"))}
            for f in order.objects("fee_lines")
        ],
        "coupon_lines": [
            {"code": c.text("code"), "discount": str(c.money("discount", currency))}
            for c in order.objects("coupon_lines")
        ],
        "lines": lines,
    }
