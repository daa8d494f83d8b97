"""Inbound EDI: one pipeline for every X12 interchange, whichever way it came (the API, a directory, SFTP).

Read the envelope; name the partner by its ISA sender; check every set; apply the readable ones and log every
set as a document, all in one unit of work: an interchange is applied whole or not at all. The same set
received again (the same content, whatever its envelope) is recognised and not applied twice; one whose
earlier copy failed is tried again. Each group is answered with a 997 (never a 997 itself), logged as a
pending outbound document for the partner's transport. What cannot be read or applied is logged with errors
naming the segment and element, and raised as DocumentNotApplied (the API answers 422).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ordermesh.domain.access import Principal
from ordermesh.domain.edi import (
    FunctionalGroup,
    Interchange,
    TransactionSet,
    X12Error,
    X12Problem,
    acknowledge,
    acknowledgement_set,
    read_interchange,
)
from ordermesh.domain.edi.problems import InterchangeNote
from ordermesh.domain.errors import DomainError
from ordermesh.domain.exception_queue import ExceptionKind, RaisedException
from ordermesh.domain.partners import Direction, DocumentStatus, Partner, identity_key
from ordermesh.services.context import AppContext
from ordermesh.services.edi_apply import apply_set, problem_of
from ordermesh.services.edi_outbound import content_key, write_x12
from ordermesh.services.exception_queue import raise_exception, resolve_open
from ordermesh.services.partner_ports import EdiDocument
from ordermesh.services.ports import UnitOfWork

UNKNOWN_TYPE = "unknown"


class DocumentNotApplied(DomainError):
    """An inbound document that was logged but not applied: `documents` are their ids, `errors` say why."""

    title = "EDI document not applied"

    def __init__(self, detail: str, documents: Sequence[EdiDocument]) -> None:
        super().__init__(detail)
        self.documents = tuple(documents)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{**error, "document": d.id, "type": d.type} for d in self.documents for error in d.errors]


@dataclass(frozen=True)
class InboundResult:
    """What an interchange did: one document per set (a repeat names the earlier one), and the 997s sent."""

    documents: tuple[EdiDocument, ...]
    acknowledgements: tuple[EdiDocument, ...] = ()
    repeated: tuple[str, ...] = field(default_factory=tuple)  # ids of sets received before and not applied again


def receive_x12(ctx: AppContext, text: str, *, actor: Principal) -> InboundResult:
    """Run an interchange through the pipeline. Raises DocumentNotApplied when any part was not applied."""
    try:
        interchange = read_interchange(text)
    except X12Error as exc:
        document = _log_unreadable(ctx, text, exc.problems)
        raise DocumentNotApplied(f"not an X12 interchange: {exc.detail}", [document]) from None
    identity = identity_key(interchange.sender_qualifier, interchange.sender_id)
    record = ctx.read(lambda uow: uow.partners.by_identity(identity))
    if record is None or not record.partner.active or record.partner.x12 is None:
        problem = X12Problem(
            InterchangeNote.INVALID_SENDER_ID, f"ISA06 sender '{identity}' is no active trading partner", "ISA", 1, 6,
            value=interchange.sender_id,
        )  # fmt: skip
        document = _log_unreadable(ctx, text, [problem])
        raise DocumentNotApplied(problem.detail, [document])
    partner = record.partner
    try:
        result = ctx.transaction(lambda uow: _apply(uow, ctx, partner, interchange, text, actor, failed=None))
    except _SetFailed as failure:
        failed = failure  # logged as failed, every set, in a unit of work of its own
        result = ctx.transaction(lambda uow: _apply(uow, ctx, partner, interchange, text, actor, failed=failed))
    not_applied = [d for d in result.documents if d.status in _NOT_APPLIED]
    if not_applied:
        raise DocumentNotApplied("; ".join(str(e["message"]) for d in not_applied for e in d.errors), not_applied)
    return result


_NOT_APPLIED = (DocumentStatus.REJECTED.value, DocumentStatus.FAILED.value)


class _SetFailed(Exception):
    """A set could not be applied: the unit of work is rolled back and the interchange logged as failed."""

    def __init__(self, control_number: str, error: dict[str, Any]) -> None:
        super().__init__(error["message"])
        self.control_number = control_number
        self.error = error


def _apply(
    uow: UnitOfWork,
    ctx: AppContext,
    partner: Partner,
    interchange: Interchange,
    text: str,
    actor: Principal,
    *,
    failed: _SetFailed | None,
) -> InboundResult:
    """Log (and unless `failed`, apply) every set, then answer each group. Raises _SetFailed."""
    documents: list[EdiDocument] = []
    repeated: list[str] = []
    answers: list[EdiDocument] = []
    envelope_rejected = any(p.fatal for p in interchange.problems)
    for group in interchange.groups:
        findings: dict[str, list[X12Problem]] = {}
        for ts in group.sets:
            document, problems, repeat = _one_set(uow, ctx, partner, interchange, group, ts, text, actor, failed=failed)
            if not repeat:
                follow_up(uow, ctx, partner.name, document)
            if problems:
                findings[ts.control_number] = problems
            if repeat:
                repeated.append(document.id)
            documents.append(document)
        if group.sets and all(ts.code != "997" for ts in group.sets):
            answers.append(_answer(uow, ctx, partner, group, findings, envelope_rejected))
    return InboundResult(tuple(documents), tuple(answers), tuple(repeated))


def _one_set(
    uow: UnitOfWork,
    ctx: AppContext,
    partner: Partner,
    interchange: Interchange,
    group: FunctionalGroup,
    ts: TransactionSet,
    text: str,
    actor: Principal,
    *,
    failed: _SetFailed | None,
) -> tuple[EdiDocument, list[X12Problem], bool]:
    """Log one set (applying it when it is sound); return its document, the problems its 997 reports, and
    whether it is a repeat of one received before."""
    now = ctx.clock.now()
    key = content_key(_set_text(ts))
    earlier = uow.edi_documents.find(partner.id, Direction.IN.value, key)
    if earlier is not None and earlier.status != DocumentStatus.FAILED.value:
        return earlier, [], True
    document = earlier or EdiDocument(
        id=ctx.ids("edi"),
        partner_id=partner.id,
        direction=Direction.IN.value,
        type=ts.code,
        status=DocumentStatus.APPLIED.value,
        dedupe_key=key,
        raw=text,
        created_at=now,
        updated_at=now,
        control_number=f"{group.control_number}:{ts.control_number}",
    )
    problems = [p for p in (*interchange.problems, *group.problems, *ts.problems) if p.fatal]
    if problems:
        return _logged(uow, document, DocumentStatus.REJECTED, [_error(p) for p in problems], earlier), [], False
    if failed is not None:
        status = DocumentStatus.FAILED
        errors = [failed.error] if failed.control_number == document.control_number else [_not_applied_with_others()]
        return _logged(uow, document, status, errors, earlier), [], False
    try:
        applied = apply_set(uow, ctx, partner, ts, document_id=document.id, actor=actor)
    except X12Error as exc:
        found = list(exc.problems)
        return _logged(uow, document, DocumentStatus.REJECTED, [_error(p) for p in found], earlier), found, False
    except DomainError as exc:
        raise _SetFailed(document.control_number or "", dict(problem_of(exc, ts))) from exc
    status = DocumentStatus.APPLIED
    if applied.duplicate_of:
        status = DocumentStatus.DUPLICATE
    elif applied.discrepancies:
        status = DocumentStatus.DISPUTED
    document = replace(
        document,
        reference=applied.reference,
        order_id=applied.order_id,
        fulfillment_order_id=applied.fulfillment_order_id,
        parsed={**applied.parsed, **({"duplicate_of": applied.duplicate_of} if applied.duplicate_of else {})},
    )
    return _logged(uow, document, status, applied.discrepancies, earlier), [], False


def _logged(
    uow: UnitOfWork,
    document: EdiDocument,
    status: DocumentStatus,
    errors: list[dict[str, Any]],
    earlier: EdiDocument | None,
) -> EdiDocument:
    final = replace(document, status=status.value, errors=tuple(errors), updated_at=document.updated_at)
    if earlier is None:
        uow.edi_documents.add(final)
    else:
        uow.edi_documents.save(final)
    return final


def _answer(
    uow: UnitOfWork,
    ctx: AppContext,
    partner: Partner,
    group: FunctionalGroup,
    findings: dict[str, list[X12Problem]],
    envelope_rejected: bool,
) -> EdiDocument:
    """The 997 for a group, logged as pending for the partner's transport."""
    assert partner.x12 is not None
    ack = acknowledge(group, findings=findings, envelope_rejected=envelope_rejected)
    ts = acknowledgement_set(ack, partner.x12.version, delimiters=partner.x12.delimiters)
    key = f"997:{group.control_number}:{content_key(str([(t.code, t.control_number) for t in group.sets]))[:16]}"
    existing = uow.edi_documents.find(partner.id, Direction.OUT.value, key)
    if existing is not None:
        return existing
    parsed = {"group": group.control_number, "verdict": ack.verdict.value, "accepted": ack.accepted}
    return write_x12(uow, ctx, partner, ts, dedupe_key=key, reference=str(group.control_number), parsed=parsed)


def follow_up(uow: UnitOfWork, ctx: AppContext, partner_name: str, document: EdiDocument) -> None:
    """Raise the exception a document calls for (not applied, disputed), or resolve it once it applied."""
    key = f"document:{document.id}"
    if document.status in _NOT_APPLIED:
        first = document.errors[0]["message"] if document.errors else document.status
        summary = f"{partner_name}: {document.type} document {document.status}: {first}"
        evidence = {"document": document.id, "partner": document.partner_id, "type": document.type,
                    "status": document.status, "errors": list(document.errors)}  # fmt: skip
        raise_exception(uow, ctx, RaisedException(ExceptionKind.PARTNER_DOCUMENT, document.id, summary, key, evidence))
    elif document.status == DocumentStatus.DISPUTED.value:
        said = "; ".join(str(e["message"]) for e in document.errors)
        summary = f"{partner_name}: invoice {document.reference} disputed: {said}"
        evidence = {"document": document.id, "purchase_order": document.fulfillment_order_id,
                    "differences": list(document.errors)}  # fmt: skip
        subject = document.reference or document.id
        raise_exception(uow, ctx, RaisedException(ExceptionKind.INVOICE_DISPUTE, subject, summary, key, evidence))
    else:
        resolve_open(uow, ctx, key, f"the document was {document.status} when received again", partner_name)


def _log_unreadable(ctx: AppContext, text: str, problems: Sequence[X12Problem]) -> EdiDocument:
    """Log a document no partner's pipeline can take (no interchange, or an unknown sender)."""

    def work(uow: UnitOfWork) -> EdiDocument:
        key = content_key(text)
        earlier = uow.edi_documents.find(None, Direction.IN.value, key)
        if earlier is not None:
            follow_up(uow, ctx, "unknown sender", earlier)
            return earlier
        now = ctx.clock.now()
        document = EdiDocument(
            id=ctx.ids("edi"),
            partner_id=None,
            direction=Direction.IN.value,
            type=UNKNOWN_TYPE,
            status=DocumentStatus.REJECTED.value,
            dedupe_key=key,
            raw=text,
            created_at=now,
            updated_at=now,
            errors=tuple(_error(p) for p in problems),
        )
        uow.edi_documents.add(document)
        follow_up(uow, ctx, "unknown sender", document)
        return document

    return ctx.transaction(work)


def _set_text(ts: TransactionSet) -> str:
    """A set's content without its envelope: the same document re-sent in a new envelope has the same text."""
    return "\n".join([ts.code, *(str(segment) for segment in ts.segments)])


def _error(problem: X12Problem) -> dict[str, Any]:
    return {
        "segment": problem.segment_id,
        "position": problem.position,
        "element": problem.element,
        "code": str(problem.code),
        "message": str(problem),
    }


def _not_applied_with_others() -> dict[str, Any]:
    message = "not applied: another set of the interchange could not be applied (an interchange applies whole)"
    return {"segment": None, "position": None, "element": None, "code": "not-applied", "message": message}
