"""Orders and their lines: quantity buckets, derived status, holds and cancellation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ordermesh.domain.catalog import Address
from ordermesh.domain.errors import Excess, IllegalTransition, InvalidInput, NotFound, QuantityConflict
from ordermesh.domain.event_catalog import OrderPicture
from ordermesh.domain.events import Event
from ordermesh.domain.fulfillment import (
    ACTIVE,
    HOLDS_STOCK,
    FulfillmentOrder,
    FulfillmentStatus,
    Shipment,
    UnitMove,
    fo_data,
)


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PAID = "paid"


class DeliveryMethod(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"


class OrderStatus(StrEnum):
    PENDING = "pending"  # captured, not sourced yet
    ON_HOLD = "on_hold"
    EXCEPTION = "exception"
    BACKORDERED = "backordered"
    PARTIALLY_ALLOCATED = "partially_allocated"
    ALLOCATED = "allocated"
    READY_FOR_PICKUP = "ready_for_pickup"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


PAYMENT_HOLD = "payment_pending"


@dataclass(frozen=True)
class Customer:
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    tags: tuple[str, ...] = ()  # segments sourcing rules can match (vip, wholesale, ...)


@dataclass(frozen=True)
class Delivery:
    method: DeliveryMethod = DeliveryMethod.SHIP
    pickup_location: str | None = None
    service_level: str | None = None


@dataclass
class OrderLine:
    """One ordered SKU; its quantity is always split exactly across the buckets."""

    id: str
    external_id: str | None
    sku: str
    quantity: int
    unit_price: Decimal
    unallocated: int = -1
    allocated: int = 0
    backordered: int = 0
    shipped: int = 0
    delivered: int = 0
    cancelled: int = 0
    exception: str | None = None

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise InvalidInput("quantity must be positive", field=("quantity",))
        if self.unallocated < 0:
            self.unallocated = self.quantity

    @property
    def cancellable(self) -> int:
        return self.unallocated + self.backordered + self.allocated

    @property
    def pending(self) -> int:
        """Units waiting for a location: never sourced yet or backordered."""
        return self.unallocated + self.backordered

    def buckets(self) -> dict[str, int]:
        return {
            "unallocated": self.unallocated,
            "allocated": self.allocated,
            "backordered": self.backordered,
            "shipped": self.shipped,
            "delivered": self.delivered,
            "cancelled": self.cancelled,
        }


@dataclass(frozen=True)
class Allocation:
    """Units of one order line to take from one location."""

    line_id: str
    location: str
    quantity: int


@dataclass
class Order:
    id: str
    channel: str
    external_id: str
    currency: str
    customer: Customer
    ship_to: Address | None
    delivery: Delivery
    lines: list[OrderLine]
    shipping_total: Decimal
    tax_total: Decimal
    discount_total: Decimal
    payment_status: PaymentStatus
    placed_at: datetime
    created_at: datetime
    updated_at: datetime
    hold_reason: str | None = None
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    # -- reading -------------------------------------------------------------------------------

    def line(self, line_id: str) -> OrderLine:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise NotFound("order line", line_id)

    def fulfillment_order(self, fo_id: str) -> FulfillmentOrder:
        for fo in self.fulfillment_orders:
            if fo.id == fo_id:
                return fo
        raise NotFound("fulfillment order", fo_id)

    @property
    def status(self) -> OrderStatus:
        """Derive the order's status from its lines, its hold and its fulfilment orders."""
        total = {name: sum(getattr(line, name) for line in self.lines) for name in _BUCKETS}
        live = sum(line.quantity for line in self.lines) - total["cancelled"]
        if live == 0:
            return OrderStatus.CANCELLED
        if self.hold_reason is not None:
            return OrderStatus.ON_HOLD
        if any(line.exception for line in self.lines if line.cancellable):
            return OrderStatus.EXCEPTION
        gone = total["shipped"] + total["delivered"]
        if total["delivered"] == live:
            return OrderStatus.DELIVERED
        if gone == live:
            return OrderStatus.SHIPPED
        if gone:
            return OrderStatus.PARTIALLY_SHIPPED
        if total["allocated"] == live:
            ready = [fo for fo in self.fulfillment_orders if fo.status in HOLDS_STOCK]
            if ready and all(fo.status == FulfillmentStatus.READY_FOR_PICKUP for fo in ready):
                return OrderStatus.READY_FOR_PICKUP
            return OrderStatus.ALLOCATED
        if total["allocated"]:
            return OrderStatus.PARTIALLY_ALLOCATED
        if total["backordered"]:
            return OrderStatus.BACKORDERED
        return OrderStatus.PENDING

    @property
    def excluded_locations(self) -> frozenset[str]:
        """Locations that rejected work for this order and must not be asked again."""
        return frozenset(fo.location for fo in self.fulfillment_orders if fo.status == FulfillmentStatus.REJECTED)

    def sourceable_lines(self) -> list[OrderLine]:
        """Lines with units waiting for a location, unless the order or the line is blocked."""
        if self.hold_reason is not None:
            return []
        return [line for line in self.lines if line.pending > 0 and line.exception is None]

    def allocations(self) -> dict[str, list[Allocation]]:
        """Reserved units per line and location, read from the fulfilment orders holding stock."""
        result: dict[str, list[Allocation]] = {line.id: [] for line in self.lines}
        for fo in self.fulfillment_orders:
            if fo.status not in HOLDS_STOCK:
                continue
            for fl in fo.lines:
                if fl.open:
                    result[fl.order_line_id].append(Allocation(fl.order_line_id, fo.location, fl.open))
        return result

    # -- sourcing ------------------------------------------------------------------------------

    def apply_sourcing(
        self, allocations: Iterable[Allocation], *, new_fo_id: Callable[[], str], now: datetime
    ) -> list[FulfillmentOrder]:
        """Turn reserved units into fulfilment work; every other waiting unit becomes backordered.

        Raises InvalidInput, changing nothing, when an allocation is for a line that waits for nothing
        (held, in exception, fully allocated) or for more units than the line waits for.
        Returns the fulfilment orders that were created or grew.
        """
        allocations = list(allocations)
        waiting = {line.id: line for line in self.sourceable_lines()}
        taken = self._check_allocations(allocations, waiting)
        touched: dict[str, FulfillmentOrder] = {}
        created: set[str] = set()
        for allocation in allocations:
            line = waiting[allocation.line_id]
            fo = self._active_fo_at(allocation.location)
            if fo is None:
                fo = FulfillmentOrder(new_fo_id(), self.id, allocation.location, FulfillmentStatus.OPEN, [], now, now)
                self.fulfillment_orders.append(fo)
                created.add(fo.id)
            fo.add_units(line.id, line.sku, allocation.quantity)
            fo.updated_at = now
            touched[fo.id] = fo
        for line in waiting.values():
            line.allocated += taken.get(line.id, 0)
            line.backordered = line.pending - taken.get(line.id, 0)
            line.unallocated = 0
        self.updated_at = now
        for fo in touched.values():
            verb = "created" if fo.id in created else "updated"
            self.events.append(Event(f"ordermesh.fulfillment_order.{verb}", fo.id, fo_data(fo)))
        if touched:
            self._emit("allocated")
        if any(line.backordered for line in self.lines):
            self._emit("backordered")
        return list(touched.values())

    def _check_allocations(self, allocations: list[Allocation], waiting: dict[str, OrderLine]) -> dict[str, int]:
        taken: dict[str, int] = {}
        for allocation in allocations:
            if allocation.line_id not in waiting:
                self.line(allocation.line_id)  # NotFound for a line of another order
                raise InvalidInput(f"line {allocation.line_id} is not waiting for a location")
            if allocation.quantity <= 0:
                raise InvalidInput(f"line {allocation.line_id}: allocated {allocation.quantity} units")
            taken[allocation.line_id] = taken.get(allocation.line_id, 0) + allocation.quantity
        for line_id, quantity in taken.items():
            if quantity > waiting[line_id].pending:
                raise InvalidInput(f"line {line_id}: allocated {quantity} of {waiting[line_id].pending} waiting units")
        return taken

    def _active_fo_at(self, location: str) -> FulfillmentOrder | None:
        return next((fo for fo in self.fulfillment_orders if fo.location == location and fo.status in ACTIVE), None)

    # -- holds ---------------------------------------------------------------------------------

    def hold(self, reason: str, now: datetime) -> None:
        if self.status in _CLOSED:
            raise IllegalTransition("order", self.id, self.status, "hold")
        self.hold_reason = reason
        self.updated_at = now
        self._emit("held", reason=reason)

    def release_hold(self, now: datetime) -> None:
        if self.hold_reason is None:
            raise IllegalTransition("order", self.id, self.status, "release a hold it does not have")
        self.hold_reason = None
        self.updated_at = now
        self._emit("released")

    # -- cancellation --------------------------------------------------------------------------

    def cancel(self, requested: dict[str, int] | None, reason: str, now: datetime) -> list[UnitMove]:
        """Cancel the whole order (None) or some units per line; return the reservations to release.

        Raises QuantityConflict, naming each line, when a quantity is shipped already or beyond the line.
        """
        if requested is None and self.status == OrderStatus.CANCELLED:
            return []  # cancelling again changes nothing and announces nothing
        if requested is None:
            blocked = [
                Excess(line.id, line.quantity - line.cancelled, line.cancellable)
                for line in self.lines
                if line.shipped or line.delivered
            ]
            if blocked:
                raise QuantityConflict("cancel units already shipped", blocked)
            requested = {line.id: line.cancellable for line in self.lines if line.cancellable}
        for line_id in requested:
            self.line(line_id)
        excesses = [
            Excess(lid, q, self.line(lid).cancellable)
            for lid, q in requested.items()
            if q <= 0 or q > self.line(lid).cancellable
        ]
        if excesses:
            raise QuantityConflict("cancel", excesses)
        released: list[UnitMove] = []
        for line_id, quantity in requested.items():
            released += self._cancel_line(self.line(line_id), quantity, now)
        self.updated_at = now
        self._emit("cancelled", reason=reason, cancelled=requested)
        return released

    def _cancel_line(self, line: OrderLine, quantity: int, now: datetime) -> list[UnitMove]:
        left = quantity
        for bucket in ("unallocated", "backordered"):
            take = min(left, getattr(line, bucket))
            setattr(line, bucket, getattr(line, bucket) - take)
            left -= take
        released: list[UnitMove] = []
        for fo in reversed(self.fulfillment_orders):
            fl = fo.line(line.id) if fo.status in HOLDS_STOCK else None
            if not left or fl is None or not fl.open:
                continue
            take = min(left, fl.open)
            fo.cancel_units(line.id, take, now)
            line.allocated -= take
            left -= take
            released.append(UnitMove(line.id, fo.location, line.sku, take))
            self.events.append(Event(f"ordermesh.fulfillment_order.{_fo_verb(fo)}", fo.id, fo_data(fo)))
        line.cancelled += quantity
        return released

    # -- fulfilment ----------------------------------------------------------------------------

    def _fo_for_action(self, fo_id: str, action: str) -> FulfillmentOrder:
        fo = self.fulfillment_order(fo_id)
        if self.hold_reason is not None:
            raise IllegalTransition("order", self.id, OrderStatus.ON_HOLD, action)
        return fo

    def accept_fulfillment(self, fo_id: str, now: datetime) -> FulfillmentOrder:
        fo = self._fo_for_action(fo_id, "accept fulfilment work")
        fo.accept(now)
        self._fo_event(fo, "accepted")
        return fo

    def reject_fulfillment(self, fo_id: str, reason: str, now: datetime) -> list[UnitMove]:
        """Take the work back from a location; the released units wait to be sourced elsewhere."""
        fo = self.fulfillment_order(fo_id)
        released = fo.reject(reason, now)
        self._unallocate(released)
        self.updated_at = now
        self._fo_event(fo, "rejected")
        return released

    def reject_fulfillment_lines(
        self, fo_id: str, quantities: dict[str, int], reason: str, now: datetime, *, new_fo_id: str
    ) -> list[UnitMove]:
        """The location declines some units and keeps the rest: those units move to a rejected fulfilment order
        of their own (so the location is not asked for this order again) and wait to be sourced elsewhere.
        Declining every open unit rejects the whole fulfilment order."""
        fo = self.fulfillment_order(fo_id)
        if all(quantities.get(fl.order_line_id, 0) >= fl.open for fl in fo.lines):
            return self.reject_fulfillment(fo_id, reason, now)
        declined, released = fo.split_off(quantities, new_fo_id, reason, now)
        self.fulfillment_orders.append(declined)
        self._unallocate(released)
        self.updated_at = now
        self._fo_event(fo, "updated")
        self._fo_event(declined, "rejected")
        return released

    def withdraw_fulfillment(self, fo_id: str, reason: str, now: datetime) -> list[UnitMove]:
        """Take not-yet-accepted work back to source it again (re-optimisation); the units wait for a location."""
        fo = self._fo_for_action(fo_id, "withdraw")
        released = fo.withdraw(reason, now)
        self._unallocate(released)
        self.updated_at = now
        self._fo_event(fo, "cancelled", reason=reason)
        return released

    def _unallocate(self, released: list[UnitMove]) -> None:
        """Units a location gave back (rejected or withdrawn) wait, unallocated, to be sourced again."""
        for move in released:
            line = self.line(move.order_line_id)
            line.allocated -= move.quantity
            line.unallocated += move.quantity

    def ship_fulfillment(self, fo_id: str, quantities: dict[str, int] | None, shipment: Shipment) -> list[UnitMove]:
        fo = self._fo_for_action(fo_id, "ship")
        if self.delivery.method == DeliveryMethod.PICKUP:
            raise IllegalTransition("fulfillment order", fo.id, fo.status, "ship a pickup order")
        moved = fo.ship(quantities, shipment)
        for move in moved:
            line = self.line(move.order_line_id)
            line.allocated -= move.quantity
            line.shipped += move.quantity
        self.updated_at = shipment.shipped_at
        self._fo_event(
            fo,
            "shipped",
            shipment_id=shipment.id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            shipped_lines=shipment.lines,
        )
        return moved

    def ready_for_pickup(self, fo_id: str, now: datetime) -> FulfillmentOrder:
        fo = self._fo_for_action(fo_id, "mark ready for pickup")
        if self.delivery.method != DeliveryMethod.PICKUP:
            raise IllegalTransition("fulfillment order", fo.id, fo.status, "mark a ship order ready for pickup")
        fo.ready_for_pickup(now)
        self._fo_event(fo, "ready_for_pickup")
        return fo

    def picked_up(self, fo_id: str, now: datetime) -> list[UnitMove]:
        fo = self._fo_for_action(fo_id, "record a pickup")
        moved = fo.picked_up(now)
        for move in moved:
            line = self.line(move.order_line_id)
            line.allocated -= move.quantity
            line.delivered += move.quantity
        self.updated_at = now
        self._fo_event(fo, "picked_up")
        return moved

    def deliver_fulfillment(self, fo_id: str, now: datetime) -> list[UnitMove]:
        fo = self.fulfillment_order(fo_id)
        moved = fo.deliver(now)
        for move in moved:
            line = self.line(move.order_line_id)
            line.shipped -= move.quantity
            line.delivered += move.quantity
        self.updated_at = now
        self._fo_event(fo, "delivered")
        return moved

    # -- events --------------------------------------------------------------------------------

    def _emit(self, verb: str, **extra: Any) -> None:
        self.events.append(Event(f"ordermesh.order.{verb}", self.id, {**order_data(self), **extra}))

    def _fo_event(self, fo: FulfillmentOrder, verb: str, **extra: Any) -> None:
        self.events.append(Event(f"ordermesh.fulfillment_order.{verb}", fo.id, {**fo_data(fo), **extra}))


_BUCKETS = ("unallocated", "allocated", "backordered", "shipped", "delivered", "cancelled")
_CLOSED = frozenset({OrderStatus.CANCELLED, OrderStatus.SHIPPED, OrderStatus.DELIVERED})


def _fo_verb(fo: FulfillmentOrder) -> str:
    return "cancelled" if fo.status == FulfillmentStatus.CANCELLED else "updated"


def order_data(order: Order) -> OrderPicture:
    """The compact, JSON-ready picture of an order that its events carry."""
    return {
        "order_id": order.id,
        "channel": order.channel,
        "external_id": order.external_id,
        "status": order.status.value,
        "lines": [
            {
                "line_id": line.id,
                "sku": line.sku,
                "quantity": line.quantity,
                "unallocated": line.unallocated,
                "allocated": line.allocated,
                "backordered": line.backordered,
                "shipped": line.shipped,
                "delivered": line.delivered,
                "cancelled": line.cancelled,
            }
            for line in order.lines
        ],
    }
