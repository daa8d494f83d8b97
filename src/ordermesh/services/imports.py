"""Bulk order import: capture every good order of a file once, and say what happened to each of the others."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import DomainError
from ordermesh.services.commands import CaptureOrder
from ordermesh.services.context import AppContext
from ordermesh.services.orders import capture_order


@dataclass(frozen=True)
class Rejected:
    where: str  # "row 7", "rows 7-9", "line 3"
    reason: str


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)  # order ids captured now
    already_present: list[str] = field(default_factory=list)  # captured by an earlier run (or the channel)
    rejected: list[Rejected] = field(default_factory=list)


def import_orders(
    ctx: AppContext,
    *,
    orders: Iterable[tuple[str, CaptureOrder | None, str | None]],
    actor: Principal,
    progress: Callable[[], None] | None = None,
) -> ImportReport:
    """Capture each (where, command, problem) in its own transaction; an order the file already brought in
    an earlier run is found by (channel, external_id) and not captured twice. A command the domain refuses
    (unknown pickup location, ...) is reported with its reason; the others go on."""
    report = ImportReport()
    for where, command, problem in orders:
        if command is None:
            report.rejected.append(Rejected(where, problem or "unreadable"))
        else:
            try:
                order, created = capture_order(ctx, command=command, actor=actor)
            except DomainError as exc:
                report.rejected.append(Rejected(where, exc.detail))
            else:
                (report.imported if created else report.already_present).append(order.id)
        if progress is not None:
            progress()
    return report
