"""The sourcing problem of one order in numbers, what a plan costs and whether it is allowed.

The engine turns rules, rate cards and stock into a `Problem`; this module knows nothing about orders.
Every method (fast path, exact search, MILP, greedy, the tests' brute force) is scored by the same
`evaluate` and checked by the same `violations`, so they agree on what a plan costs.

Cost of a plan:
- per shipment from a source: its `package_cost` plus the shipping price of the weight tier the
  shipment falls in (a source ships one package per order; a `alone` need ships each unit on its own);
- per unit: the (need, source) unit cost (handling, opportunity cost of scarce stock, ...);
- `split_cost` per shipment beyond the first;
- `unfilled_cost` per unit no source supplies.
Constraints: stock per (source, SKU) shared by the needs of that SKU, remaining unit capacity per
source, at most `max_shipments`, `complete` (everything from one source or nothing), and a minimum
value per shipment when the order is split.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, compress
from typing import Any

import numpy as np
from numpy.typing import NDArray

INF = math.inf
MONEY_GAP = 0.005  # plans within half a cent of each other cost the same: money is rounded to cents

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Need:
    sku: str
    quantity: int
    unit_value: float = 0.0  # price per unit, for the minimum value per split shipment
    unit_weight: float = 0.0  # grams
    unfilled_cost: float = 1_000.0  # per unit no source supplies
    alone: bool = False  # every unit ships in its own package


class Source:
    """A location as the optimiser sees it: its stock, what each need costs per unit from it, what a shipment
    from it costs, and the units it may still take today.

    Treat it as read-only. It is not a frozen dataclass because one is built for every candidate of every
    order: its unit costs may come as a row over the needs (`row`: a cost per need and whether the need may use
    the source), made into the mapping only when first asked for, as most sources of an order never are.
    """

    __slots__ = ("_row", "_unit_cost", "key", "package_cost", "stock", "tiers", "unit_capacity")

    def __init__(
        self,
        key: str,
        stock: Mapping[str, int],  # usable units per SKU
        unit_cost: Mapping[int, float] | None,  # need index -> cost per unit; a need missing may not use the source
        package_cost: float = 0.0,  # per shipment: handling per order, lateness, ...
        tiers: tuple[tuple[float, float], ...] = (),  # (maximum grams, shipping price), ascending; () ships free
        unit_capacity: int | None = None,  # units this source may still take today
        row: tuple[list[float], list[bool]] | None = None,  # instead of unit_cost: per need, cost and may use
    ) -> None:
        self.key = key
        self.stock = stock
        self.package_cost = package_cost
        self.tiers = tiers
        self.unit_capacity = unit_capacity
        self._unit_cost = unit_cost
        self._row = row

    @property
    def unit_cost(self) -> Mapping[int, float]:
        known = self._unit_cost
        if known is None:
            costs, allowed = self._row or ([], [])
            needs = compress(range(len(costs)), allowed)
            known = self._unit_cost = dict(zip(needs, compress(costs, allowed), strict=True))
        return known

    def tier_price(self, weight: float) -> float:
        """Shipping price of a package of this weight (the last tier prices anything heavier)."""
        return price(self.tiers, weight)

    def __repr__(self) -> str:
        return (
            f"Source({self.key!r}, {self.stock!r}, {self.unit_cost!r}, package_cost={self.package_cost!r}, "
            f"tiers={self.tiers!r}, unit_capacity={self.unit_capacity!r})"
        )


@dataclass(frozen=True)
class Problem:
    needs: tuple[Need, ...]
    sources: tuple[Source, ...]
    max_shipments: int | None = None
    complete: bool = False
    min_split_value: float = 0.0
    split_cost: float = 0.0

    def usable(self, n: int, s: int) -> int:
        """Units of need n that source s could supply on its own."""
        return self._usable[s][n]

    @cached_property
    def arrays(self) -> Arrays:
        """The problem as numpy arrays, for the bounds and the fast paths (built once)."""
        return Arrays.of(self)

    @cached_property
    def single_costs(self) -> FloatArray:
        """Per source, the cost of the whole order from it alone (inf if it cannot, or may not, supply it)."""
        return _single_costs(self)

    @cached_property
    def singles_by_cost(self) -> list[int]:
        """Sources that supply the whole order alone, cheapest first (equal costs: in source order)."""
        costs = self.single_costs
        found = np.flatnonzero(np.isfinite(costs))
        return found[np.lexsort((found, np.round(costs[found], 6)))].tolist()  # type: ignore[no-any-return]

    @cached_property
    def breakdowns(self) -> dict[Take, Breakdown]:
        """What `evaluate` found for each plan priced so far (several methods price the same plans)."""
        return {}

    @cached_property
    def shared(self) -> dict[str, Any]:
        """What one method built from this problem and another may reuse (the set search's table of sources)."""
        return {}

    @cached_property
    def _usable(self) -> list[list[int]]:
        return self.arrays.usable.tolist()  # type: ignore[no-any-return]

    def with_arrays(
        self,
        stock: IntArray,
        costs: FloatArray,
        distinct: list[tuple[tuple[float, float], ...]],
        rows: list[int],
    ) -> Problem:
        """This problem, its arrays built from what the caller already has at hand (the same arrays `arrays`
        would read from the sources: see `Arrays.build`)."""
        self.__dict__["arrays"] = Arrays.build(self, stock, costs, distinct, rows)
        return self


@dataclass(frozen=True)
class Arrays:
    """Needs along the columns, sources along the rows."""

    quantity: FloatArray  # (N,)
    weight: FloatArray  # (N,) grams per unit
    unfilled: FloatArray  # (N,) cost per unit left unfilled
    usable: IntArray  # (S, N) units of need n source s could supply on its own
    unit: FloatArray  # (S, N) cost per unit; inf where the source may not or cannot supply the need
    package: FloatArray  # (S,)
    capacity: FloatArray  # (S,) units the source may still take (inf: no limit)
    tier_limits: FloatArray  # (S, T) ascending; inf pads
    tier_prices: FloatArray  # (S, T) the last real price repeated over the pads (0 without tiers)

    @classmethod
    def of(cls, problem: Problem) -> Arrays:
        needs, sources = problem.needs, problem.sources
        # dict lookups mapped at C speed straight into one array: numpy's item assignment is slow
        skus, columns = [need.sku for need in needs], range(len(needs))
        nothing, never = [0] * len(needs), [INF] * len(needs)
        shape = (len(sources), len(needs))
        cells = len(sources) * len(needs)
        stocked = chain.from_iterable([map(x.stock.get, skus, nothing) for x in sources])
        stock = np.fromiter(stocked, np.int64, cells).reshape(shape)
        priced = chain.from_iterable([map(x.unit_cost.get, columns, never) for x in sources])
        costs = np.fromiter(priced, np.float64, cells).reshape(shape)
        padded: dict[tuple[tuple[float, float], ...], int] = {}  # distinct tier rows, numbered
        seen: dict[int, int] = {}  # by identity: hashing nested tuples is slow
        rows: list[int] = []
        for source in sources:  # sources share a few rate-card rows (one per zone): number each once
            tiers = source.tiers
            row = seen.get(id(tiers))
            if row is None:
                row = seen[id(tiers)] = padded.setdefault(tiers, len(padded))
            rows.append(row)
        return cls.build(problem, stock, costs, list(padded), rows)

    @classmethod
    def build(
        cls,
        problem: Problem,
        stock: IntArray,
        costs: FloatArray,
        distinct: list[tuple[tuple[float, float], ...]],
        rows: list[int],
    ) -> Arrays:
        """The arrays of a problem whose stock (per source and need: the source's stock of the need's SKU),
        unit costs (inf where the need may not use the source) and tiers (each source's, as the number of its
        row among the distinct ones) are at hand."""
        needs, sources = problem.needs, problem.sources
        quantity = np.array([need.quantity for need in needs], dtype=np.float64)
        usable = np.where(np.isfinite(costs), np.minimum(quantity.astype(np.int64), stock), 0)
        unit = np.where(usable > 0, costs, INF)
        width = 1 + max((len(tiers) for tiers in distinct), default=0)
        limits, prices = [], []
        for tiers in distinct:  # padded to the same width: inf limits, the last price repeated
            last = tiers[-1][1] if tiers else 0.0
            limits.append([limit for limit, _ in tiers] + [INF] * (width - len(tiers)))
            prices.append([price for _, price in tiers] + [last] * (width - len(tiers)))
        at = np.array(rows, dtype=np.intp)
        return cls(
            quantity=quantity,
            weight=np.array([need.unit_weight for need in needs], dtype=np.float64),
            unfilled=np.array([need.unfilled_cost for need in needs], dtype=np.float64),
            usable=usable,
            unit=unit,
            package=np.array([source.package_cost for source in sources], dtype=np.float64),
            capacity=np.array(
                [INF if source.unit_capacity is None else source.unit_capacity for source in sources],
                dtype=np.float64,
            ),
            tier_limits=np.array(limits, dtype=np.float64).reshape(len(distinct), width)[at],
            tier_prices=np.array(prices, dtype=np.float64).reshape(len(distinct), width)[at],
        )

    def price(self, weights: FloatArray) -> FloatArray:
        """Each source's shipping price for a package of the weight given for it (the tier the weight falls
        in: the first whose limit it does not exceed; past the last limit, the last price)."""
        tier = (self.tier_limits < weights[:, None]).sum(axis=1)  # counted as count_nonzero would, sooner
        return self.tier_prices[np.arange(len(tier)), tier]  # type: ignore[no-any-return]


Take = tuple[tuple[int, int, int], ...]  # (need index, source index, units), sorted


@dataclass(frozen=True)
class ShipmentCost:
    source: str
    units: int
    weight: float
    package: float
    shipping: float
    unit_costs: float
    value: float

    @property
    def total(self) -> float:
        return self.package + self.shipping + self.unit_costs


@dataclass(frozen=True)
class Breakdown:
    shipments: tuple[ShipmentCost, ...]
    split: float
    unfilled: float
    unfilled_units: int

    @property
    def total(self) -> float:
        return sum(s.total for s in self.shipments) + self.split + self.unfilled

    @property
    def shipment_count(self) -> int:
        return len(self.shipments)


@dataclass(frozen=True)
class Solution:
    take: Take
    breakdown: Breakdown
    method: str  # "single" (fast path), "bound" (no source can beat the incumbent), "exact", "milp", "greedy", "none"
    optimal: bool

    @property
    def cost(self) -> float:
        return self.breakdown.total

    def sources(self, problem: Problem) -> tuple[str, ...]:
        return tuple(sorted({problem.sources[s].key for _, s, _ in self.take}))


@dataclass(frozen=True)
class Budget:
    """How hard the exact search may try: a node limit (deterministic) and a wall-clock stop."""

    seconds: float = 0.05
    nodes: int = 2_000


def evaluate(problem: Problem, take: Take) -> Breakdown:
    """The cost of an assignment, shipment by shipment (constraints are checked by `violations`)."""
    known = problem.breakdowns.get(take)
    if known is None:
        known = problem.breakdowns[take] = _evaluate(problem, take)
    return known


def _evaluate(problem: Problem, take: Take) -> Breakdown:
    filled = [0] * len(problem.needs)
    shared: dict[int, list[tuple[int, int]]] = {}
    shipments: list[ShipmentCost] = []
    for n, s, units in take:
        filled[n] += units
        need, source = problem.needs[n], problem.sources[s]
        if need.alone:
            for _ in range(units):
                shipments.append(
                    ShipmentCost(
                        source.key,
                        1,
                        need.unit_weight,
                        source.package_cost,
                        source.tier_price(need.unit_weight),
                        source.unit_cost[n],
                        need.unit_value,
                    )
                )
        else:
            shared.setdefault(s, []).append((n, units))
    needs = problem.needs
    for s, parts in sorted(shared.items()):
        source = problem.sources[s]
        unit_cost = source.unit_cost
        # summed in the order of the parts, from 0, as sum() would
        weight: float = 0
        costs: float = 0
        value: float = 0
        units = 0
        for n, u in parts:
            need = needs[n]
            weight += need.unit_weight * u
            units += u
            costs += unit_cost[n] * u
            value += need.unit_value * u
        shipments.append(
            ShipmentCost(source.key, units, weight, source.package_cost, price(source.tiers, weight), costs, value)
        )
    unfilled_units = 0
    unfilled: float = 0
    for need, f in zip(needs, filled, strict=True):
        unfilled_units += need.quantity - f
        unfilled += need.unfilled_cost * (need.quantity - f)
    split = problem.split_cost * max(0, len(shipments) - 1)
    shipments.sort(key=lambda c: (c.source, c.units))
    return Breakdown(tuple(shipments), split, unfilled, unfilled_units)


def violations(problem: Problem, take: Take) -> list[str]:
    """What is wrong with an assignment (an empty list: it is feasible)."""
    wrong: list[str] = []
    filled = [0] * len(problem.needs)
    used: dict[tuple[int, str], int] = {}
    units_at: dict[int, int] = {}
    for n, s, units in take:
        if units <= 0 or n not in problem.sources[s].unit_cost:
            wrong.append(f"need {n} may not use source {s}")
        filled[n] += units
        key = (s, problem.needs[n].sku)
        used[key] = used.get(key, 0) + units
        units_at[s] = units_at.get(s, 0) + units
    for n, need in enumerate(problem.needs):
        if filled[n] > need.quantity:
            wrong.append(f"need {n} over-filled")
    for (s, sku), units in used.items():
        if units > problem.sources[s].stock.get(sku, 0):
            wrong.append(f"source {s} short of {sku}")
    for s, units in units_at.items():
        cap = problem.sources[s].unit_capacity
        if cap is not None and units > cap:
            wrong.append(f"source {s} over capacity")
    breakdown = evaluate(problem, take)
    if problem.max_shipments is not None and breakdown.shipment_count > problem.max_shipments:
        wrong.append("too many shipments")
    if problem.complete and take and (breakdown.unfilled_units or len(units_at) > 1):
        wrong.append("incomplete")
    if breakdown.shipment_count > 1 and any(s.value < problem.min_split_value - 1e-9 for s in breakdown.shipments):
        wrong.append("split shipment below the minimum value")
    return wrong


def price(tiers: tuple[tuple[float, float], ...], weight: float) -> float:
    """Shipping price of a package of this weight (the last tier prices anything heavier)."""
    for limit, value in tiers:
        if weight <= limit:
            return value
    return tiers[-1][1] if tiers else 0.0


def _single_costs(problem: Problem) -> FloatArray:
    a = problem.arrays
    count = len(problem.sources)
    if any(need.alone for need in problem.needs):  # several packages per source: price them one by one
        return np.array([_whole_cost(problem, s) for s in range(count)], dtype=np.float64)
    if problem.max_shipments is not None and problem.max_shipments < 1:
        return np.full(count, INF)
    covers = (a.usable == a.quantity).all(axis=1) & (a.capacity >= a.quantity.sum())
    if len({need.sku for need in problem.needs}) < len(problem.needs):  # needs sharing a SKU share its stock
        covers &= np.array([_stocks_all(problem, s) for s in range(count)], dtype=bool)
    tier = (a.tier_limits < float(a.quantity @ a.weight)).sum(axis=1)  # every source ships the whole weight
    units = np.where(covers[:, None], a.unit, 0.0) @ a.quantity
    return np.where(covers, a.package + a.tier_prices[np.arange(count), tier] + units, INF)


def _whole_cost(problem: Problem, s: int) -> float:
    """The whole order from s alone when every package rule allows it (inf otherwise), priced by `evaluate`."""
    source = problem.sources[s]
    if source.unit_capacity is not None and source.unit_capacity < sum(need.quantity for need in problem.needs):
        return INF
    if any(n not in source.unit_cost for n in range(len(problem.needs))) or not _stocks_all(problem, s):
        return INF
    breakdown = evaluate(problem, tuple((n, s, need.quantity) for n, need in enumerate(problem.needs)))
    shipments = breakdown.shipments
    if problem.max_shipments is not None and len(shipments) > problem.max_shipments:
        return INF
    if len(shipments) > 1 and any(c.value < problem.min_split_value - 1e-9 for c in shipments):
        return INF
    return breakdown.total


def _stocks_all(problem: Problem, s: int) -> bool:
    source = problem.sources[s]
    per_sku: dict[str, int] = {}
    for need in problem.needs:
        per_sku[need.sku] = per_sku.get(need.sku, 0) + need.quantity
    return all(source.stock.get(sku, 0) >= qty for sku, qty in per_sku.items())
