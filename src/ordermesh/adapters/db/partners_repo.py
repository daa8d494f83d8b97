"""Trading partners, their control numbers and the EDI document log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ordermesh.adapters.db.paging import page_by_text_key, page_newest_first
from ordermesh.adapters.db.tables import edi_control_numbers, edi_documents, exceptions, partners, reconciliation_runs
from ordermesh.domain.edi import ControlNumbers
from ordermesh.domain.exception_queue import ExceptionKind, ExceptionStatus, OpsException
from ordermesh.domain.partners import Partner, PartnerKind, PartnerProtocol, Transport, X12Settings
from ordermesh.domain.reconciliation import Check, Discrepancy, ReconciliationRun, RunStatus, Tolerances
from ordermesh.services.partner_ports import DocumentFilter, EdiDocument, PartnerRecord
from ordermesh.services.ports import DuplicateKey, Page

_numbers = edi_control_numbers
_docs = edi_documents
_runs = reconciliation_runs
_exc = exceptions


class SqlPartners:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def add(self, record: PartnerRecord) -> None:
        try:
            self.conn.execute(insert(partners).values(**_partner_row(record)))
        except IntegrityError as exc:
            raise DuplicateKey(record.partner.id) from exc

    def get(self, partner_id: str) -> PartnerRecord | None:
        row = self.conn.execute(select(partners).where(partners.c.id == partner_id)).first()
        return _partner(row._mapping) if row else None

    def by_identity(self, identity: str) -> PartnerRecord | None:
        row = self.conn.execute(select(partners).where(partners.c.identity == identity)).first()
        return _partner(row._mapping) if row else None

    def save(self, record: PartnerRecord) -> None:
        values = _partner_row(record)
        del values["id"], values["created_at"]
        try:
            self.conn.execute(update(partners).where(partners.c.id == record.partner.id).values(**values))
        except IntegrityError as exc:
            raise DuplicateKey(record.partner.id) from exc

    def all(self) -> list[PartnerRecord]:
        return [_partner(r._mapping) for r in self.conn.execute(select(partners).order_by(partners.c.id))]

    def page(self, *, after: str | None, limit: int) -> Page:
        return Page(*page_by_text_key(self.conn, partners, partners.c.id, after=after, limit=limit, read=_partner))

    def next_control_numbers(self, partner_id: str, sets: int) -> ControlNumbers:
        # A row of zeros stands for "none used yet"; inserting it if absent, then locking it, lets two
        # transactions that take a new partner's first numbers wait for each other instead of colliding.
        dialect = postgresql if self.postgres else sqlite
        absent = dialect.insert(_numbers).values(partner_id=partner_id, interchange=0, group_number=0, set_number=0)
        self.conn.execute(absent.on_conflict_do_nothing(index_elements=[_numbers.c.partner_id]))
        query = select(_numbers).where(_numbers.c.partner_id == partner_id)
        if self.postgres:
            query = query.with_for_update()
        row = self.conn.execute(query).one()
        if row.interchange == 0:
            numbers = ControlNumbers.first(sets)
        else:
            numbers = ControlNumbers(row.interchange, row.group_number, row.set_number).next(sets)
        self.conn.execute(update(_numbers).where(_numbers.c.partner_id == partner_id).values(**_number_values(numbers)))
        return numbers


def _number_values(numbers: ControlNumbers) -> dict[str, int]:
    return {"interchange": numbers.interchange, "group_number": numbers.group, "set_number": numbers.last_set}


def _partner_row(record: PartnerRecord) -> dict[str, Any]:
    p = record.partner
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind.value,
        "protocol": p.protocol.value,
        "x12": p.x12.data() if p.x12 else None,
        "transport": p.transport.data(),
        "secrets": record.secrets,
        "locations": list(p.locations),
        "identity": p.x12.identity if p.x12 else None,
        "active": p.active,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def _partner(row: Any) -> PartnerRecord:
    partner = Partner(
        id=row["id"],
        name=row["name"],
        kind=PartnerKind(row["kind"]),
        protocol=PartnerProtocol(row["protocol"]),
        x12=X12Settings.of(row["x12"]) if row["x12"] else None,
        transport=Transport.of(row["transport"]),
        locations=tuple(row["locations"]),
        active=bool(row["active"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
    return PartnerRecord(partner, dict(row["secrets"] or {}))


class SqlEdiDocuments:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, document: EdiDocument) -> None:
        try:
            self.conn.execute(insert(_docs).values(**_document_row(document)))
        except IntegrityError as exc:
            raise DuplicateKey(document.dedupe_key) from exc

    def get(self, document_id: str) -> EdiDocument | None:
        row = self.conn.execute(select(_docs).where(_docs.c.id == document_id)).first()
        return _document(row._mapping) if row else None

    def find(self, partner_id: str | None, direction: str, dedupe_key: str) -> EdiDocument | None:
        partner = _docs.c.partner_id.is_(None) if partner_id is None else _docs.c.partner_id == partner_id
        query = select(_docs).where(partner, _docs.c.direction == direction, _docs.c.dedupe_key == dedupe_key)
        row = self.conn.execute(query).first()
        return _document(row._mapping) if row else None

    def by_control_number(self, partner_id: str, direction: str, control_number: str) -> list[EdiDocument]:
        query = (
            select(_docs)
            .where(
                _docs.c.partner_id == partner_id,
                _docs.c.direction == direction,
                _docs.c.control_number == control_number,
            )
            .order_by(_docs.c.id)
        )
        return [_document(r._mapping) for r in self.conn.execute(query)]

    def save(self, document: EdiDocument) -> None:
        values = _document_row(document)
        for fixed in ("id", "partner_id", "direction", "type", "dedupe_key", "raw", "created_at"):
            del values[fixed]
        self.conn.execute(update(_docs).where(_docs.c.id == document.id).values(**values))

    def page(self, where: DocumentFilter, *, after: str | None, limit: int) -> Page:
        conditions = [
            getattr(_docs.c, name) == value
            for name in ("direction", "type", "status", "partner_id", "fulfillment_order_id", "reference")
            if (value := getattr(where, name)) is not None
        ]
        page = page_newest_first(self.conn, _docs, *conditions, after=after, limit=limit, read=_document, numeric=False)
        return Page(*page)


def _document_row(document: EdiDocument) -> dict[str, Any]:
    return {
        "id": document.id,
        "partner_id": document.partner_id,
        "direction": document.direction,
        "type": document.type,
        "status": document.status,
        "control_number": document.control_number,
        "dedupe_key": document.dedupe_key,
        "reference": document.reference,
        "order_id": document.order_id,
        "fulfillment_order_id": document.fulfillment_order_id,
        "raw": document.raw,
        "parsed": document.parsed,
        "errors": list(document.errors),
        "acknowledgement_id": document.acknowledgement_id,
        "created_at": document.created_at,
        "updated_at": document.updated_at,
    }


def _document(row: Any) -> EdiDocument:
    return EdiDocument(
        id=row["id"],
        partner_id=row["partner_id"],
        direction=row["direction"],
        type=row["type"],
        status=row["status"],
        dedupe_key=row["dedupe_key"],
        raw=row["raw"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        control_number=row["control_number"],
        reference=row["reference"],
        order_id=row["order_id"],
        fulfillment_order_id=row["fulfillment_order_id"],
        parsed=row["parsed"],
        errors=tuple(row["errors"] or ()),
        acknowledgement_id=row["acknowledgement_id"],
    )


class SqlReconciliationRuns:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, run: ReconciliationRun) -> None:
        self.conn.execute(insert(_runs).values(**_run_row(run)))

    def get(self, run_id: str) -> ReconciliationRun | None:
        row = self.conn.execute(select(_runs).where(_runs.c.id == run_id)).first()
        return _run(row._mapping) if row else None

    def save(self, run: ReconciliationRun) -> None:
        values = _run_row(run)
        for fixed in ("id", "checks", "tolerances", "started_at"):
            del values[fixed]
        self.conn.execute(update(_runs).where(_runs.c.id == run.id).values(**values))

    def page(self, *, after: str | None, limit: int) -> Page:
        return Page(*page_newest_first(self.conn, _runs, after=after, limit=limit, read=_run, numeric=False))


def _run_row(run: ReconciliationRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status.value,
        "checks": [c.value for c in run.checks],
        "tolerances": run.tolerances.data(),
        "summary": dict(run.summary),
        "discrepancies": [d.data() for d in run.discrepancies],
        "error": run.error,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


def _run(row: Any) -> ReconciliationRun:
    return ReconciliationRun(
        id=row["id"],
        status=RunStatus(row["status"]),
        checks=tuple(Check(c) for c in row["checks"]),
        tolerances=Tolerances.of(row["tolerances"]),
        started_at=row["started_at"],
        summary=dict(row["summary"]),
        discrepancies=tuple(Discrepancy.of(d) for d in row["discrepancies"]),
        finished_at=row["finished_at"],
        error=row["error"],
    )


class SqlExceptionQueue:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, exception: OpsException) -> None:
        try:
            self.conn.execute(insert(_exc).values(**_exception_row(exception)))
        except IntegrityError as exc:
            raise DuplicateKey(exception.dedupe_key) from exc

    def get(self, exception_id: str) -> OpsException | None:
        row = self.conn.execute(select(_exc).where(_exc.c.id == exception_id)).first()
        return _exception(row._mapping) if row else None

    def open_by_key(self, dedupe_key: str) -> OpsException | None:
        query = select(_exc).where(_exc.c.dedupe_key == dedupe_key, _exc.c.status == ExceptionStatus.OPEN.value)
        row = self.conn.execute(query).first()
        return _exception(row._mapping) if row else None

    def save(self, exception: OpsException) -> None:
        values = _exception_row(exception)
        for fixed in ("id", "kind", "dedupe_key", "raised_at"):
            del values[fixed]
        self.conn.execute(update(_exc).where(_exc.c.id == exception.id).values(**values))

    def page(self, *, status: str | None, kind: str | None, after: str | None, limit: int) -> Page:
        where = []
        if status is not None:
            where.append(_exc.c.status == status)
        if kind is not None:
            where.append(_exc.c.kind == kind)
        page = page_newest_first(self.conn, _exc, *where, after=after, limit=limit, read=_exception, numeric=False)
        return Page(*page)


def _exception_row(exception: OpsException) -> dict[str, Any]:
    return {
        "id": exception.id,
        "kind": exception.kind.value,
        "subject": exception.subject,
        "summary": exception.summary,
        "evidence": dict(exception.evidence),
        "status": exception.status.value,
        "dedupe_key": exception.dedupe_key,
        "occurrences": exception.occurrences,
        "raised_at": exception.raised_at,
        "updated_at": exception.updated_at,
        "resolved_at": exception.resolved_at,
        "resolved_by": exception.resolved_by,
        "resolution": exception.resolution,
    }


def _exception(row: Any) -> OpsException:
    return OpsException(
        id=row["id"],
        kind=ExceptionKind(row["kind"]),
        subject=row["subject"],
        summary=row["summary"],
        evidence=dict(row["evidence"]),
        status=ExceptionStatus(row["status"]),
        dedupe_key=row["dedupe_key"],
        occurrences=row["occurrences"],
        raised_at=row["raised_at"],
        updated_at=row["updated_at"],
        resolved_at=row["resolved_at"],
        resolved_by=row["resolved_by"],
        resolution=row["resolution"],
    )
