"""The background worker: outbox relay (at least once, in order) and the backorder sweep."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.domain.orders import Customer, Delivery
from ordermesh.entrypoints.worker.loop import Worker
from ordermesh.services import catalog, orders
from ordermesh.services.commands import CaptureOrder, CreateItem, CreateLocation, NewLine
from ordermesh.services.context import AppContext
from ordermesh.services.ports import StoredEvent, UnitOfWork
from ordermesh.services.relay import relay_once, sweep_backorders


class RecordingPublisher:
    def __init__(self) -> None:
        self.seen: list[StoredEvent] = []

    def publish(self, events: Sequence[StoredEvent]) -> None:
        self.seen.extend(events)


class BrokenPublisher:
    def publish(self, events: Sequence[StoredEvent]) -> None:
        raise ConnectionError("broker down")


def _network(ctx: AppContext) -> None:
    catalog.create_item(ctx, command=CreateItem("TEE", "Tee", 200), actor=SYSTEM)
    catalog.create_location(
        ctx,
        command=CreateLocation("NWK", "Newark", LocationType.WAREHOUSE, Address(country="US", lat=40.7, lon=-74.2),
                               frozenset({Capability.SHIP})),
        actor=SYSTEM,
    )


def _order(ctx: AppContext, external_id: str) -> str:
    command = CaptureOrder(
        channel="web", external_id=external_id, currency="USD", customer=Customer("a@example.com"),
        ship_to=Address(country="US", postal_code="10016", lat=40.75, lon=-73.98), delivery=Delivery(),
        lines=(NewLine("1", "TEE", 1, Decimal("10.00")),),
    )
    order, _ = orders.capture_order(ctx, command=command, actor=SYSTEM)
    return order.id


def test_the_relay_publishes_every_event_once_in_order(ctx: AppContext) -> None:
    _network(ctx)
    _order(ctx, "W-1")
    publisher = RecordingPublisher()

    first = relay_once(ctx, [publisher])
    second = relay_once(ctx, [publisher])

    assert first == len(publisher.seen) >= 3
    assert second == 0
    assert [e.type for e in publisher.seen][:2] == ["ordermesh.item.created", "ordermesh.location.created"]
    assert len({e.id for e in publisher.seen}) == len(publisher.seen)


def test_a_failing_publisher_leaves_the_events_for_the_next_round(ctx: AppContext) -> None:
    _network(ctx)

    with pytest.raises(ConnectionError):
        relay_once(ctx, [BrokenPublisher()])
    publisher = RecordingPublisher()
    relayed = relay_once(ctx, [publisher])

    assert relayed == 2
    assert [e.subject for e in publisher.seen] == ["TEE", "NWK"]


class CapturingWhilePublishing:
    """A slow broker: while it holds a batch, an order is captured in another thread."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.captured: list[str] = []

    def publish(self, events: Sequence[StoredEvent]) -> None:
        worker = threading.Thread(target=lambda: self.captured.append(_order(self.ctx, f"W-{len(events)}")))
        worker.start()
        worker.join(timeout=20)
        assert not worker.is_alive(), "a capture waited for the relay's transaction"


def test_a_slow_publisher_holds_no_transaction_that_order_capture_waits_for(ctx: AppContext) -> None:
    _network(ctx)
    publisher = CapturingWhilePublishing(ctx)

    relayed = relay_once(ctx, [publisher])
    rest = RecordingPublisher()
    relay_once(ctx, [rest])

    assert relayed == 2 and len(publisher.captured) == 1
    assert rest.seen[0].type == "ordermesh.order.created"  # the order captured meanwhile comes next


def test_of_two_relays_reading_the_same_batch_only_one_moves_the_position(ctx: AppContext) -> None:
    _network(ctx)
    first, second = RecordingPublisher(), RecordingPublisher()

    class Racing:
        def publish(self, events: Sequence[StoredEvent]) -> None:
            assert relay_once(ctx, [second]) == len(events)  # another relay takes the same batch meanwhile

    raced = relay_once(ctx, [first, Racing()])

    assert raced == 0  # the position had moved: this relay leaves it
    assert [e.id for e in second.seen] == [e.id for e in first.seen]
    assert relay_once(ctx, [RecordingPublisher()]) == 0


def test_the_sweep_allocates_backorders_that_stock_could_now_fill(ctx: AppContext) -> None:
    _network(ctx)
    order_id = _order(ctx, "W-2")

    def stock_behind_the_use_cases(uow: UnitOfWork) -> None:
        # Stock that appeared without the inventory use case (as after a lost reservation race).
        uow.stock.set_level("NWK", "TEE", on_hand=1, safety_stock=None, as_of=None, now=datetime.now(UTC))

    ctx.transaction(stock_behind_the_use_cases)
    assert ctx.read(lambda uow: uow.orders.get(order_id)).status == "backordered"  # type: ignore[union-attr]

    filled = sweep_backorders(ctx)

    assert filled == 1
    assert ctx.read(lambda uow: uow.orders.get(order_id)).status == "allocated"  # type: ignore[union-attr]


def test_the_worker_thread_relays_until_stopped(ctx: AppContext) -> None:
    _network(ctx)
    publisher = RecordingPublisher()
    worker = Worker(ctx, [publisher], poll_seconds=0.05)
    done = threading.Event()

    class Signalling(RecordingPublisher):
        def publish(self, events: Sequence[StoredEvent]) -> None:
            super().publish(events)
            if events:
                done.set()

    signalling = Signalling()
    worker.publishers.append(signalling)
    thread = worker.start_in_thread()
    try:
        assert done.wait(10)
    finally:
        worker.stop()
        thread.join(5)

    assert not thread.is_alive()
    assert [e.subject for e in publisher.seen] == ["TEE", "NWK"]
