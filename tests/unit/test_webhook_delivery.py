"""Webhook delivery with fakes and a fake clock: queued once, in order per order, retried, dead-lettered, replayed."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.domain.access import SYSTEM
from ordermesh.domain.errors import InvalidInput, NotFound
from ordermesh.domain.events import Event
from ordermesh.domain.outbound_webhooks import RetryPolicy
from ordermesh.services import webhook_subscriptions as subs
from ordermesh.services.context import AppContext
from ordermesh.services.ports import UnitOfWork
from ordermesh.services.webhook_dispatch import (
    DispatchSettings,
    SendResult,
    WebhookDispatcher,
    WebhookRequest,
    claim_due,
    dispatch_once,
    enqueue_deliveries,
)
from ordermesh.services.webhook_ports import OutboundDelivery
from tests.fakes import FakeClock, FakeGeocoder, FakeUnitOfWorkFactory, SequentialIds

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
FAST = DispatchSettings(retry=RetryPolicy(max_attempts=50, base=timedelta(seconds=1), cap=timedelta(seconds=8)))


def middle() -> float:
    return 1.0


@dataclass
class Receiver:
    """A fake sender: answers `answer(request, now)`; keeps what it accepted, in the order it accepted it."""

    clock: FakeClock
    answer: Callable[[WebhookRequest, datetime], int] = lambda request, now: 200
    accepted: list[WebhookRequest] = field(default_factory=list)
    tries: int = 0

    def send(self, request: WebhookRequest) -> SendResult:
        self.tries += 1
        status = self.answer(request, self.clock.now())
        if 200 <= status < 300:
            self.accepted.append(request)
        return SendResult(status, None, 3)

    def subjects(self) -> dict[str, list[str]]:
        """The accepted event types per subject, in arrival order."""
        seen: dict[str, list[str]] = {}
        for request in self.accepted:
            seen.setdefault(request.event.subject, []).append(request.event.type)
        return seen


def context() -> tuple[AppContext, FakeClock]:
    ids = SequentialIds()
    clock = FakeClock(T0)
    return AppContext(FakeUnitOfWorkFactory(ids=ids, source="/test"), clock, ids, FakeGeocoder()), clock


def subscribe(ctx: AppContext, *types: str, url: str = "https://receiver.example/hooks") -> str:
    command = subs.CreateSubscription(url, types or ("*",))
    return subs.create_subscription(ctx, command=command, actor=SYSTEM).id


def publish(ctx: AppContext, *events: tuple[str, str]) -> None:
    """Commit events (type, subject) to the outbox, as a use case would."""

    def work(uow: UnitOfWork) -> None:
        uow.outbox.add([Event(kind, subject, {"n": i}) for i, (kind, subject) in enumerate(events)], ctx.clock.now())

    ctx.transaction(work)


def lifecycle(order: str) -> list[tuple[str, str]]:
    verbs = ("created", "allocated", "held", "released", "cancelled")
    return [(f"ordermesh.order.{verb}", order) for verb in verbs]


def deliveries(ctx: AppContext, subscription_id: str, status: str | None = None) -> list[OutboundDelivery]:
    page = ctx.read(lambda uow: uow.deliveries.page(subscription_id, status=status, after=None, limit=1000))
    return list(page.rows)


def run(
    ctx: AppContext, clock: FakeClock, receiver: Receiver, *, seconds: float, settings: DispatchSettings = FAST
) -> None:
    """Let the worker run for a while of fake time, in steps of half a second."""
    end = clock.now() + timedelta(seconds=seconds)
    while clock.now() < end:
        enqueue_deliveries(ctx)
        dispatch_once(ctx, receiver, settings, jitter=middle)
        clock.advance(timedelta(milliseconds=500))


def test_a_receiver_down_for_a_minute_gets_every_event_afterwards_in_order_per_order_none_lost() -> None:
    ctx, clock = context()
    subscription = subscribe(ctx, "ordermesh.order.*")
    receiver = Receiver(clock, lambda request, now: 503 if now < T0 + timedelta(seconds=60) else 200)
    orders = [f"ord_{n}" for n in range(4)]

    for step in range(5):  # the orders' events trickle in during the outage, interleaved
        publish(ctx, *(lifecycle(order)[step] for order in orders))
        run(ctx, clock, receiver, seconds=10)
    run(ctx, clock, receiver, seconds=60)

    assert clock.now() > T0 + timedelta(seconds=100)
    assert receiver.tries > len(orders) * 5, "the receiver was tried during the outage"
    assert receiver.subjects() == {order: [kind for kind, _ in lifecycle(order)] for order in orders}
    assert len({r.event.id for r in receiver.accepted}) == len(receiver.accepted) == 20
    assert {d.status for d in deliveries(ctx, subscription)} == {"delivered"}


def test_a_later_event_of_an_order_waits_while_an_earlier_one_fails_but_other_orders_go_on() -> None:
    ctx, clock = context()
    subscribe(ctx)
    refuse = {"ordermesh.order.created": "ord_1"}
    receiver = Receiver(
        clock, lambda request, now: 500 if refuse.get(request.event.type) == request.event.subject else 204
    )
    publish(ctx, *lifecycle("ord_1")[:2], *lifecycle("ord_2")[:2])

    run(ctx, clock, receiver, seconds=5)

    assert receiver.subjects() == {"ord_2": ["ordermesh.order.created", "ordermesh.order.allocated"]}
    refuse.clear()
    run(ctx, clock, receiver, seconds=20)
    assert receiver.subjects()["ord_1"] == ["ordermesh.order.created", "ordermesh.order.allocated"]


def test_a_delivery_refused_max_attempts_times_is_dead_with_each_attempt_logged_and_stops_blocking() -> None:
    ctx, clock = context()
    subscription = subscribe(ctx)
    settings = DispatchSettings(retry=RetryPolicy(max_attempts=3, base=timedelta(seconds=1), cap=timedelta(seconds=4)))
    receiver = Receiver(clock, lambda request, now: 410 if request.event.type.endswith("created") else 200)
    publish(ctx, *lifecycle("ord_1")[:2])

    run(ctx, clock, receiver, seconds=30, settings=settings)

    [dead] = deliveries(ctx, subscription, "dead")
    assert dead.event.type == "ordermesh.order.created"
    assert dead.attempts == 3
    assert [a.status_code for a in dead.log] == [410, 410, 410]
    assert dead.log[1].at - dead.log[0].at == timedelta(seconds=1)  # waits 1 s, then 2 s (jitter 1.0, 0.5 s steps)
    assert dead.log[2].at - dead.log[1].at == timedelta(seconds=2)
    assert dead.last_error == "HTTP 410"
    assert [r.event.type for r in receiver.accepted] == ["ordermesh.order.allocated"]


def test_each_event_is_queued_once_per_matching_active_subscription_however_often_the_relay_runs() -> None:
    ctx, _ = context()
    orders_only = subscribe(ctx, "ordermesh.order.*")
    everything = subscribe(ctx, "*")
    paused = subscribe(ctx, "*")
    subs.change_subscription(ctx, subscription_id=paused, change=subs.ChangeSubscription(active=False), actor=SYSTEM)
    publish(ctx, ("ordermesh.order.created", "ord_1"), ("ordermesh.inventory.changed", "NJ-DC/TEE"))

    for _ in range(3):
        enqueue_deliveries(ctx)

    assert [d.event.type for d in deliveries(ctx, orders_only)] == ["ordermesh.order.created"]
    assert len(deliveries(ctx, everything)) == 2
    assert deliveries(ctx, paused) == []


def test_a_new_subscription_gets_only_the_events_that_happen_after_it_was_made() -> None:
    ctx, clock = context()
    publish(ctx, ("ordermesh.order.created", "ord_1"))
    clock.advance()
    subscription = subscribe(ctx)
    publish(ctx, ("ordermesh.order.created", "ord_2"))

    enqueue_deliveries(ctx)

    assert [d.event.subject for d in deliveries(ctx, subscription)] == ["ord_2"]


def test_replaying_one_event_sends_it_again_and_keeps_the_first_delivery_in_the_log() -> None:
    ctx, clock = context()
    subscription = subscribe(ctx)
    receiver = Receiver(clock)
    publish(ctx, *lifecycle("ord_1")[:3])
    run(ctx, clock, receiver, seconds=2)
    allocated = next(r.event for r in receiver.accepted if r.event.type == "ordermesh.order.allocated")

    queued = subs.replay(ctx, subscription_id=subscription, event_id=allocated.id, actor=SYSTEM)
    run(ctx, clock, receiver, seconds=2)

    assert queued == 1
    assert [r.event.id for r in receiver.accepted][-1] == allocated.id
    assert len(receiver.accepted) == 4
    assert [d.event.id for d in deliveries(ctx, subscription)].count(allocated.id) == 2


def test_replaying_a_time_range_sends_the_events_of_that_range_in_their_order() -> None:
    ctx, clock = context()
    subscription = subscribe(ctx)
    receiver = Receiver(clock)
    for order in ("ord_1", "ord_2", "ord_3"):
        publish(ctx, *lifecycle(order)[:2])
        run(ctx, clock, receiver, seconds=60)
    receiver.accepted.clear()

    queued = subs.replay(
        ctx,
        subscription_id=subscription,
        start=T0 + timedelta(seconds=30),
        end=T0 + timedelta(seconds=150),
        actor=SYSTEM,
    )
    run(ctx, clock, receiver, seconds=2)

    assert queued == 4
    assert receiver.subjects() == {
        order: ["ordermesh.order.created", "ordermesh.order.allocated"] for order in ("ord_2", "ord_3")
    }


def test_replay_refuses_an_event_the_subscription_was_never_sent_and_a_request_for_both_ways() -> None:
    ctx, _ = context()
    subscription = subscribe(ctx)

    with pytest.raises(NotFound):
        subs.replay(ctx, subscription_id=subscription, event_id="evt_404", actor=SYSTEM)
    with pytest.raises(InvalidInput):
        subs.replay(ctx, subscription_id=subscription, event_id="evt_1", start=T0, actor=SYSTEM)


def test_a_subscription_refuses_a_url_that_is_not_http_and_an_unknown_event_type_naming_the_field() -> None:
    ctx, _ = context()

    with pytest.raises(InvalidInput) as bad_url:
        subs.create_subscription(ctx, command=subs.CreateSubscription("ftp://x.example", ["*"]), actor=SYSTEM)
    with pytest.raises(InvalidInput) as bad_type:
        subs.create_subscription(
            ctx, command=subs.CreateSubscription("https://x.example", ["*", "ordermesh.order.shiped"]), actor=SYSTEM
        )

    assert bad_url.value.field == ("url",)
    assert bad_type.value.field == ("event_types", 1)


def test_changes_are_audited_without_the_secret() -> None:
    ctx, _ = context()
    subscription = subscribe(ctx)
    subs.change_subscription(
        ctx, subscription_id=subscription, change=subs.ChangeSubscription(rotate_secret=True), actor=SYSTEM
    )
    secret = subs.get_subscription(ctx, subscription).secret

    entries = ctx.read(lambda uow: uow.audit.page(entity="webhook", entity_id=subscription, after=None, limit=10))

    assert [e["action"] for e in entries.rows] == ["webhook.update", "webhook.create"]
    assert entries.rows[0]["after"]["secret_rotated"] is True
    assert secret.startswith("whsec_")
    assert "whsec_" not in repr(entries.rows)


def test_a_subscription_with_a_long_backlog_does_not_crowd_out_another() -> None:
    ctx, _ = context()
    busy = subscribe(ctx, "ordermesh.order.*")
    quiet = subscribe(ctx, "ordermesh.inventory.changed")
    publish(ctx, *(("ordermesh.order.created", f"ord_{n}") for n in range(30)), ("ordermesh.inventory.changed", "NWK"))
    enqueue_deliveries(ctx)

    claimed = claim_due(ctx, DispatchSettings(per_subscription=2), room=4)

    assert Counter(c.delivery.subscription_id for c in claimed) == {busy: 2, quiet: 1}


def test_a_slow_receiver_does_not_hold_up_the_others() -> None:
    ctx, _ = context()
    slow = subscribe(ctx, url="https://slow.example/hooks")
    fast = subscribe(ctx, url="https://fast.example/hooks")
    release = threading.Event()
    fast_sends = threading.Semaphore(0)
    slow_sent: list[str] = []

    class Sender:
        def send(self, request: WebhookRequest) -> SendResult:
            if "slow" in request.url:
                release.wait(10)
                slow_sent.append(request.event.subject)
            else:
                fast_sends.release()
            return SendResult(200, None, 1)

    publish(ctx, *lifecycle("ord_1")[:1], *lifecycle("ord_2")[:1])
    dispatcher = WebhookDispatcher(ctx, Sender(), DispatchSettings(concurrency=4, per_subscription=2), jitter=middle)
    try:
        dispatcher.run_round()
        fast_went = [fast_sends.acquire(timeout=5) for _ in range(2)]
        slow_states = {d.status for d in deliveries(ctx, slow)}
        release.set()
        deadline = time.monotonic() + 30
        while not dispatcher.idle() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        release.set()
        dispatcher.close()

    assert fast_went == [True, True], "the fast receiver got both events while the slow one was still busy"
    assert slow_states == {"pending"}
    assert {d.status for d in deliveries(ctx, fast)} == {"delivered"}
    assert sorted(slow_sent) == ["ord_1", "ord_2"], "the slow receiver got its events once it answered"
