"""Reconciliation runs, on demand and scheduled: compare partners' figures with Ordermesh's, keep the report.

Inventory: for every location a warehouse partner serves, its latest applied snapshot (an 846, or a JSON
inventory message) against Ordermesh's on-hand at the snapshot's moment: today's on-hand less every ledger
movement since (shipments, receipts, adjustments the warehouse had not counted yet, and the correction the
snapshot itself made when it was applied). Vendor invoices: each drop-ship purchase order's shipped units at
the PO price against what the vendor invoiced; a shipped PO with no invoice after the grace period; invoices
recorded as disputed. ERP: every shipment of the window against the invoice handed to each ERP partner for it
(written, delivered, acknowledged by the ERP within the grace period; refused by it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from ordermesh.domain.access import Principal
from ordermesh.domain.edi import read_interchange
from ordermesh.domain.edi.inventory_advice import read_inventory_advice
from ordermesh.domain.erp import invoice_number
from ordermesh.domain.errors import NotFound
from ordermesh.domain.exception_queue import ExceptionKind, RaisedException
from ordermesh.domain.inventory import MovementKind
from ordermesh.domain.partners import Direction, DocumentStatus, PartnerKind
from ordermesh.domain.reconciliation import (
    Check,
    Discrepancy,
    ReconciliationRun,
    RunStatus,
    Tolerances,
    money,
    stock_discrepancies,
)
from ordermesh.services.context import AppContext
from ordermesh.services.exception_queue import raise_exception
from ordermesh.services.partner_ports import DocumentFilter, EdiDocument
from ordermesh.services.ports import FulfillmentFilter, Page, UnitOfWork

INVENTORY_TYPES = ("846", "json:inventory")
PAGE = 200
LEDGER_KINDS = tuple(MovementKind)


def run_reconciliation(
    ctx: AppContext, *, checks: Sequence[Check], tolerances: Tolerances, actor: Principal
) -> ReconciliationRun:
    """Run the checks now and store the report (a run that fails is stored as failed, with the error)."""
    run = ReconciliationRun(ctx.ids("rec"), RunStatus.RUNNING, tuple(checks), tolerances, ctx.clock.now())

    def start(uow: UnitOfWork) -> None:
        uow.reconciliations.add(run)
        uow.audit.record(
            actor=actor, action="reconciliation.run", entity="reconciliation_run", entity_id=run.id, before=None,
            after={"checks": [c.value for c in checks], "tolerances": tolerances.data()}, at=run.started_at,
        )  # fmt: skip

    ctx.transaction(start)
    try:
        found: list[Discrepancy] = []
        summary: dict[str, Any] = {}
        if Check.INVENTORY in checks:
            summary["inventory"], inventory = _inventory(ctx, tolerances)
            found += inventory
        if Check.VENDOR_INVOICES in checks:
            summary["vendor_invoices"], invoices = _vendor_invoices(ctx, tolerances)
            found += invoices
        if Check.ERP in checks:
            summary["erp"], handed = _erp(ctx, tolerances)
            found += handed
        summary["discrepancies"] = len(found)
        done = replace(run, status=RunStatus.DONE, summary=summary, discrepancies=tuple(found))
    except Exception as exc:  # stored as failed: the report says what went wrong
        done = replace(run, status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
    finished = replace(done, finished_at=ctx.clock.now())
    ctx.transaction(lambda uow: _finish(uow, ctx, finished))
    return finished


def _finish(uow: UnitOfWork, ctx: AppContext, run: ReconciliationRun) -> None:
    """Store the report, and raise each discrepancy as an exception (one open per check and subject)."""
    uow.reconciliations.save(run)
    for d in run.discrepancies:
        evidence = {**d.data(), "run": run.id}
        key = f"reconciliation:{d.check.value}:{d.subject}:{d.detail if d.expected is None else ''}"
        raise_exception(uow, ctx, RaisedException(ExceptionKind.RECONCILIATION, d.subject, d.detail, key, evidence))


def get_run(ctx: AppContext, run_id: str) -> ReconciliationRun:
    run = ctx.read(lambda uow: uow.reconciliations.get(run_id))
    if run is None:
        raise NotFound("reconciliation run", run_id)
    return run


def list_runs(ctx: AppContext, *, after: str | None, limit: int) -> Page:
    return ctx.read(lambda uow: uow.reconciliations.page(after=after, limit=limit))


# -- inventory ---------------------------------------------------------------------------------------------


def _inventory(ctx: AppContext, tolerances: Tolerances) -> tuple[dict[str, Any], list[Discrepancy]]:
    found: list[Discrepancy] = []
    compared = 0
    for record in ctx.read(lambda uow: uow.partners.all()):
        partner = record.partner
        if not partner.active or partner.kind not in (PartnerKind.WMS, PartnerKind.THIRD_PARTY_LOGISTICS):
            continue
        documents = [d for kind in INVENTORY_TYPES for d in _applied(ctx, partner.id, kind)]
        for location in partner.locations:
            latest = _latest_snapshot(ctx, documents, location)
            if latest is None:
                continue
            document, as_of, counts = latest
            ours_now, moved = ctx.read(partial(_ours, location=location, as_of=as_of, skus=counts))
            evidence = {"partner": partner.id, "document": document.id, "as_of": as_of.isoformat()}
            found += stock_discrepancies(location, counts, ours_now, moved, tolerances, evidence)
            compared += len(counts)
    return {"skus_compared": compared}, found


def _applied(ctx: AppContext, partner_id: str, kind: str) -> list[EdiDocument]:
    where = DocumentFilter(Direction.IN.value, kind, DocumentStatus.APPLIED.value, partner_id)
    return list(ctx.read(lambda uow: uow.edi_documents.page(where, after=None, limit=PAGE)).rows)


def _latest_snapshot(
    ctx: AppContext, documents: Iterable[EdiDocument], location: str
) -> tuple[EdiDocument, datetime, dict[str, int]] | None:
    """The newest snapshot of a location among the documents (by its as-of moment), with its counts."""
    best: tuple[EdiDocument, datetime, dict[str, int]] | None = None
    for document in documents:
        for where, as_of, counts in _snapshots(ctx, document, location):
            if where == location and (best is None or as_of > best[1]):
                best = (document, as_of, counts)
    return best


def _snapshots(ctx: AppContext, document: EdiDocument, location: str) -> list[tuple[str, datetime, dict[str, int]]]:
    if document.type.startswith("json:"):
        body = json.loads(document.raw)
        return [
            (body["location"], datetime.fromisoformat(body["as_of"]), {i["sku"]: i["on_hand"] for i in body["items"]})
        ]
    zone = ZoneInfo(ctx.read(lambda uow: _zone(uow, location)))
    found = []
    for group in read_interchange(document.raw).groups:
        for ts in group.sets:
            if ts.code == "846":
                snapshots = read_inventory_advice(ts).snapshots(zone=zone, default_location=location)
                found += [(s.location, s.as_of, dict(s.on_hand)) for s in snapshots]
    return found


def _zone(uow: UnitOfWork, code: str) -> str:
    location = uow.locations.get(code)
    return location.profile.timezone if location is not None else "UTC"


def _ours(
    uow: UnitOfWork, location: str, as_of: datetime, skus: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """On-hand now, and the on-hand moved since `as_of`, per SKU: what Ordermesh had at that moment is the one
    less the other. The snapshot's own correction, if it was applied, counts as moved: it is the difference the
    warehouse's count made."""
    wanted = set(skus)
    now = {sku: level.on_hand for sku in wanted if (level := uow.stock.get(location, sku)) is not None}
    moved: dict[str, int] = {}
    for movement in uow.stock.movements_between(as_of, None, kinds=LEDGER_KINDS):
        if movement.location == location and movement.sku in wanted:
            moved[movement.sku] = moved.get(movement.sku, 0) + movement.on_hand_delta
    return now, moved


# -- vendor invoices ---------------------------------------------------------------------------------------


def _vendor_invoices(ctx: AppContext, tolerances: Tolerances) -> tuple[dict[str, Any], list[Discrepancy]]:
    found: list[Discrepancy] = []
    checked = 0
    grace_end = ctx.clock.now() - timedelta(days=tolerances.invoice_grace_days)
    for record in ctx.read(lambda uow: uow.partners.all()):
        partner = record.partner
        if partner.kind != PartnerKind.DROPSHIP_VENDOR:
            continue
        for po in _documents(ctx, DocumentFilter(Direction.OUT.value, "850", partner_id=partner.id)):
            checked += 1
            check = partial(_one_po, partner_id=partner.id, po=po, tolerances=tolerances, grace_end=grace_end)
            found += ctx.read(check)
    return {"purchase_orders_checked": checked}, found


def _documents(ctx: AppContext, where: DocumentFilter) -> list[EdiDocument]:
    rows: list[EdiDocument] = []
    cursor: str | None = None
    while True:
        page = ctx.read(partial(_page, where=where, after=cursor))
        rows += page.rows
        cursor = page.next_cursor
        if cursor is None:
            return rows


def _page(uow: UnitOfWork, *, where: DocumentFilter, after: str | None) -> Page:
    return uow.edi_documents.page(where, after=after, limit=PAGE)


def _one_po(
    uow: UnitOfWork, *, partner_id: str, po: EdiDocument, tolerances: Tolerances, grace_end: datetime
) -> list[Discrepancy]:
    return list(_po_differences(uow, partner_id, po, tolerances, grace_end))


def _po_differences(
    uow: UnitOfWork, partner_id: str, po: EdiDocument, tolerances: Tolerances, grace_end: datetime
) -> Iterable[Discrepancy]:
    fo_id = po.fulfillment_order_id or ""
    order_id = uow.orders.id_for_fulfillment_order(fo_id)
    order = uow.orders.get(order_id) if order_id else None
    if order is None or not po.parsed:
        return
    fo = order.fulfillment_order(fo_id)
    prices = {line["order_line_id"]: Decimal(line["unit_price"]) for line in po.parsed["lines"]}
    owed = sum((prices.get(fl.order_line_id, Decimal(0)) * (fl.shipped + fl.delivered) for fl in fo.lines), Decimal(0))
    invoices = [
        d
        for d in uow.edi_documents.page(
            DocumentFilter(Direction.IN.value, "810", None, partner_id, fo_id), after=None, limit=PAGE
        ).rows
        if d.status in (DocumentStatus.APPLIED.value, DocumentStatus.DISPUTED.value)
    ]
    invoiced = sum((Decimal(d.parsed["lines_total"]) for d in invoices if d.parsed), Decimal(0))
    evidence = {"purchase_order": fo_id, "invoices": [d.id for d in invoices], "purchase_order_document": po.id}
    shipped_at = [s.shipped_at for s in fo.shipments]
    if not invoices and owed and shipped_at and max(shipped_at) < grace_end:
        yield Discrepancy(Check.VENDOR_INVOICES, fo_id, "shipped but not invoiced within the grace period",
                          money(owed), money(Decimal(0)), money(-owed), evidence)  # fmt: skip
    elif invoices and abs(invoiced - owed) > tolerances.money:
        said = f"invoiced {money(invoiced)}, owed {money(owed)} for the units shipped"
        yield Discrepancy(Check.VENDOR_INVOICES, fo_id, said, money(owed), money(invoiced), money(invoiced - owed),
                          evidence)  # fmt: skip
    for d in invoices:
        if d.status == DocumentStatus.DISPUTED.value:
            said = "; ".join(str(e["message"]) for e in d.errors)
            yield Discrepancy(Check.VENDOR_INVOICES, fo_id, f"invoice {d.reference} disputed: {said}",
                              evidence={**evidence, "invoice": d.id})  # fmt: skip


# -- ERP ---------------------------------------------------------------------------------------------------


def _erp(ctx: AppContext, tolerances: Tolerances) -> tuple[dict[str, Any], list[Discrepancy]]:
    now = ctx.clock.now()
    since = now - timedelta(days=tolerances.erp_window_days)
    grace_end = now - timedelta(days=tolerances.invoice_grace_days)
    erps = [r.partner for r in ctx.read(lambda uow: uow.partners.all()) if r.partner.kind == PartnerKind.ERP]
    if not erps:
        return {"shipments_checked": 0}, []
    shipments = ctx.read(partial(_shipments_since, since=since))
    found: list[Discrepancy] = []
    for partner in erps:
        if not partner.active:
            continue
        for shipment_id, fo_id, shipped_at in shipments:
            if shipped_at < partner.created_at:
                continue  # shipped before the ERP was connected: never handed to it
            document = ctx.read(partial(_handed, partner_id=partner.id, number=invoice_number(shipment_id)))
            evidence = {"partner": partner.id, "shipment": shipment_id, "fulfillment_order": fo_id,
                        "shipped_at": shipped_at.isoformat(),
                        "document": document.id if document else None}  # fmt: skip
            problem = _erp_problem(document, shipped_at, grace_end)
            if problem is not None:
                found.append(Discrepancy(Check.ERP, invoice_number(shipment_id), f"{partner.name}: {problem}",
                                         evidence=evidence))  # fmt: skip
    return {"shipments_checked": len(shipments), "erp_partners": len(erps)}, found


def _handed(uow: UnitOfWork, *, partner_id: str, number: str) -> EdiDocument | None:
    return uow.edi_documents.find(partner_id, Direction.OUT.value, number)


def _erp_problem(document: EdiDocument | None, shipped_at: datetime, grace_end: datetime) -> str | None:
    if document is None:
        return "no invoice was handed over for the shipment"
    if document.status == DocumentStatus.REFUSED.value:
        return f"the ERP refused invoice {document.reference}: {_said(document)}"
    if document.status == DocumentStatus.ACCEPTED.value or shipped_at >= grace_end:
        return None
    if document.status == DocumentStatus.PENDING.value:
        return f"invoice {document.reference} is not delivered yet: {_said(document) or 'waiting'}"
    return f"invoice {document.reference} was delivered but the ERP has not acknowledged it"


def _said(document: EdiDocument) -> str:
    return "; ".join(str(e.get("message")) for e in document.errors)


def _shipments_since(uow: UnitOfWork, *, since: datetime) -> list[tuple[str, str, datetime]]:
    """(shipment id, fulfilment order id, shipped at) of every shipment since a moment, oldest first."""
    found: list[tuple[str, str, datetime]] = []
    cursor: str | None = None
    while True:
        page = uow.orders.list_fulfillment_orders(FulfillmentFilter(), after=cursor, limit=PAGE)
        for fo in page.rows:
            found += [(s.id, fo.id, s.shipped_at) for s in fo.shipments if s.shipped_at >= since]
        cursor = page.next_cursor
        if cursor is None:
            return sorted(found, key=lambda row: (row[2], row[0]))
