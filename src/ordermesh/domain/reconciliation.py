"""Reconciliation: partners' figures against Ordermesh's, and what differs beyond the tolerances.

Two checks. `inventory`: a warehouse's latest snapshot against Ordermesh's on-hand at the snapshot's moment
(today's on-hand less what moved since: shipments, receipts, adjustments in flight when the warehouse counted).
`vendor_invoices`: what drop-ship vendors invoiced against what their purchase orders and shipments say is owed,
and shipped purchase orders no invoice has come for within the grace period. `erp`: every shipment against the
invoice handed to each ERP partner for it, and that invoice against the ERP's acknowledgement.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Check(StrEnum):
    INVENTORY = "inventory"
    VENDOR_INVOICES = "vendor_invoices"
    ERP = "erp"


class RunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Tolerances:
    """Differences within these are not discrepancies: `units` or `percent` of Ordermesh's count for stock,
    `money` for amounts; an invoice may come `invoice_grace_days` after the shipment."""

    units: int = 0
    percent: float = 0.0
    money: Decimal = Decimal("0.00")
    invoice_grace_days: int = 3
    erp_window_days: int = 30  # how far back shipments are checked against the ERP

    def units_differ(self, theirs: int, ours: int) -> bool:
        gap = abs(theirs - ours)
        if gap <= self.units:
            return False
        return not (ours and gap * 100 <= self.percent * abs(ours))

    def data(self) -> dict[str, Any]:
        return {"units": self.units, "percent": self.percent, "money": str(self.money),
                "invoice_grace_days": self.invoice_grace_days, "erp_window_days": self.erp_window_days}  # fmt: skip

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Tolerances:
        return cls(
            int(data["units"]),
            float(data["percent"]),
            Decimal(data["money"]),
            int(data["invoice_grace_days"]),
            int(data.get("erp_window_days", 30)),
        )


@dataclass(frozen=True)
class Discrepancy:
    """One difference: what (`subject`: `NWK/TEE`, a purchase order), expected (ours) against actual (theirs)."""

    check: Check
    subject: str
    detail: str
    expected: str | None = None
    actual: str | None = None
    difference: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        return {
            "check": self.check.value,
            "subject": self.subject,
            "detail": self.detail,
            "expected": self.expected,
            "actual": self.actual,
            "difference": self.difference,
            "evidence": dict(self.evidence),
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Discrepancy:
        return cls(
            Check(data["check"]),
            data["subject"],
            data["detail"],
            data.get("expected"),
            data.get("actual"),
            data.get("difference"),
            dict(data.get("evidence") or {}),
        )


@dataclass(frozen=True)
class ReconciliationRun:
    id: str
    status: RunStatus
    checks: tuple[Check, ...]
    tolerances: Tolerances
    started_at: datetime
    summary: Mapping[str, Any] = field(default_factory=dict)
    discrepancies: tuple[Discrepancy, ...] = ()
    finished_at: datetime | None = None
    error: str | None = None


def stock_discrepancies(
    location: str,
    theirs: Mapping[str, int],
    ours_now: Mapping[str, int],
    moved_since: Mapping[str, int],
    tolerances: Tolerances,
    evidence: Mapping[str, Any],
) -> list[Discrepancy]:
    """A warehouse's counts against ours at its moment (`ours_now` less `moved_since`), SKU by SKU."""
    found = []
    for sku in sorted(theirs):
        ours_then = ours_now.get(sku, 0) - moved_since.get(sku, 0)
        if tolerances.units_differ(theirs[sku], ours_then):
            found.append(
                Discrepancy(
                    Check.INVENTORY,
                    f"{location}/{sku}",
                    f"the warehouse counted {theirs[sku]}, Ordermesh had {ours_then} at that moment",
                    str(ours_then),
                    str(theirs[sku]),
                    f"{theirs[sku] - ours_then:+d}",
                    {**evidence, "on_hand_now": ours_now.get(sku, 0), "moved_since": moved_since.get(sku, 0)},
                )
            )
    return found


def money(amount: Decimal) -> str:
    """An amount in a report: to the cent."""
    return f"{amount.quantize(Decimal('0.01'))}"


CSV_COLUMNS = ("check", "subject", "expected", "actual", "difference", "detail", "evidence")


def csv_report(run: ReconciliationRun) -> str:
    """The run's discrepancies as CSV, a row each (evidence as JSON)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for d in run.discrepancies:
        row = d.data()
        writer.writerow([*(row[c] for c in CSV_COLUMNS[:-1]), json.dumps(row["evidence"], sort_keys=True)])
    return out.getvalue()
