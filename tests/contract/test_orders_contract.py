"""The OrderRepository contract: whole aggregates round-trip, (channel, external_id) is unique, lists page."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from ordermesh.domain.catalog import Address
from ordermesh.domain.fulfillment import FulfillmentOrder, FulfillmentStatus
from ordermesh.domain.orders import Customer, Order
from ordermesh.services.ports import DuplicateKey, FulfillmentFilter, OrderFilter, UnitOfWork, UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import T0, committed, every_page, minutes, new_order, read, shipment, source


def stored(factory: UnitOfWorkFactory, *orders: Order) -> None:
    """Commit new orders, then save them again unchanged (an add followed by a save must round-trip)."""

    def work(uow: UnitOfWork) -> None:
        for order in orders:
            uow.orders.add(order)
            uow.orders.save(order)

    committed(factory, work)


def loaded(factory: UnitOfWorkFactory, order_id: str) -> Order | None:
    return read(factory, lambda uow: uow.orders.get(order_id))


def changed(factory: UnitOfWorkFactory, order_id: str, change: Callable[[Order], object]) -> Order:
    """Load an order in a new unit of work, change it, save it, commit; return the changed copy."""

    def work(uow: UnitOfWork) -> Order:
        order = uow.orders.get(order_id, for_update=True)
        assert order is not None
        change(order)
        uow.orders.save(order)
        return order

    return committed(factory, work)


class OrdersContract:
    # -- round trips -----------------------------------------------------------------------------

    def test_a_new_order_reads_back_equal_with_its_lines_and_fulfilment_orders(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        order = new_order("ord-1", ("TEE", 3), ("MUG", 2), ("CAP", 1))
        source(order, (1, "WH", 2), (2, "WH", 2), (1, "CHI", 1))

        stored(uow_factory, order)

        assert loaded(uow_factory, "ord-1") == order

    def test_an_order_with_nothing_sourced_yet_reads_back_equal(self, uow_factory: UnitOfWorkFactory) -> None:
        order = new_order("ord-1", ("TEE", 2), hold="payment_pending")

        stored(uow_factory, order)

        back = loaded(uow_factory, "ord-1")
        assert back == order
        assert back is not None and back.fulfillment_orders == [] and back.hold_reason == "payment_pending"

    def test_changes_made_in_later_units_of_work_read_back_equal(self, uow_factory: UnitOfWorkFactory) -> None:
        order = new_order("ord-1", ("TEE", 3), ("MUG", 1))
        source(order, (1, "WH", 3), (2, "WH", 1))
        stored(uow_factory, order)

        def ship_some(o: Order) -> None:
            o.accept_fulfillment("ord-1-FO1", minutes(1))
            o.ship_fulfillment("ord-1-FO1", {"ord-1-L1": 2}, shipment("ord-1-FO1", 1, at=minutes(2)))

        def ship_the_rest_and_deliver(o: Order) -> None:
            o.ship_fulfillment("ord-1-FO1", None, shipment("ord-1-FO1", 2, at=minutes(3)))
            o.deliver_fulfillment("ord-1-FO1", minutes(4))

        after_first = changed(uow_factory, "ord-1", ship_some)
        assert loaded(uow_factory, "ord-1") == after_first
        after_second = changed(uow_factory, "ord-1", ship_the_rest_and_deliver)

        back = loaded(uow_factory, "ord-1")
        assert back == after_second
        assert back is not None
        assert [s.id for s in back.fulfillment_orders[0].shipments] == ["ord-1-FO1-S1", "ord-1-FO1-S2"]
        assert back.fulfillment_orders[0].shipments[0].lines == {"ord-1-L1": 2}

    def test_a_rejected_fulfilment_order_and_its_replacement_read_back_equal(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        order = new_order("ord-1", ("TEE", 2))
        source(order, (1, "WH", 2))
        stored(uow_factory, order)

        def reject_and_resource(o: Order) -> None:
            o.reject_fulfillment("ord-1-FO1", "damaged", minutes(1))
            source(o, (1, "CHI", 2), now=minutes(1))

        after = changed(uow_factory, "ord-1", reject_and_resource)

        back = loaded(uow_factory, "ord-1")
        assert back == after
        assert back is not None
        assert [(fo.location, fo.status, fo.reason) for fo in back.fulfillment_orders] == [
            ("WH", FulfillmentStatus.REJECTED, "damaged"),
            ("CHI", FulfillmentStatus.OPEN, None),
        ]

    def test_cancelled_units_read_back_in_the_cancelled_bucket(self, uow_factory: UnitOfWorkFactory) -> None:
        order = new_order("ord-1", ("TEE", 3))
        source(order, (1, "WH", 3))
        stored(uow_factory, order)

        after = changed(uow_factory, "ord-1", lambda o: o.cancel({"ord-1-L1": 2}, "customer asked", minutes(1)))

        back = loaded(uow_factory, "ord-1")
        assert back == after
        assert back is not None and back.lines[0].buckets()["cancelled"] == 2

    def test_a_changed_shipping_address_and_customer_read_back(self, uow_factory: UnitOfWorkFactory) -> None:
        stored(uow_factory, new_order("ord-1", ("TEE", 1)))
        moved = Address(name="Ada Lovelace", line1="1 Lake Shore Dr", city="Chicago", postal_code="60611", country="US")

        def move(order: Order) -> None:
            order.ship_to = moved
            order.customer = Customer(email="ada@example.org", name="Ada King", tags=("vip",))

        after = changed(uow_factory, "ord-1", move)

        assert loaded(uow_factory, "ord-1") == after

    def test_a_fulfilment_order_keeps_its_lines_in_the_order_it_took_them(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        order = new_order("ord-1", ("TEE", 1), ("MUG", 1))
        source(order, (2, "WH", 1), (1, "WH", 1))

        stored(uow_factory, order)

        back = loaded(uow_factory, "ord-1")
        assert back is not None
        assert [fl.order_line_id for fl in back.fulfillment_orders[0].lines] == ["ord-1-L2", "ord-1-L1"]
        assert back == order

    def test_a_fulfilment_order_that_takes_another_line_later_reads_back_equal(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        order = new_order("ord-1", ("TEE", 1), ("MUG", 1))
        source(order, (2, "WH", 1))  # TEE is backordered
        stored(uow_factory, order)

        after = changed(uow_factory, "ord-1", lambda o: source(o, (1, "WH", 1), now=minutes(1)))

        back = loaded(uow_factory, "ord-1")
        assert back is not None
        assert [fl.order_line_id for fl in back.fulfillment_orders[0].lines] == ["ord-1-L2", "ord-1-L1"]
        assert back == after

    def test_an_order_read_back_is_a_copy_the_caller_may_change(self, uow_factory: UnitOfWorkFactory) -> None:
        order = new_order("ord-1", ("TEE", 1))
        stored(uow_factory, order)
        original = copy.deepcopy(order)

        def change_without_saving(uow: UnitOfWork) -> None:
            got = uow.orders.get("ord-1")
            assert got is not None
            got.hold("fraud check", minutes(1))

        committed(uow_factory, change_without_saving)

        assert loaded(uow_factory, "ord-1") == original

    def test_an_unknown_order_is_none(self, uow_factory: UnitOfWorkFactory) -> None:
        assert loaded(uow_factory, "nope") is None
        assert read(uow_factory, lambda uow: uow.orders.find("web", "nope")) is None
        assert read(uow_factory, lambda uow: uow.orders.id_for_fulfillment_order("nope")) is None

    # -- identity --------------------------------------------------------------------------------

    def test_a_second_order_with_the_same_channel_and_external_id_is_refused(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        stored(uow_factory, new_order("ord-1"))
        twin = new_order("ord-2")
        twin.external_id = "ext-ord-1"

        with pytest.raises(DuplicateKey):
            stored(uow_factory, twin)

        assert loaded(uow_factory, "ord-2") is None

    def test_the_same_external_id_on_another_channel_is_another_order(self, uow_factory: UnitOfWorkFactory) -> None:
        stored(uow_factory, new_order("ord-1", channel="web"))
        other = new_order("ord-2", channel="pos")
        other.external_id = "ext-ord-1"

        stored(uow_factory, other)

        found = read(uow_factory, lambda uow: uow.orders.find("pos", "ext-ord-1"))
        assert found == other

    def test_find_and_id_for_fulfillment_order_locate_an_order(self, uow_factory: UnitOfWorkFactory) -> None:
        order = new_order("ord-1", ("TEE", 2))
        source(order, (1, "WH", 1), (1, "CHI", 1))
        stored(uow_factory, order, new_order("ord-2"))

        assert read(uow_factory, lambda uow: uow.orders.find("web", "ext-ord-1")) == order
        assert read(uow_factory, lambda uow: uow.orders.id_for_fulfillment_order("ord-1-FO2")) == "ord-1"

    # -- lists -----------------------------------------------------------------------------------

    def test_order_pages_are_newest_first_complete_and_non_overlapping(self, uow_factory: UnitOfWorkFactory) -> None:
        orders = [new_order(f"ord-{n:02d}") for n in range(1, 12)]
        stored(uow_factory, *orders[5:])
        stored(uow_factory, *orders[:5])

        seen = every_page(uow_factory, lambda uow, after: uow.orders.page(OrderFilter(), after=after, limit=4), limit=4)

        assert seen == sorted(orders, key=lambda o: o.id, reverse=True)

    def test_order_pages_filter_by_channel_external_id_and_status(self, uow_factory: UnitOfWorkFactory) -> None:
        held = new_order("ord-1", hold="fraud")
        allocated = new_order("ord-2")
        source(allocated, (1, "WH", 1))
        pos = new_order("ord-3", channel="pos")
        stored(uow_factory, held, allocated, pos)

        def ids(filters: OrderFilter) -> list[str]:
            page = read(uow_factory, lambda uow: uow.orders.page(filters, after=None, limit=10))
            return [o.id for o in page.rows]

        assert ids(OrderFilter(channel="web")) == ["ord-2", "ord-1"]
        assert ids(OrderFilter(channel="web", external_id="ext-ord-1")) == ["ord-1"]
        assert ids(OrderFilter(status="on_hold")) == ["ord-1"]
        assert ids(OrderFilter(status="allocated")) == ["ord-2"]
        assert ids(OrderFilter(status="pending", channel="pos")) == ["ord-3"]

    def test_the_status_filter_follows_the_last_save(self, uow_factory: UnitOfWorkFactory) -> None:
        stored(uow_factory, new_order("ord-1"))

        changed(uow_factory, "ord-1", lambda o: o.hold("fraud", minutes(1)))

        page = read(uow_factory, lambda uow: uow.orders.page(OrderFilter(status="on_hold"), after=None, limit=10))
        assert [o.id for o in page.rows] == ["ord-1"]

    def test_fulfilment_order_pages_are_newest_first_and_filtered(self, uow_factory: UnitOfWorkFactory) -> None:
        first = new_order("ord-1", ("TEE", 3))
        source(first, (1, "WH", 1), (1, "CHI", 1), (1, "LA", 1))
        second = new_order("ord-2", ("TEE", 2))
        source(second, (1, "WH", 1), (1, "CHI", 1))
        stored(uow_factory, first, second)
        changed(uow_factory, "ord-2", lambda o: o.accept_fulfillment("ord-2-FO1", minutes(1)))

        def fos(filters: FulfillmentFilter, limit: int = 10) -> list[FulfillmentOrder]:
            return every_page(
                uow_factory,
                lambda uow, after: uow.orders.list_fulfillment_orders(filters, after=after, limit=limit),
                limit=limit,
            )

        every_fo = fos(FulfillmentFilter(), limit=2)
        assert [fo.id for fo in every_fo] == ["ord-2-FO2", "ord-2-FO1", "ord-1-FO3", "ord-1-FO2", "ord-1-FO1"]
        assert every_fo[-1] == first.fulfillment_order("ord-1-FO1")
        assert [fo.id for fo in fos(FulfillmentFilter(order_id="ord-1"))] == ["ord-1-FO3", "ord-1-FO2", "ord-1-FO1"]
        assert [fo.id for fo in fos(FulfillmentFilter(location="WH"))] == ["ord-2-FO1", "ord-1-FO1"]
        assert [fo.id for fo in fos(FulfillmentFilter(status="accepted"))] == ["ord-2-FO1"]

    def test_orders_waiting_for_a_sku_are_listed_oldest_first_without_held_ones(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        newest = new_order("ord-1", ("TEE", 1), placed_at=minutes(30))
        oldest = new_order("ord-2", ("TEE", 2), placed_at=minutes(10))
        middle = new_order("ord-3", ("MUG", 1), ("TEE", 1), placed_at=minutes(20))
        held = new_order("ord-4", ("TEE", 1), placed_at=T0, hold="fraud")
        filled = new_order("ord-5", ("TEE", 1), placed_at=T0)
        for order in (newest, oldest, middle, held):
            source(order)  # nothing allocated: every unit is backordered
        source(filled, (1, "WH", 1))
        stored(uow_factory, newest, oldest, middle, held, filled)

        waiting = read(uow_factory, lambda uow: uow.orders.waiting_for("TEE", limit=10))
        first_two = read(uow_factory, lambda uow: uow.orders.waiting_for("TEE", limit=2))

        assert waiting == ["ord-2", "ord-3", "ord-1"]
        assert first_two == ["ord-2", "ord-3"]

    def test_backordered_skus_are_distinct_sorted_and_limited(self, uow_factory: UnitOfWorkFactory) -> None:
        one = new_order("ord-1", ("TEE", 1), ("MUG", 1))
        two = new_order("ord-2", ("TEE", 1), ("CAP", 1), ("SOCK", 1))
        source(one)
        source(two, (2, "WH", 1))  # CAP allocated, the rest backordered
        stored(uow_factory, one, two)

        def skus(limit: int, among: list[str] | None = None) -> list[str]:
            return read(uow_factory, lambda uow: uow.orders.backordered_skus(limit=limit, among=among))

        assert skus(10) == ["MUG", "SOCK", "TEE"]
        assert skus(2) == ["MUG", "SOCK"]
        assert skus(10, among=["TEE", "CAP", "HAT"]) == ["TEE"]

    def test_orders_with_an_exception_for_a_sku_are_listed_by_id(self, uow_factory: UnitOfWorkFactory) -> None:
        orders = [new_order(f"ord-{n}", ("TEE", 1), ("NEW", 1)) for n in (3, 1, 2)]
        for order in orders[:2]:
            order.lines[1].exception = "unknown SKU 'NEW'"
        stored(uow_factory, *orders)

        assert read(uow_factory, lambda uow: uow.orders.with_exception_for("NEW")) == ["ord-1", "ord-3"]
        assert read(uow_factory, lambda uow: uow.orders.with_exception_for("TEE")) == []


class TestOrdersOnFake(FakeBackend, OrdersContract):
    pass


class TestOrdersOnSql(SqlBackend, OrdersContract):
    pass
