"""In-memory trading partners and EDI document log, for the fake unit of work in tests/fakes.py (same rules)."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from ordermesh.adapters.db.paging import decode_cursor, keyset_page
from ordermesh.domain.edi import ControlNumbers
from ordermesh.domain.exception_queue import ExceptionStatus, OpsException
from ordermesh.domain.reconciliation import ReconciliationRun
from ordermesh.services.partner_ports import DocumentFilter, EdiDocument, PartnerRecord
from ordermesh.services.ports import DuplicateKey, Page


class _Tables(Protocol):
    exceptions: dict[str, OpsException]
    reconciliations: dict[str, ReconciliationRun]
    partners: dict[str, PartnerRecord]
    control_numbers: dict[str, ControlNumbers]
    edi_documents: dict[str, EdiDocument]


class _Session(Protocol):
    @property
    def tables(self) -> _Tables: ...

    def fail(self, error: Exception) -> Exception: ...


class FakePartners:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, record: PartnerRecord) -> None:
        tables = self._s.tables
        if record.partner.id in tables.partners or self._identity_taken(record):
            raise self._s.fail(DuplicateKey(record.partner.id))
        tables.partners[record.partner.id] = record

    def get(self, partner_id: str) -> PartnerRecord | None:
        return self._s.tables.partners.get(partner_id)

    def by_identity(self, identity: str) -> PartnerRecord | None:
        return next(
            (r for r in self._s.tables.partners.values() if r.partner.x12 and r.partner.x12.identity == identity),
            None,
        )

    def save(self, record: PartnerRecord) -> None:
        if self._identity_taken(record):
            raise self._s.fail(DuplicateKey(record.partner.id))
        stored = self._s.tables.partners.get(record.partner.id)
        if stored is not None:
            self._s.tables.partners[record.partner.id] = record

    def all(self) -> list[PartnerRecord]:
        return [r for _, r in sorted(self._s.tables.partners.items())]

    def page(self, *, after: str | None, limit: int) -> Page:
        key = decode_cursor(after)
        rows = [r for name, r in sorted(self._s.tables.partners.items()) if key is None or name > key]
        return Page(*keyset_page(rows, limit, lambda record: record.partner.id))

    def next_control_numbers(self, partner_id: str, sets: int) -> ControlNumbers:
        numbers = self._s.tables.control_numbers
        last = numbers.get(partner_id)
        taken = ControlNumbers.first(sets) if last is None else last.next(sets)
        numbers[partner_id] = taken
        return taken

    def _identity_taken(self, record: PartnerRecord) -> bool:
        x12 = record.partner.x12
        if x12 is None:
            return False
        return any(
            other.partner.x12 is not None and other.partner.x12.identity == x12.identity and pid != record.partner.id
            for pid, other in self._s.tables.partners.items()
        )


class FakeEdiDocuments:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, document: EdiDocument) -> None:
        docs = self._s.tables.edi_documents
        if document.id in docs or self.find(document.partner_id, document.direction, document.dedupe_key):
            raise self._s.fail(DuplicateKey(document.dedupe_key))
        docs[document.id] = document

    def get(self, document_id: str) -> EdiDocument | None:
        return self._s.tables.edi_documents.get(document_id)

    def find(self, partner_id: str | None, direction: str, dedupe_key: str) -> EdiDocument | None:
        return next(
            (
                d
                for d in self._s.tables.edi_documents.values()
                if d.partner_id == partner_id and d.direction == direction and d.dedupe_key == dedupe_key
            ),
            None,
        )

    def by_control_number(self, partner_id: str, direction: str, control_number: str) -> list[EdiDocument]:
        return [
            d
            for _, d in sorted(self._s.tables.edi_documents.items())
            if d.partner_id == partner_id and d.direction == direction and d.control_number == control_number
        ]

    def save(self, document: EdiDocument) -> None:
        docs = self._s.tables.edi_documents
        stored = docs.get(document.id)
        if stored is not None:
            docs[document.id] = EdiDocument(
                **{
                    **document.__dict__,
                    **{k: getattr(stored, k) for k in ("partner_id", "direction", "type", "dedupe_key", "raw")},
                    "created_at": stored.created_at,
                }
            )

    def page(self, where: DocumentFilter, *, after: str | None, limit: int) -> Page:
        key = decode_cursor(after)
        rows = [
            d
            for doc_id, d in sorted(self._s.tables.edi_documents.items(), reverse=True)
            if (key is None or doc_id < key)
            and all(
                getattr(where, name) is None or getattr(d, name) == getattr(where, name)
                for name in ("direction", "type", "status", "partner_id", "fulfillment_order_id", "reference")
            )
        ]
        return Page(*keyset_page(rows, limit, lambda row: str(row.id)))


class FakeReconciliationRuns:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, run: ReconciliationRun) -> None:
        self._s.tables.reconciliations[run.id] = run

    def get(self, run_id: str) -> ReconciliationRun | None:
        return self._s.tables.reconciliations.get(run_id)

    def save(self, run: ReconciliationRun) -> None:
        stored = self._s.tables.reconciliations.get(run.id)
        if stored is not None:
            self._s.tables.reconciliations[run.id] = replace(
                run, checks=stored.checks, tolerances=stored.tolerances, started_at=stored.started_at
            )

    def page(self, *, after: str | None, limit: int) -> Page:
        key = decode_cursor(after)
        rows = [
            r for rid, r in sorted(self._s.tables.reconciliations.items(), reverse=True) if key is None or rid < key
        ]
        return Page(*keyset_page(rows, limit, lambda row: str(row.id)))


class FakeExceptionQueue:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, exception: OpsException) -> None:
        if self.open_by_key(exception.dedupe_key) is not None:
            raise self._s.fail(DuplicateKey(exception.dedupe_key))
        self._s.tables.exceptions[exception.id] = exception

    def get(self, exception_id: str) -> OpsException | None:
        return self._s.tables.exceptions.get(exception_id)

    def open_by_key(self, dedupe_key: str) -> OpsException | None:
        return next(
            (
                e
                for e in self._s.tables.exceptions.values()
                if e.dedupe_key == dedupe_key and e.status == ExceptionStatus.OPEN
            ),
            None,
        )

    def save(self, exception: OpsException) -> None:
        stored = self._s.tables.exceptions.get(exception.id)
        if stored is not None:
            self._s.tables.exceptions[exception.id] = replace(
                exception, kind=stored.kind, dedupe_key=stored.dedupe_key, raised_at=stored.raised_at
            )

    def page(self, *, status: str | None, kind: str | None, after: str | None, limit: int) -> Page:
        key = decode_cursor(after)
        rows = [
            e
            for eid, e in sorted(self._s.tables.exceptions.items(), reverse=True)
            if (key is None or eid < key)
            and (status is None or e.status == status)
            and (kind is None or e.kind == kind)
        ]
        return Page(*keyset_page(rows, limit, lambda row: str(row.id)))
