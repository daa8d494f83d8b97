"""850 Purchase Order to a drop-ship vendor: ship these lines of a fulfilment order to the customer.

BEG (00 original, DS drop-ship, our fulfilment order id as PO number, date), CUR, REF references, DTM dates
(010 requested ship, 002 deliver by), N1*ST with N3/N4, TD5 carrier, PO1 per line (line number, quantity, unit,
unit price, SK/VN/UP ids), CTT (line count, quantity hash total).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ordermesh.domain.edi.fields import Fields, Located, located
from ordermesh.domain.edi.model import Segment, TransactionSet, segment
from ordermesh.domain.edi.parties import SHIP_TO, Carrier, Party, PartyReader, Reference, party_segments
from ordermesh.domain.edi.problems import ElementError
from ordermesh.domain.edi.products import ProductIds, product_ids
from ordermesh.domain.edi.values import format_date, format_decimal

REQUESTED_SHIP = "010"
DELIVER_BY = "002"
PRICE_PER_EACH = "PE"
SCAC_QUALIFIER = "2"


@dataclass(frozen=True)
class PurchaseOrderLine:
    line_number: str  # PO101, echoed by the vendor's 855, 856 and 810
    product: ProductIds
    quantity: int
    unit_price: Decimal
    unit: str = "EA"


@dataclass(frozen=True)
class PurchaseOrder:
    po_number: str  # BEG03: our fulfilment order id
    ordered_on: date  # BEG05
    ship_to: Party
    lines: tuple[PurchaseOrderLine, ...]
    currency: str | None = None  # CUR02
    references: tuple[Reference, ...] = ()
    requested_ship_date: date | None = None
    deliver_by: date | None = None
    carrier: Carrier | None = None
    order_type: str = "DS"  # BEG02: DS drop-ship, SA stand-alone
    purpose: str = "00"  # BEG01: 00 original


def purchase_order_set(order: PurchaseOrder) -> TransactionSet:
    """The 850 for a purchase order (the envelope numbers it)."""
    body: list[Segment] = [
        segment("BEG", order.purpose, order.order_type, order.po_number, None, format_date(order.ordered_on))
    ]
    if order.currency:
        body.append(segment("CUR", "BY", order.currency))
    body += [segment("REF", r.qualifier, r.value) for r in order.references]
    for qualifier, when in ((REQUESTED_SHIP, order.requested_ship_date), (DELIVER_BY, order.deliver_by)):
        if when:
            body.append(segment("DTM", qualifier, format_date(when)))
    body += party_segments(SHIP_TO, order.ship_to)
    if order.carrier is not None:
        c = order.carrier
        body.append(segment("TD5", "B", SCAC_QUALIFIER if c.scac else None, c.scac, c.transport_method, c.service))
    for line in order.lines:
        body.append(
            segment("PO1", line.line_number, str(line.quantity), line.unit, format_decimal(line.unit_price),
                    PRICE_PER_EACH, *line.product.pairs())
        )  # fmt: skip
    body.append(segment("CTT", str(len(order.lines)), str(sum(line.quantity for line in order.lines))))
    return TransactionSet("850", tuple(body))


def read_purchase_order(ts: TransactionSet) -> PurchaseOrder:
    """The purchase order an 850 carries. Raises X12Error naming every bad segment and element."""
    fields = Fields(ts, "850")
    parties = PartyReader(fields)
    head: tuple[str, str, str, date] | None = None
    currency: str | None = None
    references: list[Reference] = []
    dates: dict[str, date | None] = {}
    carrier: Carrier | None = None
    lines: list[PurchaseOrderLine] = []
    totals: Located | None = None
    for at in located(ts):
        if parties.take(at):
            continue
        if at.id == "BEG":
            head = (fields.text(at, 1, "purpose code"), fields.text(at, 2, "order type"),
                    fields.text(at, 3, "purchase order number"), fields.date(at, 5, "date") or date.min)  # fmt: skip
        elif at.id == "CUR":
            currency = fields.text(at, 2, "currency code")
        elif at.id == "REF" and not lines:
            references.append(Reference(fields.text(at, 1, "reference qualifier"), fields.text(at, 2, "reference")))
        elif at.id == "DTM":
            dates[at.value(1)] = fields.date(at, 2, "date")
        elif at.id == "TD5":
            carrier = Carrier(at.value(3) or None, at.value(5) or None, at.value(4) or "U")
        elif at.id == "PO1":
            lines.append(po1_line(fields, at))
        elif at.id == "CTT":
            totals = at
    if head is None:
        fields.missing_segment("BEG", 2, "BEG is missing: an 850 opens with the purchase order's number and date")
    if SHIP_TO not in parties.parties:
        fields.missing_segment("N1", ts.segment_count, "N1*ST is missing: a drop-ship order names whom to ship to")
    check_line_count(fields, totals, len(lines), sum(line.quantity for line in lines))
    fields.raise_problems()
    assert head is not None
    return PurchaseOrder(
        po_number=head[2],
        ordered_on=head[3],
        ship_to=parties.parties[SHIP_TO],
        lines=tuple(lines),
        currency=currency,
        references=tuple(references),
        requested_ship_date=dates.get(REQUESTED_SHIP),
        deliver_by=dates.get(DELIVER_BY),
        carrier=carrier,
        order_type=head[1],
        purpose=head[0],
    )


def po1_line(fields: Fields, at: Located) -> PurchaseOrderLine:
    """A PO1 line (also as the 855 echoes it)."""
    product = product_ids(at.segment, 6)
    if not product.sku:
        fields.note(at, ElementError.MANDATORY_MISSING, "PO1 has no SK product id (SKU)", 7)
    return PurchaseOrderLine(
        line_number=fields.text(at, 1, "line number"),
        product=product,
        quantity=fields.quantity(at, 2, "quantity ordered") or 0,
        unit_price=fields.decimal(at, 4, "unit price", required=True) or Decimal(0),
        unit=fields.text(at, 3, "unit of measure"),
    )


def check_line_count(fields: Fields, ctt: Located | None, lines: int, quantity: int | None) -> None:
    """CTT01 must count the lines and CTT02, when given, sum their quantities."""
    if ctt is None:
        return
    said = fields.quantity(ctt, 1, "number of line items")
    if ctt.value(1) and said is not None and said != lines:
        fields.note(ctt, ElementError.INVALID_CODE, f"CTT01 says {said} lines, the set has {lines}", 1, ctt.value(1))
    hashed = fields.quantity(ctt, 2, "hash total", required=False)
    if quantity is not None and hashed is not None and hashed != quantity:
        detail = f"CTT02 hash total {hashed} is not the sum of the quantities, {quantity}"
        fields.note(ctt, ElementError.INVALID_CODE, detail, 2, ctt.value(2))
