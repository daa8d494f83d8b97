"""Per-process copies of what sourcing reads for every order and which rarely changes.

The active rule set, the locations' sourcing profiles and the items' sourcing attributes are kept
for a few seconds. Activating a rule set or changing a location in this process takes effect at
once; other processes see it within the TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ordermesh.domain.catalog import Location
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.domain.sourcing.engine import SourcingEngine
from ordermesh.domain.sourcing.rule_document import parse_rule_set
from ordermesh.services.carrier_costs import with_carrier_cards
from ordermesh.services.ports import RuleSetRecord, UnitOfWork

RULES_TTL = 2.0
NETWORK_TTL = 5.0
ITEMS_TTL = 60.0
MAX_ITEMS = 500_000  # SKUs kept per process; past that the cache starts again

BUILT_IN = {"id": None, "name": "default", "version": 0, "built_in": True}


@dataclass(frozen=True)
class ItemProfile:
    weight_grams: int
    attributes: Mapping[str, Any]


class _Timed:
    """A value recomputed when older than `ttl` seconds (or when dropped)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._value: Any = None
        self._at = -1e18
        self._lock = threading.Lock()

    def get(self, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        if now - self._at > self.ttl:
            with self._lock:
                if now - self._at > self.ttl:
                    self._value = load()
                    self._at = time.monotonic()
        return self._value

    def drop(self) -> None:
        self._at = -1e18


class SourcingCache:
    """Per-process copies of the active engine, the location profiles and the items' attributes."""

    def __init__(self) -> None:
        self._engine = _Timed(RULES_TTL)
        self._network = _Timed(NETWORK_TTL)
        self._items: dict[str, tuple[float, ItemProfile | None]] = {}

    def engine(self, uow: UnitOfWork) -> SourcingEngine:
        engine: SourcingEngine = self._engine.get(lambda: _load_engine(uow))
        return engine

    def network(self, uow: UnitOfWork) -> dict[str, Location]:
        network: dict[str, Location] = self._network.get(lambda: {loc.code: loc for loc in uow.locations.all()})
        return network

    def items(self, uow: UnitOfWork, skus: Iterable[str]) -> dict[str, ItemProfile | None]:
        """Weight and attributes per SKU (None: not in the item master); the missing ones in one read."""
        now = time.monotonic()
        found: dict[str, ItemProfile | None] = {}
        stale: list[str] = []
        for sku in set(skus):
            hit = self._items.get(sku)
            if hit is None or now - hit[0] > ITEMS_TTL:
                stale.append(sku)
            else:
                found[sku] = hit[1]
        if stale:
            if len(self._items) > MAX_ITEMS:
                self._items.clear()
            loaded = uow.items.get_many(sorted(stale))
            for sku in stale:
                item = loaded.get(sku)
                profile = ItemProfile(item.weight_grams, dict(item.attributes)) if item else None
                self._items[sku] = (now, profile)
                found[sku] = profile
        return found

    def drop_rules(self) -> None:
        self._engine.drop()

    def drop_network(self) -> None:
        self._network.drop()


def _load_engine(uow: UnitOfWork) -> SourcingEngine:
    record = uow.rule_sets.active()
    if record is None:
        return SourcingEngine(parse_rule_set(DEFAULT_RULE_SET), rule_set_ref=BUILT_IN)
    return SourcingEngine(parse_rule_set(with_carrier_cards(uow, record.document)), rule_set_ref=rule_set_ref(record))


def rule_set_ref(record: RuleSetRecord) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "version": record.version, "built_in": False}
