"""855 Purchase Order Acknowledgment from a drop-ship vendor: which lines it accepts, rejects or backorders.

BAK (acknowledgment type: AC with detail and change, AD with detail no change, AK no detail, RJ rejected; our
PO number and date; the vendor's order number and the acknowledgment date), PO1 echoing each line with ACK
lines under it (IA accepted, IR rejected, IB backordered, with quantities and a schedule date), CTT.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from ordermesh.domain.edi.fields import Fields, Located, located
from ordermesh.domain.edi.model import Segment, TransactionSet, segment
from ordermesh.domain.edi.problems import SegmentError
from ordermesh.domain.edi.purchase_order import PRICE_PER_EACH, PurchaseOrderLine, check_line_count, po1_line
from ordermesh.domain.edi.values import format_date, format_decimal

ACK_TYPES = frozenset({"AC", "AD", "AK", "RD", "RJ"})
WHOLE_ORDER_REJECTED = "RJ"
ACCEPTED = frozenset({"IA", "AC", "IC", "IP", "IQ", "IS"})  # accepted, some with changes noted
REJECTED = frozenset({"IR", "ID", "R1", "R2", "R3", "R4", "R5"})
BACKORDERED = frozenset({"IB", "BP"})
LINE_STATUSES = ACCEPTED | REJECTED | BACKORDERED | {"IH", "IW"}  # IH on hold, IW on hold - waiver
SCHEDULED_SHIP = "068"  # ACK04: current schedule ship


@dataclass(frozen=True)
class LineStatus:
    """One ACK: what the vendor does with some units of a line."""

    status: str  # ACK01
    quantity: int  # ACK02
    unit: str = "EA"
    scheduled_ship: date | None = None  # ACK05 with ACK04 = 068


@dataclass(frozen=True)
class AcknowledgedLine:
    line: PurchaseOrderLine  # the PO1 as the vendor echoes it
    statuses: tuple[LineStatus, ...] = ()

    def units(self, statuses: frozenset[str]) -> int:
        return sum(s.quantity for s in self.statuses if s.status in statuses)


@dataclass(frozen=True)
class PurchaseOrderAcknowledgement:
    po_number: str  # BAK03
    po_date: date  # BAK04
    ack_type: str  # BAK02
    lines: tuple[AcknowledgedLine, ...]
    vendor_order_number: str | None = None  # BAK08
    acknowledged_on: date | None = None  # BAK09
    purpose: str = "00"

    def accepted(self, line: AcknowledgedLine) -> int:
        """Units of a line the vendor will ship (a line with no ACK follows the BAK02 verdict)."""
        if not line.statuses:
            return 0 if self.ack_type == WHOLE_ORDER_REJECTED else line.line.quantity
        return line.units(ACCEPTED)

    def rejected(self, line: AcknowledgedLine) -> int:
        """Units of a line the vendor will not ship: these are sourced elsewhere."""
        if not line.statuses:
            return line.line.quantity if self.ack_type == WHOLE_ORDER_REJECTED else 0
        return line.units(REJECTED)

    def backordered(self, line: AcknowledgedLine) -> int:
        return line.units(BACKORDERED)


def purchase_order_ack_set(ack: PurchaseOrderAcknowledgement) -> TransactionSet:
    """The 855 for an acknowledgement (what a vendor sends; the simulated vendor and the tests use it)."""
    acknowledged = format_date(ack.acknowledged_on) if ack.acknowledged_on else None
    body: list[Segment] = [
        segment("BAK", ack.purpose, ack.ack_type, ack.po_number, format_date(ack.po_date), None, None, None,
                ack.vendor_order_number, acknowledged)
    ]  # fmt: skip
    for item in ack.lines:
        line = item.line
        body.append(
            segment("PO1", line.line_number, str(line.quantity), line.unit, format_decimal(line.unit_price),
                    PRICE_PER_EACH, *line.product.pairs())
        )  # fmt: skip
        for s in item.statuses:
            when = (SCHEDULED_SHIP, format_date(s.scheduled_ship)) if s.scheduled_ship else (None, None)
            body.append(segment("ACK", s.status, str(s.quantity), s.unit, *when))
    body.append(segment("CTT", str(len(ack.lines)), str(sum(item.line.quantity for item in ack.lines))))
    return TransactionSet("855", tuple(body))


def read_purchase_order_ack(ts: TransactionSet) -> PurchaseOrderAcknowledgement:
    """The acknowledgement an 855 carries. Raises X12Error naming every bad segment and element."""
    fields = Fields(ts, "855")
    head: PurchaseOrderAcknowledgement | None = None
    lines: list[AcknowledgedLine] = []
    totals: Located | None = None
    for at in located(ts):
        if at.id == "BAK":
            head = PurchaseOrderAcknowledgement(
                po_number=fields.text(at, 3, "purchase order number"),
                po_date=fields.date(at, 4, "purchase order date") or date.min,
                ack_type=fields.code(at, 2, "acknowledgment type", ACK_TYPES),
                lines=(),
                vendor_order_number=at.value(8) or None,
                acknowledged_on=fields.date(at, 9, "acknowledgment date", required=False),
                purpose=fields.text(at, 1, "purpose code"),
            )
        elif at.id == "PO1":
            lines.append(AcknowledgedLine(po1_line(fields, at)))
        elif at.id == "ACK":
            if not lines:
                fields.note(at, SegmentError.OUT_OF_SEQUENCE, "ACK stands before any PO1 line")
                continue
            lines[-1] = replace(lines[-1], statuses=(*lines[-1].statuses, _status(fields, at)))
        elif at.id == "CTT":
            totals = at
    if head is None:
        fields.missing_segment("BAK", 2, "BAK is missing: an 855 opens with the acknowledgment's header")
    check_line_count(fields, totals, len(lines), sum(item.line.quantity for item in lines))
    fields.raise_problems()
    assert head is not None
    return replace(head, lines=tuple(lines))


def _status(fields: Fields, at: Located) -> LineStatus:
    scheduled = fields.date(at, 5, "date", required=False) if at.value(4) == SCHEDULED_SHIP else None
    return LineStatus(
        status=fields.code(at, 1, "line item status code", LINE_STATUSES),
        quantity=fields.quantity(at, 2, "quantity") or 0,
        unit=at.value(3) or "EA",
        scheduled_ship=scheduled,
    )
