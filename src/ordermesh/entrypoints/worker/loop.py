"""The worker: relay outbox events to publishers, re-try backorders and re-optimise unreleased work now and then,
and fail the sandbox runs whose process stopped."""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from ordermesh.config import Settings
from ordermesh.domain.access import SYSTEM
from ordermesh.services.channel_push import ChannelPusher
from ordermesh.services.context import AppContext
from ordermesh.services.edi_exchange import PartnerExchange
from ordermesh.services.relay import RELAY_BATCH, EventPublisher, relay_once, sweep_backorders
from ordermesh.services.reoptimise import reoptimise
from ordermesh.services.simulation_lease import fail_abandoned_simulations
from ordermesh.services.webhook_dispatch import WebhookDispatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReoptimiseSchedule:
    every_seconds: float = 300.0  # 0: never
    release_delay: timedelta = timedelta(minutes=15)
    min_saving: float = 0.50

    @classmethod
    def from_settings(cls, settings: Settings) -> ReoptimiseSchedule:
        return cls(
            every_seconds=settings.reoptimise_every_seconds,
            release_delay=timedelta(seconds=settings.release_delay_seconds),
            min_saving=settings.reoptimise_min_saving,
        )


class Worker:
    """Runs until stopped; safe to run in several processes (claims are row-locked on PostgreSQL)."""

    def __init__(
        self,
        ctx: AppContext,
        publishers: list[EventPublisher],
        *,
        poll_seconds: float = 0.5,
        sweep_seconds: float = 60.0,
        reoptimisation: ReoptimiseSchedule | None = None,
        webhooks: WebhookDispatcher | None = None,
        pushes: ChannelPusher | None = None,
        partners: PartnerExchange | None = None,
        simulations_stale_after: timedelta | None = None,
    ) -> None:
        self.ctx = ctx
        self.publishers = publishers
        self.poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self.reoptimisation = reoptimisation or ReoptimiseSchedule()
        self.webhooks = webhooks
        self.pushes = pushes
        self.partners = partners
        self.simulations_stale_after = simulations_stale_after
        self.stopping = threading.Event()

    def run(self) -> None:
        since_sweep = 0.0
        last_reoptimised = time.monotonic()
        last_swept_simulations = -math.inf  # sweep at once: monotonic time counts from an unknown start
        while not self.stopping.is_set():
            last_swept_simulations = self._sweep_simulations(last_swept_simulations)
            try:
                # Without publishers there is nobody to relay to: the feed serves the events.
                relayed = relay_once(self.ctx, self.publishers) if self.publishers else 0
                since_sweep += self.poll_seconds
                if since_sweep >= self.sweep_seconds:
                    since_sweep = 0.0
                    sweep_backorders(self.ctx)
                schedule = self.reoptimisation
                if schedule.every_seconds and time.monotonic() - last_reoptimised >= schedule.every_seconds:
                    last_reoptimised = time.monotonic()
                    report = reoptimise(
                        self.ctx, release_delay=schedule.release_delay, min_saving=schedule.min_saving, actor=SYSTEM
                    )
                    if report.moved:
                        log.info("re-optimised %d orders, saving %.2f", len(report.moved), report.saving)
            except Exception:  # a failing round must not end the worker; it is logged and retried
                log.exception("worker round failed")
                relayed = 0
            if self.webhooks is not None:
                try:  # queue new events for webhooks, start sending what is due; never waits for a receiver
                    self.webhooks.run_round()
                except Exception:
                    log.exception("webhook round failed")
            if self.pushes is not None:
                try:  # queue status updates for channels, start pushing what is due; never waits for a channel
                    self.pushes.run_round()
                except Exception:
                    log.exception("channel push round failed")
            if self.partners is not None and self.partners.every_seconds:
                try:  # 940s for released work, deliveries, inbound directories (every few seconds)
                    self.partners.run_round()
                except Exception:
                    log.exception("EDI exchange round failed")
            if relayed < RELAY_BATCH:
                # Caught up: wait, so the relay reads events in batches rather than one round per order.
                self.stopping.wait(self.poll_seconds)

    def _sweep_simulations(self, last: float) -> float:
        """Fail the sandbox runs whose process stopped, a few times per staleness; return when it last swept."""
        stale_after = self.simulations_stale_after
        if not stale_after or time.monotonic() - last < stale_after.total_seconds() / 4:
            return last
        try:
            fail_abandoned_simulations(self.ctx, stale_after=stale_after)
        except Exception:  # as any round: logged, tried again at the next sweep
            log.exception("sweep of abandoned simulations failed")
        return time.monotonic()

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="ordermesh-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
