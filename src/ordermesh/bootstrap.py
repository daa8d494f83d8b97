"""The composition root: build the adapters named by Settings and hand them to the use cases."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from ordermesh.adapters.channels.http_push import push_http_client
from ordermesh.adapters.channels.registry import channel_connectors, status_clients
from ordermesh.adapters.db.engine import build_engine
from ordermesh.adapters.db.uow import SqlUnitOfWorkFactory
from ordermesh.adapters.edi.directory import DirectoryTransport
from ordermesh.adapters.edi.https import HttpsTransport
from ordermesh.adapters.edi.sftp import SftpTransport
from ordermesh.adapters.geo.zip_centroids import ZipCentroids
from ordermesh.adapters.messaging.nats import NatsEventPublisher, NatsSettings
from ordermesh.adapters.messaging.webhook_sender import HttpWebhookSender
from ordermesh.adapters.system import SystemClock, UlidIds, process_name
from ordermesh.config import Settings, comma_list
from ordermesh.domain.customs import CustomsProfile, Incoterm, TaxId
from ordermesh.domain.outbound_webhooks import RetryPolicy
from ordermesh.services.channel_push import ChannelPusher, PushSettings
from ordermesh.services.context import AppContext
from ordermesh.services.edi_exchange import PartnerExchange
from ordermesh.services.relay import EventPublisher, LogPublisher
from ordermesh.services.simulation_runner import SimulationRunner
from ordermesh.services.webhook_dispatch import DispatchSettings, WebhookDispatcher


@dataclass
class Runtime:
    settings: Settings
    context: AppContext
    engines: tuple[Engine, ...]
    publishers: list[EventPublisher] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)  # publishers' connections, closed first
    webhooks: WebhookDispatcher | None = None  # sends webhook deliveries for the worker
    pushes: ChannelPusher | None = None  # pushes status updates to sales channels for the worker
    partners: PartnerExchange | None = None  # exchanges EDI documents with trading partners for the worker

    def close(self) -> None:
        if self.webhooks is not None:
            self.webhooks.close()
        if self.pushes is not None:
            self.pushes.close()
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
    webhooks = _webhook_dispatcher(settings, context)
    https = HttpsTransport(
        timeout_seconds=settings.partner_https_timeout_seconds, allow_private=settings.outbound_allow_private
    )
    exchange = PartnerExchange(
        context,
        {"directory": DirectoryTransport(), "sftp": SftpTransport(), "https": https},
        release_delay=timedelta(seconds=settings.release_delay_seconds),
        every_seconds=settings.edi_every_seconds,
        reconcile_every_seconds=settings.reconcile_every_seconds,
    )
    pusher = _channel_pusher(settings, context)
    return Runtime(settings, context, engines, publishers, closers, webhooks, pusher, exchange)


def simulation_runner(context: AppContext, settings: Settings, role: str) -> SimulationRunner:
    """The runner of this process's sandbox runs, named after the role (api, cli), host and process."""
    stale_after = timedelta(seconds=settings.simulation_stale_seconds)
    return SimulationRunner(context, name=process_name(role), stale_after=stale_after)


def _channel_pusher(settings: Settings, context: AppContext) -> ChannelPusher:
    http = push_http_client(
        timeout_seconds=settings.channel_push_timeout_seconds, allow_private=settings.outbound_allow_private
    )
    push = PushSettings(
        retry=RetryPolicy(
            max_attempts=settings.channel_push_max_attempts,
            base=timedelta(seconds=settings.webhook_backoff_base_seconds),
            cap=timedelta(seconds=settings.webhook_backoff_cap_seconds),
        ),
        # A push makes up to four calls (read, then create, then status).
        lease=timedelta(seconds=settings.channel_push_timeout_seconds * 4 + 30),
    )
    jitter = lambda: random.uniform(0.5, 1.5)  # noqa: E731
    return ChannelPusher(context, status_clients(http), push, jitter=jitter, on_close=http.close)


def _webhook_dispatcher(settings: Settings, context: AppContext) -> WebhookDispatcher:
    sender = HttpWebhookSender(
        timeout_seconds=settings.webhook_timeout_seconds,
        connections=settings.webhook_concurrency,
        allow_private=settings.outbound_allow_private,
    )
    dispatch = DispatchSettings(
        retry=RetryPolicy(
            max_attempts=settings.webhook_max_attempts,
            base=timedelta(seconds=settings.webhook_backoff_base_seconds),
            cap=timedelta(seconds=settings.webhook_backoff_cap_seconds),
        ),
        lease=timedelta(seconds=settings.webhook_timeout_seconds * 2 + 30),
        concurrency=settings.webhook_concurrency,
        per_subscription=max(1, settings.webhook_concurrency // 2),
    )
    return WebhookDispatcher(context, sender, dispatch, jitter=lambda: random.uniform(0.5, 1.5), on_close=sender.close)


def _nats_settings(settings: Settings, url: str) -> NatsSettings:
    return NatsSettings(
        url=url,
        stream=settings.nats_stream,
        duplicate_window_seconds=settings.nats_duplicate_window_seconds,
        publish_timeout_seconds=settings.nats_publish_timeout_seconds,
    )


def customs_profile(settings: Settings) -> CustomsProfile:
    """The company's customs identity and defaults for commercial invoices (ORDERMESH_COMPANY_*, _CUSTOMS_*)."""
    tax_ids = [entry.partition("=") for entry in comma_list(settings.company_tax_ids)]
    return CustomsProfile(
        company_name=settings.company_name,
        tax_ids=tuple(TaxId(scheme.strip().upper(), number.strip()) for scheme, _, number in tax_ids),
        phone=settings.company_phone,
        email=settings.company_email,
        signatory=settings.company_signatory,
        incoterm=Incoterm(settings.customs_incoterm),
        ddp_countries=frozenset(comma_list(settings.customs_ddp_countries)),
        ddp_channels=frozenset(comma_list(settings.customs_ddp_channels)),
        package_weight_grams=settings.customs_package_weight_grams,
    )
