"""An order's status is derived from its lines' quantity buckets, its hold and its fulfilment orders;
the buckets always add up to the line, whatever sequence of sourcing, shipping, cancelling and rejecting."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.domain.errors import DomainError
from ordermesh.domain.fulfillment import ACTIVE, HOLDS_STOCK, FulfillmentOrder, FulfillmentStatus, UnitMove
from ordermesh.domain.orders import Order, OrderStatus
from ordermesh.domain.sourcing import Candidate, LineDemand, SourcingRequest
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.domain.sourcing.engine import SourcingEngine
from ordermesh.domain.sourcing.rule_document import parse_rule_set
from tests.unit.builders import CHICAGO, LATER, LOS_ANGELES, NEWARK, NYC, line, order, shipment, sourced

S = FulfillmentStatus
SKUS = ("TEE", "MUG", "CAP")
POLICY = SourcingEngine(parse_rule_set(DEFAULT_RULE_SET), explain=False, deterministic=True)

# -- one status per bucket picture ---------------------------------------------------------------


def test_an_order_nobody_has_sourced_yet_is_pending() -> None:
    captured = order(("TEE", 2), ("MUG", 1))

    assert captured.status == OrderStatus.PENDING


def test_an_order_whose_units_all_wait_for_stock_is_backordered() -> None:
    waiting = order(line("TEE", 2, backordered=2))

    assert waiting.status == OrderStatus.BACKORDERED


def test_an_order_with_some_units_reserved_and_some_waiting_is_partially_allocated() -> None:
    split = order(line("TEE", 3, allocated=1, backordered=2))

    assert split.status == OrderStatus.PARTIALLY_ALLOCATED


def test_a_partially_allocated_order_may_still_have_unsourced_units() -> None:
    split = order(line("TEE", 2, allocated=2), line("MUG", 1))

    assert split.status == OrderStatus.PARTIALLY_ALLOCATED


def test_an_order_whose_every_live_unit_is_reserved_is_allocated() -> None:
    reserved = order(line("TEE", 2, allocated=2), line("MUG", 3, allocated=1, cancelled=2))

    assert reserved.status == OrderStatus.ALLOCATED


def test_an_order_with_some_units_gone_is_partially_shipped() -> None:
    underway = order(line("TEE", 3, shipped=1, allocated=2))

    assert underway.status == OrderStatus.PARTIALLY_SHIPPED


def test_shipping_some_units_while_others_are_backordered_is_still_partially_shipped() -> None:
    underway = order(line("TEE", 3, shipped=1, backordered=2))

    assert underway.status == OrderStatus.PARTIALLY_SHIPPED


def test_an_order_with_some_units_delivered_and_the_rest_reserved_is_partially_shipped() -> None:
    underway = order(line("TEE", 2, delivered=1, allocated=1))

    assert underway.status == OrderStatus.PARTIALLY_SHIPPED


def test_an_order_whose_live_units_all_left_is_shipped() -> None:
    gone = order(line("TEE", 2, shipped=2), line("MUG", 1, delivered=1))

    assert gone.status == OrderStatus.SHIPPED


def test_cancelled_units_do_not_keep_an_order_from_being_shipped() -> None:
    gone = order(line("TEE", 3, shipped=2, cancelled=1))

    assert gone.status == OrderStatus.SHIPPED


def test_an_order_whose_live_units_are_all_delivered_is_delivered() -> None:
    done = order(line("TEE", 3, delivered=2, cancelled=1), line("MUG", 1, delivered=1))

    assert done.status == OrderStatus.DELIVERED


def test_an_order_whose_every_unit_is_cancelled_is_cancelled() -> None:
    void = order(line("TEE", 2, cancelled=2), line("MUG", 1, cancelled=1))

    assert void.status == OrderStatus.CANCELLED


def test_an_order_with_a_hold_is_on_hold_whatever_its_buckets_say() -> None:
    held = order(line("TEE", 3, allocated=1, shipped=2), hold="fraud review")

    assert held.status == OrderStatus.ON_HOLD


def test_a_line_with_a_problem_and_units_still_to_do_puts_the_order_in_exception() -> None:
    troubled = order(line("TEE", 1, allocated=1), line("GHOST", 2, exception="unknown SKU 'GHOST'"))

    assert troubled.status == OrderStatus.EXCEPTION


def test_an_order_picked_up_nowhere_yet_but_ready_at_every_location_is_ready_for_pickup() -> None:
    pickup = order(("TEE", 2), pickup_at="STORE")
    sourced(pickup, ("L1", "STORE", 2))

    pickup.ready_for_pickup("FO-1", LATER)

    assert pickup.status == OrderStatus.READY_FOR_PICKUP


# -- which rule wins -----------------------------------------------------------------------------


def test_cancellation_of_every_unit_wins_over_a_hold() -> None:
    void_but_held = order(line("TEE", 2, cancelled=2), hold="fraud review")

    assert void_but_held.status == OrderStatus.CANCELLED


def test_a_hold_wins_over_a_line_exception() -> None:
    held = order(line("GHOST", 1, exception="unknown SKU"), hold="payment_pending")

    assert held.status == OrderStatus.ON_HOLD


def test_an_exception_on_a_fully_cancelled_line_no_longer_matters() -> None:
    recovered = order(line("TEE", 1, allocated=1), line("GHOST", 2, cancelled=2, exception="unknown SKU"))

    assert recovered.status == OrderStatus.ALLOCATED


def test_an_exception_on_a_fully_shipped_line_no_longer_matters() -> None:
    recovered = order(line("TEE", 2, shipped=2, exception="address problem"))

    assert recovered.status == OrderStatus.SHIPPED


def test_an_exception_wins_over_partial_shipment() -> None:
    troubled = order(line("TEE", 3, shipped=1, allocated=2), line("GHOST", 1, exception="unknown SKU"))

    assert troubled.status == OrderStatus.EXCEPTION


def test_a_pickup_order_ready_at_one_location_but_open_at_another_is_only_allocated() -> None:
    pickup = order(("TEE", 1), ("MUG", 1), pickup_at="STORE")
    sourced(pickup, ("L1", "STORE", 1), ("L2", "OTHER", 1))

    pickup.ready_for_pickup("FO-1", LATER)

    assert [fo.status.value for fo in pickup.fulfillment_orders] == ["ready_for_pickup", "open"]
    assert pickup.status == OrderStatus.ALLOCATED


def test_a_pickup_order_with_units_still_backordered_is_not_ready_for_pickup() -> None:
    pickup = order(("TEE", 3), pickup_at="STORE")
    sourced(pickup, ("L1", "STORE", 1))

    pickup.ready_for_pickup("FO-1", LATER)

    assert pickup.status == OrderStatus.PARTIALLY_ALLOCATED


# -- status follows the order through its life ---------------------------------------------------


def test_status_follows_a_ship_order_from_capture_to_delivery() -> None:
    journey = order(("TEE", 2))
    seen = [journey.status]

    sourced(journey, ("L1", "WH", 2))
    seen.append(journey.status)
    journey.ship_fulfillment("FO-1", {"L1": 1}, shipment("FO-1", shipment_id="S1"))
    seen.append(journey.status)
    journey.ship_fulfillment("FO-1", None, shipment("FO-1", shipment_id="S2"))
    seen.append(journey.status)
    journey.deliver_fulfillment("FO-1", LATER)
    seen.append(journey.status)

    assert seen == [
        OrderStatus.PENDING,
        OrderStatus.ALLOCATED,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
    ]


def test_status_follows_a_pickup_order_from_capture_to_collection() -> None:
    journey = order(("TEE", 2), pickup_at="STORE")
    seen = [journey.status]

    sourced(journey, ("L1", "STORE", 2))
    seen.append(journey.status)
    journey.ready_for_pickup("FO-1", LATER)
    seen.append(journey.status)
    journey.picked_up("FO-1", LATER)
    seen.append(journey.status)

    assert seen == [
        OrderStatus.PENDING,
        OrderStatus.ALLOCATED,
        OrderStatus.READY_FOR_PICKUP,
        OrderStatus.DELIVERED,
    ]


# -- property: the buckets stay whole whatever happens to the order ------------------------------

NETWORK = {"EAST": NEWARK, "MID": CHICAGO, "WEST": LOS_ANGELES, "STORE": NYC}
# Repeats weight the draw: the walk should mostly move work forward, and seldom sit on hold.
ACTIONS = ("source", "source", "accept", "ship", "ship", "ship", "deliver", "ready", "pickup", "pickup",
           "cancel", "cancel", "reject", "hold", "release", "release", "release")
# Where each fulfilment action can start; the walk mostly picks a fulfilment order that fits, sometimes any.
FITS = {"accept": {S.OPEN}, "reject": ACTIVE, "ship": ACTIVE | {S.PARTIALLY_SHIPPED}, "deliver": {S.SHIPPED},
        "ready": ACTIVE, "pickup": {S.READY_FOR_PICKUP}}


class FakeStock:
    """Available units per location and SKU: reserved by sourcing, given back by cancel and reject."""

    def __init__(self, available: dict[str, dict[str, int]]) -> None:
        self.initial = {loc: dict(skus) for loc, skus in available.items()}
        self.available = {loc: dict(skus) for loc, skus in available.items()}

    def source(self, target: Order) -> None:
        """What the allocation service does: plan for the waiting lines, reserve, apply."""
        lines = target.sourceable_lines()
        if not lines:
            return
        request = SourcingRequest(
            target.id, tuple(LineDemand(ln.id, ln.sku, ln.pending) for ln in lines), target.delivery.method,
            NYC, target.delivery.pickup_location, target.excluded_locations,
        )
        candidates = [Candidate(loc, NETWORK[loc], dict(skus)) for loc, skus in self.available.items()]
        plan = POLICY.plan(request, candidates)
        sku_of = {ln.id: ln.sku for ln in lines}
        for a in plan.allocations:
            self.available[a.location][sku_of[a.line_id]] -= a.quantity
            assert self.available[a.location][sku_of[a.line_id]] >= 0
        sourced(target, *((a.line_id, a.location, a.quantity) for a in plan.allocations))

    def give_back(self, moves: Sequence[UnitMove]) -> None:
        for move in moves:
            self.available[move.location][move.sku] += move.quantity


def snapshot(target: Order) -> object:
    return (
        target.hold_reason,
        [tuple(ln.buckets().values()) for ln in target.lines],
        [(fo.id, fo.status, len(fo.shipments), [(fl.quantity, fl.shipped, fl.delivered, fl.cancelled)
                                                for fl in fo.lines]) for fo in target.fulfillment_orders],
    )


def progress(target: Order) -> list[tuple[int, int, int]]:
    """Per line: units gone (shipped or delivered), units delivered, units cancelled. None of them may shrink."""
    return [(ln.shipped + ln.delivered, ln.delivered, ln.cancelled) for ln in target.lines]


def agrees_with_its_lines(fo: FulfillmentOrder) -> bool:
    """Tell whether a fulfilment order's status fits what its lines say happened to the units."""
    shipped = any(fl.shipped for fl in fo.lines)
    waiting = any(fl.open for fl in fo.lines)
    handed_over = all(fl.delivered == fl.shipped for fl in fo.lines)
    untouched = waiting and not shipped
    done = shipped and not waiting and handed_over
    withdrawn = not shipped and not waiting
    return {
        S.OPEN: untouched, S.ACCEPTED: untouched, S.READY_FOR_PICKUP: untouched,
        S.PARTIALLY_SHIPPED: shipped and waiting,
        S.SHIPPED: shipped and not waiting and not handed_over,
        S.DELIVERED: done, S.PICKED_UP: done,
        S.REJECTED: withdrawn, S.CANCELLED: withdrawn,
    }[fo.status]


def check_invariants(target: Order, stock: FakeStock) -> None:
    for ln in target.lines:
        assert sum(ln.buckets().values()) == ln.quantity, ln
        assert min(ln.buckets().values()) >= 0, ln
        on_fos = [(fo, fl) for fo in target.fulfillment_orders if (fl := fo.line(ln.id)) is not None]
        assert ln.allocated == sum(fl.open for fo, fl in on_fos if fo.status in HOLDS_STOCK)
        assert ln.shipped + ln.delivered == sum(fl.shipped for _, fl in on_fos)
        assert ln.delivered == sum(fl.delivered for _, fl in on_fos)
    for fo in target.fulfillment_orders:
        assert agrees_with_its_lines(fo), fo
    for location, skus in stock.initial.items():
        for sku, initial in skus.items():
            held_or_gone = sum(fl.open + fl.shipped for fo in target.fulfillment_orders if fo.location == location
                               for fl in fo.lines if fl.sku == sku)
            assert stock.available[location][sku] + held_or_gone == initial, (location, sku)


def act(action: str, target: Order, stock: FakeStock, data: st.DataObject) -> None:
    """Do one thing to the order, as a service would; domain errors propagate to the caller."""
    if action == "source":
        stock.source(target)
    elif action == "hold":
        target.hold("review", LATER)
    elif action == "release":
        target.release_hold(LATER)
    elif action == "cancel":
        stock.give_back(target.cancel(cancel_request(target, data), "changed mind", LATER))
    elif target.fulfillment_orders:
        fo_id = pick_fulfillment_order(action, target, data)
        if action == "accept":
            target.accept_fulfillment(fo_id, LATER)
        elif action == "reject":
            stock.give_back(target.reject_fulfillment(fo_id, "cannot", LATER))
        elif action == "ship":
            fo = target.fulfillment_order(fo_id)
            quantities = shipment_quantities(fo, data)
            target.ship_fulfillment(fo_id, quantities, shipment(fo_id, shipment_id=f"S{len(fo.shipments)}"))
        elif action == "deliver":
            target.deliver_fulfillment(fo_id, LATER)
        elif action == "ready":
            target.ready_for_pickup(fo_id, LATER)
        elif action == "pickup":
            target.picked_up(fo_id, LATER)


def cancel_request(target: Order, data: st.DataObject) -> dict[str, int] | None:
    """Mostly some units of one line (often all it has left), sometimes the whole order."""
    if data.draw(st.sampled_from([False, False, False, True]), label="whole order"):
        return None
    live = [ln for ln in target.lines if ln.cancellable] or target.lines
    chosen = data.draw(st.sampled_from(live), label="line")
    everything_left = st.just(chosen.cancellable)
    return {chosen.id: data.draw(st.one_of(everything_left, st.integers(-1, chosen.quantity)), label="cancel")}


def pick_fulfillment_order(action: str, target: Order, data: st.DataObject) -> str:
    """Mostly one whose status allows the action, sometimes any, so refusals get tried too."""
    fitting = [fo.id for fo in target.fulfillment_orders if fo.status in FITS[action]]
    if fitting and data.draw(st.sampled_from([True, True, True, False]), label="pick a fitting one"):
        return data.draw(st.sampled_from(fitting), label="fulfilment order")
    return data.draw(st.sampled_from([fo.id for fo in target.fulfillment_orders]), label="fulfilment order")


def shipment_quantities(fo: FulfillmentOrder, data: st.DataObject) -> dict[str, int] | None:
    """Everything (None), one unit, some units per line, or one unit too many per line."""
    how = data.draw(st.sampled_from(["all", "one unit", "one unit", "some", "too many"]), label="shipment")
    if how == "all":
        return None
    if how == "one unit":
        first = next((fl for fl in fo.lines if fl.open), fo.lines[0])
        return {first.order_line_id: 1}
    if how == "too many":
        return {fl.order_line_id: fl.open + 1 for fl in fo.lines}
    return {fl.order_line_id: data.draw(st.integers(0, fl.open), label="ship quantity") for fl in fo.lines}


@settings(max_examples=300, deadline=None, database=None)
@given(
    lines=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 5)), min_size=1, max_size=3),
    pickup=st.booleans(),
    available=st.fixed_dictionaries(
        {loc: st.fixed_dictionaries({sku: st.integers(0, 4) for sku in SKUS}) for loc in NETWORK}
    ),
    actions=st.lists(st.sampled_from(ACTIONS), min_size=10, max_size=40),
    data=st.data(),
)
def test_buckets_stay_whole_and_nothing_unships_whatever_happens_to_the_order(
    lines: list[tuple[str, int]], pickup: bool, available: dict[str, dict[str, int]], actions: list[str],
    data: st.DataObject,
) -> None:
    target = order(*lines, pickup_at="STORE" if pickup else None)
    stock = FakeStock(available)
    closed_forward = {OrderStatus.CANCELLED: {OrderStatus.CANCELLED}, OrderStatus.DELIVERED: {OrderStatus.DELIVERED},
                      OrderStatus.SHIPPED: {OrderStatus.SHIPPED, OrderStatus.DELIVERED}}

    for action in ["source", *actions]:
        before = snapshot(target)
        progress_before = progress(target)
        status_before = target.status
        try:
            act(action, target, stock, data)
        except DomainError:
            assert snapshot(target) == before, f"a refused {action} changed the order"

        check_invariants(target, stock)
        for after, earlier in zip(progress(target), progress_before, strict=True):
            assert all(a >= e for a, e in zip(after, earlier, strict=True)), (action, earlier, after)
        if status_before in closed_forward:
            assert target.status in closed_forward[status_before], (status_before, target.status)
