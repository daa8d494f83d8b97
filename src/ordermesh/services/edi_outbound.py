"""Outbound EDI: write a document for a partner (numbered, enveloped, in its delimiters) and log it.

Documents are written inside the unit of work that decides to send them, with control numbers taken from
the partner's row under a lock, so no two documents share a number and a rolled-back decision leaves none
behind. They wait as `pending` until the transport delivers them (`deliver_pending`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ordermesh.domain.edi import TransactionSet, envelope, write_interchange
from ordermesh.domain.partners import Direction, DocumentStatus, Partner
from ordermesh.services.context import AppContext
from ordermesh.services.partner_ports import DocumentFilter, EdiDocument, PartnerRecord
from ordermesh.services.ports import UnitOfWork

log = logging.getLogger(__name__)
DELIVERY_BATCH = 50


class DocumentTransport(Protocol):
    def deliver(self, record: PartnerRecord, document: EdiDocument) -> str | None:
        """Hand a document to the partner's transport; return None when done, else why it failed (retried)."""
        ...


def write_x12(
    uow: UnitOfWork,
    ctx: AppContext,
    partner: Partner,
    ts: TransactionSet,
    *,
    dedupe_key: str,
    reference: str | None = None,
    order_id: str | None = None,
    fulfillment_order_id: str | None = None,
    parsed: Mapping[str, Any] | None = None,
) -> EdiDocument:
    """Envelope one transaction set for the partner, log it as a pending outbound document and return it."""
    assert partner.x12 is not None, "an X12 partner has its X12 settings"
    settings = partner.x12
    numbers = uow.partners.next_control_numbers(partner.id, 1)
    now = ctx.clock.now()
    interchange = envelope(
        [ts],
        sender=settings.ours,
        receiver=settings.partner,
        numbers=numbers,
        version=settings.version,
        prepared_at=now.astimezone(ZoneInfo("UTC")),
        delimiters=settings.delimiters,
        usage=settings.usage,
        ack_requested=settings.ack_requested,
    )
    text = write_interchange(interchange, line_break=settings.line_break)
    document = EdiDocument(
        id=ctx.ids("edi"),
        partner_id=partner.id,
        direction=Direction.OUT.value,
        type=ts.code,
        status=DocumentStatus.PENDING.value,
        dedupe_key=dedupe_key,
        raw=text,
        created_at=now,
        updated_at=now,
        control_number=f"{numbers.group}:{numbers.set_numbers()[0]}",
        reference=reference,
        order_id=order_id,
        fulfillment_order_id=fulfillment_order_id,
        parsed=dict(parsed) if parsed is not None else None,
    )
    uow.edi_documents.add(document)
    return document


def write_json(
    uow: UnitOfWork,
    ctx: AppContext,
    partner: Partner,
    kind: str,
    body: Mapping[str, Any],
    *,
    dedupe_key: str,
    reference: str | None = None,
    order_id: str | None = None,
    fulfillment_order_id: str | None = None,
) -> EdiDocument:
    """Log a JSON document for a partner as pending (`kind` e.g. `shipping_order`, its type `json:<kind>`)."""
    now = ctx.clock.now()
    document = EdiDocument(
        id=ctx.ids("edi"),
        partner_id=partner.id,
        direction=Direction.OUT.value,
        type=f"json:{kind}",
        status=DocumentStatus.PENDING.value,
        dedupe_key=dedupe_key,
        raw=json.dumps({"type": kind, **body}, indent=2),
        created_at=now,
        updated_at=now,
        reference=reference,
        order_id=order_id,
        fulfillment_order_id=fulfillment_order_id,
        parsed=dict(body),
    )
    uow.edi_documents.add(document)
    return document


def content_key(text: str) -> str:
    """A document's de-duplication key: the SHA-256 of its content."""
    return hashlib.sha256(text.encode()).hexdigest()


def deliver_pending(
    ctx: AppContext,
    transports: Mapping[str, DocumentTransport],
    *,
    retry_after: timedelta = timedelta(minutes=1),
) -> int:
    """Hand pending outbound documents to their partners' transports; return how many were delivered.

    A document whose transport fails stays pending, with the error, and is tried again on a later round.
    """
    pending = ctx.read(
        lambda uow: list(
            uow.edi_documents.page(
                DocumentFilter(direction=Direction.OUT.value, status=DocumentStatus.PENDING.value),
                after=None,
                limit=DELIVERY_BATCH,
            ).rows
        )
    )
    delivered = 0
    for document in sorted(pending, key=lambda d: d.id):
        if document.errors and document.updated_at > ctx.clock.now() - retry_after:
            continue  # failed recently: wait before the next try
        record = _partner(ctx, document.partner_id or "")
        if record is None or not record.partner.active:
            continue
        transport = transports.get(record.partner.transport.kind.value)
        failure = "no transport of this kind" if transport is None else transport.deliver(record, document)
        _record_delivery(ctx, document, failure)
        delivered += failure is None
    return delivered


def _partner(ctx: AppContext, partner_id: str) -> PartnerRecord | None:
    return ctx.read(lambda uow: uow.partners.get(partner_id))


def _record_delivery(ctx: AppContext, document: EdiDocument, failure: str | None) -> None:
    def work(uow: UnitOfWork) -> None:
        current = uow.edi_documents.get(document.id)
        if current is None or current.status != DocumentStatus.PENDING.value:
            return
        now = ctx.clock.now()
        if failure is None:
            uow.edi_documents.save(replace(current, status=DocumentStatus.SENT.value, errors=(), updated_at=now))
        else:
            log.warning("document %s not delivered: %s", document.id, failure)
            error = {"segment": None, "position": None, "element": None, "code": "transport", "message": failure}
            uow.edi_documents.save(replace(current, errors=(error,), updated_at=now))

    ctx.transaction(work)
