"""Move committed events from the outbox to publishers; re-try backorders the API could not fill."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from ordermesh.services.allocation import fill_backorders
from ordermesh.services.context import AppContext
from ordermesh.services.ports import StoredEvent, UnitOfWork

log = logging.getLogger(__name__)
RELAY_BATCH = 200
DEFAULT_RELAY = "default"


class EventPublisher(Protocol):
    def publish(self, events: Sequence[StoredEvent]) -> None:
        """Deliver events (at least once); raise to have the batch retried later."""
        ...


class LogPublisher:
    """Writes each event to the log: the default when no broker or webhook is configured."""

    def publish(self, events: Sequence[StoredEvent]) -> None:
        for event in events:
            log.debug("event %s %s %s", event.id, event.type, event.subject)


def relay_once(ctx: AppContext, publishers: Sequence[EventPublisher], *, name: str = DEFAULT_RELAY) -> int:
    """Publish the next batch of events after the relay's position, then move the position; return how many.

    Only one process relays under a name at a time; the others find the position locked and skip the round.
    A publisher that raises leaves the position where it was, so the batch is offered again (at least once).
    """

    def work(uow: UnitOfWork) -> int:
        now = ctx.clock.now()
        claim = uow.relays.claim(name, now)
        if claim is None:
            return 0
        page = uow.outbox.feed(after=claim.cursor, limit=RELAY_BATCH)
        if not page.rows:
            return 0
        for publisher in publishers:
            publisher.publish(page.rows)
        uow.relays.advance(claim, page.next_cursor, now)
        return len(page.rows)

    return ctx.transaction(work)


def sweep_backorders(ctx: AppContext, *, max_skus: int = 200) -> int:
    """Try every backordered SKU again (stock may have been freed by a cancel or lost a race)."""
    skus = ctx.read(lambda uow: uow.orders.backordered_skus(limit=max_skus))
    filled = 0
    for sku in skus:

        def fill(uow: UnitOfWork, sku: str = sku) -> int:
            return fill_backorders(uow, ctx, sku=sku, location=None)

        filled += ctx.transaction(fill)
    return filled
