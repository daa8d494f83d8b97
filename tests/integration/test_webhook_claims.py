"""Several workers share the webhook deliveries: a claimed delivery is leased to one of them alone."""

from __future__ import annotations

import threading
from collections import Counter

from ordermesh.bootstrap import build
from ordermesh.config import Settings
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.events import Event
from ordermesh.services import webhook_subscriptions as subs
from ordermesh.services.context import AppContext
from ordermesh.services.ports import UnitOfWork
from ordermesh.services.webhook_dispatch import DispatchSettings, claim_due, enqueue_deliveries

EVENTS = 60


def publish(ctx: AppContext, count: int) -> None:
    def work(uow: UnitOfWork) -> None:
        uow.outbox.add([Event("ordermesh.order.created", f"ord_{n}", {}) for n in range(count)], ctx.clock.now())

    ctx.transaction(work)


def test_two_workers_claiming_at_once_never_take_the_same_delivery(settings: Settings) -> None:
    first, second = build(settings), build(settings)  # two processes' worth of engines and pools
    try:
        command = subs.CreateSubscription("https://receiver.example/hooks", ["*"])
        subs.create_subscription(first.context, command=command, actor=SYSTEM)
        publish(first.context, EVENTS)
        enqueue_deliveries(first.context)
        claimed: Counter[int] = Counter()
        lock = threading.Lock()

        def claim_all(ctx: AppContext) -> None:
            while batch := claim_due(ctx, DispatchSettings(per_subscription=100), room=3):
                with lock:
                    claimed.update(one.delivery.id for one in batch)

        workers = [threading.Thread(target=claim_all, args=(rt.context,)) for rt in (first, second, first, second)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    finally:
        first.close()
        second.close()

    assert len(claimed) == EVENTS
    assert set(claimed.values()) == {1}, "no delivery was leased twice"
