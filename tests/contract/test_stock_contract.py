"""The StockRepository contract: conditional reservations, watermarked counts, candidates and the ledger."""

from __future__ import annotations

from datetime import datetime

import pytest

from ordermesh.domain.catalog import Capability
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.inventory import Movement, MovementKind, StockChange, StockLevel
from ordermesh.domain.sourcing import Candidate
from ordermesh.services.ports import UnitOfWork, UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import (
    CHICAGO,
    NYC,
    T0,
    committed,
    counted,
    every_page,
    location,
    minutes,
    network,
    read,
)

CURSOR_BUG = "SqlStock.movements() calls int() on the cursor key: a foreign cursor raises ValueError, not InvalidInput"


def level(factory: UnitOfWorkFactory, location_code: str = "WH", sku: str = "TEE") -> StockLevel | None:
    return read(factory, lambda uow: uow.stock.get(location_code, sku))


def reserve(factory: UnitOfWorkFactory, quantity: int, location_code: str = "WH", sku: str = "TEE") -> bool:
    return committed(factory, lambda uow: uow.stock.try_reserve(location_code, sku, quantity))


def count(
    factory: UnitOfWorkFactory, on_hand: int, *, as_of: datetime | None = None, now: datetime = T0,
    safety_stock: int | None = None,
) -> StockChange | None:
    """Commit a count of TEE at WH; return what set_level answered."""

    def work(uow: UnitOfWork) -> StockChange | None:
        return uow.stock.set_level("WH", "TEE", on_hand=on_hand, safety_stock=safety_stock, as_of=as_of, now=now)

    return committed(factory, work)


class StockContract:
    @pytest.fixture(autouse=True)
    def warehouse(self, uow_factory: UnitOfWorkFactory) -> None:
        network(uow_factory, location("WH"))

    # -- counts ----------------------------------------------------------------------------------

    def test_a_first_count_creates_the_row_with_nothing_reserved(self, uow_factory: UnitOfWorkFactory) -> None:
        change = count(uow_factory, 10, as_of=minutes(-5), safety_stock=2)

        expected = StockLevel("WH", "TEE", 10, 0, 2, minutes(-5))
        assert change == StockChange(None, expected)
        assert level(uow_factory) == expected

    def test_a_count_without_as_of_is_stamped_with_now(self, uow_factory: UnitOfWorkFactory) -> None:
        count(uow_factory, 4, now=minutes(1))

        assert level(uow_factory) == StockLevel("WH", "TEE", 4, 0, 0, minutes(1))

    def test_a_count_keeps_reservations_and_safety_stock_it_does_not_mention(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        counted(uow_factory, "WH", "TEE", 10, safety_stock=2, reserved=3)

        change = count(uow_factory, 7, now=minutes(1))

        before = StockLevel("WH", "TEE", 10, 3, 2, T0)
        after = StockLevel("WH", "TEE", 7, 3, 2, minutes(1))
        assert change == StockChange(before, after)
        assert level(uow_factory) == after

    def test_a_stale_count_is_refused_and_changes_nothing(self, uow_factory: UnitOfWorkFactory) -> None:
        count(uow_factory, 10, as_of=minutes(10))

        change = count(uow_factory, 3, as_of=minutes(5), now=minutes(20))

        assert change is None
        assert level(uow_factory) == StockLevel("WH", "TEE", 10, 0, 0, minutes(10))

    def test_a_newer_count_is_applied_and_moves_the_watermark(self, uow_factory: UnitOfWorkFactory) -> None:
        count(uow_factory, 10, as_of=minutes(10))

        change = count(uow_factory, 3, as_of=minutes(15), now=minutes(20))

        assert change is not None
        assert change.after == StockLevel("WH", "TEE", 3, 0, 0, minutes(15))
        assert level(uow_factory) == change.after

    def test_a_count_as_of_the_watermark_itself_is_applied_again(self, uow_factory: UnitOfWorkFactory) -> None:
        count(uow_factory, 10, as_of=minutes(10))

        change = count(uow_factory, 8, as_of=minutes(10), now=minutes(20))

        assert change is not None
        assert level(uow_factory) == StockLevel("WH", "TEE", 8, 0, 0, minutes(10))

    def test_a_count_without_as_of_never_moves_the_watermark_back(self, uow_factory: UnitOfWorkFactory) -> None:
        count(uow_factory, 10, as_of=minutes(60))

        count(uow_factory, 9, now=minutes(1))

        assert level(uow_factory) == StockLevel("WH", "TEE", 9, 0, 0, minutes(60))
        assert count(uow_factory, 1, as_of=minutes(30), now=minutes(2)) is None

    # -- adjustments -----------------------------------------------------------------------------

    def test_an_adjustment_adds_a_signed_delta_to_on_hand(self, uow_factory: UnitOfWorkFactory) -> None:
        counted(uow_factory, "WH", "TEE", 10, safety_stock=1, reserved=2)

        change = committed(uow_factory, lambda uow: uow.stock.adjust("WH", "TEE", -4, minutes(1)))

        after = StockLevel("WH", "TEE", 6, 2, 1, minutes(1))
        assert change == StockChange(StockLevel("WH", "TEE", 10, 2, 1, T0), after)
        assert level(uow_factory) == after

    def test_an_adjustment_below_zero_is_refused_and_changes_nothing(self, uow_factory: UnitOfWorkFactory) -> None:
        counted(uow_factory, "WH", "TEE", 3)

        change = committed(uow_factory, lambda uow: uow.stock.adjust("WH", "TEE", -4, minutes(1)))

        assert change is None
        assert level(uow_factory) == StockLevel("WH", "TEE", 3, 0, 0, T0)

    def test_a_receipt_for_a_row_never_counted_creates_it(self, uow_factory: UnitOfWorkFactory) -> None:
        change = committed(uow_factory, lambda uow: uow.stock.adjust("WH", "TEE", 5, minutes(1)))

        assert change == StockChange(None, StockLevel("WH", "TEE", 5, 0, 0, minutes(1)))
        assert level(uow_factory) == StockLevel("WH", "TEE", 5, 0, 0, minutes(1))

    def test_a_removal_from_a_row_never_counted_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        change = committed(uow_factory, lambda uow: uow.stock.adjust("WH", "TEE", -1, minutes(1)))

        assert change is None
        assert level(uow_factory) is None

    def test_an_adjustment_never_moves_the_watermark_back(self, uow_factory: UnitOfWorkFactory) -> None:
        count(uow_factory, 10, as_of=minutes(60))
        committed(uow_factory, lambda uow: uow.stock.adjust("WH", "TEE", 1, minutes(1)))

        older = count(uow_factory, 3, as_of=minutes(30), now=minutes(2))

        assert older is None
        assert level(uow_factory) == StockLevel("WH", "TEE", 11, 0, 0, minutes(60))

    def test_shipping_never_moves_the_watermark_back(self, uow_factory: UnitOfWorkFactory) -> None:
        count(uow_factory, 10, as_of=minutes(60))
        reserve(uow_factory, 2)
        committed(uow_factory, lambda uow: uow.stock.consume("WH", "TEE", 2, minutes(1)))

        older = count(uow_factory, 3, as_of=minutes(30), now=minutes(2))

        assert older is None
        assert level(uow_factory) == StockLevel("WH", "TEE", 8, 0, 0, minutes(60))

    # -- reservations ----------------------------------------------------------------------------

    def test_a_reservation_within_available_stock_is_taken(self, uow_factory: UnitOfWorkFactory) -> None:
        counted(uow_factory, "WH", "TEE", 5)

        assert reserve(uow_factory, 5) is True
        assert level(uow_factory) == StockLevel("WH", "TEE", 5, 5, 0, T0)

    def test_a_reservation_beyond_available_is_refused_and_changes_nothing(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        counted(uow_factory, "WH", "TEE", 5, reserved=2)

        assert reserve(uow_factory, 4) is False
        assert level(uow_factory) == StockLevel("WH", "TEE", 5, 2, 0, T0)

    def test_safety_stock_is_never_reservable(self, uow_factory: UnitOfWorkFactory) -> None:
        counted(uow_factory, "WH", "TEE", 10, safety_stock=3)

        assert reserve(uow_factory, 8) is False
        assert reserve(uow_factory, 7) is True
        assert reserve(uow_factory, 1) is False
        assert level(uow_factory) == StockLevel("WH", "TEE", 10, 7, 3, T0)

    def test_reserving_several_rows_takes_all_of_them(self, uow_factory: UnitOfWorkFactory) -> None:
        network(uow_factory, location("DC"), skus=())
        counted(uow_factory, "WH", "TEE", 5)
        counted(uow_factory, "WH", "MUG", 2)
        counted(uow_factory, "DC", "TEE", 1)

        taken = committed(uow_factory, lambda uow: uow.stock.reserve_all([("WH", "TEE", 3), ("DC", "TEE", 1),
                                                                          ("WH", "MUG", 2)]))

        assert taken is True
        assert [level(uow_factory, loc, sku).reserved for loc, sku in (("WH", "TEE"), ("WH", "MUG"), ("DC", "TEE"))] \
            == [3, 2, 1]  # type: ignore[union-attr]

    def test_reserving_several_rows_takes_none_when_one_lacks_units(self, uow_factory: UnitOfWorkFactory) -> None:
        network(uow_factory, location("DC"), skus=())
        counted(uow_factory, "WH", "TEE", 5)
        counted(uow_factory, "WH", "MUG", 1, safety_stock=1)  # nothing available
        counted(uow_factory, "DC", "TEE", 4)

        taken = committed(uow_factory, lambda uow: uow.stock.reserve_all([("WH", "TEE", 3), ("DC", "TEE", 4),
                                                                          ("WH", "MUG", 1)]))

        assert taken is False
        assert [level(uow_factory, loc, sku).reserved for loc, sku in (("WH", "TEE"), ("WH", "MUG"), ("DC", "TEE"))] \
            == [0, 0, 0]  # type: ignore[union-attr]

    def test_a_reservation_on_a_row_never_counted_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        assert reserve(uow_factory, 1) is False
        assert level(uow_factory) is None

    def test_release_returns_reserved_units_to_available(self, uow_factory: UnitOfWorkFactory) -> None:
        counted(uow_factory, "WH", "TEE", 5, reserved=4)

        committed(uow_factory, lambda uow: uow.stock.release("WH", "TEE", 3))

        after = level(uow_factory)
        assert after == StockLevel("WH", "TEE", 5, 1, 0, T0)
        assert after is not None and after.available == 4

    def test_consume_lowers_on_hand_and_reserved_together(self, uow_factory: UnitOfWorkFactory) -> None:
        counted(uow_factory, "WH", "TEE", 5, safety_stock=1, reserved=3)

        committed(uow_factory, lambda uow: uow.stock.consume("WH", "TEE", 2, minutes(1)))

        assert level(uow_factory) == StockLevel("WH", "TEE", 3, 1, 1, minutes(1))

    # -- candidates ------------------------------------------------------------------------------

    def test_candidates_are_active_locations_able_to_serve_with_units_available_sorted_by_code(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        network(
            uow_factory,
            location("CHI", CHICAGO),
            location("AAA", None),
            location("STORE", capabilities=(Capability.PICKUP,)),
            location("CLOSED", active=False),
            location("TAKEN"),
            location("SAFE"),
            skus=(),
        )
        counted(uow_factory, "WH", "TEE", 3)
        counted(uow_factory, "WH", "MUG", 1)
        counted(uow_factory, "CHI", "TEE", 5)
        counted(uow_factory, "CHI", "MUG", 0)
        counted(uow_factory, "AAA", "MUG", 2)
        counted(uow_factory, "STORE", "TEE", 9)
        counted(uow_factory, "CLOSED", "TEE", 9)
        counted(uow_factory, "TAKEN", "TEE", 2, reserved=2)
        counted(uow_factory, "SAFE", "TEE", 2, safety_stock=2)

        found = read(uow_factory, lambda uow: uow.stock.candidates(["TEE", "MUG"], Capability.SHIP))

        assert found == [
            Candidate("AAA", None, {"MUG": 2}),
            Candidate("CHI", CHICAGO, {"TEE": 5}),
            Candidate("WH", NYC, {"TEE": 3, "MUG": 1}),
        ]

    def test_candidates_only_cover_the_skus_asked_for(self, uow_factory: UnitOfWorkFactory) -> None:
        counted(uow_factory, "WH", "TEE", 3)
        counted(uow_factory, "WH", "MUG", 1)

        found = read(uow_factory, lambda uow: uow.stock.candidates(["MUG"], Capability.SHIP))

        assert found == [Candidate("WH", NYC, {"MUG": 1})]

    def test_candidates_can_be_limited_to_one_location(self, uow_factory: UnitOfWorkFactory) -> None:
        network(uow_factory, location("STORE", capabilities=(Capability.PICKUP, Capability.SHIP)), skus=())
        counted(uow_factory, "WH", "TEE", 3)
        counted(uow_factory, "STORE", "TEE", 1)

        found = read(uow_factory, lambda uow: uow.stock.candidates(["TEE"], Capability.PICKUP, only="STORE"))
        none = read(uow_factory, lambda uow: uow.stock.candidates(["TEE"], Capability.PICKUP, only="WH"))

        assert found == [Candidate("STORE", NYC, {"TEE": 1})]
        assert none == []

    # -- ledger and lists ------------------------------------------------------------------------

    def test_movements_come_back_in_the_order_recorded_filtered_and_paged(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        network(uow_factory, location("CHI"), skus=())
        written = [
            Movement(loc, sku, MovementKind.ADJUSTMENT, n, 0, f"receipt {n}", f"PO-{n}", minutes(n), n)
            for n, (loc, sku) in enumerate([("WH", "TEE"), ("CHI", "TEE"), ("WH", "MUG"), ("WH", "TEE")] * 2)
        ]
        committed(uow_factory, lambda uow: uow.stock.record(written[:5]))
        committed(uow_factory, lambda uow: uow.stock.record(written[5:]))

        pages = every_page(
            uow_factory, lambda uow, after: uow.stock.movements(location="WH", sku=None, after=after, limit=2), limit=2
        )
        tee_at_wh = read(uow_factory, lambda uow: uow.stock.movements(location="WH", sku="TEE", after=None, limit=50))

        assert pages == [m for m in written if m.location == "WH"]
        assert tee_at_wh.rows == [m for m in written if (m.location, m.sku) == ("WH", "TEE")]
        assert tee_at_wh.next_cursor is None

    def test_a_long_reason_is_cut_to_what_the_ledger_keeps(self, uow_factory: UnitOfWorkFactory) -> None:
        movement = Movement("WH", "TEE", MovementKind.ADJUSTMENT, 1, 0, "x" * 400, None, T0, 1)

        committed(uow_factory, lambda uow: uow.stock.record([movement]))

        page = read(uow_factory, lambda uow: uow.stock.movements(location=None, sku=None, after=None, limit=5))
        assert [m.reason for m in page.rows] == ["x" * 300]

    def test_levels_pages_are_complete_non_overlapping_and_sorted_by_location_then_sku(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        network(uow_factory, location("AAA"), location("ZZZ"), skus=("CAP", "SOCK"))
        rows = [(loc, sku) for loc in ("ZZZ", "WH", "AAA") for sku in ("TEE", "SOCK", "MUG", "CAP")]
        for n, (loc, sku) in enumerate(rows):
            counted(uow_factory, loc, sku, n)

        seen = every_page(
            uow_factory, lambda uow, after: uow.stock.levels(location=None, sku=None, after=after, limit=5), limit=5
        )

        assert [(lv.location, lv.sku) for lv in seen] == sorted(rows)

    def test_levels_can_be_filtered_by_location_and_by_sku(self, uow_factory: UnitOfWorkFactory) -> None:
        network(uow_factory, location("CHI"), skus=())
        counted(uow_factory, "WH", "TEE", 1)
        counted(uow_factory, "WH", "MUG", 2)
        counted(uow_factory, "CHI", "TEE", 3)

        at_wh = read(uow_factory, lambda uow: uow.stock.levels(location="WH", sku=None, after=None, limit=10))
        tees = read(uow_factory, lambda uow: uow.stock.levels(location=None, sku="TEE", after=None, limit=10))

        assert [(lv.location, lv.sku, lv.on_hand) for lv in at_wh.rows] == [("WH", "MUG", 2), ("WH", "TEE", 1)]
        assert [(lv.location, lv.sku, lv.on_hand) for lv in tees.rows] == [("CHI", "TEE", 3), ("WH", "TEE", 1)]

    def test_by_skus_pairs_each_level_with_its_location_by_sku_then_location(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        network(uow_factory, location("CHI", CHICAGO), skus=("CAP",))
        counted(uow_factory, "WH", "TEE", 1)
        counted(uow_factory, "CHI", "TEE", 2)
        counted(uow_factory, "WH", "MUG", 3)
        counted(uow_factory, "WH", "CAP", 4)

        found = read(uow_factory, lambda uow: uow.stock.by_skus(["TEE", "MUG"]))

        assert [(lv.sku, lv.location, lv.on_hand, loc.code) for lv, loc in found] == [
            ("MUG", "WH", 3, "WH"),
            ("TEE", "CHI", 2, "CHI"),
            ("TEE", "WH", 1, "WH"),
        ]
        assert found[1][1] == location("CHI", CHICAGO)

    def test_a_cursor_that_is_not_base64_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        with pytest.raises(InvalidInput):
            read(uow_factory, lambda uow: uow.stock.levels(location=None, sku=None, after="not a cursor!", limit=5))
        with pytest.raises(InvalidInput):
            read(uow_factory, lambda uow: uow.stock.movements(location=None, sku=None, after="not a cursor!", limit=5))

    def test_a_movements_cursor_we_did_not_issue_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        with pytest.raises(InvalidInput):
            read(uow_factory, lambda uow: uow.stock.movements(location=None, sku=None, after="YWJj", limit=5))


class TestStockOnFake(FakeBackend, StockContract):
    pass


class TestStockOnSql(SqlBackend, StockContract):
    pass
