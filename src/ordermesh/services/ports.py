"""The ports the use cases depend on; adapters implement them, fakes stand in for them in tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from ordermesh.domain.access import Principal, Role
from ordermesh.domain.catalog import Capability, Item, Location
from ordermesh.domain.events import Event
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.inventory import Movement, MovementKind, StockChange, StockLevel
from ordermesh.domain.orders import Order
from ordermesh.domain.sourcing import Candidate

if TYPE_CHECKING:  # the unit of work's channel and webhook repositories; they use Page and StoredEvent
    from ordermesh.services.carrier_ports import RateCardVersions, ShipmentTrackingRepository
    from ordermesh.services.channel_ports import ChannelOrders, ChannelPushes, Channels, WebhookDeliveries
    from ordermesh.services.partner_ports import EdiDocuments, ExceptionQueue, Partners, ReconciliationRuns
    from ordermesh.services.webhook_ports import OutboundDeliveries, WebhookSubscriptions


class DuplicateKey(Exception):
    """A row with the same unique key exists (or is being written by a concurrent transaction)."""


class RetryableConflict(Exception):
    """The database aborted the transaction (deadlock, serialisation); running it again may succeed."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdFactory(Protocol):
    def __call__(self, prefix: str) -> str:
        """Return a new unique, roughly time-ordered id such as `ord_01J...`."""
        ...


class Geocoder(Protocol):
    def locate(self, country: str | None, postal_code: str | None) -> GeoPoint | None:
        """Return the centroid of a postal code, or None when it is not known."""
        ...


@dataclass(frozen=True)
class Page:
    rows: Sequence[Any]
    next_cursor: str | None


@dataclass(frozen=True)
class OrderFilter:
    channel: str | None = None
    external_id: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class FulfillmentFilter:
    order_id: str | None = None
    location: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class StoredEvent:
    id: str
    cursor: str
    type: str
    source: str
    subject: str
    time: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class ApiKeyRecord:
    id: str
    name: str
    role: Role
    key_hash: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def principal(self) -> Principal:
        return Principal(self.id, self.name, self.role)


class ItemRepository(Protocol):
    def add(self, item: Item, now: datetime) -> None: ...
    def get(self, sku: str) -> Item | None: ...
    def get_many(self, skus: Sequence[str]) -> dict[str, Item]:
        """The items of these SKUs that exist, in one read."""
        ...

    def known(self, skus: Sequence[str]) -> set[str]: ...
    def page(self, *, after: str | None, limit: int) -> Page: ...


class LocationRepository(Protocol):
    def add(self, location: Location, now: datetime) -> None: ...
    def get(self, code: str, *, for_update: bool = False) -> Location | None:
        """The location; `for_update` locks its row until the unit of work ends (PostgreSQL)."""
        ...

    def save(self, location: Location) -> None:
        """Store a changed location (its name, address, capabilities, active flag and sourcing profile)."""
        ...

    def all(self) -> list[Location]: ...
    def page(self, *, after: str | None, limit: int) -> Page: ...


class StockRepository(Protocol):
    def get(self, location: str, sku: str) -> StockLevel | None: ...

    def set_level(
        self,
        location: str,
        sku: str,
        *,
        on_hand: int,
        safety_stock: int | None,
        as_of: datetime | None,
        now: datetime,
    ) -> StockChange | None:
        """Write an absolute count; return None (and write nothing) when `as_of` is older than the row's."""
        ...

    def adjust(self, location: str, sku: str, delta: int, now: datetime) -> StockChange | None:
        """Add a signed delta to on-hand; return None (and write nothing) when it would go below zero."""
        ...

    def try_reserve(self, location: str, sku: str, quantity: int) -> bool:
        """Reserve units only if that many are available beyond safety stock, atomically."""
        ...

    def reserve_all(self, wanted: Sequence[tuple[str, str, int]]) -> bool:
        """Reserve every (location, sku, quantity), taken in (location, sku) order, or none of them."""
        ...

    def release(self, location: str, sku: str, quantity: int) -> None: ...

    def consume(self, location: str, sku: str, quantity: int, now: datetime) -> None:
        """Units left the location: lower on-hand and reserved together."""
        ...

    def candidates(self, skus: Sequence[str], capability: Capability, *, only: str | None = None) -> list[Candidate]:
        """Active locations with the capability and stock available for any of the SKUs."""
        ...

    def record(self, movements: Sequence[Movement]) -> None: ...

    def movements(self, *, location: str | None, sku: str | None, after: str | None, limit: int) -> Page: ...

    def levels(self, *, location: str | None, sku: str | None, after: str | None, limit: int) -> Page: ...

    def by_skus(self, skus: Sequence[str]) -> list[tuple[StockLevel, Location]]: ...

    def changes_since(self, since: datetime) -> dict[tuple[str, str], tuple[int, int]]:
        """(on-hand, reserved) deltas summed per (location, sku) over the ledger entries after `since`."""
        ...

    def movements_between(
        self, start: datetime, end: datetime | None, *, kinds: Sequence[MovementKind]
    ) -> list[Movement]:
        """Ledger entries of these kinds with start < at <= end (no end: up to now), by (at, id)."""
        ...


class OrderRepository(Protocol):
    def add(self, order: Order) -> None:
        """Insert a new order; raises DuplicateKey when (channel, external_id) exists."""
        ...

    def get(self, order_id: str, *, for_update: bool = False) -> Order | None: ...
    def id_for_fulfillment_order(self, fo_id: str) -> str | None: ...
    def find(self, channel: str, external_id: str) -> Order | None: ...
    def save(self, order: Order) -> None: ...
    def page(self, filters: OrderFilter, *, after: str | None, limit: int) -> Page: ...
    def list_fulfillment_orders(self, filters: FulfillmentFilter, *, after: str | None, limit: int) -> Page: ...
    def waiting_for(self, sku: str, *, limit: int) -> list[str]:
        """Ids of orders with backordered units of the SKU, oldest first."""
        ...

    def with_exception_for(self, sku: str) -> list[str]: ...
    def placed_between(
        self, start: datetime, end: datetime, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Order]:
        """Orders with start <= placed_at < end, by (placed_at, id), after the given (placed_at, id)."""
        ...

    def backordered_skus(self, *, limit: int, among: Sequence[str] | None = None) -> list[str]:
        """SKUs some order waits for (backordered units), optionally only among the given ones."""
        ...


class Outbox(Protocol):
    def add(self, events: Sequence[Event], now: datetime) -> None: ...
    def feed(self, *, after: str | None, limit: int) -> Page: ...


@dataclass(frozen=True)
class RelayClaim:
    """A relay's place in the event feed, held by this unit of work until it ends."""

    name: str
    cursor: str | None


class RelayPositions(Protocol):
    def claim(self, name: str, now: datetime) -> RelayClaim | None:
        """Lock the relay's position (starting at the beginning of the feed); None while another process has it."""
        ...

    def advance(self, claim: RelayClaim, cursor: str | None, now: datetime) -> None: ...

    def position(self, name: str) -> str | None:
        """Where the relay stands, without locking it (None: at the beginning of the feed)."""
        ...

    def advance_from(self, name: str, expected: str | None, cursor: str | None, now: datetime) -> bool:
        """Move the relay from `expected` to `cursor`; False (nothing changed) if it no longer stands at `expected`."""
        ...


class AuditLog(Protocol):
    def record(
        self,
        *,
        actor: Principal,
        action: str,
        entity: str,
        entity_id: str,
        before: Any,
        after: Any,
        at: datetime,
    ) -> None: ...

    def page(self, *, entity: str | None, entity_id: str | None, after: str | None, limit: int) -> Page: ...


class IdempotencyKeys(Protocol):
    def claim(self, *, key: str, scope: str, fingerprint: str, resource_id: str, now: datetime) -> None:
        """Remember a key; raises DuplicateKey when it is taken."""
        ...

    def get(self, *, key: str, scope: str) -> tuple[str, str] | None:
        """Return (fingerprint, resource id) for a key already used."""
        ...


class ApiKeys(Protocol):
    def add(self, record: ApiKeyRecord) -> None: ...
    def by_hash(self, key_hash: str) -> ApiKeyRecord | None: ...
    def count(self) -> int: ...


@dataclass(frozen=True)
class RuleSetRecord:
    """One version of a sourcing rule set, as stored."""

    id: str
    name: str
    version: int
    status: str  # draft, active, archived
    document: dict[str, Any]
    created_at: datetime
    created_by: str
    note: str | None = None
    activated_at: datetime | None = None
    archived_at: datetime | None = None


@dataclass(frozen=True)
class RuleSetActivation:
    """One activation of a rule-set version; a roll back marks the newest standing one rolled back."""

    id: int
    rule_set_id: str
    activated_at: datetime
    rolled_back_at: datetime | None = None


class RuleSets(Protocol):
    def add(self, record: RuleSetRecord) -> None:
        """Store a new version; DuplicateKey if (name, version) exists."""
        ...

    def get(self, rule_set_id: str, *, for_update: bool = False) -> RuleSetRecord | None: ...
    def active(self, *, for_update: bool = False) -> RuleSetRecord | None:
        """The active version; `for_update` locks its row until the unit of work ends (PostgreSQL)."""
        ...

    def last_version(self, name: str) -> int:
        """The highest version of the name (0 when there is none)."""
        ...

    def save(self, record: RuleSetRecord) -> None:
        """Store a changed version; DuplicateKey if it would be a second active one."""
        ...

    def add_activation(self, rule_set_id: str, at: datetime) -> None:
        """Append an activation of the version to the history."""
        ...

    def standing_activations(self, *, limit: int) -> list[RuleSetActivation]:
        """Activations not rolled back, newest first: the active version's, then the one a roll back restores."""
        ...

    def roll_back_activation(self, activation_id: int, at: datetime) -> None:
        """Mark an activation rolled back."""
        ...

    def page(self, *, name: str | None, status: str | None, after: str | None, limit: int) -> Page: ...


@dataclass(frozen=True)
class Decision:
    order_id: str
    trigger: str  # capture, backorder, rejection, release, reoptimisation
    rule_set_id: str | None
    decided_at: datetime
    explanation: dict[str, Any]


class SourcingDecisions(Protocol):
    def add(self, decision: Decision) -> None: ...
    def for_order(self, order_id: str, *, limit: int) -> list[Decision]:
        """The order's decisions, newest first."""
        ...


class CapacityLedger(Protocol):
    """Units and orders each location has taken on per local working day."""

    def used(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
        """(orders, units) used per (location, day); absent keys have used nothing."""
        ...

    def consume(self, location: str, day: str, orders: int, units: int, limits: tuple[int | None, int | None]) -> bool:
        """Add the usage if it stays within the (orders, units) limits; False (and nothing added) otherwise."""
        ...

    def release(self, location: str, day: str, orders: int, units: int) -> None:
        """Give usage back (never below zero)."""
        ...


class SimulationStatus:
    """What a sandbox run's `status` holds. Queued and running runs are unfinished: a process holds them."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNFINISHED = (QUEUED, RUNNING)


@dataclass(frozen=True)
class SimulationRun:
    """One sandbox run: its parameters, where it stands (queued, running, done, failed) and its KPIs.

    `runner` names the process holding the run (queued in its pool or running); it proves it is alive by
    refreshing `heartbeat_at`, with the progress (plans made, plans to make) once the plans are counted.
    """

    id: str
    status: str
    parameters: dict[str, Any]
    created_at: datetime
    created_by: str
    result: dict[str, Any] | None = None
    finished_at: datetime | None = None
    error: str | None = None
    runner: str | None = None
    heartbeat_at: datetime | None = None
    started_at: datetime | None = None
    plans_made: int | None = None
    plans_to_make: int | None = None
    retry_of: str | None = None


class SimulationRuns(Protocol):
    def add(self, run: SimulationRun) -> None:
        """Store a new run. Raises DuplicateKey if the run it retries (`retry_of`) has a retry already."""
        ...

    def get(self, run_id: str) -> SimulationRun | None: ...
    def retry_of(self, run_id: str) -> SimulationRun | None:
        """The run that retries `run_id`, if there is one (a failed run is retried once)."""
        ...

    def start(self, run_id: str, *, runner: str, at: datetime) -> bool:
        """Move a queued run held by `runner` to running; False (nothing changed) if it is not that any more."""
        ...

    def beat(self, run_id: str, *, runner: str, at: datetime, progress: tuple[int, int] | None) -> bool:
        """Refresh the heartbeat (and progress) of a queued or running run held by `runner`; False if it is not."""
        ...

    def finish(self, run: SimulationRun, *, runner: str) -> bool:
        """Store the outcome (status, result, finish time, error, progress) of a run `runner` still holds
        (queued or running); False, and nothing stored, if it does not hold it any more."""
        ...

    def stale(self, *, before: datetime, limit: int) -> list[SimulationRun]:
        """Queued and running runs whose heartbeat is older than `before`, oldest first."""
        ...

    def abandon(self, run_id: str, *, before: datetime, at: datetime, error: str) -> bool:
        """Fail a queued or running run whose heartbeat is still older than `before`; False if it is not (a
        heartbeat came, or it finished, or another process failed it first)."""
        ...

    def page(self, *, after: str | None, limit: int) -> Page:
        """Runs, newest first (parameters and results included)."""
        ...


class UnitOfWork(Protocol):
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

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...
