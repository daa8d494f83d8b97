"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from ordermesh import __version__
from ordermesh.bootstrap import Runtime, build, customs_profile, simulation_runner
from ordermesh.config import Settings
from ordermesh.entrypoints.api import problems
from ordermesh.entrypoints.api.limits import BodySizeLimit
from ordermesh.entrypoints.api.routers import (
    carriers,
    catalog,
    channels,
    customs,
    events,
    exceptions,
    fulfillment,
    health,
    inventory,
    orders,
    outbound_webhooks,
    partners,
    reconciliation,
    sourcing,
)
from ordermesh.entrypoints.api.security import KeyCache
from ordermesh.entrypoints.worker.loop import ReoptimiseSchedule, Worker
from ordermesh.services.access import ensure_bootstrap_key

log = logging.getLogger(__name__)
GC_YOUNG_THRESHOLD = 10_000  # Python's default is 700 allocations

DESCRIPTION = """Ordermesh orchestrates every order from capture to fulfilment.

Authenticate with `Authorization: Bearer <api key>`. Money is a decimal string; timestamps are
RFC 3339 UTC; errors are `application/problem+json`; lists are cursor-paginated (`after`).
"""


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the API for these settings; `runtime` lets tests pass one they built themselves."""
    runtime = runtime or build(settings)
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One request per pooled connection at a time: more threads would only queue for a connection.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        # Request threads mostly wait on the database. With the default 5 ms switch interval a thread
        # whose query has returned can wait that long for the GIL, once per statement (the convoy effect),
        # keeping its transaction and row locks open; a short interval hands the GIL over promptly.
        sys.setswitchinterval(settings.gil_switch_seconds)
        # Everything built at start-up lives as long as the process: keep it out of every collection, and
        # collect young objects less often (requests make many short-lived ones), to shorten the latency tail.
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        if settings.bootstrap_admin_key and ensure_bootstrap_key(runtime.context, settings.bootstrap_admin_key):
            log.info("created the bootstrap admin API key")
        # Sandbox runs go to a small pool of this process, which keeps their heartbeat while it holds them;
        # built here, as the worker is, so that a second start of the app (tests, reloads) gets a fresh one.
        simulations = simulation_runner(runtime.context, settings, "api")
        app.state.simulations = simulations
        schedule = ReoptimiseSchedule.from_settings(settings)
        worker = (
            Worker(
                runtime.context,
                runtime.publishers,
                reoptimisation=schedule,
                webhooks=runtime.webhooks,
                pushes=runtime.pushes,
                partners=runtime.partners,
                simulations_stale_after=simulations.stale_after,
            )
            if settings.embedded_worker
            else None
        )
        if worker:
            worker.start_in_thread()
        try:
            yield
        finally:
            if worker:
                worker.stop()
            simulations.close()
            runtime.close()

    app = FastAPI(
        title="Ordermesh",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.context = runtime.context
    app.state.keys = KeyCache()
    app.state.customs = customs_profile(settings)
    problems.install(app)
    for error, handler in (*sourcing.EXCEPTION_HANDLERS, *customs.EXCEPTION_HANDLERS, *partners.EXCEPTION_HANDLERS):
        app.add_exception_handler(error, handler)
    for kind, respond in carriers.EXCEPTION_HANDLERS:
        app.add_exception_handler(kind, respond)
    for module in (health, catalog, inventory, orders, fulfillment, events, sourcing):
        app.include_router(module.router)
    app.include_router(sourcing.simulations)
    app.include_router(channels.router)
    app.include_router(channels.webhooks)
    app.include_router(outbound_webhooks.router)
    app.include_router(customs.router)
    app.include_router(carriers.router)
    app.include_router(carriers.fulfillment_rates)
    app.include_router(carriers.shipments)
    app.include_router(partners.router)
    app.include_router(partners.edi)
    app.include_router(reconciliation.router)
    app.include_router(exceptions.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


def app_from_environment() -> FastAPI:
    """Entry point for `uvicorn --factory` with settings from the environment."""
    return create_app(Settings())
