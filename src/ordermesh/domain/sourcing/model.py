"""Sourcing: decide which locations reserve which units of an order.

The policy is a pure function of explicit inputs (the demand, the candidate locations and
their available stock), so it can be tested and benchmarked in memory. The optimising engine
replaces `NearestFewestLocations` behind the same `SourcingPolicy` protocol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from itertools import combinations
from typing import Any, Protocol

from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.orders import Allocation, DeliveryMethod


@dataclass(frozen=True, slots=True)
class LineDemand:
    line_id: str
    sku: str
    quantity: int
    unit_price: float = 0.0
    weight_grams: int = 0
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourcingRequest:
    order_id: str
    lines: tuple[LineDemand, ...]
    method: DeliveryMethod
    destination: GeoPoint | None = None
    pickup_location: str | None = None
    excluded: frozenset[str] = frozenset()
    channel: str = "web"
    service_level: str | None = None
    country: str | None = None
    region: str | None = None
    customer_tags: frozenset[str] = frozenset()
    placed_at: datetime | None = None
    now: datetime | None = None  # when the decision is made (capacity day, cut-offs)

    @property
    def order_value(self) -> float:
        return sum(line.unit_price * line.quantity for line in self.lines)

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(sorted({line.sku for line in self.lines}))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A location able to serve the request's delivery method, with its stock for the request's SKUs."""

    location: str
    point: GeoPoint | None
    available: Mapping[str, int]
    type: str = "warehouse"
    groups: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    cutoff: time | None = None  # local time after which today's work ships tomorrow
    timezone: str = "UTC"
    processing_days: int = 0
    orders_left: int | None = None  # remaining daily capacity; None: unlimited
    units_left: int | None = None


@dataclass(frozen=True)
class AllocationPlan:
    allocations: tuple[Allocation, ...]
    backordered: Mapping[str, int] = field(default_factory=dict)
    unfillable: str = "backorder"  # what to do with the backordered units: backorder, preorder or cancel
    explanation: Mapping[str, Any] | None = None

    @property
    def locations(self) -> tuple[str, ...]:
        return tuple(sorted({a.location for a in self.allocations}))


class SourcingPolicy(Protocol):
    def plan(self, request: SourcingRequest, candidates: Sequence[Candidate]) -> AllocationPlan:
        """Choose allocations from the candidates; units nobody can supply are backordered."""
        ...


class NearestFewestLocations:
    """Ship from the nearest location that has everything; else split over as few locations as possible.

    Among splits over equally few locations the one nearest in total wins, and units are taken from
    the nearest of its locations first. The exact search is bounded (MAX_COVER_CHECKS combinations);
    past that, a greedy cover is used (the location covering most outstanding units, then the next).
    Pickup orders reserve at the pickup location only. Safety stock is already out of the
    candidates' available quantities. Ties break on the location code, so equal inputs give
    equal plans.
    """

    def plan(self, request: SourcingRequest, candidates: Sequence[Candidate]) -> AllocationPlan:
        usable = [c for c in candidates if c.location not in request.excluded]
        if request.method == DeliveryMethod.PICKUP:
            usable = [c for c in usable if c.location == request.pickup_location]
        distance = {c.location: _distance(request.destination, c) for c in usable}
        ranked = sorted(usable, key=lambda c: (distance[c.location], c.location))
        demand = _demand_by_sku(request.lines)
        for candidate in ranked:
            if all(candidate.available.get(sku, 0) >= qty for sku, qty in demand.items()):
                return _allocate(request.lines, [candidate])
        chosen = _fewest_locations(demand, ranked, distance)
        return _allocate(request.lines, sorted(chosen, key=lambda c: (distance[c.location], c.location)))


def _distance(destination: GeoPoint | None, candidate: Candidate) -> float:
    if destination is None or candidate.point is None:
        return float("inf") if destination is not None else 0.0
    return destination.distance_km(candidate.point)


def _demand_by_sku(lines: Sequence[LineDemand]) -> dict[str, int]:
    demand: dict[str, int] = {}
    for line in lines:
        demand[line.sku] = demand.get(line.sku, 0) + line.quantity
    return demand


# Combinations the exact split search may try (a few milliseconds) before it settles for the greedy cover.
MAX_COVER_CHECKS = 5_000


def _fewest_locations(
    demand: Mapping[str, int], ranked: Sequence[Candidate], distance: Mapping[str, float]
) -> list[Candidate]:
    """Return the fewest locations that together hold all they can of the demand, nearest in total."""
    greedy = _greedy_cover(demand, ranked)
    target = {sku: min(qty, sum(c.available.get(sku, 0) for c in ranked)) for sku, qty in demand.items()}
    useful = [c for c in ranked if any(c.available.get(sku, 0) for sku, qty in target.items() if qty)]
    checks = 0
    for size in range(2, len(greedy)):
        best: tuple[float, tuple[str, ...]] | None = None
        found: tuple[Candidate, ...] = ()
        for group in combinations(useful, size):
            checks += 1
            if checks > MAX_COVER_CHECKS:
                return greedy
            if all(sum(c.available.get(sku, 0) for c in group) >= qty for sku, qty in target.items()):
                key = (sum(distance[c.location] for c in group), tuple(c.location for c in group))
                if best is None or key < best:
                    best, found = key, group
        if found:
            return list(found)
    return greedy


def _greedy_cover(demand: Mapping[str, int], ranked: Sequence[Candidate]) -> list[Candidate]:
    """Take the location covering most outstanding units (the nearest of equals) until nothing more is covered."""
    outstanding = dict(demand)
    chosen: list[Candidate] = []
    remaining = list(ranked)
    while any(outstanding.values()) and remaining:

        def covered(c: Candidate) -> int:
            return sum(min(q, c.available.get(sku, 0)) for sku, q in outstanding.items())

        best = max(remaining, key=covered)  # max keeps the first (nearest) of equals
        if covered(best) == 0:
            break
        chosen.append(best)
        remaining.remove(best)
        for sku, qty in outstanding.items():
            outstanding[sku] = qty - min(qty, best.available.get(sku, 0))
    return chosen


def _allocate(lines: Sequence[LineDemand], sources: Sequence[Candidate]) -> AllocationPlan:
    """Fill lines from the sources in the order given (nearest first); the rest is backordered."""
    left = {c.location: dict(c.available) for c in sources}
    allocations: list[Allocation] = []
    backordered: dict[str, int] = {}
    for line in lines:
        need = line.quantity
        for source in sources:
            take = min(need, left[source.location].get(line.sku, 0))
            if take > 0:
                allocations.append(Allocation(line.line_id, source.location, take))
                left[source.location][line.sku] -= take
                need -= take
            if need == 0:
                break
        if need:
            backordered[line.line_id] = need
    return AllocationPlan(tuple(allocations), backordered)
