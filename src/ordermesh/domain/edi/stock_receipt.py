"""944 Warehouse Stock Transfer Receipt Advice: units a warehouse received into stock.

W17 (receipt date, warehouse receipt number, our transfer or purchase order number, shipment id), N1*WH,
LX + W07 per line (quantity received, unit, UPC, SKU), W14 total received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ordermesh.domain.edi.fields import Fields, Located, located
from ordermesh.domain.edi.model import Segment, TransactionSet, segment
from ordermesh.domain.edi.outcomes import Receipt, ReceivedUnits
from ordermesh.domain.edi.parties import WAREHOUSE, Party, PartyReader, party_segments
from ordermesh.domain.edi.problems import ElementError
from ordermesh.domain.edi.shipping_order import SKU_QUALIFIERS
from ordermesh.domain.edi.values import format_date


@dataclass(frozen=True)
class ReceivedLine:
    sku: str  # W0705
    quantity: int  # W0701
    unit: str = "EA"
    upc: str | None = None
    sku_qualifier: str = "SK"


@dataclass(frozen=True)
class StockReceiptAdvice:
    receipt_id: str  # W1703
    received_on: date  # W1702
    lines: tuple[ReceivedLine, ...]
    depositor_order_number: str | None = None  # W1704: our transfer or purchase order
    shipment_id: str | None = None  # W1705
    warehouse: Party | None = None
    reporting_code: str = "F"

    def receipt(self) -> Receipt:
        """The receipt in Ordermesh's terms (the warehouse's location code, units per SKU)."""
        return Receipt(
            receipt_id=self.receipt_id,
            location=self.warehouse.code if self.warehouse else None,
            received_on=self.received_on,
            reference=self.depositor_order_number,
            lines=tuple(ReceivedUnits(line.sku, line.quantity) for line in self.lines),
        )


def stock_receipt_set(advice: StockReceiptAdvice) -> TransactionSet:
    """The 944 for a receipt advice (what a warehouse sends; the simulated warehouse and the tests use it)."""
    body: list[Segment] = [
        segment("W17", advice.reporting_code, format_date(advice.received_on), advice.receipt_id,
                advice.depositor_order_number, advice.shipment_id)
    ]  # fmt: skip
    if advice.warehouse is not None:
        body += party_segments(WAREHOUSE, advice.warehouse)
    for number, line in enumerate(advice.lines, start=1):
        body.append(segment("LX", str(number)))
        body.append(segment("W07", str(line.quantity), line.unit, line.upc, line.sku_qualifier, line.sku))
    body.append(segment("W14", str(sum(line.quantity for line in advice.lines))))
    return TransactionSet("944", tuple(body))


def read_stock_receipt(ts: TransactionSet) -> StockReceiptAdvice:
    """The receipt advice a 944 carries. Raises X12Error naming every bad segment and element."""
    fields = Fields(ts, "944")
    parties = PartyReader(fields)
    head: tuple[str, date, str, str | None, str | None] | None = None
    lines: list[ReceivedLine] = []
    total: Located | None = None
    for at in located(ts):
        if parties.take(at):
            continue
        if at.id == "W17":
            received_on = fields.date(at, 2, "receipt date") or date.min
            receipt_id = fields.text(at, 3, "warehouse receipt number")
            head = (
                fields.text(at, 1, "reporting code"),
                received_on,
                receipt_id,
                at.value(4) or None,
                at.value(5) or None,
            )
        elif at.id == "LX":
            parties.close()
        elif at.id == "W07":
            lines.append(
                ReceivedLine(
                    sku=fields.text(at, 5, "product id (SKU)"),
                    quantity=fields.quantity(at, 1, "quantity received") or 0,
                    unit=fields.text(at, 2, "unit of measure"),
                    upc=at.value(3) or None,
                    sku_qualifier=fields.code(at, 4, "product id qualifier", SKU_QUALIFIERS),
                )
            )
        elif at.id == "W14":
            total = at
    if head is None:
        fields.missing_segment("W17", 2, "W17 is missing: a 944 opens with the warehouse receipt identification")
    if not lines:
        fields.missing_segment("W07", ts.segment_count, "a 944 has at least one W07 line")
    if total is None:
        fields.missing_segment("W14", ts.segment_count, "W14 is missing: a 944 closes with its total")
    else:
        said, counted = fields.quantity(total, 1, "total quantity received"), sum(x.quantity for x in lines)
        if total.value(1) and said is not None and said != counted:
            detail = f"W1401 total received {said} is not the sum of the W07 quantities, {counted}"
            fields.note(total, ElementError.INVALID_CODE, detail, 1, total.value(1))
    fields.raise_problems()
    assert head is not None
    return StockReceiptAdvice(head[2], head[1], tuple(lines), head[3], head[4], parties.parties.get(WAREHOUSE), head[0])
