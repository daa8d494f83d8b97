"""Sourcing: what a policy decides from (the request and its candidate locations) and what it decides.

A policy is a pure function of explicit inputs (the demand, the candidate locations and their
available stock), so it can be tested and benchmarked in memory; `SourcingEngine` is the one Ordermesh uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import cached_property
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

    @cached_property
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
