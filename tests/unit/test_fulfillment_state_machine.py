"""The fulfilment order's state machine, on its own and as the order drives it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ordermesh.domain.errors import Excess, IllegalTransition, InvalidInput, NotFound, QuantityConflict
from ordermesh.domain.fulfillment import FulfillmentOrder, FulfillmentStatus, UnitMove
from ordermesh.domain.orders import OrderStatus
from tests.unit.builders import LATER, NOW, event_types, fulfillment_order, order, shipment, sourced

S = FulfillmentStatus


def fo_that_is(status: FulfillmentStatus) -> FulfillmentOrder:
    """A fulfilment order for 2 units of L1, brought to the status through the machine's own moves."""
    fo = fulfillment_order(("TEE", 2))
    if status == S.ACCEPTED:
        fo.accept(NOW)
    elif status == S.PARTIALLY_SHIPPED:
        fo.ship({"L1": 1}, shipment(fo.id))
    elif status == S.SHIPPED:
        fo.ship(None, shipment(fo.id))
    elif status == S.DELIVERED:
        fo.ship(None, shipment(fo.id))
        fo.deliver(NOW)
    elif status == S.READY_FOR_PICKUP:
        fo.ready_for_pickup(NOW)
    elif status == S.PICKED_UP:
        fo.ready_for_pickup(NOW)
        fo.picked_up(NOW)
    elif status == S.REJECTED:
        fo.reject("no stock", NOW)
    elif status == S.CANCELLED:
        fo.cancel_units("L1", 2, NOW)
    assert fo.status == status
    return fo


ACTIONS: dict[str, Callable[[FulfillmentOrder], object]] = {
    "accept": lambda fo: fo.accept(LATER),
    "reject": lambda fo: fo.reject("cannot do it", LATER),
    "ship": lambda fo: fo.ship(None, shipment(fo.id, shipment_id="SHP-late")),
    "ready_for_pickup": lambda fo: fo.ready_for_pickup(LATER),
    "picked_up": lambda fo: fo.picked_up(LATER),
    "deliver": lambda fo: fo.deliver(LATER),
    "take_more_units": lambda fo: fo.add_units("L1", "TEE", 1),
}

# Where each action may start from, and where it leads.
LEGAL: dict[str, dict[FulfillmentStatus, FulfillmentStatus]] = {
    "accept": {S.OPEN: S.ACCEPTED},
    "reject": {S.OPEN: S.REJECTED, S.ACCEPTED: S.REJECTED},
    "ship": {S.OPEN: S.SHIPPED, S.ACCEPTED: S.SHIPPED, S.PARTIALLY_SHIPPED: S.SHIPPED},
    "ready_for_pickup": {S.OPEN: S.READY_FOR_PICKUP, S.ACCEPTED: S.READY_FOR_PICKUP},
    "picked_up": {S.READY_FOR_PICKUP: S.PICKED_UP},
    "deliver": {S.SHIPPED: S.DELIVERED},
    "take_more_units": {S.OPEN: S.OPEN, S.ACCEPTED: S.ACCEPTED},
}

LEGAL_MOVES = [
    pytest.param(action, start, end, id=f"{action}-from-{start}")
    for action, moves in LEGAL.items()
    for start, end in moves.items()
]
ILLEGAL_MOVES = [
    pytest.param(action, start, id=f"{action}-from-{start}")
    for action in ACTIONS
    for start in FulfillmentStatus
    if start not in LEGAL[action]
]


@pytest.mark.parametrize(("action", "start", "end"), LEGAL_MOVES)
def test_every_legal_move_leads_to_its_status(action: str, start: FulfillmentStatus, end: FulfillmentStatus) -> None:
    fo = fo_that_is(start)

    ACTIONS[action](fo)

    assert fo.status == end


@pytest.mark.parametrize(("action", "start"), ILLEGAL_MOVES)
def test_every_other_move_is_an_illegal_transition_that_changes_nothing(
    action: str, start: FulfillmentStatus
) -> None:
    fo = fo_that_is(start)
    lines_before = [(fl.quantity, fl.shipped, fl.delivered, fl.cancelled) for fl in fo.lines]

    with pytest.raises(IllegalTransition) as refused:
        ACTIONS[action](fo)

    assert refused.value.state == start
    assert refused.value.entity_id == "FO-1"
    assert fo.status == start
    assert [(fl.quantity, fl.shipped, fl.delivered, fl.cancelled) for fl in fo.lines] == lines_before


# -- accept and reject ---------------------------------------------------------------------------


def test_accepting_open_work_stamps_the_time() -> None:
    fo = fulfillment_order(("TEE", 2))

    fo.accept(LATER)

    assert fo.status == S.ACCEPTED
    assert fo.updated_at == LATER


def test_rejecting_returns_every_open_unit_and_records_the_reason() -> None:
    fo = fulfillment_order(("TEE", 2), ("MUG", 1), location="STORE")

    released = fo.reject("shelf empty", LATER)

    assert released == [UnitMove("L1", "STORE", "TEE", 2), UnitMove("L2", "STORE", "MUG", 1)]
    assert [fl.open for fl in fo.lines] == [0, 0]
    assert [fl.cancelled for fl in fo.lines] == [2, 1]
    assert fo.reason == "shelf empty"


def test_rejecting_after_some_units_were_cancelled_returns_only_the_rest() -> None:
    fo = fulfillment_order(("TEE", 3))
    fo.cancel_units("L1", 1, NOW)

    released = fo.reject("shelf empty", LATER)

    assert released == [UnitMove("L1", "WH", "TEE", 2)]


# -- shipping ------------------------------------------------------------------------------------


def test_shipping_part_then_the_rest_goes_partially_shipped_then_shipped() -> None:
    fo = fulfillment_order(("TEE", 3), ("MUG", 1))

    first = fo.ship({"L1": 1}, shipment(shipment_id="S1"))
    status_after_first = fo.status
    second = fo.ship(None, shipment(shipment_id="S2"))

    assert status_after_first == S.PARTIALLY_SHIPPED
    assert first == [UnitMove("L1", "WH", "TEE", 1)]
    assert second == [UnitMove("L1", "WH", "TEE", 2), UnitMove("L2", "WH", "MUG", 1)]
    assert fo.status == S.SHIPPED
    assert [s.lines for s in fo.shipments] == [{"L1": 1}, {"L1": 2, "L2": 1}]


def test_a_shipment_records_only_the_lines_that_moved() -> None:
    fo = fulfillment_order(("TEE", 2), ("MUG", 1))

    fo.ship({"L1": 2, "L2": 0}, shipment(at=LATER))

    assert fo.shipments[0].lines == {"L1": 2}
    assert fo.updated_at == LATER
    assert fo.status == S.PARTIALLY_SHIPPED


def test_shipping_more_than_is_open_is_a_quantity_conflict_that_ships_nothing() -> None:
    fo = fulfillment_order(("TEE", 2))

    with pytest.raises(QuantityConflict) as refused:
        fo.ship({"L1": 3}, shipment())

    assert refused.value.excesses == [Excess("L1", 3, 2)]
    assert fo.lines[0].shipped == 0
    assert fo.shipments == []


def test_shipping_a_negative_quantity_is_a_quantity_conflict() -> None:
    fo = fulfillment_order(("TEE", 2))

    with pytest.raises(QuantityConflict):
        fo.ship({"L1": -1}, shipment())

    assert fo.lines[0].shipped == 0


def test_shipping_a_line_that_is_not_on_the_fulfilment_order_is_a_quantity_conflict() -> None:
    fo = fulfillment_order(("TEE", 2))

    with pytest.raises(QuantityConflict) as refused:
        fo.ship({"L9": 1}, shipment())

    assert refused.value.excesses == [Excess("L9", 1, 0)]


def test_a_shipment_of_no_units_is_invalid() -> None:
    fo = fulfillment_order(("TEE", 2))

    with pytest.raises(InvalidInput):
        fo.ship({"L1": 0}, shipment())

    assert fo.status == S.OPEN
    assert fo.shipments == []


# -- pickup and delivery -------------------------------------------------------------------------


def test_a_pickup_hands_every_open_unit_to_the_customer() -> None:
    fo = fulfillment_order(("TEE", 2), ("MUG", 1), location="STORE")
    fo.ready_for_pickup(NOW)

    moved = fo.picked_up(LATER)

    assert moved == [UnitMove("L1", "STORE", "TEE", 2), UnitMove("L2", "STORE", "MUG", 1)]
    assert [(fl.shipped, fl.delivered, fl.open) for fl in fo.lines] == [(2, 2, 0), (1, 1, 0)]


def test_delivery_confirms_every_shipped_unit() -> None:
    fo = fulfillment_order(("TEE", 3))
    fo.ship({"L1": 1}, shipment(shipment_id="S1"))
    fo.ship(None, shipment(shipment_id="S2"))

    moved = fo.deliver(LATER)

    assert moved == [UnitMove("L1", "WH", "TEE", 3)]
    assert fo.lines[0].delivered == 3


def test_delivery_skips_lines_that_were_cancelled_rather_than_shipped() -> None:
    fo = fulfillment_order(("TEE", 1), ("MUG", 1))
    fo.cancel_units("L2", 1, NOW)
    fo.ship(None, shipment())

    moved = fo.deliver(LATER)

    assert moved == [UnitMove("L1", "WH", "TEE", 1)]


# -- cancelling units ----------------------------------------------------------------------------


def test_cancelling_some_units_keeps_the_fulfilment_order_open() -> None:
    fo = fulfillment_order(("TEE", 3))

    fo.cancel_units("L1", 2, LATER)

    assert fo.lines[0].open == 1
    assert fo.status == S.OPEN


def test_cancelling_every_open_unit_of_untouched_work_cancels_the_fulfilment_order() -> None:
    fo = fulfillment_order(("TEE", 1), ("MUG", 1))

    fo.cancel_units("L1", 1, LATER)
    fo.cancel_units("L2", 1, LATER)

    assert fo.status == S.CANCELLED


def test_cancelling_the_rest_of_partially_shipped_work_marks_it_shipped() -> None:
    fo = fulfillment_order(("TEE", 3))
    fo.ship({"L1": 1}, shipment())

    fo.cancel_units("L1", 2, LATER)

    assert fo.status == S.SHIPPED


def test_cancelling_more_units_than_are_open_is_a_quantity_conflict() -> None:
    fo = fulfillment_order(("TEE", 2))
    fo.ship({"L1": 1}, shipment())

    with pytest.raises(QuantityConflict) as refused:
        fo.cancel_units("L1", 2, LATER)

    assert refused.value.excesses == [Excess("L1", 2, 1)]
    assert fo.lines[0].cancelled == 0


def test_cancelling_zero_units_of_delivered_work_is_refused() -> None:
    fo = fo_that_is(S.DELIVERED)

    with pytest.raises((QuantityConflict, IllegalTransition)):
        fo.cancel_units("L1", 0, LATER)

    assert fo.status == S.DELIVERED


def test_cancelling_a_negative_number_of_units_is_refused() -> None:
    fo = fulfillment_order(("TEE", 2))

    with pytest.raises(QuantityConflict):
        fo.cancel_units("L1", -1, LATER)

    assert fo.lines[0].open == 2


# -- the order drives its fulfilment orders ------------------------------------------------------


def test_accepting_through_the_order_emits_an_accepted_event() -> None:
    allocated = order(("TEE", 1))
    sourced(allocated, ("L1", "WH", 1))
    allocated.events.clear()

    fo = allocated.accept_fulfillment("FO-1", LATER)

    assert fo.status == S.ACCEPTED
    assert event_types(allocated) == ["ordermesh.fulfillment_order.accepted"]
    assert allocated.events[0].subject == "FO-1"


def test_a_rejection_puts_the_units_back_in_line_for_sourcing_and_excludes_the_location() -> None:
    allocated = order(("TEE", 2))
    sourced(allocated, ("L1", "WH", 2))

    released = allocated.reject_fulfillment("FO-1", "shelf empty", LATER)

    assert released == [UnitMove("L1", "WH", "TEE", 2)]
    assert (allocated.lines[0].allocated, allocated.lines[0].unallocated) == (0, 2)
    assert allocated.excluded_locations == frozenset({"WH"})
    assert [ln.id for ln in allocated.sourceable_lines()] == ["L1"]
    assert allocated.status == OrderStatus.PENDING
    assert event_types(allocated)[-1] == "ordermesh.fulfillment_order.rejected"


def test_shipping_through_the_order_moves_reserved_units_to_shipped_and_reports_the_shipment() -> None:
    allocated = order(("TEE", 3))
    sourced(allocated, ("L1", "WH", 3))

    moved = allocated.ship_fulfillment("FO-1", {"L1": 2}, shipment(shipment_id="SHP-7"))

    assert moved == [UnitMove("L1", "WH", "TEE", 2)]
    assert (allocated.lines[0].allocated, allocated.lines[0].shipped) == (1, 2)
    event = allocated.events[-1]
    assert event.type == "ordermesh.fulfillment_order.shipped"
    assert event.data["shipment_id"] == "SHP-7"
    assert event.data["shipped_lines"] == {"L1": 2}
    assert event.data["tracking_number"] == "1Z999"


def test_delivery_through_the_order_moves_shipped_units_to_delivered() -> None:
    allocated = order(("TEE", 2))
    sourced(allocated, ("L1", "WH", 2))
    allocated.ship_fulfillment("FO-1", None, shipment())

    allocated.deliver_fulfillment("FO-1", LATER)

    assert (allocated.lines[0].shipped, allocated.lines[0].delivered) == (0, 2)
    assert event_types(allocated)[-1] == "ordermesh.fulfillment_order.delivered"


def test_a_partially_shipped_fulfilment_order_cannot_be_delivered_yet() -> None:
    allocated = order(("TEE", 2))
    sourced(allocated, ("L1", "WH", 2))
    allocated.ship_fulfillment("FO-1", {"L1": 1}, shipment())

    with pytest.raises(IllegalTransition):
        allocated.deliver_fulfillment("FO-1", LATER)

    assert allocated.lines[0].delivered == 0


def test_a_pickup_through_the_order_moves_reserved_units_to_delivered() -> None:
    pickup = order(("TEE", 2), pickup_at="STORE")
    sourced(pickup, ("L1", "STORE", 2))
    pickup.ready_for_pickup("FO-1", NOW)

    moved = pickup.picked_up("FO-1", LATER)

    assert moved == [UnitMove("L1", "STORE", "TEE", 2)]
    assert (pickup.lines[0].allocated, pickup.lines[0].delivered) == (0, 2)
    assert event_types(pickup)[-2:] == [
        "ordermesh.fulfillment_order.ready_for_pickup",
        "ordermesh.fulfillment_order.picked_up",
    ]


def test_a_pickup_order_cannot_be_shipped() -> None:
    pickup = order(("TEE", 1), pickup_at="STORE")
    sourced(pickup, ("L1", "STORE", 1))

    with pytest.raises(IllegalTransition):
        pickup.ship_fulfillment("FO-1", None, shipment())

    assert pickup.lines[0].shipped == 0
    assert pickup.fulfillment_orders[0].status == S.OPEN


def test_a_ship_order_cannot_be_made_ready_for_pickup() -> None:
    shipping = order(("TEE", 1))
    sourced(shipping, ("L1", "WH", 1))

    with pytest.raises(IllegalTransition):
        shipping.ready_for_pickup("FO-1", LATER)

    assert shipping.fulfillment_orders[0].status == S.OPEN


def test_a_ship_order_has_no_pickup_to_record() -> None:
    shipping = order(("TEE", 1))
    sourced(shipping, ("L1", "WH", 1))

    with pytest.raises(IllegalTransition):
        shipping.picked_up("FO-1", LATER)

    assert shipping.lines[0].delivered == 0


def test_acting_on_a_fulfilment_order_the_order_does_not_have_is_not_found() -> None:
    allocated = order(("TEE", 1))
    sourced(allocated, ("L1", "WH", 1))

    with pytest.raises(NotFound):
        allocated.accept_fulfillment("FO-9", LATER)


def test_a_location_declining_some_units_keeps_the_rest_and_is_not_asked_again_for_this_order() -> None:
    placed = order(("TEE", 2), ("MUG", 1))
    sourced(placed, ("L1", "VENDOR", 2), ("L2", "VENDOR", 1))

    released = placed.reject_fulfillment_lines("FO-1", {"L2": 1}, "vendor out of mugs", LATER, new_fo_id="FO-2")

    kept, declined = placed.fulfillment_orders
    assert released == [UnitMove("L2", "VENDOR", "MUG", 1)]
    assert (kept.status, [(fl.sku, fl.open) for fl in kept.lines]) == (S.OPEN, [("TEE", 2), ("MUG", 0)])
    assert (declined.id, declined.status, declined.reason) == ("FO-2", S.REJECTED, "vendor out of mugs")
    assert [(fl.sku, fl.quantity, fl.cancelled) for fl in declined.lines] == [("MUG", 1, 1)]
    assert [(x.allocated, x.unallocated) for x in placed.lines] == [(2, 0), (0, 1)]
    assert placed.excluded_locations == frozenset({"VENDOR"})
    assert event_types(placed)[-2:] == ["ordermesh.fulfillment_order.updated", "ordermesh.fulfillment_order.rejected"]


def test_declining_more_than_is_open_changes_nothing_and_declining_all_rejects_the_whole_work() -> None:
    placed = order(("TEE", 2), ("MUG", 1))
    sourced(placed, ("L1", "VENDOR", 2), ("L2", "VENDOR", 1))

    with pytest.raises(QuantityConflict):
        placed.reject_fulfillment_lines("FO-1", {"L1": 1, "L2": 2}, "no", LATER, new_fo_id="FO-2")
    assert [(fl.quantity, fl.open) for fl in placed.fulfillment_orders[0].lines] == [(2, 2), (1, 1)]

    placed.reject_fulfillment_lines("FO-1", {"L1": 2, "L2": 1}, "closing down", LATER, new_fo_id="FO-2")
    assert [(fo.id, fo.status) for fo in placed.fulfillment_orders] == [("FO-1", S.REJECTED)]
