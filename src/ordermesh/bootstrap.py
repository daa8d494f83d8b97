"""The composition root: build the adapters named by Settings and hand them to the use cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from ordermesh.adapters.channels.registry import channel_connectors
from ordermesh.adapters.db.engine import build_engine
from ordermesh.adapters.db.uow import SqlUnitOfWorkFactory
from ordermesh.adapters.geo.zip_centroids import ZipCentroids
from ordermesh.adapters.messaging.nats import NatsEventPublisher, NatsSettings
from ordermesh.adapters.system import SystemClock, UlidIds
from ordermesh.config import Settings
from ordermesh.services.context import AppContext
from ordermesh.services.relay import EventPublisher, LogPublisher


@dataclass
class Runtime:
    settings: Settings
    context: AppContext
    engines: tuple[Engine, ...]
    publishers: list[EventPublisher] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)  # publishers' connections, closed first

    def close(self) -> None:
        for close in self.closers:
            close()
        for engine in self.engines:
            engine.dispose()


def build(settings: Settings | None = None) -> Runtime:
    """Wire Ordermesh for these settings (the environment's when none are given)."""
    settings = settings or Settings()
    writer = build_engine(settings.database_url, pool_size=settings.db_pool_size)
    reader = writer if writer.dialect.name != "sqlite" else build_engine(settings.database_url, read_only=True)
    ids = UlidIds()
    context = AppContext(
        uow=SqlUnitOfWorkFactory(writer, reader, ids=ids, source=settings.source),
        clock=SystemClock(),
        ids=ids,
        geocoder=ZipCentroids(),
        source_name=settings.source,
        connectors=channel_connectors(),
    )
    engines = (writer,) if reader is writer else (writer, reader)
    # Where the relay sends events besides the pull feed (GET /v1/events), which always has them.
    publishers: list[EventPublisher] = [LogPublisher()] if settings.log_events else []
    closers: list[Callable[[], None]] = []
    if settings.nats_url:  # connects on the relay's first batch, not here
        nats = NatsEventPublisher(_nats_settings(settings, settings.nats_url))
        publishers.append(nats)
        closers.append(nats.close)
    return Runtime(settings, context, engines, publishers, closers)


def _nats_settings(settings: Settings, url: str) -> NatsSettings:
    return NatsSettings(
        url=url,
        stream=settings.nats_stream,
        duplicate_window_seconds=settings.nats_duplicate_window_seconds,
        publish_timeout_seconds=settings.nats_publish_timeout_seconds,
    )
