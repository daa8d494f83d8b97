"""Applying what changed on a sales channel to an order: what Ordermesh takes over, and what it holds for review."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ordermesh.domain.catalog import Address
from ordermesh.domain.channel_edits import REVIEW_PREFIX, ChannelState, cancel_on_channel, reconcile
from ordermesh.domain.fulfillment import FulfillmentStatus, UnitMove
from ordermesh.domain.orders import (
    PAYMENT_HOLD,
    Customer,
    Delivery,
    DeliveryMethod,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)
from tests.unit.builders import LATER, NOW, event_types, line, order, shipment, sourced

CHICAGO_ADDRESS = Address(name="Ada", line1="1 Lake Shore Dr", city="Chicago", postal_code="60611", country="US")


def channel_order(*lines: OrderLine | tuple[str, int], hold: str | None = None) -> Order:
    """An order as a channel's webhook captured it: each line's external id is its channel line id (L1, L2, ...)."""
    captured = order(*lines, hold=hold)
    for order_line in captured.lines:
        order_line.external_id = order_line.id
    captured.events.clear()
    return captured


def picture(of: Order, **changes: Any) -> ChannelState:
    """The channel's picture the order was captured from, with some fields changed."""
    return replace(ChannelState.of(of), **changes)


def test_a_picture_with_nothing_new_changes_nothing() -> None:
    captured = channel_order(("TEE", 2))

    result = reconcile(captured, picture(captured), picture(captured), LATER)

    assert (result.changes, result.review, result.released) == ([], [], [])
    assert captured.events == []


def test_a_payment_that_comes_through_lifts_the_payment_hold_so_the_order_can_be_sourced() -> None:
    held = channel_order(("TEE", 1), hold=PAYMENT_HOLD)
    held.payment_status = PaymentStatus.PENDING
    before = picture(held)

    result = reconcile(held, before, replace(before, payment_status=PaymentStatus.PAID), LATER)

    assert result.source is True
    assert held.hold_reason is None and held.payment_status == PaymentStatus.PAID
    assert result.changes == ["payment pending -> paid", "payment hold released"]
    assert event_types(held) == ["ordermesh.order.released", "ordermesh.order.updated"]


def test_a_payment_that_turns_pending_puts_the_order_on_the_payment_hold() -> None:
    paid = channel_order(("TEE", 1))
    before = picture(paid)

    reconcile(paid, before, replace(before, payment_status=PaymentStatus.PENDING), LATER)

    assert paid.hold_reason == PAYMENT_HOLD


def test_a_payment_hold_a_person_released_is_not_put_back_by_an_unrelated_change() -> None:
    released_by_hand = channel_order(("TEE", 1))
    released_by_hand.payment_status = PaymentStatus.PENDING
    before = picture(released_by_hand)

    reconcile(released_by_hand, before, replace(before, customer=Customer(email="new@example.com")), LATER)

    assert released_by_hand.hold_reason is None


def test_fewer_units_on_the_channel_cancels_them_and_gives_their_reservation_back() -> None:
    allocated = channel_order(("TEE", 3), ("MUG", 1))
    sourced(allocated, ("L1", "WH", 3), ("L2", "WH", 1))
    before = picture(allocated)

    result = reconcile(allocated, before, replace(before, quantities={"L1": 1, "L2": 1}), LATER)

    assert result.released == [UnitMove("L1", "WH", "TEE", 2)]
    assert (allocated.lines[0].cancelled, allocated.lines[0].allocated) == (2, 1)
    assert result.review == [] and allocated.hold_reason is None


def test_a_line_removed_on_the_channel_is_cancelled() -> None:
    captured = channel_order(("TEE", 1), ("MUG", 2))
    before = picture(captured)

    reconcile(captured, before, replace(before, quantities={"L1": 1}), LATER)

    assert captured.lines[1].cancelled == 2


def test_more_units_or_a_new_line_hold_the_order_for_a_person_to_review() -> None:
    captured = channel_order(("TEE", 1))
    before = picture(captured)
    after = replace(before, quantities={"L1": 2, "L9": 1}, skus={"L1": "TEE", "L9": "CAP"})

    result = reconcile(captured, before, after, LATER)

    assert captured.status == OrderStatus.ON_HOLD
    assert captured.hold_reason == REVIEW_PREFIX + "line L1 (TEE): 1 -> 2 units; new line L9 (CAP): 0 -> 1 units"
    assert captured.lines[0].quantity == 1  # Ordermesh never adds units on its own
    assert result.changes == ["held for review"]


def test_a_review_a_person_settled_is_not_raised_again_by_the_next_unrelated_change() -> None:
    captured = channel_order(("TEE", 1))
    edited = replace(picture(captured), quantities={"L1": 2})
    reconcile(captured, picture(captured), edited, LATER)
    captured.release_hold(LATER)

    result = reconcile(captured, edited, replace(edited, customer=Customer(email="ada@example.org")), LATER)

    assert result.review == [] and captured.hold_reason is None


def test_fewer_units_than_have_shipped_already_cancel_what_they_can_and_hold_for_the_rest() -> None:
    partly_shipped = channel_order(("TEE", 3))
    sourced(partly_shipped, ("L1", "WH", 3))
    partly_shipped.ship_fulfillment("FO-1", {"L1": 2}, shipment())
    before = picture(partly_shipped)

    result = reconcile(partly_shipped, before, replace(before, quantities={"L1": 0}), LATER)

    assert partly_shipped.lines[0].cancelled == 1
    assert result.review == ["line L1 (TEE): 3 -> 0 units, only 1 could be cancelled"]
    assert partly_shipped.status == OrderStatus.SHIPPED  # nothing open is left to hold


def test_a_new_shipping_address_is_taken_over_while_no_location_has_accepted_the_work() -> None:
    allocated = channel_order(("TEE", 1))
    sourced(allocated, ("L1", "WH", 1))
    before = picture(allocated)

    result = reconcile(allocated, before, replace(before, ship_to=CHICAGO_ADDRESS), LATER)

    assert allocated.ship_to == CHICAGO_ADDRESS
    assert result.changes == ["shipping address"] and allocated.hold_reason is None


def test_a_new_shipping_address_after_a_location_accepted_the_work_is_taken_over_and_held_for_review() -> None:
    accepted = channel_order(("TEE", 1))
    sourced(accepted, ("L1", "WH", 1))
    accepted.accept_fulfillment("FO-1", NOW)
    before = picture(accepted)

    reconcile(accepted, before, replace(before, ship_to=CHICAGO_ADDRESS), LATER)

    assert accepted.ship_to == CHICAGO_ADDRESS
    assert accepted.hold_reason == REVIEW_PREFIX + "shipping address changed after a location accepted the work"
    assert accepted.fulfillment_orders[0].status == FulfillmentStatus.ACCEPTED


def test_a_new_shipping_address_after_the_order_shipped_is_reported_and_not_applied() -> None:
    shipped = channel_order(("TEE", 1))
    sourced(shipped, ("L1", "WH", 1))
    shipped.ship_fulfillment("FO-1", None, shipment())
    before = picture(shipped)

    result = reconcile(shipped, before, replace(before, ship_to=CHICAGO_ADDRESS), LATER)

    assert shipped.ship_to != CHICAGO_ADDRESS
    assert result.review == ["shipping address changed after the order shipped; not applied"]


def test_a_change_of_delivery_method_is_held_for_review() -> None:
    captured = channel_order(("TEE", 1))
    before = picture(captured)

    reconcile(captured, before, replace(before, delivery=Delivery(DeliveryMethod.PICKUP, "CHI-01")), LATER)

    assert captured.hold_reason == REVIEW_PREFIX + "delivery changed to pickup (CHI-01)"


def test_a_change_is_announced_with_what_changed() -> None:
    captured = channel_order(("TEE", 1))
    before = picture(captured)

    reconcile(captured, before, replace(before, customer=Customer(email="ada@example.org")), LATER)

    updated = captured.events[-1]
    assert (updated.type, updated.data["changes"]) == ("ordermesh.order.updated", ["customer"])


def test_a_cancelled_order_is_left_as_it_is() -> None:
    cancelled = channel_order(("TEE", 1))
    cancelled.cancel(None, "fraud", NOW)
    before = picture(cancelled)

    result = reconcile(cancelled, before, replace(before, quantities={"L1": 5}), LATER)

    assert result.changes == [] and result.review == []


def test_cancelling_on_the_channel_cancels_every_unit_not_yet_shipped_and_reports_the_rest() -> None:
    partly_shipped = channel_order(("TEE", 2), ("MUG", 1))
    sourced(partly_shipped, ("L1", "WH", 2), ("L2", "WH", 1))
    partly_shipped.ship_fulfillment("FO-1", {"L1": 1}, shipment())

    result = cancel_on_channel(partly_shipped, "customer", LATER)

    assert [(ln.cancelled, ln.shipped) for ln in partly_shipped.lines] == [(1, 1), (1, 0)]
    assert result.released == [UnitMove("L1", "WH", "TEE", 1), UnitMove("L2", "WH", "MUG", 1)]
    assert result.review == ["1 unit(s) had already shipped and stay so"]


def test_the_channels_picture_survives_its_stored_json_form() -> None:
    captured = channel_order(line("TEE", 2))
    captured.customer = Customer(email="ada@example.com", tags=("vip",))
    state = replace(picture(captured), ship_to=CHICAGO_ADDRESS, delivery=Delivery(DeliveryMethod.SHIP, None, "express"))

    assert ChannelState.from_data(state.data()) == state
