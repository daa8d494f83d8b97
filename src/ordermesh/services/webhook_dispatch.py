"""Deliver events to webhook subscriptions: queue each event once, send what is due, retry, dead-letter.

Two steps, neither holding a transaction open over HTTP:

- `enqueue_deliveries` tails the outbox from its own relay position ("webhooks") and, in one transaction,
  queues one delivery per (event, matching active subscription) and moves the position: each event is
  queued once, however often the worker restarts.
- `claim_due` leases the deliveries that may go now (the first waiting one of each subscription and
  subject, so a receiver sees an order's events in order), `deliver` sends one and records the outcome in
  a transaction of its own. `WebhookDispatcher` runs the sends on a small thread pool, at most a few per
  subscription at once, so a slow receiver holds up neither the others nor order processing.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from ordermesh.domain.outbound_webhooks import WAITING, DeliveryStatus, RetryPolicy, matches
from ordermesh.services.context import AppContext
from ordermesh.services.ports import StoredEvent, UnitOfWork
from ordermesh.services.relay import RELAY_BATCH
from ordermesh.services.webhook_ports import DeliveryAttempt, OutboundDelivery

log = logging.getLogger(__name__)
WEBHOOK_RELAY = "webhooks"
ATTEMPTS_KEPT = 20  # per delivery, in its log
ERROR_CHARS = 500
CATCH_UP_BATCHES = 10  # per round, while the outbox has more
CLAIM_PASSES = 5


@dataclass(frozen=True)
class WebhookRequest:
    """What to send: the event to `url`, signed with `secret`, stamped `sent_at` (the webhook-timestamp)."""

    url: str
    secret: str
    event: StoredEvent
    sent_at: datetime


@dataclass(frozen=True)
class SendResult:
    """The receiver's answer (`status_code`) or why there was none (`error`: refused, timed out, ...)."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def accepted(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender(Protocol):
    def send(self, request: WebhookRequest) -> SendResult:
        """POST the signed event and report the answer; a receiver's failure is returned, never raised."""
        ...


@dataclass(frozen=True)
class DispatchSettings:
    """How deliveries are retried and how many go at once (in all, and per subscription)."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease: timedelta = timedelta(seconds=70)  # longer than any send may take (the sender's timeout)
    concurrency: int = 4
    per_subscription: int = 2


@dataclass(frozen=True)
class Claimed:
    """A leased delivery with where to send it."""

    delivery: OutboundDelivery
    url: str
    secret: str


def enqueue_deliveries(ctx: AppContext) -> int:
    """Queue the next batch of events for every active subscription that wants them; return how many events.

    A subscription gets the events that happened after it was created, none from before.

    Only one process enqueues at a time (the relay position is locked); the others skip the round.
    """

    def work(uow: UnitOfWork) -> int:
        now = ctx.clock.now()
        claim = uow.relays.claim(WEBHOOK_RELAY, now)
        if claim is None:
            return 0
        page = uow.outbox.feed(after=claim.cursor, limit=RELAY_BATCH)
        if not page.rows:
            return 0
        for subscription in uow.subscriptions.active():
            # Events from before a subscription existed are not its own (a relay catching up on an old outbox).
            wanted = [
                event
                for event in page.rows
                if event.time >= subscription.created_at and matches(subscription.event_types, event.type)
            ]
            uow.deliveries.add(subscription.id, wanted, now)
        uow.relays.advance(claim, page.next_cursor, now)
        return len(page.rows)

    return ctx.transaction(work)


def claim_due(
    ctx: AppContext, settings: DispatchSettings, *, room: int, busy: Mapping[str, int] | None = None
) -> list[Claimed]:
    """Lease up to `room` due deliveries, at most `per_subscription` per subscription counting `busy` ones."""
    if room <= 0:
        return []

    def work(uow: UnitOfWork) -> list[Claimed]:
        now = ctx.clock.now()
        taken = Counter(busy or {})
        picked: list[Claimed] = []
        # A subscription with a long backlog must not crowd out the others: once it has its share, later
        # passes skip it. Each pass leases what it picked, so the next one does not see it again.
        for _ in range(CLAIM_PASSES):
            full = sorted(sub for sub, count in taken.items() if count >= settings.per_subscription)
            batch = uow.deliveries.due(now, limit=room - len(picked), exclude=full)
            fresh: list[Claimed] = []
            for delivery in batch:
                subscription = uow.subscriptions.get(delivery.subscription_id)
                if subscription is not None and taken[delivery.subscription_id] < settings.per_subscription:
                    taken[delivery.subscription_id] += 1
                    fresh.append(Claimed(delivery, subscription.url, subscription.secret))
            uow.deliveries.lease([claimed.delivery.id for claimed in fresh], now + settings.lease)
            picked += fresh
            if not batch or len(picked) == room:
                break
        return picked

    return ctx.transaction(work)


def deliver(
    ctx: AppContext,
    sender: WebhookSender,
    claimed: Claimed,
    *,
    retry: RetryPolicy,
    jitter: Callable[[], float],
) -> OutboundDelivery | None:
    """Send one leased delivery, then record the outcome; None when its subscription was deleted meanwhile."""
    started = ctx.clock.now()
    result = sender.send(WebhookRequest(claimed.url, claimed.secret, claimed.delivery.event, started))

    def work(uow: UnitOfWork) -> OutboundDelivery | None:
        current = uow.deliveries.get(claimed.delivery.id)
        if current is None or current.status not in WAITING:
            return current  # deleted, or settled by another worker after our lease ran out
        updated = after_attempt(current, result, at=started, now=ctx.clock.now(), retry=retry, jitter=jitter())
        uow.deliveries.save(updated)
        return updated

    return ctx.transaction(work)


def after_attempt(
    delivery: OutboundDelivery, result: SendResult, *, at: datetime, now: datetime, retry: RetryPolicy, jitter: float
) -> OutboundDelivery:
    """The delivery after one more attempt: delivered on 2xx; else failed until `max_attempts`, then dead."""
    attempts = delivery.attempts + 1
    error = result.error[:ERROR_CHARS] if result.error else None
    attempt = DeliveryAttempt(at, result.status_code, error, result.duration_ms)
    changed = replace(
        delivery,
        attempts=attempts,
        last_attempt_at=at,
        last_status_code=result.status_code,
        last_error=error or f"HTTP {result.status_code}",
        leased_until=None,
        log=(*delivery.log, attempt)[-ATTEMPTS_KEPT:],
    )
    if result.accepted:
        return replace(changed, status=DeliveryStatus.DELIVERED.value, delivered_at=now, last_error=None)
    if retry.is_dead(attempts):
        return replace(changed, status=DeliveryStatus.DEAD.value)
    return replace(changed, status=DeliveryStatus.FAILED.value, next_attempt_at=now + retry.delay(attempts, jitter))


def dispatch_once(
    ctx: AppContext, sender: WebhookSender, settings: DispatchSettings, *, jitter: Callable[[], float], room: int = 100
) -> int:
    """Claim what is due and send it here, one after the other; return how many were sent (tests, CLI)."""
    claimed = claim_due(ctx, settings, room=room)
    for one in claimed:
        deliver(ctx, sender, one, retry=settings.retry, jitter=jitter)
    return len(claimed)


class WebhookDispatcher:
    """Sends due deliveries on a thread pool, so the worker's loop never waits for a receiver."""

    def __init__(
        self,
        ctx: AppContext,
        sender: WebhookSender,
        settings: DispatchSettings,
        *,
        jitter: Callable[[], float],
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.sender = sender
        self.settings = settings
        self.jitter = jitter
        self.on_close = on_close
        self._pool = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="ordermesh-webhook")
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._closed = False

    def run_round(self) -> int:
        """Queue new events, then start sending what is due while there is room; return how many were started."""
        if self._closed:
            return 0
        for _ in range(CATCH_UP_BATCHES):
            if enqueue_deliveries(self.ctx) < RELAY_BATCH:
                break
        with self._lock:
            busy = dict(self._in_flight)
        room = self.settings.concurrency - sum(busy.values())
        claimed = claim_due(self.ctx, self.settings, room=room, busy=busy)
        for one in claimed:
            with self._lock:
                self._in_flight[one.delivery.subscription_id] += 1
            self._pool.submit(self._send, one)
        return len(claimed)

    def idle(self) -> bool:
        with self._lock:
            return not +self._in_flight

    def close(self) -> None:
        """Stop taking work; sends under way finish in their threads (a lease left behind runs out)."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.on_close is not None:
            self.on_close()

    def _send(self, claimed: Claimed) -> None:
        try:
            deliver(self.ctx, self.sender, claimed, retry=self.settings.retry, jitter=self.jitter)
        except Exception:  # the lease runs out and the delivery is tried again
            log.exception("webhook delivery %s failed to record", claimed.delivery.id)
        finally:
            with self._lock:
                self._in_flight[claimed.delivery.subscription_id] -= 1
