"""Plans found without a search: whole orders from one source, the greedy fallback, the runner-up."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ordermesh.domain.sourcing.problem import INF, Problem, Solution, Take, evaluate


def solution(problem: Problem, take: Take, method: str, *, optimal: bool) -> Solution:
    return Solution(take, evaluate(problem, take), method, optimal)


def rank(method: str) -> int:
    """Among equally cheap plans, prefer the one found the surest way."""
    return {"single": 0, "bound": 1, "exact": 1, "milp": 1, "greedy": 2, "none": 3}[method]


def best_single(problem: Problem) -> Solution | None:
    """The cheapest whole order from one source, if any source can supply it."""
    order = problem.singles_by_cost
    return whole_from(problem, order[0], "single") if order else None


def whole_from(problem: Problem, s: int, method: str) -> Solution:
    take = tuple((n, s, need.quantity) for n, need in enumerate(problem.needs))
    return solution(problem, take, method, optimal=method == "single")


def greedy(problem: Problem, without: frozenset[int] = frozenset()) -> Solution:
    """Deterministic fallback: the best full single source, else add the source with the lowest cost per unit.

    Sources in `without` take no part.
    """
    other = (s for s in problem.singles_by_cost if s not in without)
    best = next((whole_from(problem, s, "single") for s in other), None)
    if len({need.sku for need in problem.needs}) == len(problem.needs):
        take, left, opened = _greedy_rounds(problem, without)
    else:  # needs of one SKU share its stock: take it need by need
        take, left, opened = _greedy_rounds_shared(problem, without)
    plan = tuple(sorted(take))
    if problem.complete and (any(left) or opened > 1):
        plan = ()
    candidate = solution(problem, plan, "greedy", optimal=False)
    if candidate.breakdown.shipment_count > 1 and any(
        c.value < problem.min_split_value - 1e-9 for c in candidate.breakdown.shipments
    ):
        candidate = solution(problem, (), "greedy", optimal=False)
    if problem.max_shipments is not None and candidate.breakdown.shipment_count > problem.max_shipments:
        candidate = solution(problem, (), "greedy", optimal=False)
    if best is not None and best.cost <= candidate.cost:
        return Solution(best.take, best.breakdown, "greedy", optimal=False)
    return candidate


def _greedy_rounds(problem: Problem, without: frozenset[int]) -> tuple[list[tuple[int, int, int]], list[int], int]:
    """The greedy rounds for all sources at once (one need per SKU): per round, what each source would add
    (each need in order, as much as stock, what is left and its capacity allow), priced, and the cheapest per
    unit opened. Sums run need by need, in the order a loop over the needs would add them."""
    a = problem.arrays
    count = a.usable.shape[0]
    stock = a.usable.copy()
    room = a.capacity.copy()
    unit = np.where(a.usable > 0, a.unit, 0.0)
    values = np.array([need.unit_value for need in problem.needs], dtype=np.float64)
    left = a.quantity.astype(np.int64)
    closed = np.zeros(count, dtype=bool)
    closed[list(without)] = True
    take: list[tuple[int, int, int]] = []
    opened = 0
    while left.any():
        if problem.max_shipments is not None and opened >= problem.max_shipments:
            break
        avail = np.minimum(stock, left[None, :])
        before = np.cumsum(avail, axis=1) - avail
        parts = np.clip(room[:, None] - before, 0, avail).astype(np.int64)
        units = parts.sum(axis=1)
        # a running sum along the needs adds them one by one, in order, as a loop over the needs would
        value = np.cumsum(values * parts, axis=1)[:, -1]
        weight = np.cumsum(a.weight * parts, axis=1)[:, -1]
        costs = np.cumsum(unit * parts, axis=1)[:, -1]
        saved = np.cumsum(a.unfilled * parts, axis=1)[:, -1]
        cost = a.package + a.price(weight) + costs + (problem.split_cost if opened else 0.0)
        allowed = ~closed & (units > 0) & (cost < saved)
        if opened:
            allowed &= value >= problem.min_split_value
        if not allowed.any():
            break
        s = int(np.argmin(np.where(allowed, cost / np.maximum(units, 1), math.inf)))
        closed[s] = True
        opened += 1
        for n in np.flatnonzero(parts[s]).tolist():
            units_n = int(parts[s, n])
            take.append((n, s, units_n))
            left[n] -= units_n
            stock[s, n] -= units_n
        room[s] -= units[s]
    return take, left.tolist(), opened


def _greedy_rounds_shared(
    problem: Problem, without: frozenset[int]
) -> tuple[list[tuple[int, int, int]], list[int], int]:
    """The greedy rounds one source at a time, for needs that share the stock of a SKU."""
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
            if s in opened or s in without:
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
    return take, left, len(opened)


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
    alternatives: list[Solution] = []
    other = next((s for s in problem.singles_by_cost if {s} != chosen_set), None)
    if other is not None:
        alternatives.append(whole_from(problem, other, "single"))
        if len(chosen_set) == 1:
            # A whole order from one place was chosen: what a person compares it with is the next such place.
            return alternatives[0]
    for left_out in sorted(chosen_set):
        found = greedy(problem, without=frozenset({left_out}))
        if found.take and {s for _, s, _ in found.take} != chosen_set:
            alternatives.append(Solution(found.take, found.breakdown, "greedy", optimal=False))
    if not alternatives:
        return None
    return min(alternatives, key=lambda s: (round(s.cost, 6), rank(s.method), s.take))


def restricted(problem: Problem, keep: list[int]) -> tuple[Problem, dict[int, int]]:
    """The problem over some of its sources, and the map from their new indices to the old ones."""
    return replace(problem, sources=tuple(problem.sources[s] for s in keep)), dict(enumerate(keep))
