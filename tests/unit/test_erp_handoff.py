"""The ERP handoff as use cases on the fakes: one document per event and ERP partner, written once however often
the handoff runs; credit memos only for orders that shipped; journals once a day has ended; acknowledgements."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ordermesh.domain.access import SYSTEM
from ordermesh.domain.erp import DocumentFormat
from ordermesh.domain.errors import InvalidInput, NotFound
from ordermesh.domain.partners import PartnerKind, PartnerProtocol, Transport, TransportKind
from ordermesh.services import fulfillment, orders, partners
from ordermesh.services.commands import ShipFulfillment
from ordermesh.services.context import AppContext
from ordermesh.services.erp_acknowledgements import ErpAcknowledgement, acknowledge
from ordermesh.services.erp_handoff import hand_off
from ordermesh.services.partner_ports import DocumentFilter, EdiDocument
from tests.fakes import FakeClock
from tests.unit.test_services_with_fakes import NEWARK, T0, capture, network, order_for, stocked


def erp(ctx: AppContext, name: str = "Finance ERP", **changes: object) -> str:
    transport = Transport(TransportKind.DIRECTORY, "/erp/out", "/erp/in", **changes)  # type: ignore[arg-type]
    draft = partners.PartnerDraft(name, PartnerKind.ERP, PartnerProtocol.JSON, None, transport, ())
    return partners.add_partner(ctx, draft=draft, secrets={}, actor=SYSTEM).partner.id


def shop() -> tuple[AppContext, str, str]:
    """An ERP partner, and an order of 3 tees and a mug at Newark (tax 1.00, shipping 5.00): (ctx, order, fo)."""
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=10, MUG=10)
    command = replace(order_for("W-1", ("TEE", 3), ("MUG", 1)), tax_total=Decimal("1.00"), shipping_total=Decimal(5))
    order = capture(ctx, command)
    (fo,) = order.fulfillment_orders
    return ctx, order.id, fo.id


def ship(ctx: AppContext, fo_id: str, tracking: str, **lines: int) -> None:
    fulfillment.ship(ctx, fo_id=fo_id, command=ShipFulfillment("UPS", tracking, lines or None), actor=SYSTEM)


def documents(ctx: AppContext, type: str | None = None) -> list[EdiDocument]:
    where = DocumentFilter(direction="out", type=type)
    return list(reversed(ctx.read(lambda uow: uow.edi_documents.page(where, after=None, limit=100)).rows))


def line_ids(ctx: AppContext, order_id: str) -> dict[str, str]:
    order = ctx.read(lambda uow: uow.orders.get(order_id))
    assert order is not None
    return {line.sku: line.id for line in order.lines}


def later(ctx: AppContext, delta: timedelta) -> None:
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    clock.advance(delta)


def test_each_shipment_is_invoiced_once_to_each_erp_partner() -> None:
    ctx, order_id, fo_id = shop()
    erp(ctx)
    erp(ctx, "Second ERP", document_format=DocumentFormat.CSV)
    ids = line_ids(ctx, order_id)
    ship(ctx, fo_id, "1Z1", **{ids["TEE"]: 2})
    ship(ctx, fo_id, "1Z2")

    first = hand_off(ctx)
    again = hand_off(ctx)

    assert len(first) == 4 and again == []
    invoices = documents(ctx, "invoice")
    assert sorted({d.dedupe_key for d in invoices}) == ["INV-shp_000001", "INV-shp_000002"]
    assert {d.status for d in invoices} == {"pending"}
    json_ones = [d for d in invoices if d.raw.startswith("{")]
    assert sum(Decimal(d.parsed["totals"]["tax"]) for d in json_ones if d.parsed) == Decimal("1.00")
    assert sum(Decimal(d.parsed["totals"]["shipping"]) for d in json_ones if d.parsed) == Decimal("5.00")
    assert [d for d in invoices if d.raw.startswith("document_type,number")], "the CSV partner got CSV"


def test_events_before_an_erp_partner_existed_are_not_invoiced_to_it() -> None:
    ctx, _, fo_id = shop()
    ship(ctx, fo_id, "1Z1")
    hand_off(ctx)
    erp(ctx)

    assert hand_off(ctx) == []
    assert documents(ctx, "invoice") == []


def test_a_cancellation_after_a_shipment_gets_a_credit_memo_and_one_before_none() -> None:
    ctx, order_id, fo_id = shop()
    erp(ctx)
    ids = line_ids(ctx, order_id)
    orders.cancel_order(ctx, order_id=order_id, lines={ids["MUG"]: 1}, reason="out of mugs", actor=SYSTEM)
    ship(ctx, fo_id, "1Z1", **{ids["TEE"]: 2})
    orders.cancel_order(ctx, order_id=order_id, lines={ids["TEE"]: 1}, reason="customer asked", actor=SYSTEM)

    hand_off(ctx)

    (invoice,) = documents(ctx, "invoice")
    (memo,) = documents(ctx, "credit_memo")
    assert memo.parsed is not None and invoice.parsed is not None
    assert memo.dedupe_key.startswith("CM-evt_") and memo.parsed["credits_invoices"] == [invoice.dedupe_key]
    assert [(x["sku"], x["quantity"]) for x in memo.parsed["lines"]] == [("TEE", 1)]
    assert memo.parsed["reason"] == "customer asked"
    # 2 tees invoiced, 1 tee credited, the mug's share cancelled before any invoice: 10.00 + 30.00 of 40.00
    invoiced, credited = Decimal(invoice.parsed["totals"]["tax"]), Decimal(memo.parsed["totals"]["tax"])
    assert (invoiced, credited) == (Decimal("0.50"), Decimal("0.25"))


def test_the_journal_of_a_day_is_written_once_after_the_day_ends() -> None:
    ctx, order_id, fo_id = shop()
    erp(ctx)
    hand_off(ctx)  # the first round marks where journals start
    ids = line_ids(ctx, order_id)
    ship(ctx, fo_id, "1Z1", **{ids["TEE"]: 3})
    hand_off(ctx)
    assert documents(ctx, "journal") == []  # the day has not ended
    midnight = datetime.combine(T0.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    later(ctx, midnight - T0 + timedelta(minutes=1))
    assert hand_off(ctx) == []  # within the grace period
    ship(ctx, fo_id, "1Z2")  # tomorrow's

    later(ctx, timedelta(minutes=15))
    written = hand_off(ctx)
    hand_off(ctx)

    (journal,) = documents(ctx, "journal")
    assert journal in written and journal.dedupe_key == f"JNL-{T0.date().isoformat()}-USD"
    assert journal.parsed is not None
    assert journal.parsed["invoices"]["count"] == 1 and journal.parsed["credit_memos"]["count"] == 0
    (invoice, _) = documents(ctx, "invoice")
    assert invoice.parsed is not None
    assert journal.parsed["invoices"]["total"] == invoice.parsed["totals"]["total"]
    assert journal.parsed["documents"] == [invoice.dedupe_key]


def test_an_acknowledgement_marks_the_document_and_comes_again_harmlessly() -> None:
    ctx, _, fo_id = shop()
    partner_id = erp(ctx)
    ship(ctx, fo_id, "1Z1")
    (invoice,) = hand_off(ctx)
    accepted = ErpAcknowledgement(invoice.dedupe_key, "accepted", "SAP-9000001")

    first = acknowledge(ctx, partner_id=partner_id, acknowledgement=accepted, actor=SYSTEM)
    again = acknowledge(ctx, partner_id=partner_id, acknowledgement=accepted, actor=SYSTEM)

    assert (first.document.status, first.repeated, again.repeated) == ("accepted", False, True)
    assert again.acknowledgement.id == first.acknowledgement.id
    assert first.document.acknowledgement_id == first.acknowledgement.id
    assert first.acknowledgement.reference == "SAP-9000001"
    rejected = ErpAcknowledgement(invoice.dedupe_key, "rejected", None, "period closed")
    refused = acknowledge(ctx, partner_id=partner_id, acknowledgement=rejected, actor=SYSTEM).document
    assert refused.status == "refused" and refused.errors[0]["message"] == "period closed"


def test_an_acknowledgement_of_an_unknown_number_or_from_a_non_erp_partner_is_refused() -> None:
    ctx, _, _ = shop()
    partner_id = erp(ctx)
    transport = Transport(TransportKind.DIRECTORY, "/wms/out", "/wms/in")
    draft = partners.PartnerDraft("WMS", PartnerKind.WMS, PartnerProtocol.JSON, None, transport, ("NWK",))
    wms = partners.add_partner(ctx, draft=draft, secrets={}, actor=SYSTEM).partner.id
    ack = ErpAcknowledgement("INV-nope", "accepted")

    with pytest.raises(NotFound, match="INV-nope"):
        acknowledge(ctx, partner_id=partner_id, acknowledgement=ack, actor=SYSTEM)
    with pytest.raises(InvalidInput):
        acknowledge(ctx, partner_id=wms, acknowledgement=ack, actor=SYSTEM)
