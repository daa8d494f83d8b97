"""Domain events: facts, named in the past tense, written to the outbox with the change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """A CloudEvents-shaped fact: `type` is `ordermesh.<entity>.<past-tense verb>`."""

    type: str
    subject: str
    data: Mapping[str, Any]

    @property
    def entity(self) -> str:
        return self.type.split(".")[1]


EVENT_TYPES: tuple[str, ...] = (
    "ordermesh.order.created",
    "ordermesh.order.allocated",
    "ordermesh.order.backordered",
    "ordermesh.order.held",
    "ordermesh.order.released",
    "ordermesh.order.cancelled",
    "ordermesh.order.exception_raised",
    "ordermesh.order.updated",  # a channel changed it: "changes" says what
    "ordermesh.fulfillment_order.created",
    "ordermesh.fulfillment_order.updated",
    "ordermesh.fulfillment_order.accepted",
    "ordermesh.fulfillment_order.rejected",
    "ordermesh.fulfillment_order.shipped",
    "ordermesh.fulfillment_order.ready_for_pickup",
    "ordermesh.fulfillment_order.picked_up",
    "ordermesh.fulfillment_order.delivered",
    "ordermesh.fulfillment_order.cancelled",
    "ordermesh.shipment.in_transit",
    "ordermesh.shipment.out_for_delivery",
    "ordermesh.shipment.delivered",
    "ordermesh.shipment.exception",
    "ordermesh.shipment.returned",
    "ordermesh.inventory.changed",
    "ordermesh.item.created",
    "ordermesh.location.created",
    "ordermesh.location.updated",
    "ordermesh.exception.raised",
    "ordermesh.exception.resolved",
)
