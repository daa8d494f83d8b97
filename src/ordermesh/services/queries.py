"""Read-side use cases: look things up without changing them."""

from __future__ import annotations

from ordermesh.domain.catalog import Capability, Location
from ordermesh.domain.errors import NotFound
from ordermesh.domain.fulfillment import FulfillmentOrder
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.inventory import StockLevel
from ordermesh.domain.orders import Order
from ordermesh.services.context import AppContext
from ordermesh.services.ports import FulfillmentFilter, OrderFilter, Page, UnitOfWork


def get_order(ctx: AppContext, order_id: str) -> Order:
    order = ctx.read(lambda uow: uow.orders.get(order_id))
    if order is None:
        raise NotFound("order", order_id)
    return order


def list_orders(ctx: AppContext, filters: OrderFilter, *, after: str | None, limit: int) -> Page:
    return ctx.read(lambda uow: uow.orders.page(filters, after=after, limit=limit))


def get_fulfillment_order(ctx: AppContext, fo_id: str) -> FulfillmentOrder:
    def work(uow: UnitOfWork) -> FulfillmentOrder | None:
        order_id = uow.orders.id_for_fulfillment_order(fo_id)
        order = uow.orders.get(order_id) if order_id else None
        return order.fulfillment_order(fo_id) if order else None

    fo = ctx.read(work)
    if fo is None:
        raise NotFound("fulfillment order", fo_id)
    return fo


def list_fulfillment_orders(ctx: AppContext, filters: FulfillmentFilter, *, after: str | None, limit: int) -> Page:
    return ctx.read(lambda uow: uow.orders.list_fulfillment_orders(filters, after=after, limit=limit))


def get_stock(ctx: AppContext, location: str, sku: str) -> StockLevel:
    level = ctx.read(lambda uow: uow.stock.get(location, sku))
    if level is None:
        raise NotFound("stock level", f"{location}/{sku}")
    return level


def availability(
    ctx: AppContext, skus: list[str], *, country: str | None, postal_code: str | None
) -> dict[str, list[tuple[Location, StockLevel, float | None]]]:
    """Per SKU, the shipping locations with their stock, nearest first when a destination is given.

    With a country, only locations in that country count.
    """
    destination: GeoPoint | None = ctx.geocoder.locate(country, postal_code) if postal_code else None
    rows = ctx.read(lambda uow: uow.stock.by_skus(skus))
    result: dict[str, list[tuple[Location, StockLevel, float | None]]] = {sku: [] for sku in skus}
    for level, location in rows:
        if not location.can(Capability.SHIP):
            continue
        if country and location.address.country and location.address.country != country:
            continue
        point = location.address.point
        distance = destination.distance_km(point) if destination and point else None
        result[level.sku].append((location, level, distance))
    for entries in result.values():
        entries.sort(key=lambda e: (e[2] if e[2] is not None else float("inf"), e[0].code))
    return result
