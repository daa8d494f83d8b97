"""Status pushes to Shopify through its GraphQL Admin API: fulfilments with tracking, order cancellations.

A shipment becomes a `fulfillmentCreate` on the order's open fulfilment orders: Shopify fulfils the line
items of fulfilment orders, not of the order, so the order's fulfilment orders are read first and each of
our lines is matched to their line items by the order line item id. The same read makes a push safe to
repeat: a fulfilment that already carries the shipment's tracking number, or lines with nothing left to
fulfil, mean Shopify has it. A whole-order cancellation becomes `orderCancel` unless the order is cancelled
already (as it is when the cancellation came from Shopify). Shopify cancels only whole orders: a partial
cancellation is left to a refund in Shopify's admin, and the push says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx

from ordermesh.adapters.channels.http_push import PushStopped, api_base, call, json_body
from ordermesh.domain.channel_status import PushedLine, StatusUpdate, UpdateKind
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.connectors import PushOutcome, PushResult

API_VERSION = "2025-01"
OPEN_STATUSES = ("OPEN", "IN_PROGRESS")
WAITING_STATUSES = ("ON_HOLD", "SCHEDULED")  # Shopify takes no fulfilment of these yet

ORDER_FOR_FULFILMENT = """
query OrderForFulfilment($id: ID!) {
  order(id: $id) {
    id
    cancelledAt
    fulfillments(first: 100) {
      id
      trackingInfo(first: 10) { number }
    }
    fulfillmentOrders(first: 50) {
      nodes {
        id
        status
        lineItems(first: 250) {
          nodes { id remainingQuantity lineItem { id } }
        }
      }
    }
  }
}
"""

FULFILMENT_CREATE = """
mutation FulfilmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

ORDER_CANCELLED = """
query OrderCancelled($id: ID!) {
  order(id: $id) { id cancelledAt }
}
"""

ORDER_CANCEL = """
mutation OrderCancel(
  $orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!, $restock: Boolean!,
  $notifyCustomer: Boolean, $staffNote: String
) {
  orderCancel(
    orderId: $orderId, reason: $reason, refund: $refund, restock: $restock,
    notifyCustomer: $notifyCustomer, staffNote: $staffNote
  ) {
    job { id }
    orderCancelUserErrors { field message code }
  }
}
"""

# Words in Ordermesh's cancellation reason -> Shopify's OrderCancelReason (OTHER when none is found).
_REASONS = (
    ("fraud", "FRAUD"),
    ("declin", "DECLINED"),
    ("payment", "DECLINED"),
    ("customer", "CUSTOMER"),
    ("stock", "INVENTORY"),
    ("unfillable", "INVENTORY"),
    ("inventory", "INVENTORY"),
    ("staff", "STAFF"),
)
STAFF_NOTE_CHARS = 255


def order_gid(external_id: str) -> str:
    return f"gid://shopify/Order/{external_id}"


def line_item_gid(external_id: str) -> str:
    return f"gid://shopify/LineItem/{external_id}"


def cancel_reason(reason: str | None) -> str:
    text = (reason or "").lower()
    return next((code for word, code in _REASONS if word in text), "OTHER")


def plan_fulfilment(
    fulfillment_orders: Iterable[Mapping[str, Any]], lines: Sequence[PushedLine]
) -> list[dict[str, Any]]:
    """`lineItemsByFulfillmentOrder` for the units of `lines`, taken from the open fulfilment orders' remaining
    quantities in the order Shopify lists them; lines with nothing remaining are left out."""
    wanted = {line_item_gid(line.external_id): line.quantity for line in lines}
    planned: list[dict[str, Any]] = []
    for fo in fulfillment_orders:
        if fo["status"] not in OPEN_STATUSES:
            continue
        items = []
        for item in fo["lineItems"]["nodes"]:
            gid = item["lineItem"]["id"]
            take = min(wanted.get(gid, 0), int(item["remainingQuantity"]))
            if take > 0:
                items.append({"id": item["id"], "quantity": take})
                wanted[gid] -= take
        if items:
            planned.append({"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": items})
    return planned


class ShopifyStatusClient:
    kind = "shopify"

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def push(self, channel: ChannelRecord, update: StatusUpdate) -> PushResult:
        token = channel.api_credentials.get("access_token")
        if not token:
            return PushResult(PushOutcome.REFUSED, "the channel has no api_credentials.access_token")
        session = _Session(self.http, channel, token)
        try:
            if update.kind == UpdateKind.SHIPMENT:
                return _fulfil(session, update)
            return _cancel(session, update)
        except PushStopped as stopped:
            return stopped.result


class _Session:
    """GraphQL calls to one shop, with the answers' errors turned into how the push stops."""

    def __init__(self, http: httpx.Client, channel: ChannelRecord, token: str) -> None:
        self.http = http
        self.settings = channel.settings
        version = channel.settings.get("api_version") or API_VERSION
        self.url = f"{api_base(channel)}/admin/api/{version}/graphql.json"
        self.headers = {"X-Shopify-Access-Token": token, "Content-Type": "application/json"}

    def run(self, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        body = json.dumps({"query": document, "variables": variables})
        answer = json_body(call(self.http, "POST", self.url, content=body, headers=self.headers))
        errors = answer.get("errors") if isinstance(answer, dict) else None
        if errors:
            messages = "; ".join(str(error.get("message", error)) for error in errors)
            if any((error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors):
                raise PushStopped(PushResult(PushOutcome.RETRY, f"throttled: {messages}", retry_after=2.0))
            raise PushStopped(PushResult(PushOutcome.REFUSED, f"GraphQL errors: {messages}"))
        if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
            raise PushStopped(PushResult(PushOutcome.RETRY, f"no data in the answer: {str(answer)[:300]}"))
        data: dict[str, Any] = answer["data"]
        return data

    def order(self, document: str, external_id: str) -> dict[str, Any]:
        order = self.run(document, {"id": order_gid(external_id)}).get("order")
        if order is None:
            raise PushStopped(PushResult(PushOutcome.REFUSED, f"order {order_gid(external_id)} is not in the shop"))
        found: dict[str, Any] = order
        return found


def _fulfil(session: _Session, update: StatusUpdate) -> PushResult:
    order = session.order(ORDER_FOR_FULFILMENT, update.external_order_id)
    if update.tracking_number:
        for fulfilment in order["fulfillments"]:
            if any(info.get("number") == update.tracking_number for info in fulfilment["trackingInfo"]):
                detail = f"the shop has a fulfilment with tracking number {update.tracking_number} already"
                return PushResult(PushOutcome.DONE, detail, reference=fulfilment["id"])
    fulfillment_orders = order["fulfillmentOrders"]["nodes"]
    planned = plan_fulfilment(fulfillment_orders, update.lines)
    if not planned:
        held = [fo["id"] for fo in fulfillment_orders if fo["status"] in WAITING_STATUSES]
        if held:
            return PushResult(
                PushOutcome.RETRY, f"fulfilment orders on hold or scheduled in the shop: {', '.join(held)}"
            )
        return PushResult(PushOutcome.DONE, "nothing of these lines is left to fulfil in the shop")
    fulfillment: dict[str, Any] = {
        "lineItemsByFulfillmentOrder": planned,
        "notifyCustomer": bool(session.settings.get("notify_customer", True)),
    }
    if update.tracking_number:
        fulfillment["trackingInfo"] = {"company": update.carrier, "number": update.tracking_number}
    created = session.run(FULFILMENT_CREATE, {"fulfillment": fulfillment})["fulfillmentCreate"]
    if created["userErrors"]:
        return PushResult(PushOutcome.REFUSED, _user_errors(created["userErrors"]))
    pushed = sum(item["quantity"] for fo in planned for item in fo["fulfillmentOrderLineItems"])
    wanted = sum(line.quantity for line in update.lines)
    short = None if pushed == wanted else f"{pushed} of {wanted} unit(s) were left to fulfil in the shop"
    return PushResult(PushOutcome.DONE, short, reference=created["fulfillment"]["id"])


def _cancel(session: _Session, update: StatusUpdate) -> PushResult:
    if not update.whole_order:
        return PushResult(PushOutcome.SKIPPED, "Shopify cancels whole orders only: refund the lines in Shopify")
    order = session.order(ORDER_CANCELLED, update.external_order_id)
    if order.get("cancelledAt"):
        return PushResult(PushOutcome.DONE, f"the shop cancelled the order at {order['cancelledAt']}")
    variables = {
        "orderId": order["id"],
        "reason": cancel_reason(update.reason),
        "refund": bool(session.settings.get("cancel_refund", True)),
        "restock": bool(session.settings.get("cancel_restock", False)),
        "notifyCustomer": bool(session.settings.get("notify_customer", True)),
        "staffNote": (update.reason or "cancelled in Ordermesh")[:STAFF_NOTE_CHARS],
    }
    cancelled = session.run(ORDER_CANCEL, variables)["orderCancel"]
    if cancelled["orderCancelUserErrors"]:
        return PushResult(PushOutcome.REFUSED, _user_errors(cancelled["orderCancelUserErrors"]))
    job = cancelled.get("job") or {}
    return PushResult(PushOutcome.DONE, None, reference=job.get("id"))


def _user_errors(errors: Iterable[Mapping[str, Any]]) -> str:
    return "; ".join(f"{'.'.join(error.get('field') or []) or 'order'}: {error['message']}" for error in errors)
