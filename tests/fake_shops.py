"""Local stand-ins for a Shopify shop's GraphQL Admin API and a WooCommerce site's REST API, on loopback.

They answer over real HTTP and record every request, so the status clients are tested through the wire.
The fake shop executes the GraphQL documents it receives with graphql-core against a subset of Shopify's
Admin API schema (the types and fields the pushes use, as documented): a misspelt field or a wrong
argument type fails as it would on Shopify. Faults can be queued to answer the next requests with 429,
503, a GraphQL THROTTLED error, or to apply a request and drop the connection before answering.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import graphql

SHOPIFY_TOKEN = "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"
WOO_KEY = "ck_4f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a"
WOO_SECRET = "cs_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"

# A subset of the Shopify GraphQL Admin API (2025-01): the fields and arguments the status pushes use.
SHOPIFY_SCHEMA = graphql.build_schema("""
scalar DateTime
scalar URL

schema { query: QueryRoot mutation: Mutation }

type QueryRoot { order(id: ID!): Order }

type Mutation {
  fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): FulfillmentCreatePayload
  orderCancel(
    orderId: ID!, reason: OrderCancelReason!, refund: Boolean!, restock: Boolean!,
    notifyCustomer: Boolean, staffNote: String
  ): OrderCancelPayload
}

type Order {
  id: ID!
  name: String!
  cancelledAt: DateTime
  fulfillments(first: Int): [Fulfillment!]!
  fulfillmentOrders(first: Int, after: String): FulfillmentOrderConnection!
}
type Fulfillment { id: ID! status: FulfillmentStatus! trackingInfo(first: Int): [FulfillmentTrackingInfo!]! }
type FulfillmentTrackingInfo { company: String number: String url: URL }
type FulfillmentOrderConnection { nodes: [FulfillmentOrder!]! }
type FulfillmentOrder {
  id: ID!
  status: FulfillmentOrderStatus!
  lineItems(first: Int, after: String): FulfillmentOrderLineItemConnection!
}
type FulfillmentOrderLineItemConnection { nodes: [FulfillmentOrderLineItem!]! }
type FulfillmentOrderLineItem { id: ID! remainingQuantity: Int! totalQuantity: Int! lineItem: LineItem! }
type LineItem { id: ID! sku: String quantity: Int! }
type FulfillmentCreatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }
type OrderCancelPayload { job: Job orderCancelUserErrors: [OrderCancelUserError!]! userErrors: [UserError!]! }
type Job { id: ID! done: Boolean! }
type UserError { field: [String!] message: String! }
type OrderCancelUserError { code: OrderCancelUserErrorCode field: [String!] message: String! }

enum FulfillmentStatus { CANCELLED ERROR FAILURE OPEN PENDING SUCCESS }
enum FulfillmentOrderStatus { CANCELLED CLOSED INCOMPLETE IN_PROGRESS ON_HOLD OPEN SCHEDULED }
enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }
enum OrderCancelUserErrorCode { INVALID NOT_FOUND NO_REFUND_PERMISSION }

input FulfillmentInput {
  lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]!
  notifyCustomer: Boolean
  trackingInfo: FulfillmentTrackingInput
}
input FulfillmentOrderLineItemsInput {
  fulfillmentOrderId: ID!
  fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!]
}
input FulfillmentOrderLineItemInput { id: ID! quantity: Int! }
input FulfillmentTrackingInput { company: String number: String numbers: [String!] url: URL urls: [URL!] }
""")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (the request was applied)


class _App(Protocol):
    lock: threading.Lock
    requests: list[Recorded]
    faults: list[str]

    def handle(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer: ...


def _fault(app: _App) -> Answer | None:
    """The next queued fault, if any: '429', '503', 'throttled', 'drop' (apply, then no answer), 'pass' (none)."""
    if not app.faults:
        return None
    fault = app.faults.pop(0)
    if fault == "pass":
        return None
    if fault == "429":
        return Answer(429, {"errors": "Exceeded 2 calls per second for api client."}, {"Retry-After": "1.0"})
    if fault == "503":
        return Answer(503, "<html><body>Service Unavailable</body></html>")
    if fault == "throttled":
        throttled = {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://..."}}
        return Answer(200, {"errors": [throttled]})
    if fault == "drop":
        return Answer(0, drop=True)
    raise ValueError(f"unknown fault {fault!r}")


class _Handler(BaseHTTPRequestHandler):
    app: _App

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        headers = {name.lower(): value for name, value in self.headers.items()}
        with self.app.lock:
            self.app.requests.append(Recorded(method, self.path, headers, body))
            fault = _fault(self.app)
            if fault is None or fault.drop:
                answer = self.app.handle(method, self.path, headers, body)
            if fault is not None:
                answer = fault
        if answer.drop:
            self.close_connection = True
            self.connection.close()
            return
        payload = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
        data = payload.encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "text/html" if isinstance(answer.body, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def serving(app: _App) -> Iterator[str]:
    """Serve the app on a free loopback port; yield its base URL."""
    handler = type("Handler", (_Handler,), {"app": app})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# -- Shopify -----------------------------------------------------------------------------------------------


@dataclass
class ShopLine:
    id: str  # the fulfilment order line item's gid
    line_item: str  # the order line item's gid
    sku: str
    total: int
    remaining: int


@dataclass
class ShopFulfillmentOrder:
    id: str
    status: str
    lines: list[ShopLine]


@dataclass
class ShopFulfillment:
    id: str
    tracking: list[dict[str, Any]]
    line_items: list[dict[str, Any]]


@dataclass
class ShopOrder:
    id: str
    cancelled_at: str | None = None
    cancel: dict[str, Any] | None = None  # the orderCancel arguments
    fulfillment_orders: list[ShopFulfillmentOrder] = field(default_factory=list)
    fulfillments: list[ShopFulfillment] = field(default_factory=list)


class FakeShopify:
    """One shop: its orders, the requests it received, faults to answer next."""

    def __init__(self, token: str = SHOPIFY_TOKEN) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.faults: list[str] = []
        self.orders: dict[str, ShopOrder] = {}
        self._ids = 1000

    def add_order(
        self, order_id: str, lines: dict[str, tuple[str, int]], *, split: list[list[str]] | None = None
    ) -> None:
        """An order with line items {line item id: (sku, quantity)}; fulfilment orders per `split` (one by default)."""
        groups = split or [list(lines)]
        order = ShopOrder(order_id)
        for group in groups:
            fo_lines = [
                ShopLine(
                    self._gid("FulfillmentOrderLineItem"),
                    f"gid://shopify/LineItem/{line}",
                    *lines[line],
                    lines[line][1],
                )
                for line in group
            ]
            order.fulfillment_orders.append(ShopFulfillmentOrder(self._gid("FulfillmentOrder"), "OPEN", fo_lines))
        self.orders[order_id] = order

    def graphql_calls(self) -> list[str]:
        """The operation names of the GraphQL documents received, in order."""
        names = []
        for request in self.requests:
            document = graphql.parse(request.body["query"])
            names.extend(
                d.name.value for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode) and d.name
            )
        return names

    def handle(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        if method != "POST" or not path.startswith("/admin/api/") or not path.endswith("/graphql.json"):
            return Answer(404, {"errors": "Not Found"})
        if headers.get("x-shopify-access-token") != self.token:
            return Answer(
                401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
            )
        result = graphql.graphql_sync(
            SHOPIFY_SCHEMA, body["query"], root_value=self, variable_values=body.get("variables")
        )
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [{"message": error.message} for error in result.errors]
        return Answer(200, answer)

    # resolvers (graphql-core calls a callable field value with the resolve info and the arguments)

    def order(self, info: Any, id: str) -> dict[str, Any] | None:
        order = self.orders.get(id.rsplit("/", 1)[-1])
        if order is None:
            return None
        return {
            "id": f"gid://shopify/Order/{order.id}",
            "name": f"#{order.id[-4:]}",
            "cancelledAt": order.cancelled_at,
            "fulfillments": lambda info, first=None: [
                {"id": f.id, "status": "SUCCESS", "trackingInfo": lambda info, first=None, f=f: f.tracking}
                for f in order.fulfillments[:first]
            ],
            "fulfillmentOrders": lambda info, first=None, after=None: {
                "nodes": [_fo_node(fo) for fo in order.fulfillment_orders[:first]]
            },
        }

    def fulfillmentCreate(  # noqa: N802 (the schema's field name)
        self, info: Any, fulfillment: dict[str, Any], message: str | None = None
    ) -> dict[str, Any]:
        by_id = {fo.id: (order, fo) for order in self.orders.values() for fo in order.fulfillment_orders}
        taken: list[tuple[ShopLine, int]] = []
        for group in fulfillment["lineItemsByFulfillmentOrder"]:
            order, fo = by_id.get(group["fulfillmentOrderId"], (None, None))
            if fo is None or fo.status not in ("OPEN", "IN_PROGRESS"):
                return _user_error(["fulfillment"], f"Fulfillment order {group['fulfillmentOrderId']} is not open")
            lines = {line.id: line for line in fo.lines}
            for item in group.get("fulfillmentOrderLineItems") or []:
                line = lines.get(item["id"])
                if line is None or item["quantity"] > line.remaining or item["quantity"] <= 0:
                    return _user_error(
                        ["fulfillment"], f"Invalid fulfillment order line item quantity requested for {item['id']}"
                    )
                taken.append((line, item["quantity"]))
        for line, quantity in taken:
            line.remaining -= quantity
        for order in self.orders.values():
            for fo in order.fulfillment_orders:
                if any(line.remaining < line.total for line in fo.lines) and fo.status == "OPEN":
                    fo.status = "IN_PROGRESS"
                if all(line.remaining == 0 for line in fo.lines):
                    fo.status = "CLOSED"
        tracking = fulfillment.get("trackingInfo")
        created = ShopFulfillment(
            self._gid("Fulfillment"),
            [tracking] if tracking else [],
            [{"line_item": line.line_item, "quantity": quantity} for line, quantity in taken],
        )
        owner = next(
            o
            for o in self.orders.values()
            for fo in o.fulfillment_orders
            if fo.id == fulfillment["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderId"]
        )
        owner.fulfillments.append(created)
        return {
            "fulfillment": {
                "id": created.id,
                "status": "SUCCESS",
                "trackingInfo": lambda info, first=None: created.tracking,
            },
            "userErrors": [],
        }

    def orderCancel(  # noqa: N802 (the schema's field name)
        self,
        info: Any,
        orderId: str,  # noqa: N803
        reason: str,
        refund: bool,
        restock: bool,
        **optional: Any,
    ) -> dict[str, Any]:
        order = self.orders.get(orderId.rsplit("/", 1)[-1])
        if order is None:
            return {
                "job": None,
                "orderCancelUserErrors": [
                    {"code": "NOT_FOUND", "field": ["orderId"], "message": "Order does not exist"}
                ],
                "userErrors": [],
            }
        if order.cancelled_at:
            return {
                "job": None,
                "orderCancelUserErrors": [
                    {
                        "code": "INVALID",
                        "field": ["orderId"],
                        "message": "Cannot cancel an order that has already been cancelled",
                    }
                ],
                "userErrors": [],
            }
        order.cancelled_at = "2026-11-27T12:00:00Z"
        order.cancel = {"reason": reason, "refund": refund, "restock": restock, **optional}
        for fo in order.fulfillment_orders:
            if fo.status in ("OPEN", "IN_PROGRESS"):
                fo.status = "CANCELLED" if fo.status == "OPEN" else "CLOSED"
        return {"job": {"id": self._gid("Job"), "done": False}, "orderCancelUserErrors": [], "userErrors": []}

    def _gid(self, kind: str) -> str:
        self._ids += 1
        return f"gid://shopify/{kind}/{self._ids}"


def _fo_node(fo: ShopFulfillmentOrder) -> dict[str, Any]:
    return {
        "id": fo.id,
        "status": fo.status,
        "lineItems": lambda info, first=None, after=None: {
            "nodes": [
                {
                    "id": line.id,
                    "remainingQuantity": line.remaining,
                    "totalQuantity": line.total,
                    "lineItem": {"id": line.line_item, "sku": line.sku, "quantity": line.total},
                }
                for line in fo.lines[:first]
            ]
        },
    }


def _user_error(path: list[str], message: str) -> dict[str, Any]:
    return {"fulfillment": None, "userErrors": [{"field": path, "message": message}]}


# -- WooCommerce -------------------------------------------------------------------------------------------


@dataclass
class SiteOrder:
    id: str
    status: str = "processing"
    notes: list[dict[str, Any]] = field(default_factory=list)


class FakeWooCommerce:
    """One site's REST API v3 for orders and order notes, behind its consumer key and secret."""

    def __init__(self, key: str = WOO_KEY, secret: str = WOO_SECRET) -> None:
        self.credentials = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.faults: list[str] = []
        self.orders: dict[str, SiteOrder] = {}
        self._note_ids = 280

    def add_order(self, order_id: str, status: str = "processing") -> None:
        self.orders[order_id] = SiteOrder(order_id, status)

    def handle(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        if headers.get("authorization") != self.credentials:
            return Answer(401, _woo_error("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401))
        parts = path.removeprefix("/wp-json/wc/v3/").strip("/").split("/")
        if parts[0] != "orders" or len(parts) < 2:
            return Answer(
                404, _woo_error("rest_no_route", "No route was found matching the URL and request method.", 404)
            )
        order = self.orders.get(parts[1])
        if order is None:
            return Answer(404, _woo_error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404))
        if len(parts) == 2 and method == "GET":
            return Answer(200, {"id": int(order.id), "status": order.status})
        if len(parts) == 2 and method == "PUT":
            order.status = body.get("status", order.status)
            return Answer(200, {"id": int(order.id), "status": order.status})
        if parts[2:] == ["notes"] and method == "GET":
            return Answer(200, list(reversed(order.notes)))
        if parts[2:] == ["notes"] and method == "POST":
            self._note_ids += 1
            note = {
                "id": self._note_ids,
                "author": "Ordermesh",
                "note": body["note"],
                "customer_note": bool(body.get("customer_note")),
            }
            order.notes.append(note)
            return Answer(201, note)
        return Answer(404, _woo_error("rest_no_route", "No route was found matching the URL and request method.", 404))


def _woo_error(code: str, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "data": {"status": status}}
