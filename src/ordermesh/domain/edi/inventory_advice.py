"""846 Inventory Inquiry/Advice: a warehouse's on-hand and available quantities as of a moment.

BIA (purpose, report type, report id, as-of date and time), N1*WH naming the warehouse (for the whole advice,
or inside a LIN loop for that item), LIN per SKU (SK, with UP for the UPC), QTY 17 on hand and 33 available.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, tzinfo

from ordermesh.domain.edi.fields import Fields, located
from ordermesh.domain.edi.model import Segment, TransactionSet, segment
from ordermesh.domain.edi.outcomes import InventorySnapshot
from ordermesh.domain.edi.parties import WAREHOUSE, Party, party_segments
from ordermesh.domain.edi.problems import ElementError
from ordermesh.domain.edi.products import SKU, UPC, product_ids
from ordermesh.domain.edi.values import format_date, format_time

ON_HAND = "17"
AVAILABLE = "33"


@dataclass(frozen=True)
class StockItem:
    sku: str
    on_hand: int | None = None  # QTY*17
    available: int | None = None  # QTY*33
    upc: str | None = None
    warehouse: Party | None = None  # an N1*WH inside this item's LIN loop

    @property
    def units(self) -> int:
        """On hand when the warehouse says so, else what it says is available."""
        return self.on_hand if self.on_hand is not None else self.available or 0


@dataclass(frozen=True)
class InventoryAdvice:
    report_id: str  # BIA03
    as_of: datetime  # BIA04 + BIA05, naive in the warehouse's clock
    items: tuple[StockItem, ...]
    warehouse: Party | None = None  # the N1*WH before the first LIN
    purpose: str = "00"  # BIA01: 00 original
    report_type: str = "DD"  # BIA02

    def snapshots(self, *, zone: tzinfo, default_location: str | None = None) -> list[InventorySnapshot]:
        """On-hand units per location (the warehouse's code, else `default_location`), as of the advice.

        Raises ValueError for an item with no location at all.
        """
        as_of = self.as_of.replace(tzinfo=zone)
        by_location: dict[str, dict[str, int]] = {}
        for item in self.items:
            where = item.warehouse or self.warehouse
            location = (where.code if where else None) or default_location
            if location is None:
                raise ValueError(f"no warehouse is named for {item.sku} and no default location is given")
            by_location.setdefault(location, {})[item.sku] = item.units
        return [InventorySnapshot(location, as_of, units) for location, units in by_location.items()]


def inventory_advice_set(advice: InventoryAdvice) -> TransactionSet:
    """The 846 for an inventory advice (what a warehouse sends; the simulated warehouse and the tests use it)."""
    at = advice.as_of.time()
    body: list[Segment] = [
        segment("BIA", advice.purpose, advice.report_type, advice.report_id, format_date(advice.as_of.date()),
                format_time(at) if at != time() else None)
    ]  # fmt: skip
    if advice.warehouse is not None:
        body += party_segments(WAREHOUSE, advice.warehouse)
    for number, item in enumerate(advice.items, start=1):
        body.append(segment("LIN", str(number), SKU, item.sku, UPC if item.upc else None, item.upc))
        if item.available is not None:
            body.append(segment("QTY", AVAILABLE, str(item.available), "EA"))
        if item.on_hand is not None:
            body.append(segment("QTY", ON_HAND, str(item.on_hand), "EA"))
        if item.warehouse is not None:
            body += party_segments(WAREHOUSE, item.warehouse)
    body.append(segment("CTT", str(len(advice.items))))
    return TransactionSet("846", tuple(body))


def read_inventory_advice(ts: TransactionSet) -> InventoryAdvice:
    """The inventory advice an 846 carries. Raises X12Error naming every bad segment and element."""
    fields = Fields(ts, "846")
    head: tuple[str, str, str, datetime] | None = None
    warehouse: Party | None = None
    items: list[StockItem] = []
    for at in located(ts):
        if at.id == "BIA":
            day = fields.date(at, 4, "date") or date.min
            head = (at.value(1), at.value(2), fields.text(at, 3, "reference id"),
                    datetime.combine(day, fields.time(at, 5, "time") or time()))  # fmt: skip
        elif at.id == "N1":
            party = Party(at.value(2), at.value(4) or None, at.value(3) or "92")
            if at.value(1) != WAREHOUSE:
                continue
            if items:
                items[-1] = replace(items[-1], warehouse=party)
            else:
                warehouse = party
        elif at.id == "LIN":
            product = product_ids(at.segment, 2)
            if not product.sku:
                fields.note(at, ElementError.MANDATORY_MISSING, "LIN has no SK product id (SKU)", 3)
            items.append(StockItem(product.sku, upc=product.upc))
        elif at.id == "QTY" and items:
            qualifier = at.value(1)
            if qualifier in (ON_HAND, AVAILABLE):
                units = max(fields.signed_quantity(at, 2, "quantity") or 0, 0)  # an oversold count is none on hand
                if qualifier == ON_HAND:
                    items[-1] = replace(items[-1], on_hand=units)
                else:
                    items[-1] = replace(items[-1], available=units)
    if head is None:
        fields.missing_segment("BIA", 2, "BIA is missing: an 846 opens with the inventory advice's date")
    for item in items:
        if item.on_hand is None and item.available is None:
            fields.missing_segment("QTY", ts.segment_count, f"no QTY*17 or QTY*33 for {item.sku}")
    fields.raise_problems()
    assert head is not None
    return InventoryAdvice(head[2], head[3], tuple(items), warehouse, head[0], head[1])
