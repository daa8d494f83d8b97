"""Tell sales channels what happened to their orders: queue each status update once, push it, retry, give up.

Like webhooks out, two steps and no transaction open over HTTP:

- `enqueue_pushes` tails the outbox from its own relay position ("channel-push"): for each shipment, pickup
  and cancellation of an order that came from a channel able to take pushes (its kind has a client and it
  has API credentials), it queues the update in the channel's line ids, and moves the position in the same
  transaction, so each event is queued once.
- `claim_due` leases the pushes that may go now (the first waiting one of each order, so a channel hears of
  an order's shipment before its cancellation), `push_one` makes the channel's calls and records the outcome.
  `ChannelPusher` runs that from the worker on a thread of its own: a slow shop holds up no order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ordermesh.domain.access import Principal
from ordermesh.domain.channel_status import PUSHED_EVENTS, WAITING, PushStatus, Skip, StatusUpdate, status_update
from ordermesh.domain.errors import IllegalTransition, NotFound
from ordermesh.domain.exception_queue import ExceptionKind, RaisedException
from ordermesh.domain.outbound_webhooks import RetryPolicy
from ordermesh.services.channel_ports import ChannelPush, ChannelRecord
from ordermesh.services.connectors import ChannelStatusClient, PushOutcome, PushResult
from ordermesh.services.context import AppContext
from ordermesh.services.exception_queue import raise_exception, resolve_open
from ordermesh.services.ports import Page, StoredEvent, UnitOfWork
from ordermesh.services.relay import RELAY_BATCH

log = logging.getLogger(__name__)
PUSH_RELAY = "channel-push"
ERROR_CHARS = 500
CATCH_UP_BATCHES = 10


@dataclass(frozen=True)
class PushSettings:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease: timedelta = timedelta(seconds=120)  # longer than a push's calls may take together
    batch: int = 20  # pushes claimed per round


def can_push(record: ChannelRecord, clients: Mapping[str, ChannelStatusClient]) -> bool:
    """Whether a channel takes status pushes: a client for its kind, API credentials, and not switched off."""
    return record.kind in clients and bool(record.api_credentials) and record.settings.get("push", True) is not False


def enqueue_pushes(ctx: AppContext, clients: Mapping[str, ChannelStatusClient]) -> int:
    """Queue the status updates of the next batch of events; return how many events were read.

    Only one process enqueues at a time (the relay position is locked); the others skip the round. Events
    of channels that took no pushes when they happened are not queued later.
    """

    def work(uow: UnitOfWork) -> int:
        now = ctx.clock.now()
        claim = uow.relays.claim(PUSH_RELAY, now)
        if claim is None:
            return 0
        page = uow.outbox.feed(after=claim.cursor, limit=RELAY_BATCH)
        if not page.rows:
            return 0
        channels: dict[str, ChannelRecord | None] = {}
        pushes = [
            push
            for event in page.rows
            if event.type in PUSHED_EVENTS and (push := _push_for(uow, event, channels, clients, now)) is not None
        ]
        uow.channel_pushes.add(pushes)
        uow.relays.advance(claim, page.next_cursor, now)
        return len(page.rows)

    return ctx.transaction(work)


def _push_for(
    uow: UnitOfWork,
    event: StoredEvent,
    channels: dict[str, ChannelRecord | None],
    clients: Mapping[str, ChannelStatusClient],
    now: datetime,
) -> ChannelPush | None:
    order = uow.orders.get(str(event.data["order_id"]))
    if order is None:
        return None
    if order.channel not in channels:
        channels[order.channel] = uow.channels.get(order.channel)
    record = channels[order.channel]
    if record is None or not can_push(record, clients):
        return None
    update = status_update(event.id, event.type, event.data, order)
    if update is None:
        return None
    push = ChannelPush(0, record.channel, order.id, event.id, event.type, {}, PushStatus.PENDING.value, 0, now, now)
    if isinstance(update, Skip):
        return replace(push, status=PushStatus.SKIPPED.value, last_error=update.reason)
    return replace(push, update=update.data())


@dataclass(frozen=True)
class Claimed:
    push: ChannelPush
    channel: ChannelRecord


def claim_due(ctx: AppContext, settings: PushSettings, *, room: int) -> list[Claimed]:
    """Lease up to `room` due pushes with their channels (pushes of a deleted channel stay queued)."""
    if room <= 0:
        return []

    def work(uow: UnitOfWork) -> list[Claimed]:
        now = ctx.clock.now()
        claimed = []
        for push in uow.channel_pushes.due(now, limit=room):
            record = uow.channels.get(push.channel)
            if record is not None:
                claimed.append(Claimed(push, record))
        uow.channel_pushes.lease([c.push.id for c in claimed], now + settings.lease)
        return claimed

    return ctx.transaction(work)


def push_one(
    ctx: AppContext,
    clients: Mapping[str, ChannelStatusClient],
    claimed: Claimed,
    *,
    retry: RetryPolicy,
    jitter: Callable[[], float],
) -> ChannelPush | None:
    """Push one leased update and record the outcome; return the push as saved (None if it was deleted)."""
    started = ctx.clock.now()
    client = clients.get(claimed.channel.kind)
    if client is None:
        result = PushResult(PushOutcome.REFUSED, f"no status client for channel kind '{claimed.channel.kind}'")
    else:
        result = client.push(claimed.channel, StatusUpdate.of(claimed.push.update))

    def work(uow: UnitOfWork) -> ChannelPush | None:
        current = uow.channel_pushes.get(claimed.push.id)
        if current is None or current.status not in WAITING:
            return current  # settled by another worker after our lease ran out
        updated = after_attempt(current, result, at=started, now=ctx.clock.now(), retry=retry, jitter=jitter())
        uow.channel_pushes.save(updated)
        _follow_up(uow, ctx, updated)
        return updated

    return ctx.transaction(work)


def _follow_up(uow: UnitOfWork, ctx: AppContext, push: ChannelPush) -> None:
    """A push given up is an exception for a person; one done (sent again by hand) resolves it."""
    key = f"channel_push:{push.id}"
    if push.status == PushStatus.DEAD.value:
        summary = f"{push.channel} did not take {push.event_type} of order {push.order_id}: {push.last_error}"
        evidence = {"push": push.id, "channel": push.channel, "order": push.order_id, "event": push.event_id,
                    "attempts": push.attempts, "last_error": push.last_error}  # fmt: skip
        raise_exception(
            uow, ctx, RaisedException(ExceptionKind.CHANNEL_PUSH, f"{push.channel}#{push.id}", summary, key, evidence)
        )
    elif push.status == PushStatus.DONE.value:
        resolve_open(uow, ctx, key, "the channel took the update when it was sent again", push.channel)


def after_attempt(
    push: ChannelPush, result: PushResult, *, at: datetime, now: datetime, retry: RetryPolicy, jitter: float
) -> ChannelPush:
    """The push after one more attempt: done; skipped; refused (dead at once); or failed until `max_attempts`,
    then dead."""
    attempts = push.attempts + 1
    detail = result.detail[:ERROR_CHARS] if result.detail else None
    changed = replace(push, attempts=attempts, last_attempt_at=at, leased_until=None)
    if result.outcome == PushOutcome.DONE:
        return replace(
            changed, status=PushStatus.DONE.value, done_at=now, reference=result.reference, last_error=detail
        )
    if result.outcome == PushOutcome.SKIPPED:
        return replace(changed, status=PushStatus.SKIPPED.value, last_error=detail)
    if result.outcome == PushOutcome.REFUSED or retry.is_dead(attempts):
        return replace(changed, status=PushStatus.DEAD.value, last_error=detail or "refused by the channel")
    wait = retry.delay(attempts, jitter)
    if result.retry_after is not None:
        wait = max(wait, timedelta(seconds=result.retry_after))
    return replace(changed, status=PushStatus.FAILED.value, next_attempt_at=now + wait, last_error=detail)


def push_due(
    ctx: AppContext,
    clients: Mapping[str, ChannelStatusClient],
    settings: PushSettings,
    *,
    jitter: Callable[[], float],
) -> int:
    """Queue new updates, then push what is due here, one after the other; return how many (tests, CLI)."""
    enqueue_pushes(ctx, clients)
    claimed = claim_due(ctx, settings, room=settings.batch)
    for one in claimed:
        push_one(ctx, clients, one, retry=settings.retry, jitter=jitter)
    return len(claimed)


def list_pushes(ctx: AppContext, channel: str, *, status: str | None, after: str | None, limit: int) -> Page:
    """The channel's pushes, newest first. Raises NotFound for an unknown channel."""

    def work(uow: UnitOfWork) -> Page:
        if uow.channels.get(channel) is None:
            raise NotFound("channel", channel)
        return uow.channel_pushes.page(channel, status=status, after=after, limit=limit)

    return ctx.read(work)


def retry_push(ctx: AppContext, *, channel: str, push_id: int, actor: Principal) -> ChannelPush:
    """Send a dead or failed push again now, with a fresh count of attempts (after fixing credentials, say).

    Raises NotFound for a push not of this channel, IllegalTransition for one done, skipped or being sent.
    """

    def work(uow: UnitOfWork) -> ChannelPush:
        now = ctx.clock.now()
        push = uow.channel_pushes.get(push_id)
        if push is None or push.channel != channel:
            raise NotFound("channel push", str(push_id))
        if push.status not in (PushStatus.DEAD, PushStatus.FAILED):
            raise IllegalTransition("channel push", str(push_id), push.status, "send it again")
        if push.leased_until is not None and push.leased_until > now:
            raise IllegalTransition("channel push", str(push_id), "being sent", "send it again")
        again = replace(push, status=PushStatus.PENDING.value, attempts=0, next_attempt_at=now, leased_until=None)
        uow.channel_pushes.save(again)
        uow.audit.record(
            actor=actor,
            action="channel_push.retry",
            entity="channel_push",
            entity_id=str(push_id),
            before={"status": push.status, "attempts": push.attempts, "last_error": push.last_error},
            after={"status": again.status},
            at=now,
        )
        return again

    return ctx.transaction(work)


class ChannelPusher:
    """Pushes due updates on a thread of its own, so the worker's loop never waits for a channel.

    One push at a time per pusher: channels limit the calls a shop may make per second anyway, and each
    order's updates must reach its channel in order.
    """

    def __init__(
        self,
        ctx: AppContext,
        clients: Mapping[str, ChannelStatusClient],
        settings: PushSettings,
        *,
        jitter: Callable[[], float],
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.clients = clients
        self.settings = settings
        self.jitter = jitter
        self.on_close = on_close
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ordermesh-channel-push")
        self._busy = threading.Event()
        self._closed = False

    def run_round(self) -> int:
        """Queue new updates; if the last batch is done, claim the next and start pushing it. Returns its size."""
        if self._closed:
            return 0
        for _ in range(CATCH_UP_BATCHES):
            if enqueue_pushes(self.ctx, self.clients) < RELAY_BATCH:
                break
        if self._busy.is_set():
            return 0
        claimed = claim_due(self.ctx, self.settings, room=self.settings.batch)
        if claimed:
            self._busy.set()
            self._pool.submit(self._push_all, claimed)
        return len(claimed)

    def idle(self) -> bool:
        return not self._busy.is_set()

    def close(self) -> None:
        """Stop taking work; a batch under way finishes its current push (leases left behind run out)."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.on_close is not None:
            self.on_close()

    def _push_all(self, claimed: list[Claimed]) -> None:
        try:
            for one in claimed:
                if self._closed:
                    return
                try:
                    push_one(self.ctx, self.clients, one, retry=self.settings.retry, jitter=self.jitter)
                except Exception:  # the lease runs out and the push is tried again
                    log.exception("channel push %s failed to record", one.push.id)
        finally:
            self._busy.clear()
