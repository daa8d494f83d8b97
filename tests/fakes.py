"""In-memory stand-ins for every port in `ordermesh.services.ports`, for use-case tests without I/O.

The fakes keep the semantics of the SQL adapters (tests/contract runs the same suites on both):

- A `FakeDatabase` holds the committed tables. A unit of work copies them when it opens, every
  repository works on that copy, `commit()` copies it back, and `rollback()` or leaving the `with`
  block without committing throws it away: a use case that raises leaves nothing behind.
- A unit of work is one transaction: it commits once (the SQL one raises "This transaction is
  inactive" on a second commit); work done after its commit or rollback is discarded on exit.
- A unit of work that hits a `DuplicateKey` is aborted, as a PostgreSQL transaction is: every later
  call raises `TransactionAborted` until `rollback()`. A commit after another unit of work committed
  raises `RetryableConflict`, as a serialisation failure would (AppContext.transaction retries it).
- Rows come back as fresh copies: changing a returned order changes nothing until it is saved.
- CHECK constraints hold (a stock count below zero raises `ConstraintViolation`); foreign keys are not
  checked, so arrange items and locations before their stock as the database would require.
- JSON columns (item attributes, event data, audit pictures) go through a JSON round trip, so a test
  sees what the database would give back (tuples become lists, datetimes ISO strings, ...).
"""

from __future__ import annotations

import copy
import json
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

from ordermesh.adapters.db.paging import decode_cursor, encode_cursor, int_key
from ordermesh.domain.access import Principal
from ordermesh.domain.carriers import ShipmentTracking
from ordermesh.domain.catalog import Capability, Item, Location
from ordermesh.domain.edi import ControlNumbers
from ordermesh.domain.events import Event
from ordermesh.domain.exception_queue import OpsException
from ordermesh.domain.fulfillment import FulfillmentOrder
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.inventory import Movement, MovementKind, StockChange, StockLevel
from ordermesh.domain.orders import Order
from ordermesh.domain.reconciliation import ReconciliationRun
from ordermesh.domain.sourcing import Candidate
from ordermesh.services.carrier_ports import (
    RateCardVersion,
    RateCardVersions,
    RecordedEvent,
    ShipmentTrackingRepository,
)
from ordermesh.services.channel_ports import (
    ChannelOrderRecord,
    ChannelOrders,
    ChannelPush,
    ChannelPushes,
    ChannelRecord,
    Channels,
    WebhookDeliveries,
    WebhookRecord,
)
from ordermesh.services.partner_ports import (
    EdiDocument,
    EdiDocuments,
    ExceptionQueue,
    PartnerRecord,
    Partners,
    ReconciliationRuns,
)
from ordermesh.services.ports import (
    ApiKeyRecord,
    ApiKeys,
    AuditLog,
    CapacityLedger,
    Decision,
    DuplicateKey,
    FulfillmentFilter,
    IdempotencyKeys,
    IdFactory,
    ItemRepository,
    LocationRepository,
    OrderFilter,
    OrderRepository,
    Outbox,
    Page,
    RelayClaim,
    RelayPositions,
    RetryableConflict,
    RuleSetActivation,
    RuleSetRecord,
    RuleSets,
    SimulationRun,
    SimulationRuns,
    SimulationStatus,
    SourcingDecisions,
    StockRepository,
    StoredEvent,
)
from ordermesh.services.simulation_lease import last_heard
from ordermesh.services.webhook_ports import OutboundDeliveries, OutboundDelivery, Subscription, WebhookSubscriptions
from tests.fake_carriers import FakeRateCards, FakeShipmentTracking
from tests.fake_channel_pushes import FakeChannelPushes
from tests.fake_partners import FakeEdiDocuments, FakeExceptionQueue, FakePartners, FakeReconciliationRuns
from tests.fake_webhooks import FakeOutboundDeliveries, FakeWebhookSubscriptions

T = TypeVar("T")

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class TransactionAborted(Exception):
    """The unit of work failed (a duplicate key) and must be rolled back before it is used again."""


class ConstraintViolation(Exception):
    """A write would break one of the schema's CHECK constraints (a count below zero)."""


class FakeMisuse(AssertionError):
    """A test or a use case used a fake in a way the real adapter would not support."""


# -- time, ids, places ---------------------------------------------------------------------------


class FakeClock:
    """A clock that stands still until told to move; `tick` moves it on after every reading."""

    def __init__(self, start: datetime = START, *, tick: timedelta = timedelta(0)) -> None:
        self._now = _aware(start)
        self.tick = tick

    def now(self) -> datetime:
        current = self._now
        self._now += self.tick
        return current

    def set(self, when: datetime) -> None:
        self._now = _aware(when)

    def advance(self, delta: timedelta = timedelta(seconds=1)) -> datetime:
        """Move the clock on and return the new time."""
        self._now += delta
        return self._now


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("naive datetime given; Ordermesh works with timezone-aware UTC times")
    return when


class SequentialIds:
    """Ids such as `ord_000001`, numbered per prefix, so they sort by creation like the real ULIDs."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = defaultdict(int)

    def __call__(self, prefix: str) -> str:
        self._counters[prefix] += 1
        return f"{prefix}_{self._counters[prefix]:06d}"


class FakeGeocoder:
    """Postal code centroids from a dict; unknown codes are not located."""

    def __init__(self, points: Mapping[str, GeoPoint] | None = None) -> None:
        self.points = dict(points or {})

    def locate(self, country: str | None, postal_code: str | None) -> GeoPoint | None:
        return self.points.get(postal_code) if postal_code else None


# -- the tables ----------------------------------------------------------------------------------


@dataclass
class _OrderRow:
    order: Order  # events cleared; fulfilment orders in creation order
    status: str  # the copy of the derived status that lists filter on, as of the last write


@dataclass
class _EventRow:
    id: int
    event_id: str
    type: str
    source: str
    subject: str
    time: datetime
    data: dict[str, Any]

    @property
    def stored(self) -> StoredEvent:
        return StoredEvent(
            self.event_id, _cursor(str(self.id)), self.type, self.source, self.subject, self.time, dict(self.data)
        )


@dataclass
class _Tables:
    items: dict[str, Item] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    stock: dict[tuple[str, str], StockLevel] = field(default_factory=dict)
    movements: list[tuple[int, Movement]] = field(default_factory=list)
    orders: dict[str, _OrderRow] = field(default_factory=dict)
    outbox: list[_EventRow] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    api_keys: dict[str, ApiKeyRecord] = field(default_factory=dict)
    relays: dict[str, str | None] = field(default_factory=dict)
    rule_sets: dict[str, RuleSetRecord] = field(default_factory=dict)
    activations: list[RuleSetActivation] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    capacity: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    simulations: dict[str, SimulationRun] = field(default_factory=dict)
    rate_cards: dict[int, RateCardVersion] = field(default_factory=dict)
    tracking: dict[str, ShipmentTracking] = field(default_factory=dict)
    tracking_events: list[RecordedEvent] = field(default_factory=list)
    channels: dict[str, ChannelRecord] = field(default_factory=dict)
    webhooks: list[tuple[int, WebhookRecord]] = field(default_factory=list)
    channel_orders: dict[tuple[str, str], ChannelOrderRecord] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    deliveries: list[OutboundDelivery] = field(default_factory=list)
    channel_pushes: list[ChannelPush] = field(default_factory=list)
    partners: dict[str, PartnerRecord] = field(default_factory=dict)
    control_numbers: dict[str, ControlNumbers] = field(default_factory=dict)
    edi_documents: dict[str, EdiDocument] = field(default_factory=dict)
    reconciliations: dict[str, ReconciliationRun] = field(default_factory=dict)
    exceptions: dict[str, OpsException] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def next_id(self, table: str) -> int:
        self.sequences[table] += 1
        return self.sequences[table]


class FakeDatabase:
    """The committed state that units of work start from and commit to."""

    def __init__(self) -> None:
        self.committed = _Tables()
        self.version = 0  # bumped by every commit, so a unit of work can tell it worked on old data
        # Units of work on several threads (webhook senders, sandbox runners) commit one at a time, as they do
        # in the database: without it two could both pass the version check and the second undo the first.
        self._lock = threading.Lock()

    def snapshot(self) -> tuple[_Tables, int]:
        with self._lock:
            return copy.deepcopy(self.committed), self.version

    def store(self, tables: _Tables, based_on: int) -> int:
        with self._lock:
            if based_on != self.version:
                raise RetryableConflict("another unit of work committed first")
            self.committed = copy.deepcopy(tables)
            self.version += 1
            return self.version


class _Session:
    """The working copy shared by the repositories of one unit of work."""

    def __init__(self, database: FakeDatabase, *, read_only: bool) -> None:
        self.database = database
        self.read_only = read_only
        self._tables: _Tables | None = None
        self._version = 0
        self.aborted: str | None = None
        self.finished = False  # committed or rolled back: like the SQL transaction, it cannot commit again

    def begin(self) -> None:
        self._tables, self._version = self.database.snapshot()
        self.aborted = None
        self.finished = False

    def close(self) -> None:
        self._tables = None

    @property
    def open(self) -> bool:
        return self._tables is not None

    @property
    def tables(self) -> _Tables:
        if self._tables is None:
            raise FakeMisuse("the unit of work is not open: use it inside `with factory() as uow:`")
        if self.aborted is not None:
            raise TransactionAborted(f"the unit of work failed ({self.aborted}); roll it back first")
        return self._tables

    def fail(self, error: Exception) -> Exception:
        """Abort the unit of work, as the database aborts a transaction, and return the error to raise."""
        self.aborted = f"{type(error).__name__}: {error}"
        return error

    def commit(self) -> None:
        tables = self.tables
        if self.read_only:
            raise FakeMisuse("a read-only unit of work cannot commit")
        if self.finished:
            raise FakeMisuse("a unit of work commits once; its transaction is over")
        self._version = self.database.store(tables, self._version)
        self.finished = True

    def rollback(self) -> None:
        if self._tables is not None:
            self.begin()
            self.finished = True


# -- helpers shared by the repositories ----------------------------------------------------------


# The fakes hand out cursors exactly as the SQL repositories do.
_cursor = encode_cursor
_key = decode_cursor


def _number(cursor: str | None) -> int | None:
    """Return the row id inside a cursor. Raises InvalidInput for a cursor we did not issue."""
    key = _key(cursor)
    return None if key is None else int_key(key)


def _page(rows: Sequence[T], limit: int, key: Callable[[T], str]) -> Page:
    """Cut a page from the rows after the cursor (one more than the limit, to tell if there is more)."""
    more = len(rows) > limit
    shown = list(rows[:limit])
    return Page(shown, _cursor(key(shown[-1])) if more and shown else None)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def _json(value: Any) -> Any:
    """What a JSON column gives back for a value."""
    return json.loads(json.dumps(value, default=_json_default))


def _later(first: datetime, second: datetime | None) -> datetime:
    return first if second is None else max(first, second)


# -- catalogue -----------------------------------------------------------------------------------


class FakeItems:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, item: Item, now: datetime) -> None:
        tables = self._s.tables
        if item.sku in tables.items:
            raise self._s.fail(DuplicateKey(item.sku))
        tables.items[item.sku] = Item(item.sku, item.name, item.weight_grams, _json(dict(item.attributes)))

    def get(self, sku: str) -> Item | None:
        item = self._s.tables.items.get(sku)
        return copy.deepcopy(item)

    def get_many(self, skus: Sequence[str]) -> dict[str, Item]:
        items = self._s.tables.items
        return {sku: copy.deepcopy(items[sku]) for sku in set(skus) if sku in items}

    def known(self, skus: Sequence[str]) -> set[str]:
        items = self._s.tables.items
        return {sku for sku in skus if sku in items}

    def page(self, *, after: str | None, limit: int) -> Page:
        key = _key(after)
        rows = [copy.deepcopy(i) for sku, i in sorted(self._s.tables.items.items()) if key is None or sku > key]
        return _page(rows[: limit + 1], limit, lambda item: item.sku)


class FakeLocations:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, location: Location, now: datetime) -> None:
        tables = self._s.tables
        if location.code in tables.locations:
            raise self._s.fail(DuplicateKey(location.code))
        # The locations table keeps no addressee name: the location's own name stands for it.
        tables.locations[location.code] = replace(
            location, address=replace(location.address, name=None), capabilities=frozenset(location.capabilities)
        )

    def get(self, code: str, *, for_update: bool = False) -> Location | None:
        return self._s.tables.locations.get(code)

    def save(self, location: Location) -> None:
        tables = self._s.tables
        if location.code in tables.locations:
            tables.locations[location.code] = replace(location, address=replace(location.address, name=None))

    def all(self) -> list[Location]:
        return [loc for _, loc in sorted(self._s.tables.locations.items())]

    def page(self, *, after: str | None, limit: int) -> Page:
        key = _key(after)
        rows = [loc for code, loc in sorted(self._s.tables.locations.items()) if key is None or code > key]
        return _page(rows[: limit + 1], limit, lambda location: location.code)


# -- stock ---------------------------------------------------------------------------------------


class FakeStock:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def _write(self, level: StockLevel) -> None:
        if level.on_hand < 0 or level.reserved < 0 or level.safety_stock < 0:
            raise self._s.fail(ConstraintViolation(f"stock row below zero: {level}"))
        self._s.tables.stock[(level.location, level.sku)] = level

    def get(self, location: str, sku: str) -> StockLevel | None:
        return self._s.tables.stock.get((location, sku))

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
        before = self.get(location, sku)
        mark = as_of or now
        if before is None:
            level = StockLevel(location, sku, on_hand, 0, safety_stock or 0, mark)
            self._write(level)
            return StockChange(None, level)
        if as_of is not None and before.as_of is not None and as_of < before.as_of:
            return None
        after = StockLevel(
            location,
            sku,
            on_hand,
            before.reserved,
            before.safety_stock if safety_stock is None else safety_stock,
            _later(mark, before.as_of),
        )
        self._write(after)
        return StockChange(before, after)

    def adjust(self, location: str, sku: str, delta: int, now: datetime) -> StockChange | None:
        before = self.get(location, sku)
        if before is None:
            if delta < 0:
                return None
            return self.set_level(location, sku, on_hand=delta, safety_stock=None, as_of=None, now=now)
        if before.on_hand + delta < 0:
            return None
        # The watermark never moves back: a count newer than `now` still outranks older counts.
        after = replace(before, on_hand=before.on_hand + delta, as_of=_later(now, before.as_of))
        self._write(after)
        return StockChange(before, after)

    def reserve_all(self, wanted: Sequence[tuple[str, str, int]]) -> bool:
        taken: list[tuple[str, str, int]] = []
        for location, sku, quantity in sorted(wanted):
            if not self.try_reserve(location, sku, quantity):
                for row in taken:
                    self.release(*row)
                return False
            taken.append((location, sku, quantity))
        return True

    def try_reserve(self, location: str, sku: str, quantity: int) -> bool:
        level = self.get(location, sku)
        if level is None or level.on_hand - level.reserved - level.safety_stock < quantity:
            return False
        self._write(replace(level, reserved=level.reserved + quantity))
        return True

    def release(self, location: str, sku: str, quantity: int) -> None:
        level = self.get(location, sku)
        if level is not None:
            self._write(replace(level, reserved=level.reserved - quantity))

    def consume(self, location: str, sku: str, quantity: int, now: datetime) -> None:
        level = self.get(location, sku)
        if level is not None:
            self._write(
                replace(
                    level,
                    on_hand=level.on_hand - quantity,
                    reserved=level.reserved - quantity,
                    as_of=_later(now, level.as_of),
                )
            )

    def candidates(self, skus: Sequence[str], capability: Capability, *, only: str | None = None) -> list[Candidate]:
        tables = self._s.tables
        wanted = set(skus)
        found: dict[str, tuple[GeoPoint | None, dict[str, int]]] = {}
        for (code, sku), level in tables.stock.items():
            location = tables.locations.get(code)
            if sku not in wanted or location is None or (only is not None and code != only):
                continue
            if not location.active or capability not in location.capabilities:
                continue
            available = level.on_hand - level.reserved - level.safety_stock
            if available <= 0:
                continue
            entry = found.setdefault(code, (location.address.point, {}))
            entry[1][sku] = available
        return [Candidate(code, point, available) for code, (point, available) in sorted(found.items())]

    def record(self, movements: Sequence[Movement]) -> None:
        tables = self._s.tables
        for m in movements:
            tables.movements.append((tables.next_id("stock_movements"), replace(m, reason=m.reason[:300])))

    def movements(self, *, location: str | None, sku: str | None, after: str | None, limit: int) -> Page:
        last = _number(after)
        rows = [
            (row_id, m)
            for row_id, m in self._s.tables.movements
            if (location is None or m.location == location)
            and (sku is None or m.sku == sku)
            and (last is None or row_id > last)
        ][: limit + 1]
        page = _page(rows, limit, lambda row: str(row[0]))
        return Page([m for _, m in page.rows], page.next_cursor)

    def levels(self, *, location: str | None, sku: str | None, after: str | None, limit: int) -> Page:
        key = _key(after)
        last = tuple(key.partition("\x1f")[::2]) if key is not None else None
        rows = [
            level
            for (code, level_sku), level in sorted(self._s.tables.stock.items())
            if (location is None or code == location)
            and (sku is None or level_sku == sku)
            and (last is None or (code, level_sku) > last)
        ][: limit + 1]
        return _page(rows, limit, lambda level: f"{level.location}\x1f{level.sku}")

    def by_skus(self, skus: Sequence[str]) -> list[tuple[StockLevel, Location]]:
        tables = self._s.tables
        wanted = set(skus)
        return [
            (level, tables.locations[code])
            for (code, sku), level in sorted(tables.stock.items(), key=lambda pair: (pair[0][1], pair[0][0]))
            if sku in wanted and code in tables.locations
        ]

    def changes_since(self, since: datetime) -> dict[tuple[str, str], tuple[int, int]]:
        sums: dict[tuple[str, str], tuple[int, int]] = {}
        for _, m in self._s.tables.movements:
            if m.at > since:
                on_hand, reserved = sums.get((m.location, m.sku), (0, 0))
                sums[(m.location, m.sku)] = (on_hand + m.on_hand_delta, reserved + m.reserved_delta)
        return sums

    def movements_between(
        self, start: datetime, end: datetime | None, *, kinds: Sequence[MovementKind]
    ) -> list[Movement]:
        rows = [
            (m.at, row_id, m)
            for row_id, m in self._s.tables.movements
            if m.at > start and (end is None or m.at <= end) and m.kind in kinds
        ]
        return [m for _, _, m in sorted(rows, key=lambda row: (row[0], row[1]))]


# -- orders --------------------------------------------------------------------------------------


def _stored_copy(order: Order) -> Order:
    stored = copy.deepcopy(order)
    stored.events = []
    return stored


def _loaded_copy(order: Order) -> Order:
    """An order as the SQL repository assembles it: fulfilment orders by id, shipments by time."""
    loaded = copy.deepcopy(order)
    loaded.fulfillment_orders.sort(key=lambda fo: fo.id)
    for fo in loaded.fulfillment_orders:
        fo.shipments.sort(key=lambda s: (s.shipped_at, s.id))
    return loaded


class FakeOrders:
    def __init__(self, session: _Session) -> None:
        self._s = session
        self._seen: set[str] = set()  # orders added or read here: the only ones the SQL repository can save

    def add(self, order: Order) -> None:
        """Insert the whole order: header, lines and fulfilment orders."""
        tables = self._s.tables
        if order.id in tables.orders or any(
            row.order.channel == order.channel and row.order.external_id == order.external_id
            for row in tables.orders.values()
        ):
            raise self._s.fail(DuplicateKey(f"{order.channel}/{order.external_id}"))
        tables.orders[order.id] = _OrderRow(_stored_copy(order), order.status.value)
        self._seen.add(order.id)

    def save(self, order: Order) -> None:
        tables = self._s.tables
        if order.id not in self._seen:
            raise FakeMisuse(f"order {order.id} was neither added nor read in this unit of work")
        if order.id in tables.orders:
            tables.orders[order.id] = _OrderRow(_stored_copy(order), order.status.value)

    def _load(self, row: _OrderRow) -> Order:
        self._seen.add(row.order.id)
        return _loaded_copy(row.order)

    def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        row = self._s.tables.orders.get(order_id)
        return self._load(row) if row else None

    def id_for_fulfillment_order(self, fo_id: str) -> str | None:
        for row in self._s.tables.orders.values():
            if any(fo.id == fo_id for fo in row.order.fulfillment_orders):
                return row.order.id
        return None

    def find(self, channel: str, external_id: str) -> Order | None:
        for row in self._s.tables.orders.values():
            if row.order.channel == channel and row.order.external_id == external_id:
                return self._load(row)
        return None

    def page(self, filters: OrderFilter, *, after: str | None, limit: int) -> Page:
        key = _key(after)
        rows = [
            row
            for row in sorted(self._s.tables.orders.values(), key=lambda r: r.order.id, reverse=True)
            if (filters.channel is None or row.order.channel == filters.channel)
            and (filters.external_id is None or row.order.external_id == filters.external_id)
            and (filters.status is None or row.status == filters.status)
            and (key is None or row.order.id < key)
        ][: limit + 1]
        return _page([self._load(row) for row in rows], limit, lambda order: order.id)

    def list_fulfillment_orders(self, filters: FulfillmentFilter, *, after: str | None, limit: int) -> Page:
        key = _key(after)
        found: list[tuple[str, _OrderRow]] = [
            (fo.id, row)
            for row in self._s.tables.orders.values()
            for fo in row.order.fulfillment_orders
            if (filters.order_id is None or fo.order_id == filters.order_id)
            and (filters.location is None or fo.location == filters.location)
            and (filters.status is None or fo.status.value == filters.status)
            and (key is None or fo.id < key)
        ]
        found.sort(key=lambda pair: pair[0], reverse=True)
        result: list[FulfillmentOrder] = [self._load(row).fulfillment_order(fo_id) for fo_id, row in found[: limit + 1]]
        return _page(result, limit, lambda fo: fo.id)

    def waiting_for(self, sku: str, *, limit: int) -> list[str]:
        waiting = [
            row.order
            for row in self._s.tables.orders.values()
            if row.order.hold_reason is None and any(ln.sku == sku and ln.backordered > 0 for ln in row.order.lines)
        ]
        waiting.sort(key=lambda order: (order.placed_at, order.id))
        return [order.id for order in waiting[:limit]]

    def with_exception_for(self, sku: str) -> list[str]:
        return sorted(
            row.order.id
            for row in self._s.tables.orders.values()
            if any(ln.sku == sku and ln.exception is not None for ln in row.order.lines)
        )

    def backordered_skus(self, *, limit: int, among: Sequence[str] | None = None) -> list[str]:
        wanted = set(among) if among is not None else None
        skus = {
            ln.sku
            for row in self._s.tables.orders.values()
            for ln in row.order.lines
            if ln.backordered > 0 and (wanted is None or ln.sku in wanted)
        }
        return sorted(skus)[:limit]

    def placed_between(
        self, start: datetime, end: datetime, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Order]:
        rows = sorted(
            (row for row in self._s.tables.orders.values() if start <= row.order.placed_at < end),
            key=lambda row: (row.order.placed_at, row.order.id),
        )
        if after is not None:
            rows = [row for row in rows if (row.order.placed_at, row.order.id) > after]
        return [self._load(row) for row in rows[:limit]]


# -- records -------------------------------------------------------------------------------------


class FakeOutbox:
    def __init__(self, session: _Session, *, ids: IdFactory, source: str) -> None:
        self._s = session
        self.ids = ids
        self.source = source

    def add(self, events: Sequence[Event], now: datetime) -> None:
        tables = self._s.tables
        for e in events:
            tables.outbox.append(
                _EventRow(
                    tables.next_id("outbox"), self.ids("evt"), e.type, self.source, e.subject, now, _json(dict(e.data))
                )
            )

    def feed(self, *, after: str | None, limit: int) -> Page:
        """Events after the cursor in the order they were written; the cursor stays put when there are none."""
        last = _number(after) or 0
        events = [row.stored for row in self._s.tables.outbox if row.id > last][:limit]
        return Page(events, events[-1].cursor if events else after)


class FakeRelayPositions:
    """One position per relay name; the fake has one process, so a claim is never refused."""

    def __init__(self, session: _Session) -> None:
        self._s = session

    def claim(self, name: str, now: datetime) -> RelayClaim | None:
        relays = self._s.tables.relays
        relays.setdefault(name, None)
        return RelayClaim(name, relays[name])

    def advance(self, claim: RelayClaim, cursor: str | None, now: datetime) -> None:
        self._s.tables.relays[claim.name] = cursor

    def position(self, name: str) -> str | None:
        return self._s.tables.relays.get(name)

    def advance_from(self, name: str, expected: str | None, cursor: str | None, now: datetime) -> bool:
        relays = self._s.tables.relays
        if relays.get(name) != expected:
            return False
        relays[name] = cursor
        return True


class FakeAuditLog:
    def __init__(self, session: _Session) -> None:
        self._s = session

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
    ) -> None:
        tables = self._s.tables
        tables.audit.append(
            {
                "id": tables.next_id("audit_log"),
                "at": at,
                "actor_id": actor.id,
                "actor_name": actor.name,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "before": _json(before),
                "after": _json(after),
            }
        )

    def page(self, *, entity: str | None, entity_id: str | None, after: str | None, limit: int) -> Page:
        last = _number(after)
        rows = [
            dict(row)
            for row in reversed(self._s.tables.audit)
            if (entity is None or row["entity"] == entity)
            and (entity_id is None or row["entity_id"] == entity_id)
            and (last is None or row["id"] < last)
        ][: limit + 1]
        return _page(rows, limit, lambda row: str(row["id"]))


class FakeIdempotencyKeys:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def claim(self, *, key: str, scope: str, fingerprint: str, resource_id: str, now: datetime) -> None:
        tables = self._s.tables
        if (scope, key) in tables.idempotency:
            raise self._s.fail(DuplicateKey(key))
        tables.idempotency[(scope, key)] = (fingerprint, resource_id)

    def get(self, *, key: str, scope: str) -> tuple[str, str] | None:
        return self._s.tables.idempotency.get((scope, key))


class FakeApiKeys:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, record: ApiKeyRecord) -> None:
        tables = self._s.tables
        if record.id in tables.api_keys or any(r.key_hash == record.key_hash for r in tables.api_keys.values()):
            raise self._s.fail(DuplicateKey(record.id))
        tables.api_keys[record.id] = record

    def by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        return next((r for r in self._s.tables.api_keys.values() if r.key_hash == key_hash), None)

    def count(self) -> int:
        return len(self._s.tables.api_keys)


# -- sourcing ------------------------------------------------------------------------------------


class FakeRuleSets:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, record: RuleSetRecord) -> None:
        tables = self._s.tables
        if any(r.name == record.name and r.version == record.version for r in tables.rule_sets.values()):
            raise self._s.fail(DuplicateKey(f"{record.name} v{record.version}"))
        tables.rule_sets[record.id] = replace(record, document=_json(record.document))

    def get(self, rule_set_id: str, *, for_update: bool = False) -> RuleSetRecord | None:
        return self._s.tables.rule_sets.get(rule_set_id)

    def active(self, *, for_update: bool = False) -> RuleSetRecord | None:
        return next((r for r in self._s.tables.rule_sets.values() if r.status == "active"), None)

    def last_version(self, name: str) -> int:
        return max((r.version for r in self._s.tables.rule_sets.values() if r.name == name), default=0)

    def save(self, record: RuleSetRecord) -> None:
        tables = self._s.tables
        if record.status == "active" and any(
            r.status == "active" and r.id != record.id for r in tables.rule_sets.values()
        ):
            raise self._s.fail(DuplicateKey(f"active rule set ({record.name} v{record.version})"))
        tables.rule_sets[record.id] = replace(record, document=_json(record.document))

    def add_activation(self, rule_set_id: str, at: datetime) -> None:
        tables = self._s.tables
        tables.activations.append(RuleSetActivation(tables.next_id("activations"), rule_set_id, at))

    def standing_activations(self, *, limit: int) -> list[RuleSetActivation]:
        return [a for a in reversed(self._s.tables.activations) if a.rolled_back_at is None][:limit]

    def roll_back_activation(self, activation_id: int, at: datetime) -> None:
        activations = self._s.tables.activations
        for index, activation in enumerate(activations):
            if activation.id == activation_id:
                activations[index] = replace(activation, rolled_back_at=at)

    def page(self, *, name: str | None, status: str | None, after: str | None, limit: int) -> Page:
        key = _key(after)
        rows = [
            r
            for rid, r in sorted(self._s.tables.rule_sets.items(), reverse=True)
            if (name is None or r.name == name)
            and (status is None or r.status == status)
            and (key is None or rid < key)
        ]
        return _page(rows[: limit + 1], limit, lambda record: record.id)


class FakeDecisions:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, decision: Decision) -> None:
        self._s.tables.decisions.append(replace(decision, explanation=_json(decision.explanation)))

    def for_order(self, order_id: str, *, limit: int) -> list[Decision]:
        return [d for d in reversed(self._s.tables.decisions) if d.order_id == order_id][:limit]


class FakeCapacity:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def used(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
        usage = self._s.tables.capacity
        return {key: usage[key] for key in keys if key in usage}

    def consume(self, location: str, day: str, orders: int, units: int, limits: tuple[int | None, int | None]) -> bool:
        usage = self._s.tables.capacity
        used_orders, used_units = usage.get((location, day), (0, 0))
        max_orders, max_units = limits
        if (max_orders is not None and used_orders + orders > max_orders) or (
            max_units is not None and used_units + units > max_units
        ):
            return False
        usage[(location, day)] = (used_orders + orders, used_units + units)
        return True

    def release(self, location: str, day: str, orders: int, units: int) -> None:
        usage = self._s.tables.capacity
        if (location, day) in usage:
            used_orders, used_units = usage[(location, day)]
            usage[(location, day)] = (max(0, used_orders - orders), max(0, used_units - units))


class FakeSimulationRuns:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, run: SimulationRun) -> None:
        if run.retry_of is not None and self.retry_of(run.retry_of) is not None:
            raise self._s.fail(DuplicateKey(run.retry_of))
        self._s.tables.simulations[run.id] = replace(run, parameters=_json(run.parameters))

    def get(self, run_id: str) -> SimulationRun | None:
        return self._s.tables.simulations.get(run_id)

    def retry_of(self, run_id: str) -> SimulationRun | None:
        return next((r for r in self._s.tables.simulations.values() if r.retry_of == run_id), None)

    def start(self, run_id: str, *, runner: str, at: datetime) -> bool:
        stored = self._held(run_id, runner)
        if stored is None or stored.status != SimulationStatus.QUEUED:
            return False
        running = replace(stored, status=SimulationStatus.RUNNING, started_at=at, heartbeat_at=at)
        self._s.tables.simulations[run_id] = running
        return True

    def beat(self, run_id: str, *, runner: str, at: datetime, progress: tuple[int, int] | None) -> bool:
        stored = self._held(run_id, runner)
        if stored is None:
            return False
        made, to_make = progress if progress is not None else (stored.plans_made, stored.plans_to_make)
        self._s.tables.simulations[run_id] = replace(stored, heartbeat_at=at, plans_made=made, plans_to_make=to_make)
        return True

    def finish(self, run: SimulationRun, *, runner: str) -> bool:
        stored = self._held(run.id, runner)
        if stored is None:
            return False
        result = _json(run.result) if run.result is not None else None
        self._s.tables.simulations[run.id] = replace(
            stored,
            status=run.status,
            result=result,
            finished_at=run.finished_at,
            error=run.error,
            plans_made=run.plans_made,
            plans_to_make=run.plans_to_make,
        )
        return True

    def stale(self, *, before: datetime, limit: int) -> list[SimulationRun]:
        found = [r for r in self._s.tables.simulations.values() if self._is_stale(r, before)]
        return sorted(found, key=lambda r: (last_heard(r), r.id))[:limit]

    def abandon(self, run_id: str, *, before: datetime, at: datetime, error: str) -> bool:
        stored = self._s.tables.simulations.get(run_id)
        if stored is None or not self._is_stale(stored, before):
            return False
        failed = replace(stored, status=SimulationStatus.FAILED, finished_at=at, error=error)
        self._s.tables.simulations[run_id] = failed
        return True

    def _held(self, run_id: str, runner: str) -> SimulationRun | None:
        stored = self._s.tables.simulations.get(run_id)
        if stored is None or stored.status not in SimulationStatus.UNFINISHED or stored.runner != runner:
            return None
        return stored

    @staticmethod
    def _is_stale(run: SimulationRun, before: datetime) -> bool:
        return run.status in SimulationStatus.UNFINISHED and last_heard(run) < before

    def page(self, *, after: str | None, limit: int) -> Page:
        key = _key(after)
        rows = [r for rid, r in sorted(self._s.tables.simulations.items(), reverse=True) if key is None or rid < key]
        return _page(rows[: limit + 1], limit, lambda run: run.id)


# -- sales channels ------------------------------------------------------------------------------


class FakeChannels:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, record: ChannelRecord) -> None:
        tables = self._s.tables
        if record.channel in tables.channels:
            raise self._s.fail(DuplicateKey(record.channel))
        tables.channels[record.channel] = replace(
            record, settings=_json(record.settings), api_credentials=_json(record.api_credentials)
        )

    def get(self, channel: str) -> ChannelRecord | None:
        return self._s.tables.channels.get(channel)

    def save(self, record: ChannelRecord) -> None:
        stored = self._s.tables.channels.get(record.channel)
        if stored is not None:
            self._s.tables.channels[record.channel] = replace(
                record,
                settings=_json(record.settings),
                api_credentials=_json(record.api_credentials),
                created_at=stored.created_at,
            )

    def page(self, *, after: str | None, limit: int) -> Page:
        key = _key(after)
        rows = [r for name, r in sorted(self._s.tables.channels.items()) if key is None or name > key]
        return _page(rows[: limit + 1], limit, lambda record: record.channel)


class FakeWebhookDeliveries:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def add(self, record: WebhookRecord) -> None:
        tables = self._s.tables
        if self.get(record.channel, record.webhook_id) is not None:
            raise self._s.fail(DuplicateKey(f"{record.channel}/{record.webhook_id}"))
        tables.webhooks.append((tables.next_id("webhooks"), record))

    def get(self, channel: str, webhook_id: str) -> WebhookRecord | None:
        return next(
            (r for _, r in self._s.tables.webhooks if r.channel == channel and r.webhook_id == webhook_id), None
        )

    def page(self, channel: str, *, after: str | None, limit: int) -> Page:
        last = _number(after)
        rows = [
            (number, r)
            for number, r in reversed(self._s.tables.webhooks)
            if r.channel == channel and (last is None or number < last)
        ][: limit + 1]
        page = _page(rows, limit, lambda row: str(row[0]))
        return Page([r for _, r in page.rows], page.next_cursor)


class FakeChannelOrders:
    def __init__(self, session: _Session) -> None:
        self._s = session

    def get(self, channel: str, external_id: str) -> ChannelOrderRecord | None:
        return self._s.tables.channel_orders.get((channel, external_id))

    def put(self, record: ChannelOrderRecord) -> None:
        self._s.tables.channel_orders[(record.channel, record.external_id)] = replace(
            record, state=_json(record.state), details=_json(record.details)
        )


# -- the unit of work ----------------------------------------------------------------------------


class FakeUnitOfWork:
    """One transaction over a private copy of the fake database's tables."""

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

    def __init__(self, database: FakeDatabase, *, ids: IdFactory, source: str, read_only: bool = False) -> None:
        self._session = _Session(database, read_only=read_only)
        self.items = FakeItems(self._session)
        self.locations = FakeLocations(self._session)
        self.stock = FakeStock(self._session)
        self.orders = FakeOrders(self._session)
        self.outbox = FakeOutbox(self._session, ids=ids, source=source)
        self.audit = FakeAuditLog(self._session)
        self.idempotency = FakeIdempotencyKeys(self._session)
        self.api_keys = FakeApiKeys(self._session)
        self.relays = FakeRelayPositions(self._session)
        self.rule_sets = FakeRuleSets(self._session)
        self.decisions = FakeDecisions(self._session)
        self.capacity = FakeCapacity(self._session)
        self.simulations = FakeSimulationRuns(self._session)
        self.rate_cards = FakeRateCards(self._session)
        self.tracking = FakeShipmentTracking(self._session)
        self.channels = FakeChannels(self._session)
        self.webhooks = FakeWebhookDeliveries(self._session)
        self.channel_orders = FakeChannelOrders(self._session)
        self.subscriptions = FakeWebhookSubscriptions(self._session)
        self.deliveries = FakeOutboundDeliveries(self._session)
        self.channel_pushes = FakeChannelPushes(self._session)
        self.partners = FakePartners(self._session)
        self.edi_documents = FakeEdiDocuments(self._session)
        self.reconciliations = FakeReconciliationRuns(self._session)
        self.exceptions = FakeExceptionQueue(self._session)
        self.committed = False

    @property
    def read_only(self) -> bool:
        return self._session.read_only

    def __enter__(self) -> FakeUnitOfWork:
        if self._session.open:
            raise FakeMisuse("a unit of work is entered once")
        self._session.begin()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._session.close()  # whatever was not committed is gone

    def commit(self) -> None:
        self._session.commit()
        self.committed = True

    def rollback(self) -> None:
        self._session.rollback()


class FakeUnitOfWorkFactory:
    """Open fake units of work on one shared `FakeDatabase`, as SqlUnitOfWorkFactory does on one engine."""

    def __init__(
        self, database: FakeDatabase | None = None, *, ids: IdFactory | None = None, source: str = "/ordermesh"
    ) -> None:
        self.database = database or FakeDatabase()
        self.ids: IdFactory = ids or SequentialIds()
        self.source = source

    def __call__(self, *, read_only: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.database, ids=self.ids, source=self.source, read_only=read_only)

    @property
    def commits(self) -> int:
        return self.database.version
