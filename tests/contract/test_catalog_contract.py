"""The ItemRepository and LocationRepository contracts: unique keys, round trips, pages by key."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordermesh.domain.catalog import Capability
from ordermesh.domain.errors import InvalidInput
from ordermesh.services.ports import DuplicateKey, UnitOfWork, UnitOfWorkFactory
from tests.contract.backends import FakeBackend, SqlBackend
from tests.contract.builders import CHICAGO, T0, committed, every_page, item, location, read


def add_items(factory: UnitOfWorkFactory, *skus: str) -> None:
    def work(uow: UnitOfWork) -> None:
        for sku in skus:
            uow.items.add(item(sku), T0)

    committed(factory, work)


class CatalogContract:
    # -- items -----------------------------------------------------------------------------------

    def test_an_item_reads_back_equal_with_its_attributes(self, uow_factory: UnitOfWorkFactory) -> None:
        tee = item("TEE", color="blue", sizes=["S", "M"], hazmat=False, dims={"w": 10})
        committed(uow_factory, lambda uow: uow.items.add(tee, T0))

        assert read(uow_factory, lambda uow: uow.items.get("TEE")) == tee
        assert read(uow_factory, lambda uow: uow.items.get("MUG")) is None

    def test_a_second_item_with_the_same_sku_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        add_items(uow_factory, "TEE")

        with pytest.raises(DuplicateKey):
            committed(uow_factory, lambda uow: uow.items.add(item("TEE", color="red"), T0))

        assert read(uow_factory, lambda uow: uow.items.get("TEE")) == item("TEE")

    def test_known_tells_which_skus_exist(self, uow_factory: UnitOfWorkFactory) -> None:
        add_items(uow_factory, "TEE", "MUG")

        assert read(uow_factory, lambda uow: uow.items.known(["MUG", "HAT", "TEE", "MUG"])) == {"TEE", "MUG"}
        assert read(uow_factory, lambda uow: uow.items.known([])) == set()

    def test_item_pages_are_sorted_by_sku_complete_and_non_overlapping(self, uow_factory: UnitOfWorkFactory) -> None:
        skus = ["TEE", "MUG", "CAP", "SOCK", "HAT", "A-1", "a-1", "Z", "BAG"]
        add_items(uow_factory, *skus)

        seen = every_page(uow_factory, lambda uow, after: uow.items.page(after=after, limit=2), limit=2)

        assert [i.sku for i in seen] == sorted(skus)

    def test_a_full_last_page_has_no_next_cursor(self, uow_factory: UnitOfWorkFactory) -> None:
        add_items(uow_factory, "A", "B", "C", "D")

        first = read(uow_factory, lambda uow: uow.items.page(after=None, limit=2))
        last = read(uow_factory, lambda uow: uow.items.page(after=first.next_cursor, limit=2))

        assert [i.sku for i in first.rows] == ["A", "B"] and first.next_cursor is not None
        assert [i.sku for i in last.rows] == ["C", "D"] and last.next_cursor is None

    def test_an_item_cursor_that_is_not_ours_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        with pytest.raises(InvalidInput):
            read(uow_factory, lambda uow: uow.items.page(after="%%%", limit=2))

    # -- locations -------------------------------------------------------------------------------

    def test_a_location_reads_back_equal(self, uow_factory: UnitOfWorkFactory) -> None:
        store = location("STORE", CHICAGO, capabilities=(Capability.PICKUP, Capability.RETURNS), active=False)
        committed(uow_factory, lambda uow: uow.locations.add(store, T0))

        back = read(uow_factory, lambda uow: uow.locations.get("STORE"))

        assert back == store
        assert back is not None and back.address.point == CHICAGO
        assert read(uow_factory, lambda uow: uow.locations.get("NOPE")) is None

    def test_a_location_does_not_keep_an_addressee_name(self, uow_factory: UnitOfWorkFactory) -> None:
        plain = location("WH")
        named = replace(plain, address=replace(plain.address, name="Receiving dock"))
        committed(uow_factory, lambda uow: uow.locations.add(named, T0))

        assert read(uow_factory, lambda uow: uow.locations.get("WH")) == plain

    def test_a_second_location_with_the_same_code_is_refused(self, uow_factory: UnitOfWorkFactory) -> None:
        committed(uow_factory, lambda uow: uow.locations.add(location("WH"), T0))

        with pytest.raises(DuplicateKey):
            committed(uow_factory, lambda uow: uow.locations.add(location("WH", CHICAGO), T0))

        assert read(uow_factory, lambda uow: uow.locations.get("WH")) == location("WH")

    def test_location_pages_are_sorted_by_code_complete_and_non_overlapping(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        codes = ["WH", "CHI", "LA", "NWK", "STORE-1", "STORE-10", "STORE-2"]

        def add(uow: UnitOfWork) -> None:
            for code in codes:
                uow.locations.add(location(code), T0)

        committed(uow_factory, add)

        seen = every_page(uow_factory, lambda uow, after: uow.locations.page(after=after, limit=3), limit=3)

        assert [loc.code for loc in seen] == sorted(codes)


class TestCatalogOnFake(FakeBackend, CatalogContract):
    pass


class TestCatalogOnSql(SqlBackend, CatalogContract):
    pass
