"""The documents finance's ERP gets from Ordermesh: an invoice per shipment, a credit memo per cancellation of an
invoiced order, and a journal of each business day per currency.

Numbers are stable and unique, made from what the document is about, so a document written again (another
worker, a restart) is recognised as the same one, and the ERP can use the number as its idempotency key:

- `INV-<shipment id>`: one invoice per shipment, for its units and their shares of the order's amounts
  (apportion.py says how the shares are worked out);
- `CM-<event id>`: one credit memo per cancellation of an order that had already been invoiced. Ordermesh never
  cancels units that shipped (taking them back is a return), so what such a cancellation takes back are the
  units the invoiced order will now never ship: the customer paid the channel for the whole order, the ERP
  has seen part of it invoiced, and the memo credits the rest with its shares of tax, shipping and discount so
  that the order's invoices less its credit memos come to what the customer keeps. A cancellation before any
  shipment needs no memo: the ERP has seen nothing of that order, and the cancelled units are never invoiced;
- `JNL-<day>-<currency>`: the counts and totals of the invoices and credit memos issued on a business day (UTC).

The bill-to party is the customer: Ordermesh keeps no billing address.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from ordermesh.domain.catalog import Address
from ordermesh.domain.erp.apportion import ZERO, Charges, OrderValue, spread
from ordermesh.domain.fulfillment import Shipment
from ordermesh.domain.orders import Order


class ErpDocumentType(StrEnum):
    INVOICE = "invoice"
    CREDIT_MEMO = "credit_memo"
    JOURNAL = "journal"


def invoice_number(shipment_id: str) -> str:
    return f"INV-{shipment_id}"


def credit_memo_number(event_id: str) -> str:
    return f"CM-{event_id}"


def journal_number(day: date, currency: str) -> str:
    return f"JNL-{day.isoformat()}-{currency}"


@dataclass(frozen=True)
class Amounts:
    """A document's money: goods (quantity times unit price), less discount, plus tax and shipping."""

    goods: Decimal
    discount: Decimal
    tax: Decimal
    shipping: Decimal

    @property
    def total(self) -> Decimal:
        return self.goods - self.discount + self.tax + self.shipping

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.goods + other.goods,
            self.discount + other.discount,
            self.tax + other.tax,
            self.shipping + other.shipping,
        )


NO_AMOUNTS = Amounts(ZERO, ZERO, ZERO, ZERO)


@dataclass(frozen=True)
class DocumentLine:
    line_number: int
    order_line_id: str
    sku: str
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal  # quantity times unit price
    discount: Decimal  # the line's share of the document's discount
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount - self.discount + self.tax


@dataclass(frozen=True)
class OrderReference:
    order_id: str
    channel: str
    channel_order_number: str  # the order's id on its channel
    placed_at: datetime


@dataclass(frozen=True)
class Party:
    name: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class ShipmentReference:
    shipment_id: str
    fulfillment_order_id: str
    location: str
    carrier: str
    tracking_number: str
    shipped_at: datetime


@dataclass(frozen=True)
class Header:
    """What every invoice and credit memo says about itself and its order."""

    number: str
    issued_at: datetime
    currency: str
    order: OrderReference
    customer: Party
    ship_to: Address | None

    @property
    def date(self) -> date:
        """The business day it was issued on (its issue time is UTC)."""
        return self.issued_at.date()


@dataclass(frozen=True)
class Invoice:
    header: Header
    shipment: ShipmentReference
    lines: tuple[DocumentLine, ...]
    shipping: Decimal

    type = ErpDocumentType.INVOICE

    @property
    def amounts(self) -> Amounts:
        return _amounts(self.lines, self.shipping)


@dataclass(frozen=True)
class CreditMemo:
    header: Header
    invoices: tuple[str, ...]  # the numbers of the order's invoices it credits against
    reason: str | None
    lines: tuple[DocumentLine, ...]
    shipping: Decimal

    type = ErpDocumentType.CREDIT_MEMO

    @property
    def amounts(self) -> Amounts:
        return _amounts(self.lines, self.shipping)


def _amounts(lines: Sequence[DocumentLine], shipping: Decimal) -> Amounts:
    return Amounts(
        sum((x.amount for x in lines), ZERO),
        sum((x.discount for x in lines), ZERO),
        sum((x.tax for x in lines), ZERO),
        shipping,
    )


def order_value(order: Order) -> OrderValue:
    """The weights and amounts an order's documents share out (apportion.py)."""
    amounts = Charges(order.discount_total, order.tax_total, order.shipping_total)
    lines = [(line.id, line.quantity, line.unit_price) for line in order.lines]
    return OrderValue.of(lines, amounts, order.currency)


def invoice_for(
    order: Order,
    shipment: Shipment,
    *,
    location: str,
    earlier: Iterable[Shipment],
    issued_at: datetime,
    descriptions: Mapping[str, str],
) -> Invoice:
    """The invoice of one shipment of the order; `earlier` are the order's shipments recorded before it (their
    units took their shares first). `descriptions` name SKUs (the item's name; the SKU where unknown)."""
    before = _units(s.lines for s in earlier)
    through = _units([before, shipment.lines])
    value = order_value(order)
    charges = value.shipped_share(through) - value.shipped_share(before)
    reference = ShipmentReference(
        shipment.id,
        shipment.fulfillment_order_id,
        location,
        shipment.carrier,
        shipment.tracking_number,
        shipment.shipped_at,
    )
    lines = _lines(order, shipment.lines, charges, descriptions)
    return Invoice(_header(order, invoice_number(shipment.id), issued_at), reference, lines, charges.shipping)


def credit_memo_for(
    order: Order,
    *,
    event_id: str,
    cancelled: Mapping[str, int],
    cancelled_since_placed: Mapping[str, int],
    invoices: Sequence[str],
    reason: str | None,
    issued_at: datetime,
    descriptions: Mapping[str, str],
) -> CreditMemo:
    """The credit memo of one cancellation of an invoiced order: `cancelled` are the units it cancelled per
    line, `cancelled_since_placed` every unit cancelled once it was done (itself included)."""
    after = dict(cancelled_since_placed)
    before = {k: max(0, after.get(k, 0) - cancelled.get(k, 0)) for k in after.keys() | cancelled.keys()}
    value = order_value(order)
    charges = value.cancelled_share(after) - value.cancelled_share(before)
    lines = _lines(order, cancelled, charges, descriptions)
    header = _header(order, credit_memo_number(event_id), issued_at)
    return CreditMemo(header, tuple(invoices), reason, lines, charges.shipping)


def was_invoiced(lines: Iterable[Mapping[str, object]]) -> bool:
    """Whether an order, as an event pictured its lines, had shipped units (and so invoices) at that moment."""
    return any(_count(line.get("shipped")) + _count(line.get("delivered")) > 0 for line in lines)


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0


def _units(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for line_id, quantity in part.items():
            total[line_id] = total.get(line_id, 0) + quantity
    return total


def _header(order: Order, number: str, issued_at: datetime) -> Header:
    reference = OrderReference(order.id, order.channel, order.external_id, order.placed_at)
    customer = Party(order.customer.name, order.customer.email, order.customer.phone)
    return Header(number, issued_at, order.currency, reference, customer, order.ship_to)


def _lines(
    order: Order, units: Mapping[str, int], charges: Charges, descriptions: Mapping[str, str]
) -> tuple[DocumentLine, ...]:
    chosen = [(line, units[line.id]) for line in order.lines if units.get(line.id, 0) > 0]
    amounts = [line.unit_price * quantity for line, quantity in chosen]
    discounts = spread(charges.discount, amounts, order.currency)
    taxes = spread(charges.tax, amounts, order.currency)
    return tuple(
        DocumentLine(
            n, line.id, line.sku, descriptions.get(line.sku, line.sku), quantity, line.unit_price, amount, discount, tax
        )
        for n, ((line, quantity), amount, discount, tax) in enumerate(
            zip(chosen, amounts, discounts, taxes, strict=True), start=1
        )
    )


@dataclass(frozen=True)
class Summary:
    """What a journal needs of one invoice or credit memo."""

    type: ErpDocumentType
    number: str
    currency: str
    day: date
    amounts: Amounts


def summary(document: Invoice | CreditMemo) -> Summary:
    header = document.header
    return Summary(document.type, header.number, header.currency, header.date, document.amounts)


@dataclass(frozen=True)
class JournalLine:
    type: ErpDocumentType  # invoice or credit_memo
    count: int
    amounts: Amounts


@dataclass(frozen=True)
class Journal:
    """The invoices and credit memos of one business day in one currency: how many, and their totals."""

    number: str
    day: date
    currency: str
    issued_at: datetime
    invoices: JournalLine
    credit_memos: JournalLine
    documents: tuple[str, ...]  # the numbers it covers, in number order

    type = ErpDocumentType.JOURNAL

    @property
    def net(self) -> Decimal:
        """Invoiced less credited."""
        return self.invoices.amounts.total - self.credit_memos.amounts.total


def journal_of(day: date, currency: str, documents: Iterable[Summary], *, issued_at: datetime) -> Journal:
    """The day's journal in one currency, from the summaries of the documents issued (others are ignored)."""
    chosen = sorted(
        (d for d in documents if d.day == day and d.currency == currency and d.type != ErpDocumentType.JOURNAL),
        key=lambda d: d.number,
    )

    def line(kind: ErpDocumentType) -> JournalLine:
        of_kind = [d for d in chosen if d.type == kind]
        return JournalLine(kind, len(of_kind), sum((d.amounts for d in of_kind), NO_AMOUNTS))

    return Journal(
        journal_number(day, currency),
        day,
        currency,
        issued_at,
        line(ErpDocumentType.INVOICE),
        line(ErpDocumentType.CREDIT_MEMO),
        tuple(d.number for d in chosen),
    )
