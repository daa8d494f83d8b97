"""The SQL unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

import threading
from types import TracebackType

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError, OperationalError

from ordermesh.adapters.db.carriers_repo import SqlRateCards, SqlShipmentTracking
from ordermesh.adapters.db.catalog_repo import KnownSkus, SqlItems, SqlLocations
from ordermesh.adapters.db.channel_pushes_repo import SqlChannelPushes
from ordermesh.adapters.db.channels_repo import SqlChannelOrders, SqlChannels, SqlWebhookDeliveries
from ordermesh.adapters.db.orders_repo import SqlOrders
from ordermesh.adapters.db.outbound_webhooks_repo import SqlOutboundDeliveries, SqlWebhookSubscriptions
from ordermesh.adapters.db.partners_repo import (
    SqlEdiDocuments,
    SqlExceptionQueue,
    SqlPartners,
    SqlReconciliationRuns,
)
from ordermesh.adapters.db.pg_bulk import AppendBuffer
from ordermesh.adapters.db.records_repo import (
    SqlApiKeys,
    SqlAuditLog,
    SqlIdempotencyKeys,
    SqlOutbox,
    SqlRelayPositions,
)
from ordermesh.adapters.db.simulation_repo import SqlSimulationRuns
from ordermesh.adapters.db.sourcing_repo import SqlCapacity, SqlDecisions, SqlRuleSets
from ordermesh.adapters.db.stock_repo import SqlStock
from ordermesh.services.carrier_ports import RateCardVersions, ShipmentTrackingRepository
from ordermesh.services.channel_ports import ChannelOrders, ChannelPushes, Channels, WebhookDeliveries
from ordermesh.services.partner_ports import EdiDocuments, ExceptionQueue, Partners, ReconciliationRuns
from ordermesh.services.ports import (
    ApiKeys,
    AuditLog,
    CapacityLedger,
    IdempotencyKeys,
    IdFactory,
    ItemRepository,
    LocationRepository,
    OrderRepository,
    Outbox,
    RelayPositions,
    RetryableConflict,
    RuleSets,
    SimulationRuns,
    SourcingDecisions,
    StockRepository,
)
from ordermesh.services.webhook_ports import OutboundDeliveries, WebhookSubscriptions

# PostgreSQL SQLSTATEs after which the whole transaction may simply be run again.
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


class SqlUnitOfWork:
    items: ItemRepository
    locations: LocationRepository
    stock: StockRepository
    orders: OrderRepository
    outbox: Outbox
    audit: AuditLog
    idempotency: IdempotencyKeys
    api_keys: ApiKeys
    relays: RelayPositions
    rule_sets: RuleSets
    decisions: SourcingDecisions
    capacity: CapacityLedger
    simulations: SimulationRuns
    rate_cards: RateCardVersions
    tracking: ShipmentTrackingRepository
    channels: Channels
    webhooks: WebhookDeliveries
    channel_orders: ChannelOrders
    subscriptions: WebhookSubscriptions
    deliveries: OutboundDeliveries
    channel_pushes: ChannelPushes
    partners: Partners
    edi_documents: EdiDocuments
    reconciliations: ReconciliationRuns
    exceptions: ExceptionQueue

    def __init__(
        self,
        engine: Engine,
        *,
        ids: IdFactory,
        source: str,
        write_lock: threading.Lock | None = None,
        known_skus: KnownSkus | None = None,
    ) -> None:
        self.engine = engine
        self.known_skus = known_skus
        self.ids = ids
        self.source = source
        self.write_lock = write_lock
        self._locked = False
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        self._buffer: AppendBuffer | None = None

    def __enter__(self) -> SqlUnitOfWork:
        if self.write_lock is not None:
            self.write_lock.acquire()
            self._locked = True
        try:
            self._conn = self.engine.connect()
            self._tx = self._conn.begin()
        except OperationalError as exc:
            self._close()
            if _is_retryable(exc):
                raise RetryableConflict(str(exc.orig)) from exc
            raise
        conn = self._conn
        postgres = conn.dialect.name == "postgresql"
        self.items = self._items = SqlItems(conn, self.known_skus)
        self.locations = SqlLocations(conn)
        # PostgreSQL: ledger, outbox and audit rows are written together, in one statement, at commit.
        self._buffer = AppendBuffer(conn) if postgres else None
        self.stock = SqlStock(conn, lock_rows=postgres, buffer=self._buffer)
        self.orders = SqlOrders(conn, lock_rows=postgres)
        self.outbox = SqlOutbox(conn, ids=self.ids, source=self.source, buffer=self._buffer)
        self.audit = SqlAuditLog(conn, self._buffer)
        self.idempotency = SqlIdempotencyKeys(conn)
        self.api_keys = SqlApiKeys(conn)
        self.relays = SqlRelayPositions(conn)
        self.rule_sets = SqlRuleSets(conn)
        self.decisions = SqlDecisions(conn, self._buffer)
        self.capacity = SqlCapacity(conn)
        self.simulations = SqlSimulationRuns(conn)
        self.rate_cards = SqlRateCards(conn)
        self.tracking = SqlShipmentTracking(conn)
        self.channels = SqlChannels(conn)
        self.webhooks = SqlWebhookDeliveries(conn)
        self.channel_orders = SqlChannelOrders(conn)
        self.subscriptions = SqlWebhookSubscriptions(conn)
        self.deliveries = SqlOutboundDeliveries(conn)
        self.channel_pushes = SqlChannelPushes(conn)
        self.partners = SqlPartners(conn)
        self.edi_documents = SqlEdiDocuments(conn)
        self.reconciliations = SqlReconciliationRuns(conn)
        self.exceptions = SqlExceptionQueue(conn)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            self._close()
        if isinstance(exc, DBAPIError) and _is_retryable(exc):
            raise RetryableConflict(str(exc.orig)) from exc

    def _close(self) -> None:
        try:
            if self._conn is not None:
                self._conn.close()
        finally:
            self._conn = None
            self._tx = None
            if self._locked and self.write_lock is not None:
                self._locked = False
                self.write_lock.release()

    def commit(self) -> None:
        assert self._tx is not None
        try:
            if self._buffer is not None:
                self._buffer.flush()
            self._tx.commit()
        except DBAPIError as exc:
            if _is_retryable(exc):
                raise RetryableConflict(str(exc.orig)) from exc
            raise
        if self.known_skus is not None and self._items.seen:
            self.known_skus.add_all(self._items.seen)

    def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            self._tx.rollback()


def _is_retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    if code in _RETRYABLE_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "deadlock" in message


class SqlUnitOfWorkFactory:
    """Open units of work on a writer engine, and read-only ones on a reader engine."""

    def __init__(self, writer: Engine, reader: Engine, *, ids: IdFactory, source: str) -> None:
        self.writer = writer
        self.reader = reader
        self.ids = ids
        self.source = source
        # SQLite has one writer at a time. Threads of this process queue here, in order, instead of in
        # SQLite's busy handler, whose growing sleeps turn a short wait into a long tail of latency.
        self.write_lock = threading.Lock() if writer.dialect.name == "sqlite" else None
        self.known_skus = KnownSkus()

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        if read_only:
            return SqlUnitOfWork(self.reader, ids=self.ids, source=self.source, known_skus=self.known_skus)
        return SqlUnitOfWork(
            self.writer, ids=self.ids, source=self.source, write_lock=self.write_lock, known_skus=self.known_skus
        )
