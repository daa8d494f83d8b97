"""JSON messages from API-native partners: the same flows as X12, for warehouses and 3PLs that speak JSON.

A shipment confirmation, an inventory snapshot or a receipt is applied by the same rules as a 945, an 846 or a
944 (services/edi_apply.py) and logged as an inbound document (`json:shipment`, ...). A message is applied once:
its `message_id` is the partner's idempotency key (the same id again answers with the document it made; one that
failed is tried again). One that cannot be applied is logged as failed and raised as DocumentNotApplied.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ordermesh.domain.access import Principal
from ordermesh.domain.edi.outcomes import InventorySnapshot, Receipt, ShipmentConfirmation
from ordermesh.domain.errors import DomainError, InvalidInput, NotFound
from ordermesh.domain.partners import Direction, DocumentStatus, Partner, PartnerProtocol
from ordermesh.services.context import AppContext
from ordermesh.services.edi_apply import Applied, NotApplied, apply_counts, apply_receipt, apply_shipment
from ordermesh.services.edi_inbound import DocumentNotApplied, follow_up
from ordermesh.services.partner_ports import EdiDocument
from ordermesh.services.ports import UnitOfWork

# Where in a message each X12 reference the rules name lives.
_FIELDS = {"W06": "fulfillment_order_id", "PRF": "fulfillment_order_id", "W12": "lines", "N1": "location"}


@dataclass(frozen=True)
class PartnerMessage:
    """One message as read: exactly one of `shipment`, `snapshot` or `receipt`, and the raw JSON it came as."""

    message_id: str
    kind: str  # shipment, inventory, receipt
    raw: str
    shipment: ShipmentConfirmation | None = None
    snapshot: InventorySnapshot | None = None
    receipt: Receipt | None = None


@dataclass(frozen=True)
class MessageResult:
    document: EdiDocument
    repeated: bool


def receive_message(ctx: AppContext, *, partner_id: str, message: PartnerMessage, actor: Principal) -> MessageResult:
    """Apply one message from a JSON partner. Raises NotFound, InvalidInput (an X12 partner), DocumentNotApplied."""
    record = ctx.read(lambda uow: uow.partners.get(partner_id))
    if record is None or not record.partner.active:
        raise NotFound("partner", partner_id)
    partner = record.partner
    if partner.protocol != PartnerProtocol.JSON:
        raise InvalidInput(
            f"partner {partner_id} speaks X12: send its interchanges to /v1/edi/inbound", field=("path", "partner_id")
        )
    try:
        return ctx.transaction(lambda uow: _apply(uow, ctx, partner, message, actor))
    except DomainError as exc:
        error = _error(exc)
        document = ctx.transaction(lambda uow: _failed(uow, ctx, partner, message, error))
        raise DocumentNotApplied(str(error["message"]), [document]) from None


def _failed(
    uow: UnitOfWork, ctx: AppContext, partner: Partner, message: PartnerMessage, error: dict[str, Any]
) -> EdiDocument:
    document = _log(uow, ctx, partner, message, DocumentStatus.FAILED, [error])
    follow_up(uow, ctx, partner.name, document)
    return document


def _apply(
    uow: UnitOfWork, ctx: AppContext, partner: Partner, message: PartnerMessage, actor: Principal
) -> MessageResult:
    earlier = uow.edi_documents.find(partner.id, Direction.IN.value, _key(message))
    if earlier is not None and earlier.status != DocumentStatus.FAILED.value:
        return MessageResult(earlier, repeated=True)
    code = f"json:{message.kind}"
    if message.shipment is not None:
        applied = apply_shipment(uow, ctx, partner, message.shipment, code, actor)
    elif message.snapshot is not None:
        reason = f"inventory snapshot {message.message_id}"
        applied = apply_counts(uow, ctx, partner, [message.snapshot], reason, message.message_id, actor)
    elif message.receipt is not None:
        applied = apply_receipt(uow, ctx, partner, message.receipt, code, actor)
    else:  # the schema admits no such message
        raise InvalidInput("a message carries a shipment, an inventory snapshot or a receipt", field=("type",))
    status = DocumentStatus.DUPLICATE if applied.duplicate_of else DocumentStatus.APPLIED
    document = _log(uow, ctx, partner, message, status, [], applied, earlier)
    follow_up(uow, ctx, partner.name, document)
    return MessageResult(document, repeated=False)


def _log(
    uow: UnitOfWork,
    ctx: AppContext,
    partner: Partner,
    message: PartnerMessage,
    status: DocumentStatus,
    errors: list[dict[str, Any]],
    applied: Applied | None = None,
    earlier: EdiDocument | None = None,
) -> EdiDocument:
    now = ctx.clock.now()
    existing = earlier or uow.edi_documents.find(partner.id, Direction.IN.value, _key(message))
    document = existing or EdiDocument(
        id=ctx.ids("edi"),
        partner_id=partner.id,
        direction=Direction.IN.value,
        type=f"json:{message.kind}",
        status=status.value,
        dedupe_key=_key(message),
        raw=message.raw,
        created_at=now,
        updated_at=now,
    )
    parsed: dict[str, Any] = dict(applied.parsed) if applied else {}
    if applied and applied.duplicate_of:
        parsed["duplicate_of"] = applied.duplicate_of
    document = replace(
        document,
        status=status.value,
        errors=tuple(errors),
        updated_at=now,
        reference=applied.reference if applied else message.message_id,
        order_id=applied.order_id if applied else None,
        fulfillment_order_id=applied.fulfillment_order_id if applied else None,
        parsed=parsed or None,
    )
    if existing is None:
        uow.edi_documents.add(document)
    else:
        uow.edi_documents.save(document)
    return document


def _key(message: PartnerMessage) -> str:
    return f"json:{message.message_id}"


def _error(exc: DomainError) -> dict[str, Any]:
    field = _FIELDS.get(exc.segment) if isinstance(exc, NotApplied) else None
    return {
        "segment": None,
        "position": None,
        "element": None,
        "field": field,
        "code": "not-applied",
        "message": exc.detail,
    }
