"""Small builders for contract tests: catalogue rows, counted stock and domain orders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from ordermesh.domain.catalog import Address, Capability, Item, Location, LocationType
from ordermesh.domain.fulfillment import Shipment
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.orders import Allocation, Customer, Delivery, Order, OrderLine, PaymentStatus
from ordermesh.services.ports import Page, UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NYC = GeoPoint(40.7128, -74.0060)
CHICAGO = GeoPoint(41.8781, -87.6298)


def minutes(n: int) -> datetime:
    """A time n minutes after T0 (negative: before)."""
    return T0 + timedelta(minutes=n)


def committed(factory: UnitOfWorkFactory, work: Callable[[UnitOfWork], T]) -> T:
    """Run work in a unit of work and commit it."""
    with factory() as uow:
        result = work(uow)
        uow.commit()
        return result


def read(factory: UnitOfWorkFactory, work: Callable[[UnitOfWork], T]) -> T:
    """Run work in a fresh read-only unit of work: it sees only what was committed."""
    with factory(read_only=True) as uow:
        return work(uow)


def every_page(factory: UnitOfWorkFactory, fetch: Callable[[UnitOfWork, str | None], Page], *, limit: int) -> list[Any]:
    """Follow next_cursor from the first page to the last, each page read in its own unit of work."""
    rows: list[Any] = []
    cursor: str | None = None
    for _ in range(1000):
        page = read(factory, partial(_fetch_after, fetch, cursor))
        assert len(page.rows) <= limit, "a page holds at most `limit` rows"
        rows += page.rows
        if page.next_cursor is None:
            return rows
        assert page.rows, "a page that promises more is not empty"
        cursor = page.next_cursor
    raise AssertionError("the pages never end")


def _fetch_after(fetch: Callable[[UnitOfWork, str | None], Page], after: str | None, uow: UnitOfWork) -> Page:
    return fetch(uow, after)


# -- catalogue -----------------------------------------------------------------------------------


def item(sku: str, **attributes: object) -> Item:
    return Item(sku, f"Item {sku}", 500, dict(attributes))


def location(
    code: str, at: GeoPoint | None = NYC, *, capabilities: tuple[Capability, ...] = (Capability.SHIP,),
    active: bool = True,
) -> Location:
    address = Address(line1="1 Main St", city="Somewhere", postal_code="10001", country="US",
                      lat=at.lat if at else None, lon=at.lon if at else None)
    return Location(code, f"Location {code}", LocationType.WAREHOUSE, address, frozenset(capabilities), active)


def network(factory: UnitOfWorkFactory, *locations: Location, skus: tuple[str, ...] = ("TEE", "MUG")) -> None:
    """Commit these locations and items (stock rows need both)."""

    def add(uow: UnitOfWork) -> None:
        for loc in locations:
            uow.locations.add(loc, T0)
        for sku in skus:
            uow.items.add(item(sku), T0)

    committed(factory, add)


def counted(
    factory: UnitOfWorkFactory, location_code: str, sku: str, on_hand: int, *, safety_stock: int | None = None,
    reserved: int = 0,
) -> None:
    """Commit a count of on-hand (and safety stock) for a row, then reserve some of it."""

    def count(uow: UnitOfWork) -> None:
        uow.stock.set_level(location_code, sku, on_hand=on_hand, safety_stock=safety_stock, as_of=None, now=T0)
        if reserved:
            assert uow.stock.try_reserve(location_code, sku, reserved)

    committed(factory, count)


# -- orders --------------------------------------------------------------------------------------


def new_order(
    order_id: str, *lines: tuple[str, int], channel: str = "web", placed_at: datetime = T0,
    hold: str | None = None,
) -> Order:
    """An order for (sku, quantity) lines numbered <order_id>-L1, -L2, ..., shipped to New York."""
    return Order(
        id=order_id,
        channel=channel,
        external_id=f"ext-{order_id}",
        currency="USD",
        customer=Customer(email="ada@example.com", name="Ada Lovelace"),
        ship_to=Address(name="Ada Lovelace", line1="5 Park Ave", city="New York", postal_code="10016", country="US",
                        lat=NYC.lat, lon=NYC.lon),
        delivery=Delivery(service_level="standard"),
        lines=[
            OrderLine(f"{order_id}-L{n}", f"ext-{n}", sku, quantity, Decimal("10.00"))
            for n, (sku, quantity) in enumerate(lines or (("TEE", 1),), start=1)
        ],
        shipping_total=Decimal("5.00"),
        tax_total=Decimal("1.20"),
        discount_total=Decimal("0.00"),
        payment_status=PaymentStatus.PAID,
        placed_at=placed_at,
        created_at=placed_at,
        updated_at=placed_at,
        hold_reason=hold,
    )


def source(order: Order, *allocations: tuple[int, str, int], now: datetime = T0) -> None:
    """Apply (line number, location, quantity) allocations; new fulfilment orders are <order_id>-FO1, ..."""
    order.apply_sourcing(
        [Allocation(f"{order.id}-L{n}", loc, quantity) for n, loc, quantity in allocations],
        new_fo_id=lambda: f"{order.id}-FO{len(order.fulfillment_orders) + 1}",
        now=now,
    )


def shipment(fo_id: str, number: int = 1, *, at: datetime = T0) -> Shipment:
    return Shipment(f"{fo_id}-S{number}", fo_id, "ups", f"1Z{number:04d}", {}, at)
