"""Items and locations."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from ordermesh.adapters.db.paging import page_by_text_key
from ordermesh.adapters.db.tables import items, locations
from ordermesh.domain.catalog import Address, Capability, Item, Location, LocationType, SourcingProfile
from ordermesh.services.ports import DuplicateKey, Page

_KNOWN = select(items.c.sku).where(items.c.sku.in_(bindparam("skus", expanding=True)))
_GET_MANY = select(items).where(items.c.sku.in_(bindparam("skus", expanding=True)))


class KnownSkus:
    """SKUs this process has seen committed in the item master. Items are never deleted, so a SKU
    once known stays known and its lookup can be skipped; unknown SKUs are always asked again."""

    def __init__(self) -> None:
        self._skus: set[str] = set()
        self._lock = threading.Lock()

    def __contains__(self, sku: object) -> bool:
        return sku in self._skus

    def add_all(self, skus: set[str]) -> None:
        with self._lock:
            self._skus |= skus


class SqlItems:
    def __init__(self, conn: Connection, known: KnownSkus | None = None) -> None:
        self.conn = conn
        self.cache = known
        self.seen: set[str] = set()  # found in this transaction; remembered by the cache once it commits

    def add(self, item: Item, now: datetime) -> None:
        try:
            self.conn.execute(
                insert(items).values(
                    sku=item.sku,
                    name=item.name,
                    weight_grams=item.weight_grams,
                    attributes=item.attributes,
                    created_at=now,
                )
            )
        except IntegrityError as exc:
            raise DuplicateKey(item.sku) from exc

    def get(self, sku: str) -> Item | None:
        row = self.conn.execute(select(items).where(items.c.sku == sku)).first()
        return _item(row._mapping) if row else None

    def get_many(self, skus: Sequence[str]) -> dict[str, Item]:
        if not skus:
            return {}
        rows = self.conn.execute(_GET_MANY, {"skus": sorted(set(skus))})
        return {row.sku: _item(row._mapping) for row in rows}

    def known(self, skus: Sequence[str]) -> set[str]:
        wanted = set(skus)
        cached = {sku for sku in wanted if self.cache is not None and sku in self.cache}
        if cached == wanted:
            return cached
        found = set(self.conn.scalars(_KNOWN, {"skus": sorted(wanted - cached)}))
        self.seen |= found
        return cached | found

    def page(self, *, after: str | None, limit: int) -> Page:
        return Page(*page_by_text_key(self.conn, items, items.c.sku, after=after, limit=limit, read=_item))


class SqlLocations:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, location: Location, now: datetime) -> None:
        try:
            self.conn.execute(
                insert(locations).values(
                    code=location.code,
                    type=location.type.value,
                    created_at=now,
                    **_location_values(location),
                )
            )
        except IntegrityError as exc:
            raise DuplicateKey(location.code) from exc

    def save(self, location: Location) -> None:
        self.conn.execute(
            update(locations).where(locations.c.code == location.code).values(**_location_values(location))
        )

    def all(self) -> list[Location]:
        return [location_from_row(r._mapping) for r in self.conn.execute(select(locations).order_by(locations.c.code))]

    def get(self, code: str, *, for_update: bool = False) -> Location | None:
        query = select(locations).where(locations.c.code == code)
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return location_from_row(row._mapping) if row else None

    def page(self, *, after: str | None, limit: int) -> Page:
        return Page(
            *page_by_text_key(self.conn, locations, locations.c.code, after=after, limit=limit, read=location_from_row)
        )


def _item(row: Any) -> Item:
    return Item(row["sku"], row["name"], row["weight_grams"], dict(row["attributes"] or {}))


def _location_values(location: Location) -> dict[str, Any]:
    a, p = location.address, location.profile
    return {
        "name": location.name,
        "line1": a.line1,
        "line2": a.line2,
        "city": a.city,
        "region": a.region,
        "postal_code": a.postal_code,
        "country": a.country,
        "lat": a.lat,
        "lon": a.lon,
        "can_ship": Capability.SHIP in location.capabilities,
        "can_pickup": Capability.PICKUP in location.capabilities,
        "can_return": Capability.RETURNS in location.capabilities,
        "active": location.active,
        "groups": sorted(p.groups),
        "tags": sorted(p.tags),
        "timezone": p.timezone,
        "cutoff": p.cutoff.strftime("%H:%M") if p.cutoff else None,
        "processing_days": p.processing_days,
        "daily_order_capacity": p.daily_order_capacity,
        "daily_unit_capacity": p.daily_unit_capacity,
    }


def location_from_row(row: Any) -> Location:
    capabilities = {
        c
        for c, flag in (
            (Capability.SHIP, row["can_ship"]),
            (Capability.PICKUP, row["can_pickup"]),
            (Capability.RETURNS, row["can_return"]),
        )
        if flag
    }
    address = Address(
        line1=row["line1"],
        line2=row["line2"],
        city=row["city"],
        region=row["region"],
        postal_code=row["postal_code"],
        country=row["country"],
        lat=row["lat"],
        lon=row["lon"],
    )
    profile = SourcingProfile(
        groups=frozenset(row["groups"] or ()),
        tags=frozenset(row["tags"] or ()),
        timezone=row["timezone"] or "UTC",
        cutoff=time.fromisoformat(row["cutoff"]) if row["cutoff"] else None,
        processing_days=row["processing_days"] or 0,
        daily_order_capacity=row["daily_order_capacity"],
        daily_unit_capacity=row["daily_unit_capacity"],
    )
    return Location(
        row["code"],
        row["name"],
        LocationType(row["type"]),
        address,
        frozenset(capabilities),
        bool(row["active"]),
        profile,
    )
