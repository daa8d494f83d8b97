"""What each inbound EDI document does to Ordermesh, inside the unit of work that logs the document.

A 945 (warehouse shipping advice) or an 856 (ship notice) ships a fulfilment order; an 846 sets on-hand
(counts older than what a location last recorded are skipped, as every snapshot is); a 944 adds received
units; an 855 accepts a drop-ship purchase order, or gives back what the vendor rejects (its fulfilment order
is rejected and sourced elsewhere); an 810 is recorded against its purchase order, its price and quantity
differences listed for a person (`discrepancies`); a 997 marks the outbound documents it answers accepted or
refused. A reference the document cannot be applied to raises NotApplied naming the segment and element.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ordermesh.domain.access import Principal
from ordermesh.domain.edi import TransactionSet, Verdict, read_acknowledgement
from ordermesh.domain.edi.inventory_advice import read_inventory_advice
from ordermesh.domain.edi.invoice import InvoiceLine, read_invoice
from ordermesh.domain.edi.outcomes import InventorySnapshot, Receipt, ShipmentConfirmation
from ordermesh.domain.edi.purchase_order_ack import PurchaseOrderAcknowledgement, read_purchase_order_ack
from ordermesh.domain.edi.ship_notice import read_ship_notice
from ordermesh.domain.edi.shipping_advice import read_shipping_advice
from ordermesh.domain.edi.stock_receipt import read_stock_receipt
from ordermesh.domain.errors import DomainError
from ordermesh.domain.fulfillment import ACTIVE, FulfillmentStatus
from ordermesh.domain.orders import Order
from ordermesh.domain.partners import Direction, DocumentStatus, Partner
from ordermesh.services import fulfillment, inventory
from ordermesh.services.commands import AdjustStock, SetStock, ShipFulfillment
from ordermesh.services.context import AppContext
from ordermesh.services.partner_ports import DocumentFilter
from ordermesh.services.ports import UnitOfWork

# Sets Ordermesh takes, and the segment and element that name what each one is about.
TAKEN = {
    "945": ("W06", 2),
    "856": ("PRF", 1),
    "846": ("BIA", 3),
    "944": ("W17", 3),
    "855": ("BAK", 3),
    "810": ("BIG", 4),
    "997": ("AK1", 2),
}


class NotApplied(DomainError):
    """A document that was read but cannot be applied; `segment` and `element` say where the problem is."""

    title = "EDI document not applied"

    def __init__(self, segment: str, element: int | None, detail: str) -> None:
        super().__init__(detail)
        self.segment = segment
        self.element = element


@dataclass
class Applied:
    """What applying a set did: its reference (the shipment or receipt id), the order, the parsed form."""

    reference: str | None = None
    order_id: str | None = None
    fulfillment_order_id: str | None = None
    parsed: dict[str, Any] = field(default_factory=dict)
    duplicate_of: str | None = None  # a document that applied the same shipment or receipt before
    discrepancies: list[dict[str, Any]] = field(default_factory=list)  # an invoice's differences from our figures


def apply_set(
    uow: UnitOfWork, ctx: AppContext, partner: Partner, ts: TransactionSet, *, document_id: str, actor: Principal
) -> Applied:
    """Apply one readable set. Raises X12Error (the content is wrong), NotApplied or another DomainError."""
    if ts.code in ("945", "856"):
        advice = read_shipping_advice(ts) if ts.code == "945" else read_ship_notice(ts)
        return apply_shipment(uow, ctx, partner, advice.confirmation(), ts.code, actor)
    if ts.code == "846":
        return _counts(uow, ctx, partner, ts, actor)
    if ts.code == "944":
        return _receipt(uow, ctx, partner, ts, actor)
    if ts.code == "855":
        return _po_acknowledged(uow, ctx, partner, ts, actor)
    if ts.code == "810":
        return _invoiced(uow, partner, ts)
    if ts.code == "997":
        return _acknowledged(uow, ctx, partner, ts, document_id)
    raise NotApplied("ST", 1, f"Ordermesh takes no {ts.code} documents (it takes {', '.join(sorted(TAKEN))})")


def apply_shipment(
    uow: UnitOfWork,
    ctx: AppContext,
    partner: Partner,
    confirmation: ShipmentConfirmation,
    code: str,
    actor: Principal,
) -> Applied:
    """Ship the fulfilment order a confirmation names (`code`: the document type, for its references)."""
    segment, element = TAKEN.get(code, ("W06", 2))
    fo_id = confirmation.fulfillment_order_id
    parsed = {"fulfillment_order_id": fo_id, "shipment_id": confirmation.shipment_id,
              "carrier": confirmation.carrier, "tracking_numbers": list(confirmation.tracking_numbers),
              "lines": [{"sku": x.sku, "shipped": x.shipped, "ordered": x.ordered} for x in confirmation.lines],
              "partial": confirmation.partial}  # fmt: skip
    applied = Applied(confirmation.shipment_id, None, fo_id, parsed)
    earlier = _earlier(uow, partner, code, confirmation.shipment_id)
    if earlier is not None:
        return replace(applied, duplicate_of=earlier)
    if uow.orders.id_for_fulfillment_order(fo_id) is None:
        raise _unknown(fo_id, segment, element)

    def command(order: Order) -> ShipFulfillment:
        """The shipment the partner reported, checked against the order as it is locked for shipping."""
        fo = order.fulfillment_order(fo_id)
        if not partner.serves(fo.location):
            said = f"fulfilment order {fo_id} is at {fo.location}, which {partner.name} does not serve"
            raise NotApplied(segment, element, said)
        lines = _shipped_units(order, fo_id, confirmation)
        if not lines:
            raise NotApplied("W12" if code == "945" else "SN1", None, "no units of the fulfilment order were shipped")
        numbers = confirmation.tracking_numbers
        tracking = numbers[0] if numbers else (confirmation.shipment_id or fo_id)
        return ShipFulfillment(confirmation.carrier or "unknown", tracking, lines)

    shipped = fulfillment.ship_in(uow, ctx, fo_id=fo_id, command=command, actor=actor)
    return replace(applied, order_id=shipped.order_id)


def _order_of(uow: UnitOfWork, fo_id: str, segment: str, element: int) -> Order:
    order_id = uow.orders.id_for_fulfillment_order(fo_id)
    order = uow.orders.get(order_id) if order_id else None
    if order is None:
        raise _unknown(fo_id, segment, element)
    return order


def _unknown(fo_id: str, segment: str, element: int) -> NotApplied:
    return NotApplied(
        segment, element, f"{segment}{element:02d} names fulfilment order '{fo_id}', which does not exist"
    )


def _shipped_units(order: Order, fo_id: str, confirmation: ShipmentConfirmation) -> dict[str, int]:
    """Shipped units per order line: the partner's echo of our line id, else the fulfilment order's line of
    that SKU (the first with units open)."""
    fo = order.fulfillment_order(fo_id)
    units: dict[str, int] = {}
    for line in confirmation.lines:
        if line.shipped <= 0:
            continue
        ours = [fl for fl in fo.lines if fl.order_line_id == line.order_line_id] or [
            fl for fl in fo.lines if fl.sku == line.sku
        ]
        if not ours:
            raise NotApplied("W12", 8, f"SKU '{line.sku}' is not on fulfilment order {fo_id}")
        target = next((fl for fl in ours if fl.open > units.get(fl.order_line_id, 0)), ours[0])
        units[target.order_line_id] = units.get(target.order_line_id, 0) + line.shipped
    return units


def _counts(uow: UnitOfWork, ctx: AppContext, partner: Partner, ts: TransactionSet, actor: Principal) -> Applied:
    advice = read_inventory_advice(ts)
    default = partner.locations[0] if len(partner.locations) == 1 else None
    zone = ZoneInfo(_timezone(uow, default) if default else "UTC")
    try:
        snapshots = advice.snapshots(zone=zone, default_location=default)
    except ValueError as exc:
        raise NotApplied("N1", 4, f"{exc} (the partner serves several locations)") from None
    return apply_counts(
        uow, ctx, partner, snapshots, f"846 inventory advice {advice.report_id}", advice.report_id, actor
    )


def apply_counts(
    uow: UnitOfWork,
    ctx: AppContext,
    partner: Partner,
    snapshots: Sequence[InventorySnapshot],
    reason: str,
    reference: str,
    actor: Principal,
) -> Applied:
    """Set on-hand from a partner's snapshots (a count older than a row's watermark is skipped)."""
    counts = []
    for snapshot in snapshots:
        if snapshot.location not in partner.locations:
            raise NotApplied("N1", 4, f"location '{snapshot.location}' is not served by {partner.name}")
        counts += [
            SetStock(snapshot.location, sku, units, None, snapshot.as_of, reason)
            for sku, units in snapshot.on_hand.items()
        ]
    applied, stale = inventory.snapshot_in(uow, ctx, counts=counts, actor=actor)
    as_of = sorted({s.as_of.isoformat() for s in snapshots})
    parsed = {"report_id": reference, "as_of": as_of[0] if len(as_of) == 1 else as_of, "rows": len(counts),
              "applied": applied, "skipped_as_stale": stale}  # fmt: skip
    return Applied(reference, parsed=parsed)


def _receipt(uow: UnitOfWork, ctx: AppContext, partner: Partner, ts: TransactionSet, actor: Principal) -> Applied:
    return apply_receipt(uow, ctx, partner, read_stock_receipt(ts).receipt(), "944", actor)


def apply_receipt(
    uow: UnitOfWork, ctx: AppContext, partner: Partner, receipt: Receipt, code: str, actor: Principal
) -> Applied:
    """Add a partner's received units to on-hand, once per receipt id."""
    parsed = {"receipt_id": receipt.receipt_id, "location": receipt.location, "reference": receipt.reference,
              "lines": [{"sku": x.sku, "quantity": x.quantity} for x in receipt.lines]}  # fmt: skip
    applied = Applied(receipt.receipt_id, parsed=parsed)
    earlier = _earlier(uow, partner, code, receipt.receipt_id)
    if earlier is not None:
        return replace(applied, duplicate_of=earlier)
    location = receipt.location or (partner.locations[0] if len(partner.locations) == 1 else None)
    if location is None or location not in partner.locations:
        raise NotApplied("N1", 4, f"location '{location}' is not served by {partner.name}")
    reason = f"receipt {receipt.receipt_id}"
    adjustments = [AdjustStock(location, x.sku, x.quantity, reason) for x in receipt.lines]
    inventory.adjust_stock_in(uow, ctx, adjustments=adjustments, reference=receipt.receipt_id, actor=actor)
    return applied


def _po_acknowledged(
    uow: UnitOfWork, ctx: AppContext, partner: Partner, ts: TransactionSet, actor: Principal
) -> Applied:
    ack = read_purchase_order_ack(ts)
    fo_id = ack.po_number
    order = _order_of(uow, fo_id, "BAK", 3)
    fo = order.fulfillment_order(fo_id)
    if not partner.serves(fo.location):
        raise NotApplied("BAK", 3, f"purchase order {fo_id} is at {fo.location}, which {partner.name} does not serve")
    rejected = {line.line.product.sku: ack.rejected(line) for line in ack.lines if ack.rejected(line)}
    backordered = {line.line.product.sku: ack.backordered(line) for line in ack.lines if ack.backordered(line)}
    parsed = {"purchase_order": fo_id, "ack_type": ack.ack_type, "rejected": rejected, "backordered": backordered,
              "vendor_order_number": ack.vendor_order_number}  # fmt: skip
    if fo.status not in ACTIVE:
        return Applied(fo_id, order.id, fo_id, {**parsed, "note": f"fulfilment order is {fo.status.value}"})
    if rejected:
        said = ", ".join(f"{sku} x {units}" for sku, units in rejected.items())
        declined = _declined_units(uow, partner, fo_id, ack)
        fulfillment.reject_lines_in(
            uow, ctx, fo_id=fo_id, quantities=declined, reason=f"vendor rejected {said} (855)", actor=actor
        )
    if fo.status == FulfillmentStatus.OPEN and any(ack.accepted(line) > 0 for line in ack.lines):
        kept = uow.orders.get(order.id)
        if kept is not None and kept.fulfillment_order(fo_id).status == FulfillmentStatus.OPEN:
            fulfillment.accept_in(uow, ctx, fo_id=fo_id, actor=actor)
    return Applied(fo_id, order.id, fo_id, parsed)


def _declined_units(uow: UnitOfWork, partner: Partner, fo_id: str, ack: PurchaseOrderAcknowledgement) -> dict[str, int]:
    """The rejected units of an 855 per order line: its PO1 line numbers name the lines of our 850."""
    sent = uow.edi_documents.find(partner.id, Direction.OUT.value, f"850:{fo_id}")
    by_number = (
        {line["line_number"]: line["order_line_id"] for line in (sent.parsed or {}).get("lines", [])} if sent else {}
    )
    declined: dict[str, int] = {}
    for line in ack.lines:
        units = ack.rejected(line)
        line_id = by_number.get(line.line.line_number)
        if units and line_id is None:
            raise NotApplied("PO1", 1, f"line {line.line.line_number} is not on purchase order {fo_id}")
        if units and line_id is not None:
            declined[line_id] = declined.get(line_id, 0) + units
    return declined


def _invoiced(uow: UnitOfWork, partner: Partner, ts: TransactionSet) -> Applied:
    invoice = read_invoice(ts)
    parsed: dict[str, Any] = {"invoice_number": invoice.invoice_number, "purchase_order": invoice.po_number,
                              "total": str(invoice.total), "lines_total": str(invoice.lines_total)}  # fmt: skip
    applied = Applied(invoice.invoice_number, None, invoice.po_number, parsed)
    earlier = _earlier(uow, partner, "810", invoice.invoice_number)
    if earlier is not None:
        return replace(applied, duplicate_of=earlier)
    sent = uow.edi_documents.find(partner.id, Direction.OUT.value, f"850:{invoice.po_number}")
    if sent is None or not sent.parsed:
        raise NotApplied("BIG", 4, f"no purchase order '{invoice.po_number}' was sent to {partner.name}")
    ordered = {line["line_number"]: line for line in sent.parsed["lines"]}
    order = _order_of(uow, invoice.po_number, "BIG", 4)
    shipped = {fl.order_line_id: fl.shipped + fl.delivered for fl in order.fulfillment_order(invoice.po_number).lines}
    found = [*_line_differences(invoice.lines, ordered, shipped)]
    if invoice.total != invoice.lines_total:
        said = f"total {_money(invoice.total)} is not the lines' {_money(invoice.lines_total)}"
        found.append(_discrepancy("TDS", 1, said))
    return replace(applied, order_id=order.id, discrepancies=found)


def _line_differences(
    lines: Sequence[InvoiceLine], ordered: Mapping[str, Mapping[str, Any]], shipped: Mapping[str, int]
) -> Iterator[dict[str, Any]]:
    for line in lines:
        po_line = ordered.get(line.line_number)
        if po_line is None:
            yield _discrepancy("IT1", 1, f"line {line.line_number} ({line.product.sku}) is not on the purchase order")
            continue
        price = Decimal(po_line["unit_price"])
        if line.unit_price != price:
            said = f"line {line.line_number}: invoiced {_money(line.unit_price)} a unit, ordered at {_money(price)}"
            yield _discrepancy("IT1", 4, said)
        units = shipped.get(po_line["order_line_id"], 0)
        if line.quantity > units:
            yield _discrepancy("IT1", 2, f"line {line.line_number}: invoiced {line.quantity} unit(s), {units} shipped")


def _money(amount: Decimal) -> str:
    """An amount as people write it: cents shown (X12 drops trailing zeros), finer fractions kept."""
    cents = amount.quantize(Decimal("0.01"))
    return f"{cents:.2f}" if cents == amount else str(amount)


def _discrepancy(segment: str, element: int, message: str) -> dict[str, Any]:
    return {"segment": segment, "position": None, "element": element, "code": "discrepancy", "message": message}


def _acknowledged(uow: UnitOfWork, ctx: AppContext, partner: Partner, ts: TransactionSet, document_id: str) -> Applied:
    ack = read_acknowledgement(ts)
    answered: list[str] = []
    for answer in ack.sets:
        control = f"{ack.group_control_number}:{answer.control_number}"
        status = DocumentStatus.REFUSED if answer.verdict is Verdict.REJECTED else DocumentStatus.ACCEPTED
        for document in uow.edi_documents.by_control_number(partner.id, Direction.OUT.value, control):
            uow.edi_documents.save(
                replace(document, status=status.value, acknowledgement_id=document_id, updated_at=ctx.clock.now())
            )
            answered.append(document.id)
    parsed = {"group": ack.group_control_number, "verdict": ack.verdict.value, "answered": answered}
    return Applied(str(ack.group_control_number), parsed=parsed)


def _earlier(uow: UnitOfWork, partner: Partner, code: str, reference: str | None) -> str | None:
    """An applied inbound document of this type with the same reference (the partner's shipment or receipt id)."""
    if not reference:
        return None
    where = DocumentFilter(Direction.IN.value, code, DocumentStatus.APPLIED.value, partner.id, reference=reference)
    found = uow.edi_documents.page(where, after=None, limit=1).rows
    return found[0].id if found else None


def _timezone(uow: UnitOfWork, code: str) -> str:
    location = uow.locations.get(code)
    return location.profile.timezone if location is not None else "UTC"


def problem_of(error: DomainError, ts: TransactionSet) -> Mapping[str, Any]:
    """An application failure as a document error (the segment and element when known)."""
    segment, element = TAKEN.get(ts.code, ("ST", 1))
    element_number: int | None = element
    if isinstance(error, NotApplied):
        segment, element_number = error.segment, error.element
    return {
        "segment": segment,
        "position": None,
        "element": element_number,
        "code": "not-applied",
        "message": error.detail,
    }
