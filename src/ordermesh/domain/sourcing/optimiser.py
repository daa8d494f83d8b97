"""Minimum-cost assignment of an order's units to locations: fast path, MILP (HiGHS), greedy fallback.

The problem is numeric and self-contained: the engine turns rules, rate cards and stock into a
`Problem`; this module knows nothing about orders. Every method is scored by the same `evaluate`,
so the fast path, the MILP, the greedy fallback and the tests' brute force agree on what a plan costs.

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

import itertools
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import highspy
import numpy as np

INF = math.inf
MONEY_GAP = 0.005


@dataclass(frozen=True, slots=True)
class Need:
    sku: str
    quantity: int
    unit_value: float = 0.0  # price per unit, for the minimum value per split shipment
    unit_weight: float = 0.0  # grams
    unfilled_cost: float = 1_000.0  # per unit no source supplies
    alone: bool = False  # every unit ships in its own package


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    stock: Mapping[str, int]  # usable units per SKU
    unit_cost: Mapping[int, float]  # need index -> cost per unit; a need missing here may not use this source
    package_cost: float = 0.0  # per shipment: handling per order, lateness, ...
    tiers: tuple[tuple[float, float], ...] = ()  # (maximum grams, shipping price), ascending; () ships free
    unit_capacity: int | None = None  # units this source may still take today

    def tier_price(self, weight: float) -> float:
        """Shipping price of a package of this weight (the last tier prices anything heavier)."""
        return _price(self.tiers, weight)


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
    def singles(self) -> list[Solution]:
        """Every source that supplies the whole order on its own, as a plan (computed once)."""
        return _full_singles(self)

    @cached_property
    def _usable(self) -> list[list[int]]:
        return [
            [
                min(need.quantity, source.stock.get(need.sku, 0)) if n in source.unit_cost else 0
                for n, need in enumerate(self.needs)
            ]
            for source in self.sources
        ]


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
    method: str  # "single" (fast path), "bound" (no source can beat the incumbent), "milp", "greedy", "none"
    optimal: bool

    @property
    def cost(self) -> float:
        return self.breakdown.total

    def sources(self, problem: Problem) -> tuple[str, ...]:
        return tuple(sorted({problem.sources[s].key for _, s, _ in self.take}))


def evaluate(problem: Problem, take: Take) -> Breakdown:
    """The cost of an assignment, shipment by shipment (constraints are checked by `violations`)."""
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
    for s, parts in sorted(shared.items()):
        source = problem.sources[s]
        weight = sum(problem.needs[n].unit_weight * u for n, u in parts)
        shipments.append(
            ShipmentCost(
                source.key,
                sum(u for _, u in parts),
                weight,
                source.package_cost,
                source.tier_price(weight),
                sum(source.unit_cost[n] * u for n, u in parts),
                sum(problem.needs[n].unit_value * u for n, u in parts),
            )
        )
    unfilled_units = sum(need.quantity - f for need, f in zip(problem.needs, filled, strict=True))
    unfilled = sum(need.unfilled_cost * (need.quantity - f) for need, f in zip(problem.needs, filled, strict=True))
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


@dataclass(frozen=True)
class Budget:
    """How hard the exact search may try: a node limit (deterministic) and a wall-clock stop."""

    seconds: float = 0.05
    nodes: int = 2_000


def solve(problem: Problem, budget: Budget = Budget()) -> Solution:
    """The least-cost feasible assignment; `optimal` is False when the budget ran out first."""
    if not any(problem.usable(n, s) for n in range(len(problem.needs)) for s in range(len(problem.sources))):
        return _solution(problem, (), "none", optimal=True)
    single = _best_single(problem)
    alone = any(need.alone for need in problem.needs)
    # Two valid views of the lower bounds; the second (weight-aware) one is only built when the first,
    # cheaper one cannot prove the whole-order source optimal.
    views: tuple[_Bounds, ...] = (_Bounds(problem, sloped=False),)
    if single is not None and not alone and single.cost <= _lower_bound_other(problem, views) + 1e-9:
        return single
    views = (*views, _Bounds(problem, sloped=True))
    if single is not None and not alone and single.cost <= _lower_bound_other(problem, views) + 1e-9:
        return single
    greedy = _greedy(problem)
    incumbent = min((x for x in (greedy, single) if x is not None), key=lambda x: (round(x.cost, 6), _rank(x.method)))
    keep = _worth_keeping(problem, incumbent.cost, views)
    if not keep:  # no source can take part in a cheaper plan: the incumbent is optimal
        return Solution(incumbent.take, incumbent.breakdown, "bound", optimal=True)
    reduced, original = _restricted(problem, keep)
    milp, proven = _milp(reduced, budget, cutoff=incumbent.cost - MONEY_GAP)
    if milp is not None:
        take = tuple(sorted((n, original[s], units) for n, s, units in milp.take))
        milp = _solution(problem, take, "milp", optimal=milp.optimal)
    if milp is not None and milp.cost < incumbent.cost - 1e-9:
        return milp
    if proven:  # the exact search found nothing cheaper than the incumbent by more than half a cent
        return Solution(incumbent.take, incumbent.breakdown, "milp", optimal=True)
    return Solution(incumbent.take, incumbent.breakdown, incumbent.method, optimal=False)


def _worth_keeping(problem: Problem, incumbent: float, views: tuple[_Bounds, ...]) -> list[int]:
    """Sources that could take part in a plan cheaper than the incumbent (for the others, their own
    shipment plus the least the rest of the order costs already reaches it)."""
    if any(need.alone for need in problem.needs):
        return [s for s in range(len(problem.sources)) if any(problem.usable(n, s) for n in range(len(problem.needs)))]
    keep: list[int] = []
    for s in views[0].usable:
        least = max(min(b.only(s), b.fixed[s] + b.other_fixed(s) + problem.split_cost + b.rest) for b in views)
        if least < incumbent - 1e-9:
            keep.append(s)
    return keep


class _Bounds:
    """Lower bounds on plans: each shipment from s costs at least `fixed[s]` (its package cost plus the
    intercept of a line under its tier prices) and each unit of need n from s at least its unit cost plus
    the line's slope times its weight; a unit left unfilled costs its unfilled cost."""

    def __init__(self, problem: Problem, *, sloped: bool) -> None:
        self.problem = problem
        needs = problem.needs
        total = sum(need.quantity * need.unit_weight for need in needs)
        self.usable: list[int] = []
        self.fixed: dict[int, float] = {}
        self.unit: dict[int, list[float]] = {}  # per source: per need, least cost of one unit (inf: not eligible)
        for s, src in enumerate(problem.sources):
            served = [n for n in range(len(needs)) if problem.usable(n, s)]
            if not served:
                continue
            lightest = min(needs[n].unit_weight for n in served)
            heaviest = sum(needs[n].unit_weight * problem.usable(n, s) for n in served)
            if sloped:
                intercept, slope = _line_under(src.tiers, lightest, max(heaviest, lightest), min(total, heaviest))
            else:  # every shipment weighs at least its lightest unit
                intercept, slope = src.tier_price(lightest), 0.0
            self.usable.append(s)
            self.fixed[s] = src.package_cost + intercept
            self.unit[s] = [
                src.unit_cost[n] + slope * needs[n].unit_weight if n in served else INF for n in range(len(needs))
            ]
        self.best = [
            min(min((self.unit[s][n] for s in self.usable), default=INF), need.unfilled_cost)
            for n, need in enumerate(needs)
        ]
        self.rest = sum(need.quantity * b for need, b in zip(needs, self.best, strict=True))
        self._cheapest = sorted((f, t) for t, f in self.fixed.items())[:2]
        self._two = [f for f, _ in self._cheapest]

    def only(self, s: int) -> float:
        """Least cost of a plan shipping from s alone (possibly leaving units unfilled)."""
        needs = self.problem.needs
        return self.fixed[s] + sum(
            need.quantity * min(c, need.unfilled_cost) for need, c in zip(needs, self.unit[s], strict=True)
        )

    def only_partial(self, s: int) -> float:
        """Least cost of a plan shipping from s alone that leaves at least one unit unfilled."""
        needs = self.problem.needs
        own = self.unit[s]
        cost = self.only(s)
        if all(c <= need.unfilled_cost for c, need in zip(own, needs, strict=True)):
            cost += min(need.unfilled_cost - c for need, c in zip(needs, own, strict=True))
        return cost

    def other_fixed(self, s: int) -> float:
        """The least fixed cost of a shipment from another source than s."""
        for value, t in self._cheapest:
            if t != s:
                return value
        return INF

    def split(self) -> float:
        """Least cost of a plan with two or more shipments."""
        if len(self._two) < 2:
            return INF
        return self.rest + self._two[0] + self._two[1] + self.problem.split_cost


def _line_under(
    tiers: tuple[tuple[float, float], ...], lightest: float, heaviest: float, at: float
) -> tuple[float, float]:
    """(intercept, slope >= 0) of a line under the tier prices for weights in [lightest, heaviest], touching
    their lower convex hull near `at`. Within a tier the price is flat, so the line only has to pass under
    each tier's heaviest point."""
    if not tiers:
        return 0.0, 0.0
    corners: list[tuple[float, float]] = []
    low = 0.0
    for limit, price in tiers:
        if limit >= lightest and low < heaviest:
            corners.append((min(limit, heaviest), price))
        low = limit
    if len(corners) < 2:  # one tier spans every weight the shipment can have: its price, flat
        return _price(tiers, lightest), 0.0
    hull: list[tuple[float, float]] = []
    for point in corners:  # lower convex hull, left to right
        while len(hull) >= 2 and _cross(hull[-2], hull[-1], point) <= 0:
            hull.pop()
        hull.append(point)
    for (x1, y1), (x2, y2) in itertools.pairwise(hull):
        if at <= x2 or (x2, y2) == hull[-1]:
            slope = max(0.0, (y2 - y1) / (x2 - x1)) if x2 > x1 else 0.0
            return y1 - slope * x1, slope
    return hull[0][1], 0.0


def _price(tiers: tuple[tuple[float, float], ...], weight: float) -> float:
    for limit, price in tiers:
        if weight <= limit:
            return price
    return tiers[-1][1] if tiers else 0.0


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _restricted(problem: Problem, keep: list[int]) -> tuple[Problem, dict[int, int]]:
    sources = tuple(problem.sources[s] for s in keep)
    return replace(problem, sources=sources), dict(enumerate(keep))


def runner_up(problem: Problem, chosen: Solution) -> Solution | None:
    """The best alternative found that ships from another set of sources (None if nothing else ships).

    Candidates: every other whole-order source (only those, when the choice is a single source), and the
    greedy plan without each chosen source in turn.
    It is what a person compares the choice with, found in a fraction of a millisecond; it is not proven
    to be the second-best plan overall.
    """
    chosen_set = {s for _, s, _ in chosen.take}
    if not chosen_set:
        return None
    alternatives = [s for s in problem.singles if {src for _, src, _ in s.take} != chosen_set]
    if alternatives and len(chosen_set) == 1:
        # A whole order from one place was chosen: what a person compares it with is the next such place.
        return min(alternatives, key=lambda s: (round(s.cost, 6), s.take))
    for left_out in sorted(chosen_set):
        keep = [s for s in range(len(problem.sources)) if s != left_out]
        reduced, original = _restricted(problem, keep)
        greedy = _greedy(reduced)
        take = tuple(sorted((n, original[s], units) for n, s, units in greedy.take))
        if take and {s for _, s, _ in take} != chosen_set:
            alternatives.append(_solution(problem, take, "greedy", optimal=False))
    if not alternatives:
        return None
    return min(alternatives, key=lambda s: (round(s.cost, 6), _rank(s.method), s.take))


def _rank(method: str) -> int:
    return {"single": 0, "bound": 1, "milp": 1, "greedy": 2, "none": 3}[method]


def _solution(problem: Problem, take: Take, method: str, *, optimal: bool) -> Solution:
    return Solution(take, evaluate(problem, take), method, optimal)


def _full_singles(problem: Problem) -> list[Solution]:
    """Every source that supplies the whole order on its own, within its capacity, as a solution."""
    total = sum(need.quantity for need in problem.needs)
    found: list[Solution] = []
    for s, source in enumerate(problem.sources):
        if source.unit_capacity is not None and source.unit_capacity < total:
            continue
        if not _covers(problem, s):
            continue
        take = tuple((n, s, need.quantity) for n, need in enumerate(problem.needs))
        solution = _solution(problem, take, "single", optimal=True)
        if problem.max_shipments is not None and solution.breakdown.shipment_count > problem.max_shipments:
            continue
        if solution.breakdown.shipment_count > 1 and any(
            c.value < problem.min_split_value - 1e-9 for c in solution.breakdown.shipments
        ):
            continue
        found.append(solution)
    return found


def _covers(problem: Problem, s: int) -> bool:
    source = problem.sources[s]
    per_sku: dict[str, int] = {}
    for n, need in enumerate(problem.needs):
        if n not in source.unit_cost:
            return False
        per_sku[need.sku] = per_sku.get(need.sku, 0) + need.quantity
    return all(source.stock.get(sku, 0) >= qty for sku, qty in per_sku.items())


def _best_single(problem: Problem) -> Solution | None:
    singles = problem.singles
    if not singles:
        return None
    return min(singles, key=lambda s: (round(s.cost, 9), s.take))


def _lower_bound_other(problem: Problem, views: tuple[_Bounds, ...]) -> float:
    """A lower bound on every plan other than the cheapest whole order from one source (`single`).

    Another plan (a) splits over two or more shipments, (b) ships from one source alone — the whole
    order from another source costs at least `single`, so it leaves at least one unit unfilled — or
    (c) ships nothing. If `single` costs no more than this bound, it is optimal.
    """
    bound = sum(need.quantity * need.unfilled_cost for need in problem.needs)  # (c)
    for s in views[0].usable:
        bound = min(bound, max(b.only_partial(s) for b in views))  # (b)
    return min(bound, max(b.split() for b in views))  # (a); each view is a valid bound: take the larger


# --- greedy -----------------------------------------------------------------------------------------


def _greedy(problem: Problem) -> Solution:
    """Deterministic fallback: the best full single source, else add the source with the lowest cost per unit."""
    best = _best_single(problem)
    left = [need.quantity for need in problem.needs]
    stock = [dict(src.stock) for src in problem.sources]
    cap = [src.unit_capacity for src in problem.sources]
    take: list[tuple[int, int, int]] = []
    opened: set[int] = set()
    while any(left):
        if problem.max_shipments is not None and len(opened) >= problem.max_shipments:
            break
        choice: tuple[float, int, list[tuple[int, int]]] | None = None
        for s, src in enumerate(problem.sources):
            if s in opened:
                continue
            parts = _greedy_parts(problem, s, left, stock[s], cap[s])
            units = sum(u for _, u in parts)
            if not units:
                continue
            value = sum(problem.needs[n].unit_value * u for n, u in parts)
            if opened and value < problem.min_split_value:
                continue
            weight = sum(problem.needs[n].unit_weight * u for n, u in parts)
            cost = src.package_cost + src.tier_price(weight) + sum(src.unit_cost[n] * u for n, u in parts)
            cost += problem.split_cost if opened else 0.0
            saved = sum(problem.needs[n].unfilled_cost * u for n, u in parts)
            if cost >= saved:
                continue
            key = cost / units
            if choice is None or key < choice[0]:
                choice = (key, s, parts)
        if choice is None:
            break
        _, s, parts = choice
        opened.add(s)
        for n, units in parts:
            take.append((n, s, units))
            left[n] -= units
            sku = problem.needs[n].sku
            stock[s][sku] = stock[s].get(sku, 0) - units
            if cap[s] is not None:
                cap[s] = (cap[s] or 0) - units
    plan = tuple(sorted(take))
    if problem.complete and (any(left) or len(opened) > 1):
        plan = ()
    candidate = _solution(problem, plan, "greedy", optimal=False)
    if candidate.breakdown.shipment_count > 1 and any(
        c.value < problem.min_split_value - 1e-9 for c in candidate.breakdown.shipments
    ):
        candidate = _solution(problem, (), "greedy", optimal=False)
    if problem.max_shipments is not None and candidate.breakdown.shipment_count > problem.max_shipments:
        candidate = _solution(problem, (), "greedy", optimal=False)
    if best is not None and best.cost <= candidate.cost:
        return Solution(best.take, best.breakdown, "greedy", optimal=False)
    return candidate


def _greedy_parts(
    problem: Problem, s: int, left: Sequence[int], stock: dict[str, int], cap: int | None
) -> list[tuple[int, int]]:
    parts: list[tuple[int, int]] = []
    room = INF if cap is None else cap
    shared = dict(stock)
    for n, need in enumerate(problem.needs):
        if not left[n] or n not in problem.sources[s].unit_cost:
            continue
        units = int(min(left[n], shared.get(need.sku, 0), room))
        if units > 0:
            parts.append((n, units))
            shared[need.sku] = shared.get(need.sku, 0) - units
            room -= units
    return parts


# --- MILP -------------------------------------------------------------------------------------------

_local = threading.local()


def _highs() -> Any:
    """This thread's solver, emptied (a new instance per solve would print HiGHS's banner every time)."""
    solver = getattr(_local, "highs", None)
    if solver is None:
        solver = highspy.Highs()  # type: ignore[no-untyped-call]
        solver.setOptionValue("output_flag", False)
        solver.setOptionValue("threads", 1)
        solver.setOptionValue("random_seed", 0)
        # Proven optimal to within half a cent (or 0.01%): money is rounded to cents anyway.
        solver.setOptionValue("mip_abs_gap", MONEY_GAP)
        solver.setOptionValue("mip_rel_gap", 1e-4)
        _local.highs = solver
    else:
        solver.clearModel()
        solver.clearSolver()
    return solver


@dataclass
class _Model:
    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[float, float, list[tuple[int, float]]]] = field(default_factory=list)

    def var(self, cost: float, lower: float, upper: float, *, integer: bool = True) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, lower: float, upper: float, terms: list[tuple[int, float]]) -> None:
        if terms:
            self.rows.append((lower, upper, terms))


def _milp(problem: Problem, budget: Budget, *, cutoff: float = INF) -> tuple[Solution | None, bool]:
    """Search for a plan cheaper than `cutoff`: (the best found or None, whether the search is complete).

    Complete with a plan: it is optimal. Complete without one: no plan costs less than the cutoff.
    """
    started = time.perf_counter()
    m = _Model()
    x: dict[tuple[int, int], int] = {}
    y: dict[int, int] = {}
    for n, need in enumerate(problem.needs):
        for s, src in enumerate(problem.sources):
            usable = problem.usable(n, s)
            if usable <= 0:
                continue
            unit = src.unit_cost[n]
            if need.alone:
                unit += src.package_cost + src.tier_price(need.unit_weight) + problem.split_cost
            x[(n, s)] = m.var(unit, 0, usable)
    sources_used = sorted({s for _, s in x})
    needs_at: dict[int, list[int]] = {s: [] for s in sources_used}  # per source, the needs it may supply
    for n, s in x:
        needs_at[s].append(n)
    alone_vars = [(n, s) for (n, s) in x if problem.needs[n].alone]
    u = [m.var(need.unfilled_cost, 0, need.quantity) for need in problem.needs]
    z: dict[int, list[tuple[int, float]]] = {}
    for s in sources_used:
        src = problem.sources[s]
        shared = [n for n in needs_at[s] if not problem.needs[n].alone]
        if not shared:
            continue
        y[s] = m.var(src.package_cost + problem.split_cost, 0, 1)
        total_weight = sum(problem.needs[n].unit_weight * problem.usable(n, s) for n in shared)
        if src.tiers:
            tier_vars: list[tuple[int, float]] = []
            for limit, price in src.tiers:
                tier_vars.append((m.var(price, 0, 1), min(limit, total_weight)))
            if src.tiers[-1][0] < total_weight:
                # heavier than the last tier: it prices the rest
                last_var, _ = tier_vars[-1]
                tier_vars[-1] = (last_var, total_weight)
            z[s] = tier_vars
            m.row(0, 0, [(v, 1.0) for v, _ in tier_vars] + [(y[s], -1.0)])
            weight_terms = [(x[(n, s)], problem.needs[n].unit_weight) for n in shared]
            m.row(-INF, 0, weight_terms + [(v, -limit) for v, limit in tier_vars])
        for n in shared:
            m.row(-INF, 0, [(x[(n, s)], 1.0), (y[s], -float(problem.usable(n, s)))])
    # any-shipment indicator: the first shipment does not pay the split cost
    shipments = [(y[s], 1.0) for s in y] + [(x[k], 1.0) for k in alone_vars]
    if not shipments:
        return None, False
    first = m.var(-problem.split_cost, 0, 1)
    m.row(-INF, 0, [(first, 1.0)] + [(v, -c) for v, c in shipments])
    for opened in y.values():  # and is 1 as soon as anything ships
        m.row(0, INF, [(first, 1.0), (opened, -1.0)])
    for n, s in alone_vars:
        m.row(0, INF, [(first, float(problem.needs[n].quantity)), (x[(n, s)], -1.0)])
    for n, need in enumerate(problem.needs):
        m.row(
            need.quantity,
            need.quantity,
            [(x[(n, s)], 1.0) for s in range(len(problem.sources)) if (n, s) in x] + [(u[n], 1.0)],
        )
    for s in sources_used:
        src = problem.sources[s]
        per_sku: dict[str, list[tuple[int, float]]] = {}
        for n in needs_at[s]:
            per_sku.setdefault(problem.needs[n].sku, []).append((x[(n, s)], 1.0))
        for sku, terms in per_sku.items():
            if len(terms) > 1:
                m.row(-INF, src.stock.get(sku, 0), terms)
        if src.unit_capacity is not None:
            m.row(-INF, src.unit_capacity, [t for terms in per_sku.values() for t in terms])
    if problem.max_shipments is not None:
        m.row(-INF, problem.max_shipments, shipments)
    if problem.complete:
        # everything from one shipment, or nothing at all
        for n in range(len(problem.needs)):
            quantity = float(problem.needs[n].quantity)
            m.row(-INF, quantity, [(u[n], 1.0), (first, quantity)])
        used = {s: m.var(0.0, 0, 1) for s in sources_used}
        for (n, s), var in x.items():
            m.row(-INF, 0, [(var, 1.0), (used[s], -float(problem.needs[n].quantity))])
        m.row(-INF, 1, [(var, 1.0) for var in used.values()])
    if problem.min_split_value > 0:  # (one alone variable alone can already mean several shipments)
        big = float(len(shipments) + sum(problem.needs[n].quantity for n, _ in alone_vars))
        split = m.var(0.0, 0, 1)
        m.row(-INF, 1, [*shipments, (split, -big)])
        for s, opened in y.items():
            terms = [(x[(n, s)], problem.needs[n].unit_value) for n in needs_at[s] if not problem.needs[n].alone]
            # value_s >= min * y_s - min * (1 - split)
            m.row(
                -problem.min_split_value,
                INF,
                [*terms, (opened, -problem.min_split_value), (split, -problem.min_split_value)],
            )
        for n, s in alone_vars:
            if problem.needs[n].unit_value < problem.min_split_value:
                m.row(-INF, 1, [(x[(n, s)], 1.0), (split, 1.0)])
    solver = _highs()
    remaining = budget.seconds - (time.perf_counter() - started)
    if remaining <= 0:
        return None, False
    _load(solver, m)
    solver.setOptionValue("time_limit", max(remaining, 1e-3))
    solver.setOptionValue("mip_max_nodes", budget.nodes)
    solver.setOptionValue("objective_bound", cutoff if cutoff < INF else highspy.kHighsInf)
    # No warm start from the greedy plan: handing HiGHS an incumbent made it stop at that incumbent on some
    # small problems (found by the brute-force property test); the incumbent is compared afterwards instead.
    solver.run()
    status = solver.getModelStatus()
    complete = status in _COMPLETE
    if solver.getInfo().primal_solution_status != 2:  # no feasible point below the cutoff
        return None, complete
    values = solver.getSolution().col_value
    take = tuple(sorted((n, s, round(values[var])) for (n, s), var in x.items() if round(values[var]) > 0))
    solution = _solution(problem, take, "milp", optimal=status == highspy.HighsModelStatus.kOptimal)
    if violations(problem, take):
        return None, False
    return solution, complete


# Statuses after which the search space was exhausted (with a cutoff, "infeasible" means nothing cheaper).
_COMPLETE = frozenset(
    {
        highspy.HighsModelStatus.kOptimal,
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kObjectiveBound,
    }
)


def _load(solver: Any, m: _Model) -> None:
    lp = highspy.HighsLp()
    lp.num_col_ = len(m.cost)
    lp.num_row_ = len(m.rows)
    lp.col_cost_ = np.asarray(m.cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(m.lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(m.upper, dtype=np.float64)
    lp.row_lower_ = np.asarray([r[0] for r in m.rows], dtype=np.float64)
    lp.row_upper_ = np.asarray([r[1] for r in m.rows], dtype=np.float64)
    starts = [0]
    index: list[int] = []
    value: list[float] = []
    for _, _, terms in m.rows:
        for col, coef in terms:
            index.append(col)
            value.append(coef)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in m.integer]
    solver.passModel(lp)
