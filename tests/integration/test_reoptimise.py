"""Re-optimisation moves unreleased work when it saves cost, and leaves released or accepted work alone."""

from __future__ import annotations

from datetime import timedelta

from ordermesh.bootstrap import Runtime
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.domain.fulfillment import ACTIVE
from ordermesh.domain.orders import Order
from ordermesh.services import queries
from ordermesh.services.catalog import create_item, create_location
from ordermesh.services.commands import CaptureOrder, CreateItem, CreateLocation, SetStock
from ordermesh.services.context import AppContext
from ordermesh.services.fulfillment import accept
from ordermesh.services.inventory import set_stock
from ordermesh.services.orders import capture_order
from ordermesh.services.reoptimise import reoptimise
from tests.builders import NEWARK, capture_command

CHICAGO = (41.8781, -87.6298)
HOUR = timedelta(hours=1)


def _network(ctx: AppContext) -> None:
    for sku in ("SHIRT", "HAT"):
        create_item(ctx, command=CreateItem(sku, sku.title(), 300), actor=SYSTEM)
    for code, (lat, lon) in (("NWK", NEWARK), ("CHI", CHICAGO)):
        address = Address(line1="1 Main St", country="US", lat=lat, lon=lon)
        command = CreateLocation(code, code, LocationType.WAREHOUSE, address, frozenset({Capability.SHIP}))
        create_location(ctx, command=command, actor=SYSTEM)
    set_stock(ctx, command=SetStock("NWK", "SHIRT", 10), actor=SYSTEM)
    set_stock(ctx, command=SetStock("CHI", "HAT", 10), actor=SYSTEM)


def _order(external_id: str) -> CaptureOrder:
    return capture_command(external_id, ("SHIRT", 1, "20.00"), ("HAT", 1, "15.00"))


def _active_locations(order: Order) -> list[str]:
    return sorted(fo.location for fo in order.fulfillment_orders if fo.status in ACTIVE)


def test_a_split_order_is_consolidated_once_stock_arrives_nearby(runtime: Runtime) -> None:
    ctx = runtime.context
    _network(ctx)
    split, _ = capture_order(ctx, command=_order("R-1"), actor=SYSTEM)
    accepted, _ = capture_order(ctx, command=_order("R-2"), actor=SYSTEM)
    assert _active_locations(split) == ["CHI", "NWK"]
    chicago_fo = next(fo for fo in accepted.fulfillment_orders if fo.location == "CHI")
    accept(ctx, fo_id=chicago_fo.id, actor=SYSTEM)
    set_stock(ctx, command=SetStock("NWK", "HAT", 5), actor=SYSTEM)

    assert reoptimise(ctx, release_delay=timedelta(0), min_saving=0.5, actor=SYSTEM).examined == 0
    report = reoptimise(ctx, release_delay=HOUR, min_saving=0.5, actor=SYSTEM)

    assert [(r.order_id, r.from_locations, r.to_locations) for r in report.moved] == [
        (split.id, ("CHI", "NWK"), ("NWK",))
    ]
    assert report.moved[0].saving > 0.5
    assert report.skipped == 1  # the order with accepted work is released
    moved = queries.get_order(ctx, split.id)
    assert _active_locations(moved) == ["NWK"]
    withdrawn = [fo for fo in moved.fulfillment_orders if fo.status not in ACTIVE]
    assert sorted((fo.location, fo.reason) for fo in withdrawn) == [("CHI", "re-optimised"), ("NWK", "re-optimised")]
    assert (queries.get_stock(ctx, "CHI", "HAT").reserved, queries.get_stock(ctx, "NWK", "HAT").reserved) == (1, 1)
    assert queries.get_stock(ctx, "NWK", "SHIRT").reserved == 2
    decisions = ctx.read(lambda uow: uow.decisions.for_order(split.id, limit=5))
    assert [d.trigger for d in decisions] == ["reoptimisation", "capture"]

    again = reoptimise(ctx, release_delay=HOUR, min_saving=0.5, actor=SYSTEM)
    assert again.moved == [] and again.kept == 1
