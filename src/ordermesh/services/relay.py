"""Move committed events from the outbox to publishers; re-try backorders the API could not fill."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from ordermesh.services.allocation import fill_backorders
from ordermesh.services.context import AppContext
from ordermesh.services.ports import Page, StoredEvent, UnitOfWork

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

    The batch is read, published and the position moved in three steps, and no transaction is open while the
    publishers work: a slow or unreachable broker must not hold SQLite's write lock (which every capture
    waits for) nor keep a PostgreSQL transaction open (which holds back the feed). The position moves only
    if it still stands where the batch was read from; a publisher that raises leaves it there, so the batch
    is offered again (at least once). Two relays running at once may both publish a batch; only one moves
    the position, and consumers de-duplicate by event id (NATS does so by `Nats-Msg-Id`).
    """
    start, page = ctx.read(lambda uow: _next_batch(uow, name))
    if not page.rows:
        return 0
    for publisher in publishers:
        publisher.publish(page.rows)
    moved = ctx.transaction(lambda uow: uow.relays.advance_from(name, start, page.next_cursor, ctx.clock.now()))
    return len(page.rows) if moved else 0


def _next_batch(uow: UnitOfWork, name: str) -> tuple[str | None, Page]:
    start = uow.relays.position(name)
    return start, uow.outbox.feed(after=start, limit=RELAY_BATCH)


def sweep_backorders(ctx: AppContext, *, max_skus: int = 200) -> int:
    """Try every backordered SKU again (stock may have been freed by a cancel or lost a race)."""
    skus = ctx.read(lambda uow: uow.orders.backordered_skus(limit=max_skus))
    filled = 0
    for sku in skus:

        def fill(uow: UnitOfWork, sku: str = sku) -> int:
            return fill_backorders(uow, ctx, sku=sku, location=None)

        filled += ctx.transaction(fill)
    return filled
