"""/v1/inventory and /v1/availability."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ordermesh.entrypoints.api.schemas.common import PageOut
from ordermesh.entrypoints.api.schemas.inventory import (
    AdjustmentsIn,
    LocationAvailability,
    MovementOut,
    SkuAvailability,
    SnapshotIn,
    SnapshotOut,
    StockIn,
    StockOut,
    StockSetOut,
)
from ordermesh.entrypoints.api.security import Ctx, InventoryManager, Reader
from ordermesh.services import inventory, queries
from ordermesh.services.commands import SetStock

router = APIRouter(prefix="/v1", tags=["inventory"])
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/inventory")
def list_stock(
    ctx: Ctx,
    _: Reader,
    location: str | None = None,
    sku: str | None = None,
    after: str | None = None,
    limit: Limit = 200,
) -> PageOut[StockOut]:
    """Stock levels, filtered by location and/or SKU."""
    page = ctx.read(lambda uow: uow.stock.levels(location=location, sku=sku, after=after, limit=limit))
    return PageOut[StockOut](data=[StockOut.of(level) for level in page.rows], next_cursor=page.next_cursor)


@router.post("/inventory/snapshots")
def apply_snapshot(body: SnapshotIn, ctx: Ctx, actor: InventoryManager) -> SnapshotOut:
    """Set many absolute counts at once, all or nothing; counts older than a row's last one are skipped."""
    applied, skipped = inventory.snapshot(ctx, counts=body.commands(), actor=actor)
    return SnapshotOut(applied=applied, skipped_stale=skipped)


@router.post("/inventory/adjustments")
def adjust(body: AdjustmentsIn, ctx: Ctx, actor: InventoryManager) -> list[StockOut]:
    """Apply signed deltas (receipts, damages, found units), all or nothing."""
    levels = inventory.adjust_stock(
        ctx, adjustments=[a.command() for a in body.adjustments], reference=body.reference, actor=actor
    )
    return [StockOut.of(level) for level in levels]


@router.get("/inventory/movements")
def movements(
    ctx: Ctx,
    _: Reader,
    location: str | None = None,
    sku: str | None = None,
    after: str | None = None,
    limit: Limit = 200,
) -> PageOut[MovementOut]:
    """The append-only ledger, oldest first, filtered by location and/or SKU."""
    page = ctx.read(lambda uow: uow.stock.movements(location=location, sku=sku, after=after, limit=limit))
    return PageOut[MovementOut](data=[MovementOut.of(m) for m in page.rows], next_cursor=page.next_cursor)


@router.put("/inventory/{location}/{sku}")
def set_stock(location: str, sku: str, body: StockIn, ctx: Ctx, actor: InventoryManager) -> StockSetOut:
    command = SetStock(location, sku, body.on_hand, body.safety_stock, body.as_of)
    level, applied = inventory.set_stock(ctx, command=command, actor=actor)
    return StockSetOut(**StockOut.of(level).model_dump(), applied=applied)


@router.get("/inventory/{location}/{sku}")
def get_stock(location: str, sku: str, ctx: Ctx, _: Reader) -> StockOut:
    return StockOut.of(queries.get_stock(ctx, location, sku))


@router.get("/inventory/{location}/{sku}/movements")
def stock_movements(
    location: str, sku: str, ctx: Ctx, _: Reader, after: str | None = None, limit: Limit = 200
) -> PageOut[MovementOut]:
    page = ctx.read(lambda uow: uow.stock.movements(location=location, sku=sku, after=after, limit=limit))
    return PageOut[MovementOut](data=[MovementOut.of(m) for m in page.rows], next_cursor=page.next_cursor)


@router.get("/availability")
def availability(
    ctx: Ctx,
    _: Reader,
    sku: Annotated[list[str], Query(min_length=1, max_length=200)],
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
    postal_code: str | None = None,
) -> list[SkuAvailability]:
    """Network available-to-promise per SKU over shipping locations, with the per-location breakdown."""
    found = queries.availability(ctx, sku, country=country, postal_code=postal_code)
    result = []
    for name, entries in found.items():
        rows = [
            LocationAvailability(
                location=loc.code,
                type=loc.type.value,
                available=level.available,
                on_hand=level.on_hand,
                reserved=level.reserved,
                safety_stock=level.safety_stock,
                distance_km=round(distance, 1) if distance is not None else None,
            )
            for loc, level, distance in entries
        ]
        result.append(SkuAvailability(sku=name, available=sum(r.available for r in rows), locations=rows))
    return result
