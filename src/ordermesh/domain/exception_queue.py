"""The exception queue: what needs a person, with the evidence to act on it.

An exception is raised by the part of Ordermesh that found the problem (a partner document it could not apply,
an invoice that disagrees with the purchase order, a reconciliation discrepancy, a status push a channel kept
refusing). The same problem raised again while its exception is open adds an occurrence and fresh evidence to
it instead of a second one; once resolved, a new occurrence opens a new exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ExceptionKind(StrEnum):
    PARTNER_DOCUMENT = "partner_document"  # an EDI or JSON document was not applied (rejected or failed)
    INVOICE_DISPUTE = "invoice_dispute"  # a vendor invoice disagrees with its purchase order or shipments
    RECONCILIATION = "reconciliation"  # partners' figures differ from Ordermesh's beyond the tolerances
    CHANNEL_PUSH = "channel_push"  # a status update a sales channel refused or never took


class ExceptionStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


SUMMARY_CHARS = 1000


@dataclass(frozen=True)
class RaisedException:
    """A problem as its finder reports it: `key` names the problem (the same key while open: one exception)."""

    kind: ExceptionKind
    subject: str
    summary: str
    key: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OpsException:
    id: str
    kind: ExceptionKind
    subject: str
    summary: str
    evidence: Mapping[str, Any]
    status: ExceptionStatus
    dedupe_key: str
    occurrences: int
    raised_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None

    def picture(self) -> dict[str, Any]:
        """What the `ordermesh.exception.*` events carry."""
        return {
            "exception_id": self.id,
            "kind": self.kind.value,
            "subject": self.subject,
            "summary": self.summary,
            "status": self.status.value,
            "occurrences": self.occurrences,
            "evidence": dict(self.evidence),
            "resolution": self.resolution,
        }
