"""The worker's round of document exchange with trading partners: take in what partners left in their inbound
directories, release work as 940s, and deliver what is pending (the 997s among it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from ordermesh.domain.access import SYSTEM, Principal, Role
from ordermesh.domain.partners import PartnerProtocol
from ordermesh.domain.reconciliation import Check, Tolerances
from ordermesh.services.context import AppContext
from ordermesh.services.edi_inbound import receive_x12
from ordermesh.services.edi_outbound import DocumentTransport, deliver_pending
from ordermesh.services.edi_release import send_released_work
from ordermesh.services.erp_handoff import hand_off
from ordermesh.services.partner_ports import PartnerRecord
from ordermesh.services.reconciliation import run_reconciliation

log = logging.getLogger(__name__)


class InboundTransport(DocumentTransport, Protocol):
    def poll(self, record: PartnerRecord, receive: Callable[[str], object]) -> int:
        """Run each waiting inbound document through `receive`; return how many were taken."""
        ...


def partner_principal(record: PartnerRecord) -> Principal:
    """Who the audit log says acted when a partner's document changed something."""
    return Principal(record.partner.id, f"partner {record.partner.name}", Role.INTEGRATION)


def poll_inbound(ctx: AppContext, transports: Mapping[str, InboundTransport]) -> int:
    """Take in every X12 partner's waiting inbound documents; return how many."""
    taken = 0
    for record in ctx.read(lambda uow: uow.partners.all()):
        partner = record.partner
        transport = transports.get(partner.transport.kind.value)
        if not partner.active or partner.protocol != PartnerProtocol.X12 or transport is None:
            continue
        taken += transport.poll(record, _receiver(ctx, partner_principal(record)))
    return taken


def _receiver(ctx: AppContext, actor: Principal) -> Callable[[str], object]:
    def receive(text: str) -> object:
        return receive_x12(ctx, text, actor=actor)

    return receive


@dataclass
class PartnerExchange:
    """Runs the exchange every `every_seconds` from the worker's loop."""

    ctx: AppContext
    transports: Mapping[str, InboundTransport]
    release_delay: timedelta
    every_seconds: float = 30.0
    reconcile_every_seconds: float = 0.0  # 0: only on demand
    _last: float = 0.0
    _last_reconciled: float = field(default_factory=time.monotonic)

    def run_round(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last < self.every_seconds:
            return
        self._last = time.monotonic()
        taken = poll_inbound(self.ctx, self.transports)  # first: its 997s go out with this round's deliveries
        written = send_released_work(self.ctx, release_delay=self.release_delay)
        written += hand_off(self.ctx)  # invoices, credit memos and journals for ERP partners
        delivered = deliver_pending(self.ctx, self.transports)
        if written or delivered or taken:
            log.info("EDI: %d written, %d delivered, %d taken in", len(written), delivered, taken)
        if self.reconcile_every_seconds and time.monotonic() - self._last_reconciled >= self.reconcile_every_seconds:
            self._last_reconciled = time.monotonic()
            run = run_reconciliation(self.ctx, checks=list(Check), tolerances=Tolerances(), actor=SYSTEM)
            log.info("reconciliation %s: %s, %d discrepancies", run.id, run.status.value, len(run.discrepancies))
