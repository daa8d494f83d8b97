"""Daily capacity under concurrency: a location never takes more orders than its limit, and frees them on cancel."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from ordermesh.bootstrap import Runtime
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, Location, LocationType, SourcingProfile
from ordermesh.domain.orders import Order
from ordermesh.services.catalog import create_item
from ordermesh.services.commands import CaptureOrder, CreateItem, SetStock
from ordermesh.services.context import AppContext
from ordermesh.services.inventory import set_stock
from ordermesh.services.orders import cancel_order, capture_order
from ordermesh.services.ports import UnitOfWork
from tests.builders import NEWARK, capture_command

LIMIT = 5
ORDERS = 40
CHICAGO = (41.8781, -87.6298)


def _network(ctx: AppContext) -> None:
    create_item(ctx, command=CreateItem("TEE", "Tee", 500), actor=SYSTEM)

    def add(uow: UnitOfWork) -> None:
        now = ctx.clock.now()
        for code, (lat, lon), profile in (
            ("NWK", NEWARK, SourcingProfile(daily_order_capacity=LIMIT, daily_unit_capacity=100)),
            ("CHI", CHICAGO, SourcingProfile()),
        ):
            address = Address(line1="1 Main St", country="US", lat=lat, lon=lon)
            location = Location(
                code, code, LocationType.WAREHOUSE, address, frozenset({Capability.SHIP}), True, profile
            )
            uow.locations.add(location, now)

    ctx.transaction(add)
    ctx.sourcing_cache.drop_network()
    for code in ("NWK", "CHI"):
        set_stock(ctx, command=SetStock(code, "TEE", 500), actor=SYSTEM)


def _order(n: int) -> CaptureOrder:
    return capture_command(f"C-{n}", ("TEE", 1, "10.00"))


def _where(order: Order) -> str:
    (fo,) = order.fulfillment_orders
    return fo.location


def test_concurrent_orders_never_exceed_a_locations_daily_capacity(runtime: Runtime) -> None:
    ctx = runtime.context
    _network(ctx)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: capture_order(ctx, command=_order(n), actor=SYSTEM), range(ORDERS)))

    orders = [order for order, _ in results]
    assert Counter(_where(order) for order in orders) == {"NWK": LIMIT, "CHI": ORDERS - LIMIT}
    day = ctx.clock.now().date().isoformat()
    assert ctx.read(lambda uow: uow.capacity.used([("NWK", day)])) == {("NWK", day): (LIMIT, LIMIT)}
    full = next(order for order in orders if _where(order) == "CHI")
    decisions = ctx.read(lambda uow: uow.decisions.for_order(full.id, limit=5))
    assert {"location": "NWK", "rule": "capacity", "reason": "daily order capacity reached", "lines": None} in (
        decisions[0].explanation["eliminated"]
    )

    at_newark = next(order for order in orders if _where(order) == "NWK")
    cancel_order(ctx, order_id=at_newark.id, lines=None, reason="customer asked", actor=SYSTEM)

    assert ctx.read(lambda uow: uow.capacity.used([("NWK", day)])) == {("NWK", day): (LIMIT - 1, LIMIT - 1)}
    again, _ = capture_order(ctx, command=_order(ORDERS + 1), actor=SYSTEM)
    assert _where(again) == "NWK"
