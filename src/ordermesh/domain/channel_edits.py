"""Apply what changed on a sales channel to the order Ordermesh holds, as far as that is safe.

A channel (Shopify's `orders/updated`, WooCommerce's `order.updated`) sends its whole current picture of an
order, not a list of changes. Ordermesh keeps the last picture it applied and acts on the difference, so a
decision a person took (releasing a hold, say) is not undone by the next, unrelated update. What it applies
on its own:

- cancelled on the channel: every unit that has not left a location is cancelled (shipped units stay:
  getting them back is a return);
- fewer units of a line, or a line removed: those units are cancelled, as `POST /v1/orders/{id}/cancel` would;
- a new payment status is taken over; pending puts the order on the payment hold, anything else lifts it;
- a new shipping address or customer contact is taken over.

What needs a person puts the order on hold with a reason that says what changed ("channel edit needs review:
..."): more units or a new line (Ordermesh never adds to an order on its own; a person releases the order as
it is, or cancels it), fewer units than can still be cancelled, a change of delivery method or service level,
and a new address once a location has accepted the work (it may have printed the label). An order that has
shipped completely cannot be held: such changes are only reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ordermesh.domain.catalog import Address
from ordermesh.domain.events import Event
from ordermesh.domain.fulfillment import FulfillmentStatus, UnitMove
from ordermesh.domain.orders import (
    PAYMENT_HOLD,
    Customer,
    Delivery,
    DeliveryMethod,
    Order,
    OrderStatus,
    PaymentStatus,
    order_data,
)

REVIEW_PREFIX = "channel edit needs review: "
HOLD_REASON_LENGTH = 200
_CLOSED = frozenset({OrderStatus.CANCELLED, OrderStatus.SHIPPED, OrderStatus.DELIVERED})
# A location that accepted the work (or already handed some of it over) may have printed the label.
_TAKEN_ON = frozenset(
    {FulfillmentStatus.ACCEPTED, FulfillmentStatus.PARTIALLY_SHIPPED, FulfillmentStatus.READY_FOR_PICKUP}
)


@dataclass(frozen=True)
class ChannelState:
    """The canonical part of a channel's picture of an order; `quantities` are units per channel line id."""

    payment_status: PaymentStatus
    ship_to: Address | None
    customer: Customer
    delivery: Delivery
    quantities: Mapping[str, int]
    skus: Mapping[str, str] = field(default_factory=dict)  # per channel line id, to name lines in reasons

    @classmethod
    def of(cls, order: Order) -> ChannelState:
        """The picture an order was captured from, for when the channel's own is not stored."""
        lines = [line for line in order.lines if line.external_id is not None]
        return cls(
            order.payment_status,
            order.ship_to,
            order.customer,
            order.delivery,
            {str(line.external_id): line.quantity - line.cancelled for line in lines},
            {str(line.external_id): line.sku for line in lines},
        )

    def data(self) -> dict[str, Any]:
        """The JSON-ready form, as stored between deliveries."""
        return {
            "payment_status": self.payment_status.value,
            "ship_to": asdict(self.ship_to) if self.ship_to else None,
            "customer": {**asdict(self.customer), "tags": list(self.customer.tags)},
            "delivery": {**asdict(self.delivery), "method": self.delivery.method.value},
            "quantities": dict(self.quantities),
            "skus": dict(self.skus),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ChannelState:
        delivery = data["delivery"]
        return cls(
            PaymentStatus(data["payment_status"]),
            Address(**data["ship_to"]) if data["ship_to"] else None,
            Customer(**{**data["customer"], "tags": tuple(data["customer"].get("tags") or ())}),
            Delivery(DeliveryMethod(delivery["method"]), delivery["pickup_location"], delivery["service_level"]),
            {str(k): int(v) for k, v in data["quantities"].items()},
            {str(k): str(v) for k, v in data.get("skus", {}).items()},
        )


@dataclass
class Reconciliation:
    """What applying a channel's change did: `released` reservations to give back, `source` when waiting
    units may be sourced now (a payment hold was lifted)."""

    changes: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    released: list[UnitMove] = field(default_factory=list)
    source: bool = False


def cancel_on_channel(order: Order, reason: str, now: datetime) -> Reconciliation:
    """Cancel every unit of the order that has not left a location; return the reservations to release."""
    result = Reconciliation()
    wanted = {line.id: line.cancellable for line in order.lines if line.cancellable}
    if wanted:
        result.released = order.cancel(wanted, reason, now)
        result.changes.append(f"cancelled {sum(wanted.values())} unit(s) on the channel")
    shipped = sum(line.shipped + line.delivered for line in order.lines)
    if shipped:
        result.review.append(f"{shipped} unit(s) had already shipped and stay so")
    return result


def reconcile(order: Order, before: ChannelState, after: ChannelState, now: datetime) -> Reconciliation:
    """Apply what changed on the channel between two pictures of the order; hold it for review where unsafe."""
    result = Reconciliation()
    if order.status == OrderStatus.CANCELLED:
        return result
    _apply_quantities(order, before, after, now, result)
    _apply_contact(order, before, after, result)
    if after.delivery != before.delivery:
        result.review.append(f"delivery changed to {_delivery_text(after.delivery)}")
    if after.payment_status != before.payment_status:
        result.changes.append(f"payment {order.payment_status.value} -> {after.payment_status.value}")
        order.payment_status = after.payment_status
    _settle_hold(order, payment_changed=after.payment_status != before.payment_status, now=now, result=result)
    if result.changes:
        order.updated_at = now
        order.events.append(
            Event("ordermesh.order.updated", order.id, {**order_data(order), "changes": list(result.changes)})
        )
    return result


def _apply_quantities(
    order: Order, before: ChannelState, after: ChannelState, now: datetime, result: Reconciliation
) -> None:
    by_external_id = {line.external_id: line for line in order.lines if line.external_id is not None}
    fewer: dict[str, int] = {}
    for external_id in sorted(set(before.quantities) | set(after.quantities)):
        was, now_wanted = before.quantities.get(external_id, 0), after.quantities.get(external_id, 0)
        sku = after.skus.get(external_id) or before.skus.get(external_id, "?")
        line = by_external_id.get(external_id)
        if now_wanted > was:
            what = "new line" if was == 0 else "line"
            result.review.append(f"{what} {external_id} ({sku}): {was} -> {now_wanted} units")
        elif now_wanted < was and line is not None:
            cancellable = min(was - now_wanted, line.cancellable)
            if cancellable:
                fewer[line.id] = cancellable
            if cancellable < was - now_wanted:
                result.review.append(
                    f"line {external_id} ({sku}): {was} -> {now_wanted} units, only {cancellable} could be cancelled"
                )
    if fewer:
        result.released += order.cancel(fewer, "removed on the channel", now)
        result.changes.append(f"cancelled {sum(fewer.values())} unit(s) removed on the channel")


def _apply_contact(order: Order, before: ChannelState, after: ChannelState, result: Reconciliation) -> None:
    if after.customer != before.customer:
        order.customer = after.customer
        result.changes.append("customer")
    if after.ship_to == before.ship_to:
        return
    if order.status in _CLOSED:
        result.review.append("shipping address changed after the order shipped; not applied")
        return
    order.ship_to = after.ship_to
    result.changes.append("shipping address")
    if any(fo.status in _TAKEN_ON for fo in order.fulfillment_orders):
        result.review.append("shipping address changed after a location accepted the work")


def _delivery_text(delivery: Delivery) -> str:
    where = delivery.pickup_location or delivery.service_level or "any service level"
    return f"{delivery.method.value} ({where})"


def _settle_hold(order: Order, *, payment_changed: bool, now: datetime, result: Reconciliation) -> None:
    """A review hold wins over the payment hold; the payment hold follows changes of the payment status."""
    if order.status in _CLOSED:
        return
    if result.review:
        order.hold((REVIEW_PREFIX + "; ".join(result.review))[:HOLD_REASON_LENGTH], now)
        result.changes.append("held for review")
    elif not payment_changed:
        return
    elif order.payment_status == PaymentStatus.PENDING and order.hold_reason is None:
        order.hold(PAYMENT_HOLD, now)
        result.changes.append("held: payment pending")
    elif order.payment_status != PaymentStatus.PENDING and order.hold_reason == PAYMENT_HOLD:
        order.release_hold(now)
        result.source = True
        result.changes.append("payment hold released")
