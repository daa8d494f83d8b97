"""The event catalogue: every event type Ordermesh publishes, what it means, and the shape of its data.

Payloads are declared here as TypedDicts and the functions that build them (`order_data`, `fo_data`,
`location_data`, ...) are annotated with them, so the type checker keeps code and catalogue together;
`json_schema` turns each declaration into the JSON Schema published at `GET /v1/events/catalog` and in
`docs/events/`. A test validates every event of a full order lifecycle against its schema.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, TypedDict, Union, get_args, get_origin, get_type_hints

# --- payloads ------------------------------------------------------------------------------------------


class OrderLinePicture(TypedDict):
    line_id: str
    sku: str
    quantity: int
    unallocated: int
    allocated: int
    backordered: int
    shipped: int
    delivered: int
    cancelled: int


class OrderPicture(TypedDict):
    """The compact picture of an order every order event carries: its lines and their quantity buckets."""

    order_id: str
    channel: str
    external_id: str
    status: str
    lines: list[OrderLinePicture]


class OrderHeld(OrderPicture):
    reason: str


class OrderCancelled(OrderPicture):
    reason: str | None
    cancelled: dict[str, int]  # units cancelled by this request, per line id


class LineException(TypedDict):
    line_id: str
    sku: str
    reason: str


class OrderExceptionRaised(OrderPicture):
    exceptions: list[LineException]


class OrderUpdated(OrderPicture):
    changes: list[str]  # what changed, in words ("payment pending -> paid", "shipping address changed")


class FulfillmentLinePicture(TypedDict):
    line_id: str
    sku: str
    quantity: int
    shipped: int
    delivered: int
    cancelled: int


class FulfillmentOrderPicture(TypedDict):
    """A fulfilment order: the work one location does for one order."""

    fulfillment_order_id: str
    order_id: str
    location: str
    status: str
    lines: list[FulfillmentLinePicture]


class FulfillmentShipped(FulfillmentOrderPicture):
    shipment_id: str
    carrier: str
    tracking_number: str
    shipped_lines: dict[str, int]  # units in this shipment, per order line id


class _CancelReason(TypedDict, total=False):
    reason: str | None  # given when the work itself was cancelled, absent when its order was


class FulfillmentCancelled(FulfillmentOrderPicture, _CancelReason):
    pass


class ItemPicture(TypedDict):
    sku: str
    name: str
    weight_grams: int
    attributes: dict[str, Any]


class AddressPicture(TypedDict):
    line1: str | None
    line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    lat: float | None
    lon: float | None
    name: str | None


class ProfilePicture(TypedDict):
    groups: list[str]
    tags: list[str]
    timezone: str
    cutoff: str | None  # local "HH:MM"
    processing_days: int
    daily_order_capacity: int | None
    daily_unit_capacity: int | None


class LocationPicture(TypedDict):
    code: str
    name: str
    type: str
    address: AddressPicture
    capabilities: list[str]
    active: bool
    sourcing: ProfilePicture


class StockLevelPicture(TypedDict):
    location: str
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    as_of: str | None
    available: int


class InventoryChanged(TypedDict):
    before: StockLevelPicture | None  # None: the row did not exist
    after: StockLevelPicture
    reason: str


class ShipmentTracked(TypedDict):
    """A shipment's tracking status moved, as its carrier reported (`status` is also the type's last word)."""

    shipment_id: str
    fulfillment_order_id: str
    order_id: str
    carrier: str
    tracking_number: str
    status: str  # in_transit, out_for_delivery, delivered, exception, returned
    previous_status: str
    event_time: str  # when the carrier saw it (RFC 3339)
    location: str | None
    description: str | None
    carrier_status: str  # the carrier's own code ("I/OT", "DL", "failure/address_not_found")
    exception_reason: str | None  # set for `exception`


class ExceptionPicture(TypedDict):
    """An entry of the exception queue: what needs a person, and the evidence to act on it."""

    exception_id: str
    kind: str  # partner_document, invoice_dispute, reconciliation, channel_push
    subject: str  # what it is about: a document id, `<location>/<sku>`, a purchase order, a channel push
    summary: str
    status: str  # open, resolved
    occurrences: int
    evidence: dict[str, Any]
    resolution: str | None


# --- the catalogue -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventKind:
    type: str
    description: str
    subject: str  # what the CloudEvents `subject` holds
    payload: Any  # the TypedDict of its `data`


_ORDER, _FO = "the order id", "the fulfilment order id"
_SHIPMENT = "the shipment id"

CATALOG: tuple[EventKind, ...] = (
    EventKind("ordermesh.order.created", "An order was captured (once per channel order).", _ORDER, OrderPicture),
    EventKind("ordermesh.order.allocated", "Units of the order were reserved at locations.", _ORDER, OrderPicture),
    EventKind("ordermesh.order.backordered", "Units of the order wait for stock after sourcing.", _ORDER, OrderPicture),
    EventKind("ordermesh.order.held", "The order was put on hold (fulfilment stops).", _ORDER, OrderHeld),
    EventKind("ordermesh.order.released", "A hold was released.", _ORDER, OrderPicture),
    EventKind("ordermesh.order.cancelled", "Units (or the whole order) were cancelled.", _ORDER, OrderCancelled),
    EventKind(
        "ordermesh.order.exception_raised",
        "Lines of the order cannot be processed (unknown SKU, ...) until someone acts.",
        _ORDER,
        OrderExceptionRaised,
    ),
    EventKind(
        "ordermesh.order.updated", "The channel changed the order (address, payment, notes).", _ORDER, OrderUpdated
    ),
    EventKind(
        "ordermesh.fulfillment_order.created", "A location got new work for an order.", _FO, FulfillmentOrderPicture
    ),
    EventKind(
        "ordermesh.fulfillment_order.updated",
        "A location's work for an order changed (units added or cancelled).",
        _FO,
        FulfillmentOrderPicture,
    ),
    EventKind("ordermesh.fulfillment_order.accepted", "The location accepted the work.", _FO, FulfillmentOrderPicture),
    EventKind(
        "ordermesh.fulfillment_order.rejected",
        "The location rejected the work; its units are sourced again elsewhere.",
        _FO,
        FulfillmentOrderPicture,
    ),
    EventKind(
        "ordermesh.fulfillment_order.shipped",
        "Units left the location (one event per shipment).",
        _FO,
        FulfillmentShipped,
    ),
    EventKind(
        "ordermesh.fulfillment_order.ready_for_pickup",
        "A pickup order is ready at the store.",
        _FO,
        FulfillmentOrderPicture,
    ),
    EventKind(
        "ordermesh.fulfillment_order.picked_up", "The customer collected a pickup order.", _FO, FulfillmentOrderPicture
    ),
    EventKind(
        "ordermesh.fulfillment_order.delivered", "The carrier delivered the shipment.", _FO, FulfillmentOrderPicture
    ),
    EventKind("ordermesh.fulfillment_order.cancelled", "The location's work was cancelled.", _FO, FulfillmentCancelled),
    EventKind("ordermesh.shipment.in_transit", "The carrier has the shipment on its way.", _SHIPMENT, ShipmentTracked),
    EventKind(
        "ordermesh.shipment.out_for_delivery",
        "The shipment is out for delivery (or waits at a pickup point).",
        _SHIPMENT,
        ShipmentTracked,
    ),
    EventKind("ordermesh.shipment.delivered", "The carrier delivered the shipment.", _SHIPMENT, ShipmentTracked),
    EventKind(
        "ordermesh.shipment.exception",
        "The carrier reported a problem (failed attempt, damage, delay, ...); `exception_reason` says which.",
        _SHIPMENT,
        ShipmentTracked,
    ),
    EventKind("ordermesh.shipment.returned", "The shipment is going back to the sender.", _SHIPMENT, ShipmentTracked),
    EventKind(
        "ordermesh.inventory.changed",
        "A stock row changed (count, adjustment, reservation, shipment).",
        "<location>/<sku>",
        InventoryChanged,
    ),
    EventKind("ordermesh.item.created", "An item (SKU) was created.", "the SKU", ItemPicture),
    EventKind("ordermesh.location.created", "A location was created.", "the location code", LocationPicture),
    EventKind(
        "ordermesh.location.updated",
        "A location's sourcing profile changed.",
        "the location code",
        LocationPicture,
    ),
    EventKind(
        "ordermesh.exception.raised",
        "Something needs a person (a partner document not applied, a disputed invoice, a reconciliation "
        "discrepancy, a channel push given up); raised once while it stays open.",
        "the exception id",
        ExceptionPicture,
    ),
    EventKind(
        "ordermesh.exception.resolved",
        "An exception was resolved, by a person or because its cause went away (`resolution` says how).",
        "the exception id",
        ExceptionPicture,
    ),
)

KINDS = {kind.type: kind for kind in CATALOG}


def schema_of(kind: EventKind) -> dict[str, Any]:
    """The JSON Schema (2020-12) of an event type's `data`."""
    body = json_schema(kind.payload)
    body.pop("description", None)  # the event's own description says more than its payload's
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://ordermesh.dev/schemas/events/{kind.type}.json",
        "title": kind.type,
        "description": kind.description,
        **body,
    }


def json_schema(annotation: Any) -> dict[str, Any]:
    """JSON Schema of a type made of TypedDicts, lists, dicts with string keys, unions with None and scalars."""
    if isinstance(annotation, type) and typing.is_typeddict(annotation):
        hints = get_type_hints(annotation)
        required = sorted(annotation.__required_keys__)  # type: ignore[attr-defined]
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {key: json_schema(hint) for key, hint in hints.items()},
            "required": required,
            "additionalProperties": False,
        }
        if annotation.__doc__ and not annotation.__doc__.startswith(annotation.__name__ + "("):
            schema["description"] = annotation.__doc__.strip()
        return schema
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        options = [json_schema(arg) for arg in args]
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin is list:
        return {"type": "array", "items": json_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": json_schema(args[1])}
    scalars = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
    if annotation in scalars:
        return {"type": scalars[annotation]}
    if annotation is Any:
        return {}
    raise TypeError(f"no JSON Schema for {annotation!r}")
