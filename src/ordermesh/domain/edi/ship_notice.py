"""856 Ship Notice/Manifest from a drop-ship vendor: what left, in which packages, with which tracking numbers.

BSN (shipment id, date, time, structure 0001), then an HL tree: shipment (TD1 packages and weight, TD5
carrier, REF*BM bill of lading, DTM*011 ship date, N1*ST), order (PRF our PO number), packs (REF*CN tracking),
items (LIN line number and ids, SN1 shipped and ordered units). Items may hang under the order directly.
One purchase order per notice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal

from ordermesh.domain.edi.fields import Fields, Located, located
from ordermesh.domain.edi.model import Segment, TransactionSet, segment
from ordermesh.domain.edi.outcomes import ConfirmedLine, ShipmentConfirmation
from ordermesh.domain.edi.parties import SHIP_TO, Carrier, Party, PartyReader, party_segments
from ordermesh.domain.edi.problems import ElementError, SegmentError
from ordermesh.domain.edi.products import ProductIds, product_ids
from ordermesh.domain.edi.purchase_order import SCAC_QUALIFIER
from ordermesh.domain.edi.values import format_date, format_decimal, format_time

SHIPPED = "011"  # DTM qualifier
TRACKING = "CN"  # REF qualifier at pack (or shipment) level
BILL_OF_LADING = "BM"
LEVELS = frozenset({"S", "O", "P", "T", "I"})


@dataclass(frozen=True)
class ShippedItem:
    line_number: str  # LIN01: our PO1 line number
    product: ProductIds
    shipped: int  # SN102
    ordered: int | None = None  # SN105
    unit: str = "EA"


@dataclass(frozen=True)
class Pack:
    tracking_number: str | None  # REF*CN; None for items listed under the order directly
    items: tuple[ShippedItem, ...]


@dataclass(frozen=True)
class ShipNotice:
    shipment_id: str  # BSN02
    notice_at: datetime  # BSN03 + BSN04
    po_number: str  # PRF01: our fulfilment order id
    packs: tuple[Pack, ...]
    shipped_on: date | None = None  # DTM*011
    carrier: Carrier | None = None  # TD5
    bill_of_lading: str | None = None
    ship_to: Party | None = None
    packages: int | None = None  # TD102
    weight: Decimal | None = None  # TD107, pounds

    def confirmation(self) -> ShipmentConfirmation:
        """The shipment this notice confirms, in Ordermesh's terms (ship date: DTM*011, else the notice's)."""
        lines = [
            ConfirmedLine(item.product.sku, item.shipped, item.ordered, None, item.line_number)
            for pack in self.packs
            for item in pack.items
        ]
        return ShipmentConfirmation(
            fulfillment_order_id=self.po_number,
            shipment_id=self.shipment_id,
            shipped_on=self.shipped_on or self.notice_at.date(),
            carrier=self.carrier.scac if self.carrier else None,
            service=self.carrier.service if self.carrier else None,
            tracking_numbers=tuple(dict.fromkeys(p.tracking_number for p in self.packs if p.tracking_number)),
            lines=tuple(lines),
        )


def ship_notice_set(notice: ShipNotice) -> TransactionSet:
    """The 856 for a ship notice (what a vendor sends; the simulated vendor and the tests use it)."""
    at = notice.notice_at
    body: list[Segment] = [
        segment("BSN", "00", notice.shipment_id, format_date(at.date()), format_time(at.time()), "0001"),
        segment("HL", "1", None, "S"),
    ]
    if notice.packages is not None or notice.weight is not None:
        weight = format_decimal(notice.weight) if notice.weight is not None else None
        packages = str(notice.packages) if notice.packages is not None else None
        body.append(segment("TD1", "CTN25", packages, None, None, None, "G" if weight else None, weight,
                            "LB" if weight else None))  # fmt: skip
    if notice.carrier is not None:
        c = notice.carrier
        body.append(segment("TD5", "B", SCAC_QUALIFIER if c.scac else None, c.scac, c.transport_method, c.service))
    if notice.bill_of_lading:
        body.append(segment("REF", BILL_OF_LADING, notice.bill_of_lading))
    if notice.shipped_on:
        body.append(segment("DTM", SHIPPED, format_date(notice.shipped_on)))
    if notice.ship_to is not None:
        body += party_segments(SHIP_TO, notice.ship_to)
    body += [segment("HL", "2", "1", "O"), segment("PRF", notice.po_number)]
    number = 2
    for pack in notice.packs:
        parent = "2"
        if pack.tracking_number is not None:
            number += 1
            parent = str(number)
            body += [segment("HL", parent, "2", "P"), segment("REF", TRACKING, pack.tracking_number)]
        for item in pack.items:
            number += 1
            body.append(segment("HL", str(number), parent, "I"))
            body.append(segment("LIN", item.line_number, *item.product.pairs()))
            ordered = str(item.ordered) if item.ordered is not None else None
            body.append(segment("SN1", item.line_number, str(item.shipped), item.unit, None, ordered,
                                item.unit if ordered else None))  # fmt: skip
    body.append(segment("CTT", str(number)))
    return TransactionSet("856", tuple(body))


def read_ship_notice(ts: TransactionSet) -> ShipNotice:
    """The ship notice an 856 carries. Raises X12Error naming every bad segment and element."""
    fields = Fields(ts, "856")
    parties = PartyReader(fields)
    levels: dict[str, str] = {}  # HL01 -> level code
    pack_of: dict[str, int] = {}  # HL01 of a pack -> its index in packs
    packs: list[Pack] = []
    current, target = "", -1  # the current level; the pack the current item goes into
    notice = ShipNotice("", datetime.min, "", ())
    for at in located(ts):
        if parties.take(at):
            continue
        if at.id == "BSN":
            day = fields.date(at, 3, "date") or date.min
            when = datetime.combine(day, fields.time(at, 4, "time") or time())
            notice = replace(notice, shipment_id=fields.text(at, 2, "shipment identification"), notice_at=when)
        elif at.id == "HL":
            parties.close()
            current = _level(fields, at, levels)
            if current == "O" and list(levels.values()).count("O") > 1:
                detail = "a ship notice for more than one purchase order is not supported"
                fields.note(at, SegmentError.LOOP_OVER_MAXIMUM, detail)
            elif current == "P":
                pack_of[at.value(1)] = len(packs)
                packs.append(Pack(None, ()))
            elif current == "I":
                target = pack_of.get(at.value(2), -1)
                if target < 0:  # an item under the order joins the loose items listed just before it
                    if not packs or len(packs) - 1 in pack_of.values():
                        packs.append(Pack(None, ()))
                    target = len(packs) - 1
        elif at.id == "TD1" and current == "S":
            packages = fields.quantity(at, 2, "lading quantity", required=False)
            notice = replace(notice, packages=packages, weight=fields.decimal(at, 7, "weight"))
        elif at.id == "TD5":
            notice = replace(notice, carrier=Carrier(at.value(3) or None, at.value(5) or None, at.value(4) or "U"))
        elif at.id == "REF" and at.value(1) == BILL_OF_LADING:
            notice = replace(notice, bill_of_lading=fields.text(at, 2, "bill of lading"))
        elif at.id == "REF" and at.value(1) == TRACKING and current == "P":
            packs[-1] = replace(packs[-1], tracking_number=fields.text(at, 2, "tracking number"))
        elif at.id == "DTM" and at.value(1) == SHIPPED:
            notice = replace(notice, shipped_on=fields.date(at, 2, "ship date"))
        elif at.id == "PRF":
            notice = replace(notice, po_number=fields.text(at, 1, "purchase order number"))
        elif at.id == "LIN" and current == "I" and target >= 0:
            item = ShippedItem(fields.text(at, 1, "line number"), product_ids(at.segment, 2), 0)
            packs[target] = replace(packs[target], items=(*packs[target].items, item))
        elif at.id == "SN1" and current == "I" and target >= 0 and packs[target].items:
            packs[target] = _with_quantities(fields, at, packs[target])
    _check(fields, ts, notice, packs)
    fields.raise_problems()
    return replace(notice, packs=tuple(packs), ship_to=parties.parties.get(SHIP_TO))


def _level(fields: Fields, at: Located, levels: dict[str, str]) -> str:
    number, parent, level = at.value(1), at.value(2), at.value(3)
    if not number:
        fields.note_missing(at, 1, "hierarchical id")
    elif number in levels:
        fields.note(at, ElementError.INVALID_CODE, f"HL01 {number!r} is used twice", 1, number)
    if parent and parent not in levels:
        fields.note(at, ElementError.INVALID_CODE, f"HL02 parent {parent!r} is no earlier HL", 2, parent)
    if level not in LEVELS:
        fields.note(at, ElementError.INVALID_CODE, f"HL03 level code {level!r} is not one of S, O, P, T, I", 3, level)
    levels[number] = level
    return level


def _with_quantities(fields: Fields, at: Located, pack: Pack) -> Pack:
    item = pack.items[-1]
    if at.value(1) and at.value(1) != item.line_number:
        detail = f"SN101 line {at.value(1)!r} is not the LIN01 line {item.line_number!r} above it"
        fields.note(at, ElementError.INVALID_CODE, detail, 1, at.value(1))
    item = replace(
        item,
        shipped=fields.quantity(at, 2, "number of units shipped") or 0,
        unit=fields.text(at, 3, "unit of measure"),
        ordered=fields.quantity(at, 5, "quantity ordered", required=False),
    )
    return replace(pack, items=(*pack.items[:-1], item))


def _check(fields: Fields, ts: TransactionSet, notice: ShipNotice, packs: list[Pack]) -> None:
    if not notice.shipment_id:
        fields.missing_segment("BSN", 2, "BSN is missing: an 856 opens with the shipment's id and date")
    if not notice.po_number:
        fields.missing_segment("PRF", ts.segment_count, "PRF is missing: the notice names no purchase order")
    if not any(pack.items for pack in packs):
        fields.missing_segment("LIN", ts.segment_count, "an 856 lists at least one item (HL*I with LIN and SN1)")
