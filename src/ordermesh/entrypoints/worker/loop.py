"""The worker: relay outbox events to publishers, and re-try backorders now and then."""

from __future__ import annotations

import logging
import threading

from ordermesh.services.context import AppContext
from ordermesh.services.relay import RELAY_BATCH, EventPublisher, relay_once, sweep_backorders

log = logging.getLogger(__name__)


class Worker:
    """Runs until stopped; safe to run in several processes (claims are row-locked on PostgreSQL)."""

    def __init__(
        self,
        ctx: AppContext,
        publishers: list[EventPublisher],
        *,
        poll_seconds: float = 0.5,
        sweep_seconds: float = 60.0,
    ) -> None:
        self.ctx = ctx
        self.publishers = publishers
        self.poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        since_sweep = 0.0
        while not self.stopping.is_set():
            try:
                # Without publishers there is nobody to relay to: the feed serves the events.
                relayed = relay_once(self.ctx, self.publishers) if self.publishers else 0
                since_sweep += self.poll_seconds
                if since_sweep >= self.sweep_seconds:
                    since_sweep = 0.0
                    sweep_backorders(self.ctx)
            except Exception:  # a failing round must not end the worker; it is logged and retried
                log.exception("worker round failed")
                relayed = 0
            if relayed < RELAY_BATCH:
                # Caught up: wait, so the relay reads events in batches rather than one round per order.
                self.stopping.wait(self.poll_seconds)

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="ordermesh-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
