"""What a sales channel is told about its orders: shipments with tracking, pickups, cancellations.

Pure rules: which committed events become a status update for the channel an order came from, in the
channel's own line ids, and how a push stands (pending, failed, done, dead, skipped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ordermesh.domain.orders import Order

SHIPPED = "ordermesh.fulfillment_order.shipped"
PICKED_UP = "ordermesh.fulfillment_order.picked_up"
CANCELLED = "ordermesh.order.cancelled"
PUSHED_EVENTS = (SHIPPED, PICKED_UP, CANCELLED)


class UpdateKind(StrEnum):
    SHIPMENT = "shipment"  # units left a location (with tracking), or were picked up by the customer
    CANCELLATION = "cancellation"


class PushStatus(StrEnum):
    PENDING = "pending"  # not tried yet, or being tried
    FAILED = "failed"  # the channel did not take it (unreachable, throttled, 5xx); tried again at next_attempt_at
    DONE = "done"  # the channel has it (or had it already)
    DEAD = "dead"  # the channel refused it, or failed max_attempts times: a person looks (retry sends it again)
    SKIPPED = "skipped"  # nothing the channel can be told (kept so that a person sees why)


WAITING = (PushStatus.PENDING, PushStatus.FAILED)


@dataclass(frozen=True)
class PushedLine:
    """Units of one channel line: `external_id` is the channel's line id."""

    external_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class StatusUpdate:
    """One thing to tell a channel about one of its orders.

    `reference` identifies the update on Ordermesh's side (the shipment id, or the event id): connectors
    use it to recognise an update the channel already has. `order_complete` says every unit of the order was
    shipped, picked up or cancelled when the update was queued (WooCommerce marks the order completed). A
    cancellation covers the whole order only when `whole_order`; channels that cannot cancel part of an order
    skip the others.
    """

    kind: UpdateKind
    order_id: str
    external_order_id: str
    reference: str
    lines: tuple[PushedLine, ...]
    carrier: str | None = None
    tracking_number: str | None = None
    order_complete: bool = False
    whole_order: bool = False
    reason: str | None = None

    def data(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "order_id": self.order_id,
            "external_order_id": self.external_order_id,
            "reference": self.reference,
            "lines": [{"external_id": x.external_id, "sku": x.sku, "quantity": x.quantity} for x in self.lines],
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "order_complete": self.order_complete,
            "whole_order": self.whole_order,
            "reason": self.reason,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> StatusUpdate:
        return cls(
            UpdateKind(data["kind"]),
            data["order_id"],
            data["external_order_id"],
            data["reference"],
            tuple(PushedLine(x["external_id"], x["sku"], int(x["quantity"])) for x in data["lines"]),
            data.get("carrier"),
            data.get("tracking_number"),
            bool(data.get("order_complete")),
            bool(data.get("whole_order")),
            data.get("reason"),
        )


@dataclass(frozen=True)
class Skip:
    """An event the channel would want to hear about but cannot be told, and why."""

    reason: str


def status_update(event_id: str, event_type: str, data: Mapping[str, Any], order: Order) -> StatusUpdate | Skip | None:
    """The update an event means for the order's channel; None when the event is nothing for the channel.

    `order` is the order as it stands when the update is queued (it gives the channel's line ids and
    whether the order is complete).
    """
    if event_type == SHIPPED:
        units = {line_id: int(quantity) for line_id, quantity in dict(data["shipped_lines"]).items()}
        return _shipment(order, str(data["shipment_id"]), units, data.get("carrier"), data.get("tracking_number"))
    if event_type == PICKED_UP:
        units = {line["line_id"]: int(line["delivered"]) for line in data["lines"] if line["delivered"]}
        return _shipment(order, str(data["fulfillment_order_id"]), units, None, None)
    if event_type == CANCELLED:
        units = {line_id: int(quantity) for line_id, quantity in dict(data.get("cancelled") or {}).items()}
        lines = _channel_lines(order, units)
        whole = data.get("status") == "cancelled"
        if not whole and not lines:
            return Skip("no cancelled line is known to the channel")
        return StatusUpdate(
            UpdateKind.CANCELLATION,
            order.id,
            order.external_id,
            event_id,
            lines,
            whole_order=whole,
            reason=data.get("reason"),
        )
    return None


def _shipment(
    order: Order, reference: str, units: Mapping[str, int], carrier: str | None, tracking_number: str | None
) -> StatusUpdate | Skip:
    lines = _channel_lines(order, units)
    if not lines:
        return Skip("none of the shipped lines is known to the channel (no channel line id)")
    return StatusUpdate(
        UpdateKind.SHIPMENT,
        order.id,
        order.external_id,
        reference,
        lines,
        carrier=carrier or None,
        tracking_number=tracking_number or None,
        order_complete=_complete(order),
    )


def _channel_lines(order: Order, units: Mapping[str, int]) -> tuple[PushedLine, ...]:
    """The order's lines with units in `units`, in the order's line order, that carry a channel line id."""
    return tuple(
        PushedLine(line.external_id, line.sku, units[line.id])
        for line in order.lines
        if line.external_id and units.get(line.id, 0) > 0
    )


def _complete(order: Order) -> bool:
    return all(line.shipped + line.delivered + line.cancelled >= line.quantity for line in order.lines)
