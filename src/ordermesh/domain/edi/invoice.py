"""810 Invoice from a drop-ship vendor: what it bills for a purchase order.

BIG (invoice date and number, our PO date and number), CUR, REF references, IT1 per line (our PO line number,
quantity, unit, unit price, SK/VN/UP ids), TDS total in cents, CTT line count. The total may include charges
and tax beyond the lines; the service compares lines and total with the purchase order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ordermesh.domain.edi.fields import Fields, Located, located
from ordermesh.domain.edi.model import Segment, TransactionSet, segment
from ordermesh.domain.edi.parties import Reference
from ordermesh.domain.edi.problems import ElementError
from ordermesh.domain.edi.products import ProductIds, product_ids
from ordermesh.domain.edi.purchase_order import PRICE_PER_EACH, check_line_count
from ordermesh.domain.edi.values import format_date, format_decimal, format_implied


@dataclass(frozen=True)
class InvoiceLine:
    line_number: str  # IT101: our PO1 line number
    product: ProductIds
    quantity: int  # IT102
    unit_price: Decimal  # IT104
    unit: str = "EA"

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Invoice:
    invoice_number: str  # BIG02
    invoiced_on: date  # BIG01
    po_number: str  # BIG04: our fulfilment order id
    lines: tuple[InvoiceLine, ...]
    total: Decimal  # TDS01
    po_date: date | None = None  # BIG03
    currency: str | None = None
    references: tuple[Reference, ...] = ()

    @property
    def lines_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


def invoice_set(invoice: Invoice) -> TransactionSet:
    """The 810 for an invoice (what a vendor sends; the simulated vendor and the tests use it).

    Raises ValueError for a total with fractions of a cent.
    """
    po_date = format_date(invoice.po_date) if invoice.po_date else None
    body: list[Segment] = [
        segment("BIG", format_date(invoice.invoiced_on), invoice.invoice_number, po_date, invoice.po_number)
    ]
    if invoice.currency:
        body.append(segment("CUR", "SE", invoice.currency))
    body += [segment("REF", r.qualifier, r.value) for r in invoice.references]
    for line in invoice.lines:
        body.append(
            segment("IT1", line.line_number, str(line.quantity), line.unit, format_decimal(line.unit_price),
                    PRICE_PER_EACH, *line.product.pairs())
        )  # fmt: skip
    body.append(segment("TDS", format_implied(invoice.total)))
    body.append(segment("CTT", str(len(invoice.lines))))
    return TransactionSet("810", tuple(body))


def read_invoice(ts: TransactionSet) -> Invoice:
    """The invoice an 810 carries. Raises X12Error naming every bad segment and element."""
    fields = Fields(ts, "810")
    head: tuple[date, str, date | None, str] | None = None
    currency: str | None = None
    references: list[Reference] = []
    lines: list[InvoiceLine] = []
    total: Decimal | None = None
    count: Located | None = None
    for at in located(ts):
        if at.id == "BIG":
            invoiced_on = fields.date(at, 1, "invoice date") or date.min
            number = fields.text(at, 2, "invoice number")
            head = (invoiced_on, number, fields.date(at, 3, "purchase order date", required=False),
                    fields.text(at, 4, "purchase order number"))  # fmt: skip
        elif at.id == "CUR":
            currency = fields.text(at, 2, "currency code")
        elif at.id == "REF" and not lines:
            references.append(Reference(fields.text(at, 1, "reference qualifier"), fields.text(at, 2, "reference")))
        elif at.id == "IT1":
            lines.append(_line(fields, at))
        elif at.id == "TDS":
            total = fields.implied(at, 1, "total invoice amount")
        elif at.id == "CTT":
            count = at
    if head is None:
        fields.missing_segment("BIG", 2, "BIG is missing: an 810 opens with the invoice's number and date")
    if total is None:
        fields.missing_segment("TDS", ts.segment_count, "TDS is missing: an 810 states its total")
    check_line_count(fields, count, len(lines), None)
    fields.raise_problems()
    assert head is not None
    return Invoice(head[1], head[0], head[3], tuple(lines), total or Decimal(0), head[2], currency, tuple(references))


def _line(fields: Fields, at: Located) -> InvoiceLine:
    product = product_ids(at.segment, 6)
    if not product.sku:
        fields.note(at, ElementError.MANDATORY_MISSING, "IT1 has no SK product id (SKU)", 7)
    return InvoiceLine(
        line_number=fields.text(at, 1, "line number"),
        product=product,
        quantity=fields.quantity(at, 2, "quantity invoiced") or 0,
        unit_price=fields.decimal(at, 4, "unit price", required=True) or Decimal(0),
        unit=fields.text(at, 3, "unit of measure"),
    )
