"""The outbox relay to a real nats-server: every event reaches a JetStream consumer once, in commit order,
across relay crashes and NATS restarts."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from nats.js.api import StreamConfig

from ordermesh.adapters.messaging.nats import NatsEventPublisher, NatsSettings, NatsUnavailable
from ordermesh.bootstrap import Runtime, build
from ordermesh.config import Settings
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.entrypoints.api.app import create_app
from ordermesh.services import catalog, inventory, orders
from ordermesh.services.commands import CreateItem, CreateLocation, SetStock
from ordermesh.services.context import AppContext
from ordermesh.services.ports import StoredEvent
from ordermesh.services.relay import EventPublisher, relay_once
from tests.builders import NEWARK, capture_command, item, location, order_body, place, stock
from tests.conftest import ADMIN_KEY
from tests.nats_server import NatsServer, add_stream, consume, start_nats, stream_config

RECONNECT_SECONDS = 20.0


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = start_nats(tmp_path / "nats")
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def nats_settings(settings: Settings, nats_server: NatsServer) -> Settings:
    return settings.model_copy(update={"nats_url": nats_server.url})


class SimulatedCrash(Exception):
    pass


class CrashAfterPublishing:
    """Stands after the NATS publisher: the batch is in JetStream, then the relay dies before it moves on."""

    def publish(self, events: Sequence[StoredEvent]) -> None:
        raise SimulatedCrash(f"relay killed after publishing {len(events)} events")


def nats_publisher(runtime: Runtime) -> NatsEventPublisher:
    [publisher] = [p for p in runtime.publishers if isinstance(p, NatsEventPublisher)]
    return publisher


def relay_all(ctx: AppContext, publishers: Sequence[EventPublisher]) -> int:
    """Relay until the feed is drained; return how many events went out."""
    total = 0
    while relayed := relay_once(ctx, publishers):
        total += relayed
    return total


def relay_when_nats_is_back(ctx: AppContext, publishers: Sequence[EventPublisher]) -> int:
    """Retry as the worker does until the publisher has reconnected and the feed is drained."""
    deadline = time.monotonic() + RECONNECT_SECONDS
    while True:
        try:
            return relay_all(ctx, publishers)
        except NatsUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def feed(ctx: AppContext) -> list[StoredEvent]:
    return list(ctx.read(lambda uow: uow.outbox.feed(after=None, limit=10_000)).rows)


def network(ctx: AppContext) -> None:
    catalog.create_item(ctx, command=CreateItem("TEE", "Tee", 200), actor=SYSTEM)
    newark = Address(country="US", lat=NEWARK[0], lon=NEWARK[1])
    catalog.create_location(
        ctx, command=CreateLocation("NWK", "Newark", LocationType.WAREHOUSE, newark, frozenset({Capability.SHIP})),
        actor=SYSTEM,
    )
    inventory.set_stock(ctx, command=SetStock("NWK", "TEE", 1_000), actor=SYSTEM)


def capture(ctx: AppContext, *external_ids: str) -> None:
    for external_id in external_ids:
        orders.capture_order(ctx, command=capture_command(external_id, ("TEE", 1, "10.00")), actor=SYSTEM)


def test_every_event_of_an_order_lifecycle_reaches_a_consumer_once_in_commit_order(
    nats_settings: Settings, nats_server: NatsServer
) -> None:
    runtime = build(nats_settings)
    with TestClient(create_app(runtime=runtime), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        item(client, "TEE")
        location(client, "NWK", NEWARK)
        stock(client, "NWK", "TEE", 5)
        order = place(client, order_body("E-1", ("TEE", 2)))
        shipping = order["fulfillment_orders"][0]["id"]
        client.post(f"/v1/fulfillment-orders/{shipping}/ship", json={"carrier": "UPS", "tracking_number": "1Z"})
        served = client.get("/v1/events", params={"limit": 1000}).json()["data"]

        relayed = relay_all(runtime.context, runtime.publishers)

    received = consume(nats_server.url)
    assert relayed == len(served) == 7
    assert [json.loads(message.data) for message in received] == served
    assert [message.subject for message in received] == [event["type"] for event in served]
    assert [message.headers["Nats-Msg-Id"] if message.headers else None for message in received] == [
        event["id"] for event in served]
    assert {message.headers["Content-Type"] if message.headers else None for message in received} == {
        "application/cloudevents+json"}
    assert nats_publisher(runtime).stats.stored == 7


def test_the_relay_creates_the_stream_on_disk_with_the_configured_duplicate_window(
    nats_settings: Settings, nats_server: NatsServer
) -> None:
    runtime = build(nats_settings.model_copy(update={"nats_stream": "OM_EVENTS", "nats_duplicate_window_seconds": 300}))
    try:
        network(runtime.context)
        relay_all(runtime.context, runtime.publishers)
    finally:
        runtime.close()

    config = stream_config(nats_server.url, "OM_EVENTS")
    assert (config.subjects, config.storage, config.duplicate_window) == (["ordermesh.>"], "file", 300)
    assert len(consume(nats_server.url, "OM_EVENTS")) == 3


def test_an_existing_stream_gets_the_duplicate_window_and_keeps_the_operators_limits(
    nats_settings: Settings, nats_server: NatsServer
) -> None:
    add_stream(nats_server.url, StreamConfig(name="ORDERMESH", subjects=["ordermesh.>"], duplicate_window=10,
                                             max_msgs=10_000))
    runtime = build(nats_settings)
    try:
        network(runtime.context)
        relay_all(runtime.context, runtime.publishers)
    finally:
        runtime.close()

    config = stream_config(nats_server.url)
    assert (config.duplicate_window, config.max_msgs) == (120, 10_000)


def test_a_batch_published_again_after_a_relay_crash_reaches_the_consumer_once(
    nats_settings: Settings, nats_server: NatsServer
) -> None:
    first = build(nats_settings)
    network(first.context)
    capture(first.context, "W-1", "W-2")
    relayed_before_the_crash = relay_all(first.context, first.publishers)
    capture(first.context, "W-3", "W-4")
    with pytest.raises(SimulatedCrash):
        relay_once(first.context, [*first.publishers, CrashAfterPublishing()])
    first.close()
    in_jetstream_but_not_relayed = len(consume(nats_server.url)) - relayed_before_the_crash

    restarted = build(nats_settings)
    try:
        capture(restarted.context, "W-5")
        relay_all(restarted.context, restarted.publishers)
        events = feed(restarted.context)
    finally:
        restarted.close()

    received = consume(nats_server.url)
    assert in_jetstream_but_not_relayed > 0
    assert [message.headers["Nats-Msg-Id"] if message.headers else None for message in received] == [
        event.id for event in events]
    assert nats_publisher(restarted).stats.duplicates == in_jetstream_but_not_relayed


def test_events_made_while_nats_is_down_arrive_after_it_restarts_none_lost_none_twice(
    nats_settings: Settings, nats_server: NatsServer
) -> None:
    runtime = build(nats_settings)
    try:
        network(runtime.context)
        capture(runtime.context, "W-1")
        relay_all(runtime.context, runtime.publishers)

        nats_server.stop()
        capture(runtime.context, "W-2", "W-3")
        with pytest.raises(NatsUnavailable):
            relay_once(runtime.context, runtime.publishers)
        with pytest.raises(NatsUnavailable):  # the position stayed: the same batch is offered again
            relay_once(runtime.context, runtime.publishers)

        nats_server.start()  # same port, same store
        capture(runtime.context, "W-4")
        relay_when_nats_is_back(runtime.context, runtime.publishers)
        events = feed(runtime.context)
    finally:
        runtime.close()

    received = consume(nats_server.url)
    assert [message.headers["Nats-Msg-Id"] if message.headers else None for message in received] == [
        event.id for event in events]
    assert [message.subject for message in received] == [event.type for event in events]


def test_while_nats_is_unreachable_batches_fail_fast_and_the_outbox_waits_for_it(
    nats_settings: Settings, nats_server: NatsServer
) -> None:
    nats_server.stop()
    runtime = build(nats_settings.model_copy(update={"nats_publish_timeout_seconds": 1}))
    try:
        network(runtime.context)
        with pytest.raises(NatsUnavailable):  # the first batch gives a connection the publish timeout to come up
            relay_once(runtime.context, runtime.publishers)
        started = time.monotonic()
        with pytest.raises(NatsUnavailable, match="still connecting"):
            relay_once(runtime.context, runtime.publishers)
        failing_round = time.monotonic() - started

        nats_server.start()
        relay_when_nats_is_back(runtime.context, runtime.publishers)
        events = feed(runtime.context)
    finally:
        runtime.close()

    assert failing_round < 0.5  # the relay's transaction (SQLite's write lock) is not held for the timeout
    received = consume(nats_server.url)
    assert [message.headers["Nats-Msg-Id"] if message.headers else None for message in received] == [
        event.id for event in events]


def test_a_batch_acknowledged_too_late_is_sent_again_and_stored_once(
    nats_settings: Settings, nats_server: NatsServer
) -> None:
    runtime = build(nats_settings.model_copy(update={"nats_publish_timeout_seconds": 0.5}))
    try:
        network(runtime.context)
        relay_all(runtime.context, runtime.publishers)
        capture(runtime.context, "W-1")
        nats_server.pause()
        try:
            with pytest.raises(NatsUnavailable, match="3 of 3 events not stored"):
                relay_once(runtime.context, runtime.publishers)
        finally:
            nats_server.resume()  # it now stores the batch it was sent, but its acks come too late

        relay_when_nats_is_back(runtime.context, runtime.publishers)
        events = feed(runtime.context)
    finally:
        runtime.close()

    received = consume(nats_server.url)
    assert [message.headers["Nats-Msg-Id"] if message.headers else None for message in received] == [
        event.id for event in events]
    assert nats_publisher(runtime).stats.duplicates == 3


def test_a_stream_lost_with_the_servers_store_is_made_again(
    nats_settings: Settings, nats_server: NatsServer, tmp_path: Path
) -> None:
    runtime = build(nats_settings)
    try:
        network(runtime.context)
        relay_all(runtime.context, runtime.publishers)
        nats_server.stop()
        nats_server.directory = tmp_path / "new-store"  # a server that lost its disk, at the same address
        nats_server.start()
        capture(runtime.context, "W-1")

        relay_when_nats_is_back(runtime.context, runtime.publishers)
    finally:
        runtime.close()

    assert [message.subject for message in consume(nats_server.url)] == [
        "ordermesh.order.created", "ordermesh.fulfillment_order.created", "ordermesh.order.allocated"]


def test_without_a_nats_url_there_is_no_nats_publisher(settings: Settings) -> None:
    runtime = build(settings)
    try:
        assert not any(isinstance(publisher, NatsEventPublisher) for publisher in runtime.publishers)
        assert runtime.closers == []
    finally:
        runtime.close()


def test_the_publisher_connects_on_its_first_batch_and_not_before(settings: Settings) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        url = f"nats://127.0.0.1:{listener.getsockname()[1]}"
        runtime = build(settings.model_copy(update={"nats_url": url}))
        nats_publisher(runtime).publish([])
        runtime.close()

        with pytest.raises(BlockingIOError):  # nobody knocked
            listener.accept()
    assert not [thread for thread in threading.enumerate() if thread.name == "ordermesh-nats"]


def test_a_closed_publisher_refuses_batches_so_the_relay_keeps_them(
    settings: Settings, nats_server: NatsServer
) -> None:
    publisher = NatsEventPublisher(NatsSettings(url=nats_server.url))
    publisher.close()
    runtime = build(settings)
    try:
        network(runtime.context)
        with pytest.raises(NatsUnavailable, match="closed"):
            relay_once(runtime.context, [publisher])
        assert relay_all(runtime.context, []) == 3  # the feed still starts at the first event
    finally:
        runtime.close()
