"""Hand finance's ERP what it books: an invoice per shipment, a credit memo per cancellation of an invoiced order,
and a journal per business day and currency (domain/erp says what each holds and how amounts are shared out).

- `write_documents` tails the outbox from its own relay position ("erp-handoff"): for each shipment, and each
  cancellation of an order that had shipped, it logs one document for every active ERP partner (protocol
  json) as a pending outbound document, numbered by what it is about (`INV-<shipment id>`, `CM-<event id>`),
  in the partner's format (its transport's `document_format`), and moves the position in the same
  transaction: each event is handed off once, however many workers run or restart. Events from before an ERP
  partner was configured are not handed to it later.
- `close_days` writes the journals of the business days (UTC) that have ended, once the handoff has caught up
  with the outbox and a grace period has passed; its relay position ("erp-journal") holds the last day closed.

What is logged is delivered by the partner's transport (`deliver_pending`) like any outbound document.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ordermesh.domain.erp import (
    CreditMemo,
    ErpDocument,
    ErpDocumentType,
    Invoice,
    Journal,
    Summary,
    as_data,
    credit_memo_for,
    invoice_for,
    invoice_number,
    journal_of,
    render,
    summary_of,
    was_invoiced,
)
from ordermesh.domain.orders import Order
from ordermesh.domain.partners import Direction, DocumentStatus, Partner, PartnerKind, PartnerProtocol
from ordermesh.services.context import AppContext
from ordermesh.services.partner_ports import DocumentFilter, EdiDocument, PartnerRecord
from ordermesh.services.ports import StoredEvent, UnitOfWork
from ordermesh.services.relay import RELAY_BATCH

log = logging.getLogger(__name__)
HANDOFF_RELAY = "erp-handoff"
JOURNAL_RELAY = "erp-journal"
SHIPPED = "ordermesh.fulfillment_order.shipped"
CANCELLED = "ordermesh.order.cancelled"
CATCH_UP_BATCHES = 10
MAX_DAYS_PER_ROUND = 31
JOURNAL_GRACE = timedelta(minutes=10)  # after midnight UTC, before a day's journal is written
SCAN_PAGE = 200
ERP_TYPES = frozenset(t.value for t in ErpDocumentType)


def erp_file_name(record: PartnerRecord, document: EdiDocument) -> str | None:
    """The file an ERP document is delivered as: its number in the partner's format (`INV-shp_01J...json`);
    None for any other document."""
    if document.type not in ERP_TYPES:
        return None
    return f"{document.dedupe_key}.{record.partner.transport.document_format.value}"


def erp_partners(records: Sequence[PartnerRecord]) -> list[Partner]:
    """The partners that take ERP documents: active, kind erp, speaking JSON."""
    return [
        r.partner
        for r in records
        if r.partner.active and r.partner.kind == PartnerKind.ERP and r.partner.protocol == PartnerProtocol.JSON
    ]


@dataclass(frozen=True)
class Batch:
    events: int  # read from the outbox (0: caught up, or another process holds the position)
    written: list[EdiDocument]


def write_documents(ctx: AppContext) -> Batch:
    """Hand off the next batch of events; the position moves in the same transaction as the documents."""

    def work(uow: UnitOfWork) -> Batch:
        now = ctx.clock.now()
        claim = uow.relays.claim(HANDOFF_RELAY, now)
        if claim is None:
            return Batch(0, [])
        page = uow.outbox.feed(after=claim.cursor, limit=RELAY_BATCH)
        if not page.rows:
            return Batch(0, [])
        partners = erp_partners(uow.partners.all())
        written: list[EdiDocument] = []
        for event in page.rows if partners else ():
            document = _document_for(uow, event, now)
            if document is not None:
                written += [d for p in partners if (d := _log(uow, ctx, p, document, now)) is not None]
        uow.relays.advance(claim, page.next_cursor, now)
        return Batch(len(page.rows), written)

    return ctx.transaction(work)


def hand_off(ctx: AppContext, *, grace: timedelta = JOURNAL_GRACE) -> list[EdiDocument]:
    """Write the documents of new events, then, once caught up, the journals of the days that have ended."""
    written: list[EdiDocument] = []
    for _ in range(CATCH_UP_BATCHES):
        batch = write_documents(ctx)
        written += batch.written
        if batch.events == 0:
            return written + close_days(ctx, grace=grace)
    return written  # more to read: the journals wait for the next round


def _document_for(uow: UnitOfWork, event: StoredEvent, now: datetime) -> Invoice | CreditMemo | None:
    if event.type not in (SHIPPED, CANCELLED):
        return None
    order = uow.orders.get(str(event.data.get("order_id")))
    if order is None:
        return None
    if event.type == SHIPPED:
        return _invoice(uow, order, event.data, now)
    return _credit_memo(uow, order, event, now)


def _invoice(uow: UnitOfWork, order: Order, data: Mapping[str, Any], now: datetime) -> Invoice | None:
    shipments = [(fo, s) for fo in order.fulfillment_orders for s in fo.shipments]
    found = [(fo, s) for fo, s in shipments if s.id == data.get("shipment_id")]
    if not found:
        log.warning("shipment %s of order %s not found: no invoice", data.get("shipment_id"), order.id)
        return None
    fo, shipment = found[0]
    earlier = [s for _, s in shipments if s.id < shipment.id]  # ids sort by creation
    return invoice_for(
        order, shipment, location=fo.location, earlier=earlier, issued_at=now, descriptions=_descriptions(uow, order)
    )


def _credit_memo(uow: UnitOfWork, order: Order, event: StoredEvent, now: datetime) -> CreditMemo | None:
    lines = event.data.get("lines") or []
    if not was_invoiced(lines):
        return None  # cancelled before anything shipped: the ERP has no invoice of this order
    invoices = [
        invoice_number(s.id) for fo in order.fulfillment_orders for s in sorted(fo.shipments, key=lambda s: s.id)
        if s.shipped_at <= event.time
    ]  # fmt: skip
    return credit_memo_for(
        order,
        event_id=event.id,
        cancelled={str(k): int(v) for k, v in (event.data.get("cancelled") or {}).items()},
        cancelled_since_placed={str(x["line_id"]): int(x["cancelled"]) for x in lines},
        invoices=sorted(invoices),
        reason=event.data.get("reason"),
        issued_at=now,
        descriptions=_descriptions(uow, order),
    )


def _descriptions(uow: UnitOfWork, order: Order) -> dict[str, str]:
    names = {}
    for sku in {line.sku for line in order.lines}:
        item = uow.items.get(sku)
        if item is not None:
            names[sku] = item.name
    return names


def _log(
    uow: UnitOfWork, ctx: AppContext, partner: Partner, document: ErpDocument, now: datetime
) -> EdiDocument | None:
    """Log the document for the partner as pending, unless a document with its number was logged before."""
    number = document.number if isinstance(document, Journal) else document.header.number
    if uow.edi_documents.find(partner.id, Direction.OUT.value, number) is not None:
        return None
    order_id = None if isinstance(document, Journal) else document.header.order.order_id
    fo_id = document.shipment.fulfillment_order_id if isinstance(document, Invoice) else None
    logged = EdiDocument(
        id=ctx.ids("edi"),
        partner_id=partner.id,
        direction=Direction.OUT.value,
        type=document.type.value,
        status=DocumentStatus.PENDING.value,
        dedupe_key=number,
        raw=render(document, partner.transport.document_format),
        created_at=now,
        updated_at=now,
        reference=number,
        order_id=order_id,
        fulfillment_order_id=fo_id,
        parsed=as_data(document),
    )
    uow.edi_documents.add(logged)
    return logged


def close_days(ctx: AppContext, *, grace: timedelta = JOURNAL_GRACE) -> list[EdiDocument]:
    """Write the journal of each business day that ended (`grace` ago) since the last one closed, for every ERP
    partner and every currency it was sent documents in that day. The first call only marks where to start."""

    def work(uow: UnitOfWork) -> list[EdiDocument]:
        now = ctx.clock.now()
        claim = uow.relays.claim(JOURNAL_RELAY, now)
        if claim is None:
            return []
        last_ended = (now - grace).astimezone(UTC).date() - timedelta(days=1)
        if claim.cursor is None:
            uow.relays.advance(claim, last_ended.isoformat(), now)
            return []
        day = date.fromisoformat(claim.cursor)
        partners = erp_partners(uow.partners.all())
        written: list[EdiDocument] = []
        for _ in range(MAX_DAYS_PER_ROUND):
            if day >= last_ended:
                break
            day += timedelta(days=1)
            for partner in partners:
                written += _journals(uow, ctx, partner, day, now)
        if day.isoformat() != claim.cursor:
            uow.relays.advance(claim, day.isoformat(), now)
        return written

    return ctx.transaction(work)


def _journals(uow: UnitOfWork, ctx: AppContext, partner: Partner, day: date, now: datetime) -> list[EdiDocument]:
    summaries = _issued_on(uow, partner, day)
    written = []
    for currency in sorted({s.currency for s in summaries}):
        journal = journal_of(day, currency, summaries, issued_at=now)
        if (logged := _log(uow, ctx, partner, journal, now)) is not None:
            written.append(logged)
    return written


def _issued_on(uow: UnitOfWork, partner: Partner, day: date) -> list[Summary]:
    """The invoices and credit memos logged for the partner on the day (newest first, so the scan stops early)."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    found: list[Summary] = []
    for kind in (ErpDocumentType.INVOICE, ErpDocumentType.CREDIT_MEMO):
        where = DocumentFilter(direction=Direction.OUT.value, type=kind.value, partner_id=partner.id)
        after: str | None = None
        while True:
            page = uow.edi_documents.page(where, after=after, limit=SCAN_PAGE)
            for document in page.rows:
                if document.created_at >= start and document.parsed is not None:
                    found.append(summary_of(document.parsed))
            if page.next_cursor is None or not page.rows or page.rows[-1].created_at < start:
                break
            after = page.next_cursor
    return [s for s in found if s.day == day]
