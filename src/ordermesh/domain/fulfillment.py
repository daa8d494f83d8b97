"""Fulfilment orders: the instruction to one location to ship or hand over lines of one order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ordermesh.domain.errors import Excess, IllegalTransition, InvalidInput, QuantityConflict
from ordermesh.domain.event_catalog import FulfillmentOrderPicture


class FulfillmentStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


# Statuses in which a fulfilment order still holds reserved units and can take more lines.
ACTIVE = frozenset({FulfillmentStatus.OPEN, FulfillmentStatus.ACCEPTED})
HOLDS_STOCK = ACTIVE | {FulfillmentStatus.PARTIALLY_SHIPPED, FulfillmentStatus.READY_FOR_PICKUP}


@dataclass
class FulfillmentLine:
    order_line_id: str
    sku: str
    quantity: int
    shipped: int = 0
    delivered: int = 0
    cancelled: int = 0

    @property
    def open(self) -> int:
        """Units still reserved at the location, waiting to leave it."""
        return self.quantity - self.shipped - self.cancelled


@dataclass(frozen=True)
class UnitMove:
    """Units of one order line at one location that change bucket (ship, release, deliver)."""

    order_line_id: str
    location: str
    sku: str
    quantity: int


@dataclass
class Shipment:
    id: str
    fulfillment_order_id: str
    carrier: str
    tracking_number: str
    lines: dict[str, int]
    shipped_at: datetime


@dataclass
class FulfillmentOrder:
    id: str
    order_id: str
    location: str
    status: FulfillmentStatus
    lines: list[FulfillmentLine]
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    shipments: list[Shipment] = field(default_factory=list)

    def line(self, order_line_id: str) -> FulfillmentLine | None:
        return next((fl for fl in self.lines if fl.order_line_id == order_line_id), None)

    def add_units(self, order_line_id: str, sku: str, quantity: int) -> None:
        """Put more units of a line on this (still active) fulfilment order."""
        if self.status not in ACTIVE:
            raise IllegalTransition("fulfillment order", self.id, self.status, "take more units")
        existing = self.line(order_line_id)
        if existing:
            existing.quantity += quantity
        else:
            self.lines.append(FulfillmentLine(order_line_id, sku, quantity))

    def _require(self, allowed: frozenset[FulfillmentStatus] | set[FulfillmentStatus], action: str) -> None:
        if self.status not in allowed:
            raise IllegalTransition("fulfillment order", self.id, self.status, action)

    def accept(self, now: datetime) -> None:
        self._require({FulfillmentStatus.OPEN}, "accept")
        self.status = FulfillmentStatus.ACCEPTED
        self.updated_at = now

    def reject(self, reason: str, now: datetime) -> list[UnitMove]:
        """Give every open unit back; return them so their reservations can be released."""
        self._require(ACTIVE, "reject")
        released = self._take_all_open()
        for fl in self.lines:
            fl.cancelled += fl.open
        self.status = FulfillmentStatus.REJECTED
        self.reason = reason
        self.updated_at = now
        return released

    def split_off(
        self, quantities: dict[str, int], new_id: str, reason: str, now: datetime
    ) -> tuple[FulfillmentOrder, list[UnitMove]]:
        """Take some open units out of this work into a rejected fulfilment order of their own (the location
        declined them, and keeps the rest); return it with the units to release.

        Raises QuantityConflict, changing nothing, for units that are not open here.
        """
        self._require(ACTIVE, "reject lines of")
        self._check_quantities("reject", quantities)
        declined: list[FulfillmentLine] = []
        moved: list[UnitMove] = []
        for fl in self.lines:
            units = quantities.get(fl.order_line_id, 0)
            if units:
                fl.quantity -= units
                declined.append(FulfillmentLine(fl.order_line_id, fl.sku, units, cancelled=units))
                moved.append(UnitMove(fl.order_line_id, self.location, fl.sku, units))
        self.updated_at = now
        rejected = FulfillmentOrder(
            new_id, self.order_id, self.location, FulfillmentStatus.REJECTED, declined, now, now, reason
        )
        return rejected, moved

    def withdraw(self, reason: str, now: datetime) -> list[UnitMove]:
        """Take back work the location has not accepted yet (re-optimisation); the location is not excluded."""
        self._require({FulfillmentStatus.OPEN}, "withdraw")
        released = self._take_all_open()
        for fl in self.lines:
            fl.cancelled += fl.open
        self.status = FulfillmentStatus.CANCELLED
        self.reason = reason
        self.updated_at = now
        return released

    def ship(self, quantities: dict[str, int] | None, shipment: Shipment) -> list[UnitMove]:
        """Record a (possibly partial) shipment; return what left the location."""
        self._require(ACTIVE | {FulfillmentStatus.PARTIALLY_SHIPPED}, "ship")
        wanted = quantities if quantities is not None else {fl.order_line_id: fl.open for fl in self.lines}
        self._check_quantities("ship", wanted)
        moved: list[UnitMove] = []
        for line_id, quantity in wanted.items():
            fl = self.line(line_id)
            if fl is None or quantity == 0:
                continue
            fl.shipped += quantity
            moved.append(UnitMove(line_id, self.location, fl.sku, quantity))
        if not moved:
            raise InvalidInput("a shipment needs at least one unit", field=("lines",))
        shipment.lines = {m.order_line_id: m.quantity for m in moved}
        self.shipments.append(shipment)
        done = all(fl.open == 0 for fl in self.lines)
        self.status = FulfillmentStatus.SHIPPED if done else FulfillmentStatus.PARTIALLY_SHIPPED
        self.updated_at = shipment.shipped_at
        return moved

    def ready_for_pickup(self, now: datetime) -> None:
        self._require(ACTIVE, "mark ready for pickup")
        self.status = FulfillmentStatus.READY_FOR_PICKUP
        self.updated_at = now

    def picked_up(self, now: datetime) -> list[UnitMove]:
        """Hand every open unit to the customer; return what left the location."""
        self._require({FulfillmentStatus.READY_FOR_PICKUP}, "record a pickup")
        moved = self._take_all_open()
        for fl in self.lines:
            quantity = fl.open
            fl.shipped += quantity
            fl.delivered += quantity
        self.status = FulfillmentStatus.PICKED_UP
        self.updated_at = now
        return moved

    def deliver(self, now: datetime) -> list[UnitMove]:
        """Confirm delivery of every shipped unit; return what was delivered."""
        self._require({FulfillmentStatus.SHIPPED}, "confirm delivery")
        moved = [
            UnitMove(fl.order_line_id, self.location, fl.sku, fl.shipped - fl.delivered)
            for fl in self.lines
            if fl.shipped > fl.delivered
        ]
        for fl in self.lines:
            fl.delivered = fl.shipped
        self.status = FulfillmentStatus.DELIVERED
        self.updated_at = now
        return moved

    def cancel_units(self, order_line_id: str, quantity: int, now: datetime) -> None:
        """Withdraw open units of one line (the order line was cancelled)."""
        self._require(HOLDS_STOCK, "cancel units")
        fl = self.line(order_line_id)
        if fl is None or quantity <= 0 or quantity > fl.open:
            raise QuantityConflict("cancel", [Excess(order_line_id, quantity, fl.open if fl else 0)])
        fl.cancelled += quantity
        self.updated_at = now
        if all(line.open == 0 for line in self.lines):
            shipped_any = any(line.shipped for line in self.lines)
            self.status = FulfillmentStatus.SHIPPED if shipped_any else FulfillmentStatus.CANCELLED

    def _take_all_open(self) -> list[UnitMove]:
        return [UnitMove(fl.order_line_id, self.location, fl.sku, fl.open) for fl in self.lines if fl.open > 0]

    def _check_quantities(self, action: str, wanted: dict[str, int]) -> None:
        excesses = []
        for line_id, quantity in wanted.items():
            fl = self.line(line_id)
            allowed = fl.open if fl else 0
            if quantity < 0 or quantity > allowed:
                excesses.append(Excess(line_id, quantity, allowed))
        if excesses:
            raise QuantityConflict(action, excesses)


def fo_data(fo: FulfillmentOrder) -> FulfillmentOrderPicture:
    """The JSON-ready picture of a fulfilment order that its events and audit records carry."""
    return {
        "fulfillment_order_id": fo.id,
        "order_id": fo.order_id,
        "location": fo.location,
        "status": fo.status.value,
        "lines": [
            {
                "line_id": fl.order_line_id,
                "sku": fl.sku,
                "quantity": fl.quantity,
                "shipped": fl.shipped,
                "delivered": fl.delivered,
                "cancelled": fl.cancelled,
            }
            for fl in fo.lines
        ],
    }
