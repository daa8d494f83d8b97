"""945 Warehouse Shipping Advice: a warehouse's word that it shipped (some of) a fulfilment order.

W06 (our fulfilment order id as depositor order number, ship date, shipment id, purchase order), N1 loops,
N9 references (BM bill of lading, CN / 2I tracking), G62*11 ship date, W27 carrier (SCAC, routing), LX loops
with MAN*CP package tracking, W12 per line (ordered, shipped, difference, SKU) and N9*LI our order line id,
W03 totals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from ordermesh.domain.edi.fields import Fields, Located, located
from ordermesh.domain.edi.model import Segment, TransactionSet, segment
from ordermesh.domain.edi.outcomes import ConfirmedLine, ShipmentConfirmation
from ordermesh.domain.edi.parties import SHIP_FROM, SHIP_TO, Carrier, Party, PartyReader, Reference, party_segments
from ordermesh.domain.edi.problems import ElementError
from ordermesh.domain.edi.shipping_order import LINE_ITEM, SKU_QUALIFIERS
from ordermesh.domain.edi.values import format_date, format_decimal

SHIPPED_ON = "11"  # G62 qualifier
TRACKING_QUALIFIERS = ("CN", "2I")  # N9: carrier's reference (PRO / tracking), tracking number
BILL_OF_LADING = "BM"
PACKAGE_TRACKING = "CP"  # MAN01: carrier-assigned package id


@dataclass(frozen=True)
class ShippedLine:
    line_number: int  # LX01
    sku: str  # W1208
    shipped: int  # W1203
    ordered: int | None = None  # W1202
    difference: int | None = None  # W1204
    status: str = "CC"  # W1201: CC shipped complete, CP partial, ...
    unit: str = "EA"
    upc: str | None = None
    sku_qualifier: str = "SK"
    order_line_id: str | None = None  # N9*LI
    package_tracking: str | None = None  # MAN*CP


@dataclass(frozen=True)
class ShippingAdvice:
    fulfillment_order_id: str  # W0602
    shipped_on: date  # W0603
    lines: tuple[ShippedLine, ...]
    shipment_id: str | None = None  # W0604
    order_external_id: str | None = None  # W0606
    reporting_code: str = "F"  # W0601
    ship_to: Party | None = None
    ship_from: Party | None = None  # the warehouse; its code is the partner's location code
    references: tuple[Reference, ...] = ()
    carrier: Carrier | None = None
    total_weight: Decimal | None = None  # W0302, pounds

    @property
    def total_shipped(self) -> int:
        return sum(line.shipped for line in self.lines)

    @property
    def tracking_numbers(self) -> tuple[str, ...]:
        """Tracking numbers from the header references and the packages, each once."""
        found = [r.value for r in self.references if r.qualifier in TRACKING_QUALIFIERS]
        found += [line.package_tracking for line in self.lines if line.package_tracking]
        return tuple(dict.fromkeys(found))

    def confirmation(self) -> ShipmentConfirmation:
        """The shipment this advice confirms, in Ordermesh's terms."""
        return ShipmentConfirmation(
            fulfillment_order_id=self.fulfillment_order_id,
            shipment_id=self.shipment_id,
            shipped_on=self.shipped_on,
            carrier=self.carrier.scac if self.carrier else None,
            service=self.carrier.service if self.carrier else None,
            tracking_numbers=self.tracking_numbers,
            lines=tuple(
                ConfirmedLine(line.sku, line.shipped, line.ordered, line.order_line_id, str(line.line_number))
                for line in self.lines
            ),
        )


def shipping_advice_set(advice: ShippingAdvice) -> TransactionSet:
    """The 945 for a shipping advice (what a warehouse sends; the simulated warehouse and the tests use it)."""
    body: list[Segment] = [
        segment("W06", advice.reporting_code, advice.fulfillment_order_id, format_date(advice.shipped_on),
                advice.shipment_id, None, advice.order_external_id)
    ]  # fmt: skip
    if advice.ship_to is not None:
        body += party_segments(SHIP_TO, advice.ship_to)
    if advice.ship_from is not None:
        body += party_segments(SHIP_FROM, advice.ship_from)
    body += [segment("N9", r.qualifier, r.value) for r in advice.references]
    body.append(segment("G62", SHIPPED_ON, format_date(advice.shipped_on)))
    if advice.carrier is not None:
        c = advice.carrier
        body.append(segment("W27", c.transport_method, c.scac, c.service, c.payment))
    for line in advice.lines:
        body.append(segment("LX", str(line.line_number)))
        if line.package_tracking:
            body.append(segment("MAN", PACKAGE_TRACKING, line.package_tracking))
        body.append(
            segment("W12", line.status, _number(line.ordered), str(line.shipped), _number(line.difference),
                    line.unit, line.upc, line.sku_qualifier, line.sku)
        )  # fmt: skip
        if line.order_line_id:
            body.append(segment("N9", LINE_ITEM, line.order_line_id))
    weight = format_decimal(advice.total_weight) if advice.total_weight is not None else None
    body.append(segment("W03", str(advice.total_shipped), weight, "LB" if weight else None))
    return TransactionSet("945", tuple(body))


def _number(value: int | None) -> str | None:
    return None if value is None else str(value)


@dataclass
class _Draft:
    reporting_code: str = ""
    fulfillment_order_id: str | None = None
    shipped_on: date | None = None
    shipment_id: str | None = None
    order_external_id: str | None = None
    carrier: Carrier | None = None
    totals: Located | None = None


def read_shipping_advice(ts: TransactionSet) -> ShippingAdvice:
    """The shipping advice a 945 carries. Raises X12Error naming every bad segment and element."""
    fields = Fields(ts, "945")
    parties = PartyReader(fields)
    draft = _Draft()
    references: list[Reference] = []
    lines: list[ShippedLine] = []
    for at in located(ts):
        if parties.take(at):
            continue
        if at.id == "W06":
            draft.reporting_code = fields.text(at, 1, "reporting code")
            draft.fulfillment_order_id = fields.text(at, 2, "depositor order number")
            draft.shipped_on = fields.date(at, 3, "ship date")
            draft.shipment_id = fields.optional(at, 4)
            draft.order_external_id = fields.optional(at, 6)
        elif at.id == "N9" and lines and at.value(1) == LINE_ITEM:
            lines[-1] = replace(lines[-1], order_line_id=fields.text(at, 2, "order line id"))
        elif at.id == "N9" and not lines:
            references.append(Reference(fields.text(at, 1, "reference qualifier"), fields.text(at, 2, "reference")))
        elif at.id == "G62" and at.value(1) == SHIPPED_ON and draft.shipped_on is None:
            draft.shipped_on = fields.date(at, 2, "ship date")
        elif at.id == "W27":
            transport = fields.text(at, 1, "transportation method")
            if not at.value(2) and not at.value(3):
                fields.note(at, ElementError.CONDITIONAL_MISSING, "W2702 SCAC (or W2703 routing) is missing", 2)
            draft.carrier = Carrier(at.value(2) or None, at.value(3) or None, transport, at.value(4) or "PP")
        elif at.id == "LX":
            parties.close()
            lines.append(ShippedLine(fields.quantity(at, 1, "assigned number") or 0, "", 0))
        elif at.id == "MAN" and lines and at.value(1) == PACKAGE_TRACKING:
            lines[-1] = replace(lines[-1], package_tracking=fields.text(at, 2, "package tracking number"))
        elif at.id == "W12":
            if not lines or lines[-1].sku:
                lines.append(ShippedLine(len(lines) + 1, "", 0))
            lines[-1] = _shipped_line(fields, at, lines[-1])
        elif at.id == "W03":
            draft.totals = at
    _check(fields, ts, draft, lines)
    fields.raise_problems()
    return ShippingAdvice(
        fulfillment_order_id=draft.fulfillment_order_id or "",
        shipped_on=draft.shipped_on or date.min,
        lines=tuple(lines),
        shipment_id=draft.shipment_id,
        order_external_id=draft.order_external_id,
        reporting_code=draft.reporting_code,
        ship_to=parties.parties.get(SHIP_TO),
        ship_from=parties.parties.get(SHIP_FROM),
        references=tuple(references),
        carrier=draft.carrier,
        total_weight=fields.decimal(draft.totals, 2, "weight") if draft.totals else None,
    )


def _shipped_line(fields: Fields, at: Located, line: ShippedLine) -> ShippedLine:
    ordered = fields.quantity(at, 2, "quantity ordered", required=False)
    shipped = fields.quantity(at, 3, "number of units shipped") or 0
    difference = fields.signed_quantity(at, 4, "quantity difference")
    if ordered is not None and difference is not None and ordered - shipped != difference:
        detail = f"W1204 difference {difference} is not ordered {ordered} less shipped {shipped}"
        fields.note(at, ElementError.INVALID_CODE, detail, 4, at.value(4))
    return replace(
        line,
        sku=fields.text(at, 8, "product id (SKU)"),
        shipped=shipped,
        ordered=ordered,
        difference=difference,
        status=fields.text(at, 1, "shipment/order status code"),
        unit=at.value(5) or "EA",
        upc=at.value(6) or None,
        sku_qualifier=fields.code(at, 7, "product id qualifier", SKU_QUALIFIERS),
    )


def _check(fields: Fields, ts: TransactionSet, draft: _Draft, lines: list[ShippedLine]) -> None:
    if draft.fulfillment_order_id is None:
        fields.missing_segment("W06", 2, "W06 is missing: a 945 opens with the warehouse shipment identification")
    if not lines:
        fields.missing_segment("W12", ts.segment_count, "a 945 has at least one W12 line")
    if draft.totals is None:
        fields.missing_segment("W03", ts.segment_count, "W03 is missing: a 945 closes with its totals")
        return
    said = fields.quantity(draft.totals, 1, "total units shipped")
    counted = sum(line.shipped for line in lines)
    if draft.totals.value(1) and said is not None and said != counted:
        detail = f"W0301 total units shipped {said} is not the sum of the W12 shipped quantities, {counted}"
        fields.note(draft.totals, ElementError.INVALID_CODE, detail, 1, draft.totals.value(1))
