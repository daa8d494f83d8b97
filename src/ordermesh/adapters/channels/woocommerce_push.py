"""Status pushes to WooCommerce through its REST API v3: shipment notes, order status, cancellations.

WooCommerce core has no shipment object: a shipment becomes a note to the customer (carrier, tracking
number, what was sent) on the order, and the order's status becomes `completed` once every unit is shipped,
picked up or cancelled. The note ends with the shipment's reference, so a repeated push finds it and adds
no second note. A whole-order cancellation sets the status to `cancelled` (nothing to do when it is already);
WooCommerce cannot cancel part of an order (that is a refund in its admin), and the push says so.
Calls authenticate with the REST API key's consumer key and secret (HTTP Basic, over HTTPS).
"""

from __future__ import annotations

from typing import Any

import httpx

from ordermesh.adapters.channels.http_push import PushStopped, api_base, call, json_body
from ordermesh.domain.channel_status import StatusUpdate, UpdateKind
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.connectors import PushOutcome, PushResult

COMPLETED = "completed"
CANCELLED = "cancelled"


def shipment_note(update: StatusUpdate) -> str:
    """The customer note for a shipment, ending with its reference (how a repeated push recognises it)."""
    units = ", ".join(f"{line.quantity} x {line.sku}" for line in update.lines)
    if update.tracking_number:
        carrier = f" by {update.carrier}" if update.carrier else ""
        said = f"Shipped{carrier}, tracking number {update.tracking_number}: {units}."
    else:
        said = f"Handed over: {units}."
    return f"{said} {reference_tag(update.reference)}"


def reference_tag(reference: str) -> str:
    return f"(ref {reference})"


class WooCommerceStatusClient:
    kind = "woocommerce"

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def push(self, channel: ChannelRecord, update: StatusUpdate) -> PushResult:
        key = channel.api_credentials.get("consumer_key")
        secret = channel.api_credentials.get("consumer_secret")
        if not key or not secret:
            return PushResult(PushOutcome.REFUSED, "the channel needs api_credentials.consumer_key and consumer_secret")
        order_url = f"{api_base(channel)}/wp-json/wc/v3/orders/{update.external_order_id}"
        site = _Site(self.http, httpx.BasicAuth(key, secret))
        try:
            if update.kind == UpdateKind.SHIPMENT:
                return _ship(site, order_url, update)
            return _cancel(site, order_url, update)
        except PushStopped as stopped:
            return stopped.result


class _Site:
    def __init__(self, http: httpx.Client, auth: httpx.Auth) -> None:
        self.http = http
        self.auth = auth

    def get(self, url: str) -> Any:
        return json_body(call(self.http, "GET", url, auth=self.auth))

    def send(self, method: str, url: str, body: dict[str, Any]) -> Any:
        return json_body(call(self.http, method, url, json=body, auth=self.auth))


def _ship(site: _Site, order_url: str, update: StatusUpdate) -> PushResult:
    notes = site.get(f"{order_url}/notes")
    tag = reference_tag(update.reference)
    existing = next((note for note in notes if tag in str(note.get("note", ""))), None)
    if existing is None:
        existing = site.send("POST", f"{order_url}/notes", {"note": shipment_note(update), "customer_note": True})
    if update.order_complete:
        order = site.get(order_url)
        if order.get("status") != COMPLETED:
            site.send("PUT", order_url, {"status": COMPLETED})
    return PushResult(PushOutcome.DONE, None, reference=f"note {existing.get('id')}")


def _cancel(site: _Site, order_url: str, update: StatusUpdate) -> PushResult:
    if not update.whole_order:
        return PushResult(PushOutcome.SKIPPED, "WooCommerce cancels whole orders only: refund the lines in WooCommerce")
    order = site.get(order_url)
    if order.get("status") == CANCELLED:
        return PushResult(PushOutcome.DONE, "the site has the order cancelled already")
    site.send("PUT", order_url, {"status": CANCELLED})
    return PushResult(PushOutcome.DONE, None)
