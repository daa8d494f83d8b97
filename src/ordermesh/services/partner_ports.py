"""Ports of the trading partners: their profiles, their control numbers, and the EDI document log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ordermesh.domain.edi import ControlNumbers
from ordermesh.domain.exception_queue import OpsException
from ordermesh.domain.partners import Partner
from ordermesh.domain.reconciliation import ReconciliationRun
from ordermesh.services.ports import Page


@dataclass(frozen=True)
class PartnerRecord:
    """A partner with its secrets (an SFTP password or key, an HTTPS token): stored, never returned."""

    partner: Partner
    secrets: dict[str, str] = field(default_factory=dict, repr=False)


class Partners(Protocol):
    def add(self, record: PartnerRecord) -> None:
        """Store a new partner; DuplicateKey when its X12 identity belongs to another partner."""
        ...

    def get(self, partner_id: str) -> PartnerRecord | None: ...
    def by_identity(self, identity: str) -> PartnerRecord | None:
        """The partner whose ISA qualifier and id are `identity` (`ZZ:ACMEWMS`)."""
        ...

    def save(self, record: PartnerRecord) -> None:
        """Store a partner's changes; DuplicateKey when its new X12 identity belongs to another partner."""
        ...

    def all(self) -> list[PartnerRecord]:
        """Every partner, by id."""
        ...

    def page(self, *, after: str | None, limit: int) -> Page:
        """Partners by id."""
        ...

    def next_control_numbers(self, partner_id: str, sets: int) -> ControlNumbers:
        """Take the numbers of the next interchange to the partner (the first ones for a new partner), locked
        until the unit of work ends so that no two documents share them."""
        ...


@dataclass(frozen=True)
class EdiDocument:
    """A document in or out: its raw text, what it was read as, where it stands and what went wrong.

    `control_number` is `GS06:ST02` (how a 997 names a set); `dedupe_key` the hash of an inbound set's content
    without its envelope (the same set sent again is the same document), or an outbound document's own number.
    `errors` are problem details: {"segment", "position", "element", "code", "message"}.
    """

    id: str
    partner_id: str | None
    direction: str  # in, out
    type: str  # 940, 945, 846, 944, 997, ...
    status: str
    dedupe_key: str
    raw: str
    created_at: datetime
    updated_at: datetime
    control_number: str | None = None
    reference: str | None = None
    order_id: str | None = None
    fulfillment_order_id: str | None = None
    parsed: dict[str, Any] | None = None
    errors: tuple[dict[str, Any], ...] = ()
    acknowledgement_id: str | None = None


@dataclass(frozen=True)
class DocumentFilter:
    direction: str | None = None
    type: str | None = None
    status: str | None = None
    partner_id: str | None = None
    fulfillment_order_id: str | None = None
    reference: str | None = None


class EdiDocuments(Protocol):
    def add(self, document: EdiDocument) -> None:
        """Store a document; DuplicateKey when (partner, direction, dedupe_key) is known."""
        ...

    def get(self, document_id: str) -> EdiDocument | None: ...
    def find(self, partner_id: str | None, direction: str, dedupe_key: str) -> EdiDocument | None: ...
    def by_control_number(self, partner_id: str, direction: str, control_number: str) -> list[EdiDocument]:
        """Documents with this `GS06:ST02` (a 997 names the sets it answers so), oldest first."""
        ...

    def save(self, document: EdiDocument) -> None:
        """Store a document's status, parsed form, errors, references and acknowledgement."""
        ...

    def page(self, where: DocumentFilter, *, after: str | None, limit: int) -> Page:
        """Documents matching the filter, newest first."""
        ...


class ReconciliationRuns(Protocol):
    def add(self, run: ReconciliationRun) -> None: ...
    def get(self, run_id: str) -> ReconciliationRun | None: ...
    def save(self, run: ReconciliationRun) -> None:
        """Store a run's status, summary, discrepancies, finish time and error."""
        ...

    def page(self, *, after: str | None, limit: int) -> Page:
        """Runs, newest first."""
        ...


class ExceptionQueue(Protocol):
    def add(self, exception: OpsException) -> None:
        """Store a new open exception; DuplicateKey when an open one has its dedupe key."""
        ...

    def get(self, exception_id: str) -> OpsException | None: ...
    def open_by_key(self, dedupe_key: str) -> OpsException | None: ...
    def save(self, exception: OpsException) -> None:
        """Store an exception's summary, evidence, occurrences, status and resolution."""
        ...

    def page(self, *, status: str | None, kind: str | None, after: str | None, limit: int) -> Page:
        """Exceptions, newest first."""
        ...
