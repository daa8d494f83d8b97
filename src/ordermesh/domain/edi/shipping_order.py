"""940 Warehouse Shipping Order: the instruction to a warehouse or 3PL to ship a fulfilment order.

W05 (N original, our fulfilment order id as depositor order number, the order's external id as purchase order),
N1 loops (ST ship-to with N3/N4, SF ship-from), N9 references, G62 dates, W66 carrier, LX + W01 per line (with
G69 description and N9*LI our order line id), W76 totals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from ordermesh.domain.edi.fields import Fields, Located, located
from ordermesh.domain.edi.model import Segment, TransactionSet, segment
from ordermesh.domain.edi.parties import SHIP_FROM, SHIP_TO, Carrier, Party, PartyReader, Reference, party_segments
from ordermesh.domain.edi.problems import ElementError
from ordermesh.domain.edi.values import format_date, format_decimal

ORDER_STATUS_CODES = frozenset({"N", "F", "R", "C"})  # original, cancel, change, confirmation
REQUESTED_SHIP = "10"  # G62 qualifier: requested ship date
DELIVER_BY = "02"  # G62 qualifier: delivery requested on this date
LINE_ITEM = "LI"  # N9 qualifier inside a line: our order line id
SKU_QUALIFIERS = frozenset({"SK", "VN", "BP", "IN", "UP"})


@dataclass(frozen=True)
class ShippingOrderLine:
    line_number: int  # LX01
    sku: str
    quantity: int
    order_line_id: str | None = None
    upc: str | None = None  # W0103, 12 digits
    sku_qualifier: str = "SK"  # W0104: SK stock keeping unit, VN vendor's item number
    unit: str = "EA"
    description: str | None = None  # G69


@dataclass(frozen=True)
class WarehouseShippingOrder:
    fulfillment_order_id: str  # W0502
    order_external_id: str | None  # W0503
    ship_to: Party
    lines: tuple[ShippingOrderLine, ...]
    status: str = "N"
    ship_from: Party | None = None
    references: tuple[Reference, ...] = ()
    requested_ship_date: date | None = None
    deliver_by: date | None = None
    carrier: Carrier | None = None
    total_weight: Decimal | None = None  # pounds, W7602

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


def shipping_order_set(order: WarehouseShippingOrder) -> TransactionSet:
    """The 940 for a warehouse shipping order (the envelope numbers it)."""
    body: list[Segment] = [segment("W05", order.status, order.fulfillment_order_id, order.order_external_id)]
    body += party_segments(SHIP_TO, order.ship_to)
    if order.ship_from is not None:
        body += party_segments(SHIP_FROM, order.ship_from)
    body += [segment("N9", ref.qualifier, ref.value) for ref in order.references]
    if order.requested_ship_date:
        body.append(segment("G62", REQUESTED_SHIP, format_date(order.requested_ship_date)))
    if order.deliver_by:
        body.append(segment("G62", DELIVER_BY, format_date(order.deliver_by)))
    if order.carrier is not None:
        c = order.carrier
        body.append(
            segment("W66", c.payment, c.transport_method, None, None, c.service, None, None, None, None, c.scac)
        )
    for line in order.lines:
        body.append(segment("LX", str(line.line_number)))
        body.append(segment("W01", str(line.quantity), line.unit, line.upc, line.sku_qualifier, line.sku))
        if line.description:
            body.append(segment("G69", line.description))
        if line.order_line_id:
            body.append(segment("N9", LINE_ITEM, line.order_line_id))
    weight = format_decimal(order.total_weight) if order.total_weight is not None else None
    body.append(segment("W76", str(order.total_quantity), weight, "LB" if weight else None))
    return TransactionSet("940", tuple(body))


@dataclass
class _Draft:
    status: str = ""
    fulfillment_order_id: str | None = None
    order_external_id: str | None = None
    requested_ship_date: date | None = None
    deliver_by: date | None = None
    carrier: Carrier | None = None


def read_shipping_order(ts: TransactionSet) -> WarehouseShippingOrder:
    """The warehouse shipping order a 940 carries. Raises X12Error naming every bad segment and element."""
    fields = Fields(ts, "940")
    segments = located(ts)
    parties = PartyReader(fields)
    draft = _Draft()
    references: list[Reference] = []
    lines: list[ShippingOrderLine] = []
    total: Located | None = None
    for at in segments:
        if parties.take(at):
            continue
        if at.id == "W05":
            draft.status = fields.code(at, 1, "order status code", ORDER_STATUS_CODES)
            draft.fulfillment_order_id = fields.text(at, 2, "depositor order number")
            draft.order_external_id = fields.optional(at, 3)
        elif at.id == "N9" and not lines:
            references.append(Reference(fields.text(at, 1, "reference qualifier"), fields.text(at, 2, "reference")))
        elif at.id == "N9" and at.value(1) == LINE_ITEM:
            lines[-1] = replace(lines[-1], order_line_id=fields.text(at, 2, "order line id"))
        elif at.id == "G62":
            when = fields.date(at, 2, "date")
            if at.value(1) == REQUESTED_SHIP:
                draft.requested_ship_date = when
            elif at.value(1) == DELIVER_BY:
                draft.deliver_by = when
        elif at.id == "W66":
            draft.carrier = Carrier(
                fields.optional(at, 10),
                fields.optional(at, 5),
                fields.text(at, 2, "transportation method"),
                fields.text(at, 1, "shipment method of payment"),
            )
        elif at.id == "LX":
            parties.close()
            number = fields.quantity(at, 1, "assigned number") or 0
            lines.append(ShippingOrderLine(number, "", 0))
        elif at.id == "W01":
            if not lines or lines[-1].sku:  # a W01 with no LX of its own
                lines.append(ShippingOrderLine(len(lines) + 1, "", 0))
            lines[-1] = _line(fields, at, lines[-1])
        elif at.id == "G69" and lines:
            lines[-1] = replace(lines[-1], description=at.value(1) or None)
        elif at.id == "W76":
            total = at
    if draft.fulfillment_order_id is None:
        fields.missing_segment("W05", 2, "W05 is missing: a 940 opens with the shipping order identification")
    if SHIP_TO not in parties.parties:
        fields.missing_segment("N1", 3, "N1*ST is missing: a 940 names whom to ship to")
    if not lines:
        fields.missing_segment("W01", ts.segment_count, "a 940 has at least one W01 line")
    weight = _check_totals(fields, total, lines, ts.segment_count)
    fields.raise_problems()
    return WarehouseShippingOrder(
        fulfillment_order_id=draft.fulfillment_order_id or "",
        order_external_id=draft.order_external_id,
        ship_to=parties.parties[SHIP_TO],
        lines=tuple(lines),
        status=draft.status,
        ship_from=parties.parties.get(SHIP_FROM),
        references=tuple(references),
        requested_ship_date=draft.requested_ship_date,
        deliver_by=draft.deliver_by,
        carrier=draft.carrier,
        total_weight=weight,
    )


def _line(fields: Fields, at: Located, line: ShippingOrderLine) -> ShippingOrderLine:
    quantity = fields.quantity(at, 1, "quantity ordered") or 0
    unit = fields.text(at, 2, "unit of measure")
    qualifier = fields.code(at, 4, "product id qualifier", SKU_QUALIFIERS)
    sku = fields.text(at, 5, "product id (SKU)")
    return replace(line, sku=sku, quantity=quantity, unit=unit, upc=at.value(3) or None, sku_qualifier=qualifier)


def _check_totals(fields: Fields, total: Located | None, lines: list[ShippingOrderLine], end: int) -> Decimal | None:
    if total is None:
        fields.missing_segment("W76", end, "W76 is missing: a 940 closes with its totals")
        return None
    said = fields.quantity(total, 1, "total quantity ordered")
    counted = sum(line.quantity for line in lines)
    if said is not None and said != counted and total.value(1):
        detail = f"W7601 total quantity {said} is not the sum of the W01 quantities, {counted}"
        fields.note(total, ElementError.INVALID_CODE, detail, 1, total.value(1))
    if total.value(2) and not total.value(3):
        fields.note(total, ElementError.CONDITIONAL_MISSING, "W7603 weight unit is missing for W7602", 3)
    return fields.decimal(total, 2, "weight")
