"""/v1/items and /v1/locations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ordermesh.domain.errors import NotFound
from ordermesh.entrypoints.api.schemas.catalog import ItemIn, ItemOut, LocationIn, LocationOut, SourcingProfileIn
from ordermesh.entrypoints.api.schemas.common import PageOut
from ordermesh.entrypoints.api.security import CatalogManager, Ctx, Reader
from ordermesh.services import catalog

router = APIRouter(prefix="/v1", tags=["catalog"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.post("/items", status_code=201)
def create_item(body: ItemIn, ctx: Ctx, actor: CatalogManager, response: Response) -> ItemOut:
    item = catalog.create_item(ctx, command=body.command(), actor=actor)
    response.headers["Location"] = f"/v1/items/{item.sku}"
    return ItemOut.of(item)


@router.get("/items")
def list_items(ctx: Ctx, _: Reader, after: str | None = None, limit: Limit = 100) -> PageOut[ItemOut]:
    page = ctx.read(lambda uow: uow.items.page(after=after, limit=limit))
    return PageOut[ItemOut](data=[ItemOut.of(i) for i in page.rows], next_cursor=page.next_cursor)


@router.get("/items/{sku}")
def get_item(sku: str, ctx: Ctx, _: Reader) -> ItemOut:
    item = ctx.read(lambda uow: uow.items.get(sku))
    if item is None:
        raise NotFound("item", sku)
    return ItemOut.of(item)


@router.post("/locations", status_code=201)
def create_location(body: LocationIn, ctx: Ctx, actor: CatalogManager, response: Response) -> LocationOut:
    location = catalog.create_location(ctx, command=body.command(), actor=actor)
    response.headers["Location"] = f"/v1/locations/{location.code}"
    return LocationOut.of(location)


@router.get("/locations")
def list_locations(ctx: Ctx, _: Reader, after: str | None = None, limit: Limit = 100) -> PageOut[LocationOut]:
    page = ctx.read(lambda uow: uow.locations.page(after=after, limit=limit))
    return PageOut[LocationOut](data=[LocationOut.of(loc) for loc in page.rows], next_cursor=page.next_cursor)


@router.get("/locations/{code}")
def get_location(code: str, ctx: Ctx, _: Reader) -> LocationOut:
    location = ctx.read(lambda uow: uow.locations.get(code))
    if location is None:
        raise NotFound("location", code)
    return LocationOut.of(location)


@router.patch("/locations/{code}/sourcing")
def change_sourcing_profile(code: str, body: SourcingProfileIn, ctx: Ctx, actor: CatalogManager) -> LocationOut:
    """Change how sourcing sees a location: only the fields sent change (null capacity: unlimited)."""
    return LocationOut.of(catalog.change_sourcing_profile(ctx, code=code, changes=body.changes(), actor=actor))
