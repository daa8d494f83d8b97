"""Sourcing: decide which locations reserve which units of an order.

The policy is a pure function of explicit inputs (the demand, the candidate locations and
their available stock), so it can be tested and benchmarked in memory. The optimising engine
replaces `NearestFewestLocations` behind the same `SourcingPolicy` protocol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.orders import Allocation, DeliveryMethod


@dataclass(frozen=True, slots=True)
class LineDemand:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class SourcingRequest:
    order_id: str
    lines: tuple[LineDemand, ...]
    method: DeliveryMethod
    destination: GeoPoint | None = None
    pickup_location: str | None = None
    excluded: frozenset[str] = frozenset()

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(sorted({line.sku for line in self.lines}))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A location able to serve the request's delivery method, with its stock for the request's SKUs."""

    location: str
    point: GeoPoint | None
    available: Mapping[str, int]


@dataclass(frozen=True)
class AllocationPlan:
    allocations: tuple[Allocation, ...]
    backordered: Mapping[str, int] = field(default_factory=dict)

    @property
    def locations(self) -> tuple[str, ...]:
        return tuple(sorted({a.location for a in self.allocations}))


class SourcingPolicy(Protocol):
    def plan(self, request: SourcingRequest, candidates: Sequence[Candidate]) -> AllocationPlan:
        """Choose allocations from the candidates; units nobody can supply are backordered."""
        ...


class NearestFewestLocations:
    """Ship from the nearest location that has everything; else split over few locations, nearest first.

    The split is a greedy cover (take the location that covers most outstanding units, the nearest
    of equals, and repeat): never more locations than that bound, though not always the minimum.
    Pickup orders reserve at the pickup location only. Safety stock is already out of the
    candidates' available quantities. Ties break on the location code, so equal inputs give
    equal plans.
    """

    def plan(self, request: SourcingRequest, candidates: Sequence[Candidate]) -> AllocationPlan:
        usable = [c for c in candidates if c.location not in request.excluded]
        if request.method == DeliveryMethod.PICKUP:
            usable = [c for c in usable if c.location == request.pickup_location]
        ranked = sorted(usable, key=lambda c: (_distance(request.destination, c), c.location))
        demand = _demand_by_sku(request.lines)
        for candidate in ranked:
            if all(candidate.available.get(sku, 0) >= qty for sku, qty in demand.items()):
                return _allocate(request.lines, [candidate])
        return _allocate(request.lines, _fewest_locations(demand, ranked))


def _distance(destination: GeoPoint | None, candidate: Candidate) -> float:
    if destination is None or candidate.point is None:
        return float("inf") if destination is not None else 0.0
    return destination.distance_km(candidate.point)


def _demand_by_sku(lines: Sequence[LineDemand]) -> dict[str, int]:
    demand: dict[str, int] = {}
    for line in lines:
        demand[line.sku] = demand.get(line.sku, 0) + line.quantity
    return demand


def _fewest_locations(demand: Mapping[str, int], ranked: Sequence[Candidate]) -> list[Candidate]:
    """Greedy set cover: take the location covering most outstanding units, nearest on ties."""
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
    """Fill lines from the chosen sources, in the order they were chosen; the rest is backordered."""
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
