"""Cancelling whole orders or some units of a line, and putting orders on hold."""

from __future__ import annotations

import contextlib

import pytest

from ordermesh.domain.errors import Excess, IllegalTransition, NotFound, QuantityConflict
from ordermesh.domain.fulfillment import FulfillmentStatus, UnitMove
from ordermesh.domain.orders import OrderLine, OrderStatus
from tests.unit.builders import LATER, NOW, buckets, event_types, line, order, shipment, sourced

# -- cancelling the whole order ------------------------------------------------------------------


def test_cancelling_an_unsourced_order_cancels_every_unit_and_releases_nothing() -> None:
    captured = order(("TEE", 2), ("MUG", 1))

    released = captured.cancel(None, "customer changed their mind", LATER)

    assert released == []
    assert [(ln.cancelled, ln.unallocated) for ln in captured.lines] == [(2, 0), (1, 0)]
    assert captured.status == OrderStatus.CANCELLED
    assert captured.updated_at == LATER


def test_cancelling_an_allocated_order_releases_its_reservations_and_cancels_its_fulfilment_order() -> None:
    allocated = order(("TEE", 2), ("MUG", 1))
    sourced(allocated, ("L1", "WH", 2), ("L2", "WH", 1))
    allocated.events.clear()

    released = allocated.cancel(None, "fraud", LATER)

    assert released == [UnitMove("L1", "WH", "TEE", 2), UnitMove("L2", "WH", "MUG", 1)]
    assert allocated.fulfillment_orders[0].status == FulfillmentStatus.CANCELLED
    assert allocated.status == OrderStatus.CANCELLED
    assert event_types(allocated) == [
        "ordermesh.fulfillment_order.updated",
        "ordermesh.fulfillment_order.cancelled",
        "ordermesh.order.cancelled",
    ]


def test_the_cancelled_event_carries_the_reason_and_what_was_cancelled() -> None:
    captured = order(("TEE", 2))

    captured.cancel(None, "customer changed their mind", LATER)

    event = captured.events[-1]
    assert event.type == "ordermesh.order.cancelled"
    assert event.subject == "O-1"
    assert event.data["reason"] == "customer changed their mind"
    assert event.data["cancelled"] == {"L1": 2}
    assert event.data["status"] == "cancelled"


def test_cancelling_a_backordered_order_releases_nothing() -> None:
    waiting = order(("TEE", 3))
    sourced(waiting)

    released = waiting.cancel(None, "too slow", LATER)

    assert released == []
    assert waiting.lines[0].buckets()["backordered"] == 0
    assert waiting.lines[0].cancelled == 3


def test_cancelling_a_whole_order_with_shipped_units_is_refused_and_changes_nothing() -> None:
    underway = order(("TEE", 3), ("MUG", 1))
    sourced(underway, ("L1", "WH", 3), ("L2", "WH", 1))
    underway.ship_fulfillment("FO-1", {"L1": 1}, shipment())
    before = buckets(underway)

    with pytest.raises(QuantityConflict) as refused:
        underway.cancel(None, "too late", LATER)

    assert refused.value.excesses == [Excess("L1", 3, 2)]
    assert buckets(underway) == before
    assert underway.fulfillment_orders[0].status == FulfillmentStatus.PARTIALLY_SHIPPED


def test_cancelling_a_whole_order_with_delivered_units_is_refused() -> None:
    collected = order(line("TEE", 2, delivered=1, allocated=1))

    with pytest.raises(QuantityConflict) as refused:
        collected.cancel(None, "too late", LATER)

    assert [excess.line_id for excess in refused.value.excesses] == ["L1"]


# -- cancelling some units -----------------------------------------------------------------------


def test_cancelling_some_units_of_a_line_releases_just_those_and_keeps_the_fulfilment_order_open() -> None:
    allocated = order(("TEE", 3))
    sourced(allocated, ("L1", "WH", 3))

    released = allocated.cancel({"L1": 1}, "one fewer", LATER)

    assert released == [UnitMove("L1", "WH", "TEE", 1)]
    assert allocated.lines[0].allocated == 2
    assert allocated.lines[0].cancelled == 1
    assert allocated.fulfillment_orders[0].status == FulfillmentStatus.OPEN
    assert allocated.fulfillment_orders[0].lines[0].open == 2
    assert allocated.status == OrderStatus.ALLOCATED


def test_cancelling_one_line_leaves_the_other_lines_alone() -> None:
    allocated = order(("TEE", 1), ("MUG", 2))
    sourced(allocated, ("L1", "WH", 1), ("L2", "WH", 2))

    allocated.cancel({"L1": 1}, "no tee", LATER)

    assert allocated.lines[1].buckets()["allocated"] == 2
    assert allocated.fulfillment_orders[0].status == FulfillmentStatus.OPEN


def test_cancelling_takes_waiting_units_before_reserved_ones() -> None:
    split = order(("TEE", 5))
    sourced(split, ("L1", "WH", 2))

    released = split.cancel({"L1": 4}, "fewer", LATER)

    assert split.lines[0].buckets() == {
        "unallocated": 0, "allocated": 1, "backordered": 0, "shipped": 0, "delivered": 0, "cancelled": 4,
    }
    assert released == [UnitMove("L1", "WH", "TEE", 1)]


def test_cancelling_a_line_split_over_two_locations_releases_from_both() -> None:
    split = order(("TEE", 3))
    sourced(split, ("L1", "EAST", 1), ("L1", "WEST", 2))

    released = split.cancel({"L1": 3}, "gone", LATER)

    assert sorted(released, key=lambda move: move.location) == [
        UnitMove("L1", "EAST", "TEE", 1), UnitMove("L1", "WEST", "TEE", 2),
    ]
    assert [fo.status for fo in split.fulfillment_orders] == [FulfillmentStatus.CANCELLED] * 2


def test_cancelling_the_unshipped_rest_of_a_partial_shipment_marks_the_fulfilment_order_shipped() -> None:
    underway = order(("TEE", 3))
    sourced(underway, ("L1", "WH", 3))
    underway.ship_fulfillment("FO-1", {"L1": 1}, shipment())

    released = underway.cancel({"L1": 2}, "rest not needed", LATER)

    assert released == [UnitMove("L1", "WH", "TEE", 2)]
    assert underway.fulfillment_orders[0].status == FulfillmentStatus.SHIPPED
    assert underway.status == OrderStatus.SHIPPED


def test_cancelling_units_ready_for_pickup_releases_them_from_the_store() -> None:
    pickup = order(("TEE", 2), pickup_at="STORE")
    sourced(pickup, ("L1", "STORE", 2))
    pickup.ready_for_pickup("FO-1", LATER)

    released = pickup.cancel(None, "never came", LATER)

    assert released == [UnitMove("L1", "STORE", "TEE", 2)]
    assert pickup.fulfillment_orders[0].status == FulfillmentStatus.CANCELLED


def test_cancelling_units_already_shipped_is_refused_naming_what_is_still_cancellable() -> None:
    underway = order(("TEE", 3))
    sourced(underway, ("L1", "WH", 3))
    underway.ship_fulfillment("FO-1", {"L1": 2}, shipment())
    before = buckets(underway)

    with pytest.raises(QuantityConflict) as refused:
        underway.cancel({"L1": 2}, "too late", LATER)

    assert refused.value.excesses == [Excess("L1", 2, 1)]
    assert buckets(underway) == before


def test_cancelling_more_units_than_the_line_has_is_refused() -> None:
    captured = order(("TEE", 3))

    with pytest.raises(QuantityConflict) as refused:
        captured.cancel({"L1": 4}, "typo", LATER)

    assert refused.value.excesses == [Excess("L1", 4, 3)]
    assert captured.lines[0].cancelled == 0


@pytest.mark.parametrize("quantity", [0, -1])
def test_cancelling_no_units_or_a_negative_number_is_refused(quantity: int) -> None:
    captured = order(("TEE", 3))

    with pytest.raises(QuantityConflict):
        captured.cancel({"L1": quantity}, "typo", LATER)

    assert captured.lines[0].buckets()["unallocated"] == 3


def test_a_refused_cancel_names_every_offending_line_and_cancels_none_of_them() -> None:
    captured = order(("TEE", 1), ("MUG", 1), ("CAP", 1))

    with pytest.raises(QuantityConflict) as refused:
        captured.cancel({"L1": 1, "L2": 2, "L3": 5}, "typo", LATER)

    assert [excess.line_id for excess in refused.value.excesses] == ["L2", "L3"]
    assert [ln.cancelled for ln in captured.lines] == [0, 0, 0]


def test_cancelling_an_unknown_line_is_refused() -> None:
    captured = order(("TEE", 1))

    with pytest.raises(NotFound):
        captured.cancel({"L9": 1}, "typo", LATER)

    assert captured.events == []


def test_cancelling_every_line_one_after_another_cancels_the_order() -> None:
    allocated = order(("TEE", 1), ("MUG", 1))
    sourced(allocated, ("L1", "WH", 1), ("L2", "WH", 1))

    allocated.cancel({"L1": 1}, "no tee", LATER)
    allocated.cancel({"L2": 1}, "no mug", LATER)

    assert allocated.status == OrderStatus.CANCELLED
    assert allocated.fulfillment_orders[0].status == FulfillmentStatus.CANCELLED


def test_cancelling_an_order_that_is_already_cancelled_announces_nothing_new() -> None:
    void = order(("TEE", 1))
    void.cancel(None, "changed mind", NOW)
    void.events.clear()

    with contextlib.suppress(IllegalTransition):  # refusing would be as good as doing nothing
        void.cancel(None, "clicked twice", LATER)

    assert void.events == []


def test_an_order_on_hold_can_still_be_cancelled() -> None:
    held = order(("TEE", 2))
    sourced(held, ("L1", "WH", 2))
    held.hold("fraud review", NOW)

    released = held.cancel(None, "fraud confirmed", LATER)

    assert released == [UnitMove("L1", "WH", "TEE", 2)]
    assert held.status == OrderStatus.CANCELLED


# -- holds ---------------------------------------------------------------------------------------


def test_holding_an_order_puts_it_on_hold_with_its_reason() -> None:
    allocated = order(("TEE", 1))
    sourced(allocated, ("L1", "WH", 1))
    allocated.events.clear()

    allocated.hold("fraud review", LATER)

    assert allocated.status == OrderStatus.ON_HOLD
    assert allocated.hold_reason == "fraud review"
    assert allocated.updated_at == LATER
    assert event_types(allocated) == ["ordermesh.order.held"]
    assert allocated.events[0].data["reason"] == "fraud review"


def test_releasing_a_hold_gives_the_order_back_its_derived_status() -> None:
    held = order(("TEE", 1))
    sourced(held, ("L1", "WH", 1))
    held.hold("fraud review", NOW)
    held.events.clear()

    held.release_hold(LATER)

    assert held.hold_reason is None
    assert held.status == OrderStatus.ALLOCATED
    assert event_types(held) == ["ordermesh.order.released"]


def test_releasing_an_order_that_has_no_hold_is_an_illegal_transition() -> None:
    allocated = order(("TEE", 1))
    sourced(allocated, ("L1", "WH", 1))
    allocated.events.clear()

    with pytest.raises(IllegalTransition) as refused:
        allocated.release_hold(LATER)

    assert refused.value.state == OrderStatus.ALLOCATED
    assert allocated.events == []


def test_a_partially_shipped_order_can_be_held() -> None:
    underway = order(line("TEE", 2, shipped=1, allocated=1))

    underway.hold("address check", LATER)

    assert underway.status == OrderStatus.ON_HOLD


@pytest.mark.parametrize(
    ("closed", "status"),
    [
        pytest.param(line("TEE", 1, cancelled=1), OrderStatus.CANCELLED, id="cancelled"),
        pytest.param(line("TEE", 1, shipped=1), OrderStatus.SHIPPED, id="shipped"),
        pytest.param(line("TEE", 1, delivered=1), OrderStatus.DELIVERED, id="delivered"),
    ],
)
def test_a_closed_order_cannot_be_held(closed: OrderLine, status: OrderStatus) -> None:
    finished = order(closed)

    with pytest.raises(IllegalTransition) as refused:
        finished.hold("too late", LATER)

    assert refused.value.state == status
    assert finished.hold_reason is None


def test_an_order_on_hold_offers_no_lines_for_sourcing() -> None:
    held = order(("TEE", 2), hold="payment_pending")

    assert held.sourceable_lines() == []


def test_sourcing_an_order_on_hold_backorders_nothing() -> None:
    held = order(("TEE", 2), hold="payment_pending")

    sourced(held)

    assert held.lines[0].buckets()["unallocated"] == 2
    assert "ordermesh.order.backordered" not in event_types(held)


def test_a_released_order_offers_its_waiting_lines_for_sourcing_again() -> None:
    held = order(("TEE", 2), hold="payment_pending")

    held.release_hold(LATER)

    assert [ln.id for ln in held.sourceable_lines()] == ["L1"]


def test_an_order_on_hold_refuses_to_accept_fulfilment_work() -> None:
    held = order(("TEE", 1))
    sourced(held, ("L1", "WH", 1))
    held.hold("fraud review", NOW)

    with pytest.raises(IllegalTransition) as refused:
        held.accept_fulfillment("FO-1", LATER)

    assert refused.value.state == OrderStatus.ON_HOLD
    assert held.fulfillment_orders[0].status == FulfillmentStatus.OPEN


def test_an_order_on_hold_refuses_to_ship() -> None:
    held = order(("TEE", 1))
    sourced(held, ("L1", "WH", 1))
    held.hold("fraud review", NOW)

    with pytest.raises(IllegalTransition):
        held.ship_fulfillment("FO-1", None, shipment())

    assert held.lines[0].shipped == 0
    assert held.fulfillment_orders[0].shipments == []


def test_a_pickup_order_on_hold_refuses_to_be_made_ready_or_collected() -> None:
    pickup = order(("TEE", 1), pickup_at="STORE")
    sourced(pickup, ("L1", "STORE", 1))
    pickup.ready_for_pickup("FO-1", NOW)
    pickup.hold("fraud review", NOW)

    with pytest.raises(IllegalTransition):
        pickup.picked_up("FO-1", LATER)

    assert pickup.lines[0].delivered == 0
    assert pickup.fulfillment_orders[0].status == FulfillmentStatus.READY_FOR_PICKUP


def test_a_pickup_order_on_hold_refuses_to_be_made_ready() -> None:
    pickup = order(("TEE", 1), pickup_at="STORE")
    sourced(pickup, ("L1", "STORE", 1))
    pickup.hold("fraud review", NOW)

    with pytest.raises(IllegalTransition):
        pickup.ready_for_pickup("FO-1", LATER)

    assert pickup.fulfillment_orders[0].status == FulfillmentStatus.OPEN


def test_a_location_may_still_hand_back_work_for_an_order_on_hold() -> None:
    held = order(("TEE", 1))
    sourced(held, ("L1", "WH", 1))
    held.hold("fraud review", NOW)

    released = held.reject_fulfillment("FO-1", "no stock after all", LATER)

    assert released == [UnitMove("L1", "WH", "TEE", 1)]
    assert held.lines[0].unallocated == 1


def test_a_carriers_delivery_is_recorded_even_for_an_order_on_hold() -> None:
    underway = order(("TEE", 1), ("MUG", 1))
    sourced(underway, ("L1", "EAST", 1), ("L2", "WEST", 1))
    underway.ship_fulfillment("FO-1", None, shipment("FO-1"))
    underway.hold("chargeback", NOW)

    underway.deliver_fulfillment("FO-1", LATER)

    assert underway.lines[0].delivered == 1
    assert underway.fulfillment_orders[0].status == FulfillmentStatus.DELIVERED
