"""Publish outbox events to NATS JetStream: one stream, a subject per event type, de-duplicated by event id.

The relay is synchronous and nats-py is asyncio, so the publisher keeps one event loop in a daemon thread and one
connection on it, started by the first batch (attempted in the background until it succeeds, so that rounds with
NATS unreachable fail at once) and re-made by nats-py after a disconnect. A batch is sent at once (each
message carries `Nats-Msg-Id: <event id>`) and every JetStream acknowledgement is awaited: a batch that is not
wholly stored raises, the relay keeps its position, and the next round sends the batch again. JetStream drops the
copies it has already stored within the stream's duplicate window, so a consumer sees each event once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import PubAck, StorageType, StreamConfig
from nats.js.errors import NoStreamResponseError, NotFoundError

from ordermesh.adapters.messaging.cloudevents import SUBJECT_ROOT, BrokerMessage, broker_message
from ordermesh.adapters.messaging.loop_thread import LoopThread
from ordermesh.services.ports import StoredEvent

log = logging.getLogger(__name__)

MSG_ID_HEADER = "Nats-Msg-Id"
# After the first attempt, how long a batch waits for a connection still being made in the background. The relay
# holds its database transaction (on SQLite, the write lock) meanwhile, so it must be short.
CONNECT_GRACE_SECONDS = 0.1
STREAM_SUBJECTS = f"{SUBJECT_ROOT}.>"


class NatsUnavailable(Exception):
    """NATS did not take the whole batch (down, reconnecting, slow, or the stream refused it); retry later."""


@dataclass(frozen=True)
class NatsSettings:
    """Where to publish and how long to wait; `ordermesh.config.Settings` names the ones an operator sets."""

    url: str
    stream: str = "ORDERMESH"
    duplicate_window_seconds: float = 120.0
    publish_timeout_seconds: float = 5.0
    reconnect_wait_seconds: int = 1
    client_name: str = "ordermesh-relay"

    @property
    def servers(self) -> list[str]:
        """The server URLs: `url` may name several, comma-separated (a cluster); the client fails over between them."""
        return [server.strip() for server in self.url.split(",") if server.strip()]

    def stream_config(self) -> StreamConfig:
        """The stream Ordermesh creates when it is missing: every `ordermesh.>` subject, on disk."""
        return StreamConfig(
            name=self.stream,
            subjects=[STREAM_SUBJECTS],
            storage=StorageType.FILE,
            duplicate_window=self.duplicate_window_seconds,
        )


@dataclass
class PublishStats:
    """What the publisher has done since it started: batches acknowledged, events stored, copies dropped."""

    batches: int = 0
    stored: int = 0
    duplicates: int = 0


def jetstream_message(event: StoredEvent) -> BrokerMessage:
    """The message for one event: subject `ordermesh.<entity>.<verb>`, CloudEvents JSON, `Nats-Msg-Id` = event id.

    Raises ValueError when the event's type cannot be a subject.
    """
    return broker_message(event, msg_id_header=MSG_ID_HEADER)


class NatsEventPublisher:
    """An `EventPublisher` to NATS JetStream (at least once; exactly once within the duplicate window).

    Nothing connects until the first batch. `publish` raises NatsUnavailable when any event of the batch is not
    acknowledged; `close` waits for a batch in flight, then closes the connection and the loop.
    """

    def __init__(self, settings: NatsSettings) -> None:
        self.settings = settings
        self.stats = PublishStats()
        self._lock = threading.Lock()  # one batch at a time, and close() waits for it
        self._loop: LoopThread | None = None
        self._client: NatsClient | None = None
        self._jetstream: JetStreamContext | None = None
        self._connecting: asyncio.Task[NatsClient] | None = None
        self._waited_for_first_connection = False
        self._stream_ready = False
        self._closed = False

    @property
    def connected(self) -> bool:
        """Whether a connection to NATS is up now (False before the first batch)."""
        return self._client is not None and self._client.is_connected

    def publish(self, events: Sequence[StoredEvent]) -> None:
        """Store every event in the stream, or raise NatsUnavailable so the relay offers the batch again."""
        if not events:
            return
        messages = [jetstream_message(event) for event in events]
        with self._lock:
            if self._closed:
                raise NatsUnavailable("the NATS publisher is closed")
            if self._loop is None:
                self._loop = LoopThread("ordermesh-nats")
            try:
                acks = self._loop.run(self._publish(messages), timeout=self._batch_deadline())
            except NatsUnavailable:
                raise
            except Exception as error:  # a timeout, a JetStream API error: the batch waits for the next round
                raise NatsUnavailable(f"NATS did not take {len(messages)} events: {error!r}") from error
        self.stats.batches += 1
        self.stats.duplicates += sum(1 for ack in acks if ack.duplicate)
        self.stats.stored += sum(1 for ack in acks if not ack.duplicate)

    def close(self) -> None:
        """Close the connection and stop the loop; later batches raise NatsUnavailable. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._loop is None:
                return
            try:
                self._loop.run(self._disconnect(), timeout=self.settings.publish_timeout_seconds)
            except Exception:  # closing must not fail shutdown; nothing is pending (every batch was acknowledged)
                log.warning("NATS connection did not close cleanly", exc_info=True)
            self._loop.stop()

    def _batch_deadline(self) -> float:
        # Connect, look up (and maybe create) the stream, then the batch: each bounded by the publish timeout.
        return 4 * self.settings.publish_timeout_seconds + 1.0

    async def _publish(self, messages: Sequence[BrokerMessage]) -> list[PubAck]:
        jetstream = await self._ready_jetstream()
        stream = self.settings.stream
        # Every message is written, in order, before any ack is awaited: one round trip for the whole batch,
        # and the stream stores the events in commit order.
        pending: list[asyncio.Future[PubAck]] = []
        try:
            for message in messages:
                pending.append(
                    await jetstream.publish_async(message.subject, message.body, stream=stream,
                                                  headers=dict(message.headers))
                )
        except Exception as error:  # the connection went away mid-batch
            _cancel(pending)
            raise NatsUnavailable(f"sent {len(pending)} of {len(messages)} events, then: {error!r}") from error
        _, late = await asyncio.wait(pending, timeout=self.settings.publish_timeout_seconds)
        _cancel(late)
        failures = [_failure(future) for future in pending if not _acked(future)]
        if not failures:
            return [future.result() for future in pending]
        if any(isinstance(failure, NoStreamResponseError) for failure in failures):
            self._stream_ready = False  # the stream is gone (a server with a new store): make it again next time
        raise NatsUnavailable(f"{len(failures)} of {len(messages)} events not stored: {failures[0]!r}") from failures[0]

    async def _ready_jetstream(self) -> JetStreamContext:
        if self._client is None or self._client.is_closed:
            self._client = await self._connected_client()
            self._jetstream = self._client.jetstream(timeout=self.settings.publish_timeout_seconds)
            self._stream_ready = False
        if not self._client.is_connected:
            raise NatsUnavailable(f"not connected to NATS at {self.settings.url} (reconnecting)")
        assert self._jetstream is not None
        if not self._stream_ready:
            await ensure_stream(self._jetstream, self.settings)
            self._stream_ready = True
        return self._jetstream

    async def _connected_client(self) -> NatsClient:
        """The client once it has connected. Raises NatsUnavailable while it has not.

        The attempt runs in the background and keeps trying across batches, so a batch waits for it only briefly
        (the first batch up to the publish timeout: a server that is up is connected to by then).
        """
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
        wait = CONNECT_GRACE_SECONDS if self._waited_for_first_connection else self.settings.publish_timeout_seconds
        self._waited_for_first_connection = True
        done, _ = await asyncio.wait({self._connecting}, timeout=wait)
        if not done:
            raise NatsUnavailable(f"still connecting to NATS at {self.settings.url}")
        attempt, self._connecting = self._connecting, None
        return attempt.result()

    async def _connect(self) -> NatsClient:
        client = NatsClient()
        try:
            await client.connect(
                self.settings.servers,
                name=self.settings.client_name,
                connect_timeout=math.ceil(self.settings.publish_timeout_seconds),  # nats-py wants whole seconds
                reconnect_time_wait=self.settings.reconnect_wait_seconds,
                max_reconnect_attempts=-1,  # never give up, also on the first connection: the outbox waits
                # No buffering while reconnecting: a publish then fails at once instead of being sent later,
                # after events that the relay re-sends, which would break commit order in the stream.
                pending_size=0,
                error_cb=self._on_error,
                disconnected_cb=self._on_disconnected,
                reconnected_cb=self._on_reconnected,
            )
        except BaseException as error:  # a bad URL, or close() cancelling the attempt
            await client.close()
            if isinstance(error, Exception):
                raise NatsUnavailable(f"cannot connect to NATS at {self.settings.url}: {error!r}") from error
            raise
        log.info("connected to NATS at %s", self.settings.url)
        return client

    async def _on_error(self, error: Exception) -> None:
        log.warning("NATS at %s: %r", self.settings.url, error)

    async def _on_disconnected(self) -> None:
        if not self._closed:
            log.warning("disconnected from NATS at %s; reconnecting (events wait in the outbox)", self.settings.url)

    async def _on_reconnected(self) -> None:
        log.info("reconnected to NATS at %s", self.settings.url)

    async def _disconnect(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
            self._connecting = None
        if self._client is not None and not self._client.is_closed:
            await self._client.close()
        self._client = None
        self._jetstream = None


def _acked(future: asyncio.Future[PubAck]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def _failure(future: asyncio.Future[PubAck]) -> BaseException:
    """Why a sent message has no ack: the error JetStream answered, or a timeout when none came in time."""
    if future.cancelled():
        return TimeoutError("no ack in time")
    error = future.exception()
    assert error is not None, "only futures without an ack get here"
    return error


def _cancel(futures: Iterable[asyncio.Future[PubAck]]) -> None:
    for future in futures:
        future.cancel()


async def ensure_stream(jetstream: JetStreamContext, settings: NatsSettings) -> None:
    """Create the stream when it is missing; give an existing one the `ordermesh.>` subjects and duplicate window.

    Other settings of an existing stream (retention, limits, replicas) are the operator's and left alone.
    """
    wanted = settings.stream_config()
    try:
        info = await jetstream.stream_info(settings.stream)
    except NotFoundError:
        await jetstream.add_stream(wanted)
        log.info("created JetStream stream %s (%s)", settings.stream, STREAM_SUBJECTS)
        return
    current = info.config
    subjects = list(current.subjects or [])
    if STREAM_SUBJECTS in subjects and current.duplicate_window == wanted.duplicate_window:
        return
    if STREAM_SUBJECTS not in subjects:
        subjects.append(STREAM_SUBJECTS)
    await jetstream.update_stream(replace(current, subjects=subjects, duplicate_window=wanted.duplicate_window))
    log.info("updated JetStream stream %s: subjects %s, duplicate window %s s", settings.stream, subjects,
             wanted.duplicate_window)
