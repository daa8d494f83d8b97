"""The rate-card and shipment-tracking contracts, on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordermesh.domain.carriers import ShipmentTracking, TrackingEvent, TrackingStatus
from ordermesh.services.carrier_ports import RateCardVersion, ShipmentRef
from ordermesh.services.ports import DuplicateKey, UnitOfWork, UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import T0, committed, every_page, minutes, network, new_order, read, shipment, source
from tests.contract.builders import location as a_location

S = TrackingStatus


def version(number: int, carriers: int = 1) -> RateCardVersion:
    document = {"currency": "USD", "carriers": [{"code": f"c{n}", "services": []} for n in range(carriers)]}
    return RateCardVersion(number, document, minutes(number), "ops", note=f"v{number}")


class RateCardsContract:
    def test_the_latest_version_is_the_highest_and_each_reads_back_as_stored(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        assert read(uow_factory, lambda uow: uow.rate_cards.latest()) is None
        committed(uow_factory, lambda uow: uow.rate_cards.add(version(1)))
        committed(uow_factory, lambda uow: uow.rate_cards.add(version(2, carriers=3)))

        assert read(uow_factory, lambda uow: uow.rate_cards.latest()) == version(2, carriers=3)
        assert read(uow_factory, lambda uow: uow.rate_cards.get(1)) == version(1)
        assert read(uow_factory, lambda uow: uow.rate_cards.get(7)) is None

    def test_a_version_number_is_stored_once(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.rate_cards.add(version(1)))

        with uow_factory() as uow, pytest.raises(DuplicateKey):
            uow.rate_cards.add(version(1, carriers=2))
        assert read(uow_factory, lambda uow: uow.rate_cards.latest()) == version(1)

    def test_versions_page_newest_first(self, uow_factory: UnitOfWorkFactory) -> None:
        for number in range(1, 6):
            committed(uow_factory, lambda uow, n=number: uow.rate_cards.add(version(n)))  # type: ignore[misc]

        pages = every_page(uow_factory, lambda uow, after: uow.rate_cards.page(after=after, limit=2), limit=2)

        assert [record.version for record in pages] == [5, 4, 3, 2, 1]


class TestRateCardsOnFake(FakeBackend, RateCardsContract):
    pass


class TestRateCardsOnSql(SqlBackend, RateCardsContract):
    pass


def shipped(factory: UnitOfWorkFactory, order_id: str = "ord_1", *tracking_numbers: str) -> list[str]:
    """Commit an order shipped from NYC-1 in one shipment per tracking number; return the shipment ids."""

    def place(uow: UnitOfWork) -> None:
        order = new_order(order_id, ("TEE", len(tracking_numbers)))
        source(order, (1, "NYC-1", len(tracking_numbers)))
        uow.orders.add(order)

    def ship(uow: UnitOfWork) -> list[str]:
        order = uow.orders.get(order_id)
        assert order is not None
        fo = order.fulfillment_orders[0]
        ids = []
        for number, tracking_number in enumerate(tracking_numbers, start=1):
            parcel = replace(shipment(fo.id, number, at=minutes(number)), tracking_number=tracking_number)
            order.ship_fulfillment(fo.id, {order.lines[0].id: 1}, parcel)
            ids.append(parcel.id)
        uow.orders.save(order)
        return ids

    committed(factory, place)
    return committed(factory, ship)


def tracking_of(shipment_id: str, status: S = S.IN_TRANSIT, **fields: object) -> ShipmentTracking:
    fo_id = shipment_id.rsplit("-", 1)[0]
    base = ShipmentTracking(shipment_id, fo_id, fo_id.rsplit("-", 1)[0], "ups", "1Z", status, T0, status_at=T0)
    return replace(base, **fields)


def event(key: str, status: S | None = S.IN_TRANSIT, at: int = 0) -> TrackingEvent:
    return TrackingEvent(key, status, "I/DP", minutes(at), "Edison NJ US", "Departed from facility", None)


class ShipmentTrackingContract:
    @pytest.fixture(autouse=True)
    def _network(self, uow_factory: UnitOfWorkFactory) -> None:
        network(uow_factory, a_location("NYC-1"))

    def test_shipments_are_found_by_tracking_number_with_their_order(self, uow_factory: UnitOfWorkFactory) -> None:
        first, second = shipped(uow_factory, "ord_1", "1ZAAA", "1ZBBB")
        shipped(uow_factory, "ord_2", "1ZCCC")

        found = read(uow_factory, lambda uow: uow.tracking.shipments(["1ZBBB", "1ZCCC", "1ZNONE"]))

        assert [(ref.tracking_number, ref.order_id) for ref in found] == [("1ZBBB", "ord_1"), ("1ZCCC", "ord_2")]
        assert found[0] == ShipmentRef(second, "ord_1-FO1", "ord_1", "ups", "1ZBBB")
        assert read(uow_factory, lambda uow: uow.tracking.shipment(first)) == ShipmentRef(
            first, "ord_1-FO1", "ord_1", "ups", "1ZAAA"
        )
        assert read(uow_factory, lambda uow: uow.tracking.shipment("shp_none")) is None

    def test_tracking_is_added_once_and_saved_as_changed(self, uow_factory: UnitOfWorkFactory) -> None:
        (shipment_id,) = shipped(uow_factory, "ord_1", "1ZAAA")
        committed(uow_factory, lambda uow: uow.tracking.add(tracking_of(shipment_id)))
        delivered = tracking_of(
            shipment_id,
            S.EXCEPTION,
            status_at=minutes(30),
            reached=S.OUT_FOR_DELIVERY,
            last_event_at=minutes(40),
            location="Chicago IL US",
            description="Delivery attempted",
            carrier_status="X/48",
            exception_reason="carrier exception: 48",
            updated_at=minutes(41),
        )
        committed(uow_factory, lambda uow: uow.tracking.save(delivered))

        assert read(uow_factory, lambda uow: uow.tracking.get(shipment_id)) == delivered
        assert read(uow_factory, lambda uow: uow.tracking.get("shp_none")) is None
        with uow_factory() as uow, pytest.raises(DuplicateKey):
            uow.tracking.add(tracking_of(shipment_id))

    def test_an_event_key_is_recorded_once_per_shipment(self, uow_factory: UnitOfWorkFactory) -> None:
        first, second = shipped(uow_factory, "ord_1", "1ZAAA", "1ZBBB")
        committed(uow_factory, lambda uow: uow.tracking.record(first, event("k1"), changed=True, received_at=T0))
        committed(uow_factory, lambda uow: uow.tracking.record(second, event("k1"), changed=False, received_at=T0))

        assert read(uow_factory, lambda uow: (uow.tracking.seen(first, "k1"), uow.tracking.seen(first, "k2"))) == (
            True,
            False,
        )
        with uow_factory() as uow, pytest.raises(DuplicateKey):
            uow.tracking.record(first, event("k1", S.DELIVERED), changed=True, received_at=T0)

    def test_the_history_is_in_event_time_order_whatever_the_arrival_order(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        (shipment_id,) = shipped(uow_factory, "ord_1", "1ZAAA")
        for key, status, at in (("late", S.DELIVERED, 30), ("early", S.IN_TRANSIT, 10), ("none", None, 20)):
            committed(
                uow_factory,
                lambda uow, k=key, s=status, a=at: uow.tracking.record(  # type: ignore[misc]
                    shipment_id, event(k, s, a), changed=s is not None, received_at=minutes(50)
                ),
            )

        history = read(uow_factory, lambda uow: uow.tracking.history(shipment_id))

        assert [(r.event.key, r.event.status, r.changed) for r in history] == [
            ("early", S.IN_TRANSIT, True),
            ("none", None, False),
            ("late", S.DELIVERED, True),
        ]
        assert history[0].event == event("early", S.IN_TRANSIT, 10)
        assert history[0].received_at == minutes(50)

    def test_trackings_are_listed_per_fulfillment_order_and_paged_by_status(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        shipments = shipped(uow_factory, "ord_1", "1ZAAA", "1ZBBB", "1ZCCC")
        (other,) = shipped(uow_factory, "ord_2", "1ZDDD")
        statuses = [S.EXCEPTION, S.DELIVERED, S.EXCEPTION]
        for shipment_id, status in zip(shipments, statuses, strict=True):
            committed(uow_factory, lambda uow, i=shipment_id, s=status: uow.tracking.add(tracking_of(i, s)))  # type: ignore[misc]
        committed(uow_factory, lambda uow: uow.tracking.add(tracking_of(other, S.EXCEPTION)))

        of_fo = read(uow_factory, lambda uow: uow.tracking.for_fulfillment_order("ord_1-FO1"))
        exceptions = every_page(
            uow_factory, lambda uow, after: uow.tracking.page(status="exception", after=after, limit=1), limit=1
        )

        assert [t.shipment_id for t in of_fo] == shipments
        assert [t.shipment_id for t in exceptions] == [other, shipments[2], shipments[0]]


class TestShipmentTrackingOnFake(FakeBackend, ShipmentTrackingContract):
    pass


class TestShipmentTrackingOnSql(SqlBackend, ShipmentTrackingContract):
    pass
