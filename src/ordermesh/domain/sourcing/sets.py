"""The proven least-cost plan of an order, by enumerating the few sets of sources a cheaper plan can ship from.

A plan ships from a set of sources. Every plan that ships from exactly a given set (each of its sources ships
at least one unit) costs at least:
- the fixed costs of its shipments: each source's package cost and one split cost, one split cost less;
- per unit of need n, `least[n]`: the least of its unit costs at the set's sources and its unfilled cost;
- per shipment, the price of a weight tier its source can reach with its own stock (a package weighs at
  least the lightest unit its source can ship, at most everything it can ship, and within its tier's limits);
- for every gram of the order that the set could ship but does not, `per_gram` more: the least of
  (unfilled cost - least[n]) / weight over the needs the set can supply (leaving a unit costs its unfilled
  cost, shipping it at least least[n]).
The bound of a set is the least of the last two terms over every choice of a tier per source whose
lightest weights fit in the order. Sets of one and two sources are bounded one by one, all at once with numpy;
bigger sets by one bound per size (any sources' cheapest fixed costs and tier prices, `_size_bound`). When
that does not rule out sets of three, the sources that could take part in one (bounded with two stand-ins
that have the best of every source) are combined in threes; four or more must be ruled out by size.

Each set left is solved exactly, cheapest bound first, while its bound is below the incumbent: for each
choice of tier per source, cheapest bound first, a dynamic programme over the needs (`_Programme`) finds
the least unit and unfilled cost with every package within its tier's limit, pruned by the same bounds.
A tier price counted for a lighter package, or a source that ships nothing, only over-prices a plan that
the set (or a smaller one) also holds, so the least over every set is exact. The plan found is priced by
`evaluate` and checked by `violations`.

Where it applies: no need ships `alone`, no two needs share a SKU, no negative price, tier prices that do
not fall with weight. Elsewhere, or when too many sets or states are left, `solve_by_sets` returns None and
the caller proves optimality another way. Ties keep the plan found first: the incumbent handed in (the
empty plan before it), then the sets in the order of their bounds, then of their sources.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ordermesh.domain.sourcing.problem import Problem, Take, evaluate, violations

Floats = NDArray[np.float64]
Ints = NDArray[np.intp]
Bools = NDArray[np.bool_]
State = tuple[float, ...]  # what later needs must respect, after some needs (`_Programme`)

_TOL = 1e-9  # plans within this of each other cost the same
_INF = math.inf
MOST_SETS = 48  # sets solved exactly before handing the order to another method
MOST_STATES = 4_000  # states of one step of the dynamic programme, likewise
_MOST_COMBINED = 20_000  # sets of one size bounded at once, at most (all pairs of 200 sources)
MOST_WORK = 400_000  # about 10 ms on the 2-core development machine
_STEP_WORK = 40
_MOST_TIER_CHOICES = 200_000  # (set, choice of tiers) pairs bounded at once; beyond, a weaker bound
_MOST_SIZE_COMBINATIONS = 8  # beyond this many shipments a size bound charges each the least tier price


def solve_by_sets(problem: Problem, incumbent: Take | None = None) -> Take | None:
    """Return an optimal feasible plan, or None when this method does not apply or would take too long.

    `incumbent` (a feasible plan, such as the best whole order from one source) is kept unless a plan
    cheaper by more than the tolerance exists.
    """
    found = search_sets(problem, incumbent)
    return found[0] if found is not None and found[1] else None


def search_sets(problem: Problem, incumbent: Take | None = None) -> tuple[Take, bool] | None:
    """The best feasible plan found and whether it is proven optimal (None: the method does not apply).

    The search stops unproven when more sets or states are left than it takes on; its best plan is still
    a good incumbent for another method.
    """
    if not _applies(problem):
        return None
    best = _Best(evaluate(problem, ()).total, ())
    if incumbent is not None:
        best.offer(evaluate(problem, incumbent).total, incumbent)
    if problem.complete:  # everything from one source, or nothing
        order = problem.singles_by_cost
        if order:
            whole = tuple((n, order[0], need.quantity) for n, need in enumerate(problem.needs))
            best.offer(evaluate(problem, whole).total, whole)
        return best.plan, True
    proven = _search(problem, best)
    if best.plan and violations(problem, best.plan):  # not expected: the programme keeps every constraint
        return None
    return best.plan, proven


def _search(problem: Problem, best: _Best) -> bool:
    """Improve the incumbent over every set of sources, smallest sets first (False: stopped unproven)."""
    table = _Table.of(problem)
    most = min(len(table.rows), int(table.quantity.sum()))  # each source ships a unit at least
    if problem.max_shipments is not None:
        most = min(most, problem.max_shipments)
    if most < 1:
        return True
    work = _Work(MOST_WORK)
    ones = np.arange(len(table.rows), dtype=np.intp)[:, None]
    if not _solve_sets(table, problem, ones, best, work):
        return False
    size = 2
    while size <= most and _size_bound(table, problem, size, best.cost) < best.cost - _TOL:
        members = table.sets_of(size, problem, best.cost, work)
        if members is None or not _solve_sets(table, problem, members, best, work):
            return False
        size += 1
    return True


@dataclass
class _Work:
    """What the search may still spend, counted in bound evaluations (a set under one choice of tiers);
    a step of the dynamic programme from one state counts `_STEP_WORK`."""

    left: int

    def spend(self, amount: int) -> bool:
        """Count the work; False once there is none left."""
        self.left -= amount
        return self.left >= 0


@dataclass
class _Best:
    """The best plan found so far; another replaces it only if cheaper by more than the tolerance."""

    cost: float
    plan: Take

    def offer(self, cost: float, plan: Take) -> None:
        if cost < self.cost - _TOL:
            self.cost, self.plan = cost, plan


def _applies(problem: Problem) -> bool:
    needs = problem.needs
    if any(need.alone or need.quantity < 0 or need.unfilled_cost < 0 for need in needs):
        return False
    if len({need.sku for need in needs}) < len(needs) or problem.split_cost < 0:
        return False
    a = problem.arrays
    if (a.package < 0).any() or (a.unit < 0).any() or (a.tier_prices < 0).any():
        return False
    rising = (a.tier_prices[:, 1:] >= a.tier_prices[:, :-1]) & (a.tier_limits[:, 1:] >= a.tier_limits[:, :-1])
    return bool(rising.all())


def _solve_sets(table: _Table, problem: Problem, members: Ints, best: _Best, work: _Work) -> bool:
    """Solve the sets of sources whose bound is below the incumbent, cheapest first (False: too many)."""
    if not work.spend(table.bound_work(members)):
        return False
    bounds = table.bounds(members, problem)
    order = np.lexsort((*members.T[::-1], bounds))
    order = order[bounds[order] < best.cost - _TOL]
    for solved, index in enumerate(order.tolist()):
        if bounds[index] >= best.cost - _TOL:
            break
        if solved == MOST_SETS:
            return False
        found = _Programme(table, problem, tuple(members[index].tolist()), work).run(best.cost)
        if found is None:
            return False
        if found:
            best.offer(evaluate(problem, found).total, found)
    return True


@dataclass(frozen=True)
class _Table:
    """The sources that can ship something, as arrays: one row per source, one column per need or tier."""

    rows: Ints  # (R,) problem index of each row
    usable: Ints  # (R, N) units of each need the source could supply
    unit: Floats  # (R, N) cost per unit, inf where it supplies none
    fixed: Floats  # (R,) package cost plus one split cost
    capacity: Floats  # (R,) units it may take (inf: no limit)
    limits: Floats  # (R, T) upper weight of each tier (inf pads)
    prices: Floats  # (R, T)
    reach: Bools  # (R, T) a package of the source can weigh something within the tier
    lightest: Floats  # (R, T) the least such weight
    heaviest: Floats  # (R, T) the most
    quantity: Floats  # (N,)
    weight: Floats  # (N,) grams per unit
    unfilled: Floats  # (N,) cost per unit left unfilled

    @classmethod
    def of(cls, problem: Problem) -> _Table:
        a = problem.arrays
        rows = np.flatnonzero(a.usable.any(axis=1) & (a.capacity >= 1))
        usable = a.usable[rows]
        served = usable > 0
        lo = np.where(served, a.weight, _INF).min(axis=1, initial=_INF)
        hi = (usable * a.weight).sum(axis=1)
        limits = a.tier_limits[rows]
        below = np.concatenate([np.full((len(rows), 1), -_INF), limits[:, :-1]], axis=1)
        reach = (lo[:, None] <= limits) & (hi[:, None] > below)  # the first tier starts at 0 grams
        return cls(
            rows=rows,
            usable=usable,
            unit=np.where(served, a.unit[rows], _INF),
            fixed=a.package[rows] + problem.split_cost,
            capacity=a.capacity[rows],
            limits=limits,
            prices=a.tier_prices[rows],
            reach=reach,
            lightest=np.where(reach, np.maximum(lo[:, None], below), 0.0),
            heaviest=np.where(reach, np.minimum(limits, hi[:, None]), 0.0),
            quantity=a.quantity,
            weight=a.weight,
            unfilled=a.unfilled,
        )

    def bounds(self, members: Ints, problem: Problem, *, apart: bool = False) -> Floats:
        """(M,) a lower bound on every plan shipping from exactly each set of rows in `members` (M, k);
        `apart`: the cheaper, weaker one that bounds each package's tier on its own."""
        q, w, unfilled = self.quantity, self.weight, self.unfilled
        least = np.minimum(self.unit[members].min(axis=1), unfilled)  # (M, N)
        supplied = np.asarray(self.usable[members].any(axis=1), dtype=bool)
        per_gram = _per_gram(least, supplied, w, unfilled)
        reachable = np.where(supplied, q * w, 0.0).sum(axis=1)
        base = self.fixed[members].sum(axis=1) - problem.split_cost + least @ q
        if apart or len(members) * len(self.tiers_used) ** members.shape[1] > _MOST_TIER_CHOICES:
            return base + self._shipping_apart(members, per_gram, reachable)  # type: ignore[no-any-return]
        return base + self._shipping(members, per_gram, reachable)  # type: ignore[no-any-return]

    def bound_work(self, members: Ints, *, apart: bool = False) -> int:
        """The work of bounding these sets (`bounds`)."""
        size, tiers = int(members.shape[1]), len(self.tiers_used)
        apart = apart or len(members) * tiers**size > _MOST_TIER_CHOICES
        choices = tiers * size if apart else tiers**size
        return len(members) * choices

    def _shipping(self, members: Ints, per_gram: Floats, reachable: Floats) -> Floats:
        """(M,) the least tier prices plus the cost of what is left unshipped, over every choice of tiers
        (one axis per member: (M, T, T, ...))."""
        size, tiers = members.shape[1], len(self.tiers_used)
        ok: Bools = np.ones((len(members),) + (1,) * size, dtype=bool)
        low: Floats = np.zeros(ok.shape)
        high: Floats = np.zeros(ok.shape)
        price: Floats = np.zeros(ok.shape)
        for j in range(size):
            shape = (len(members),) + (1,) * j + (tiers,) + (1,) * (size - j - 1)
            column = members[:, j]
            ok = ok & self.reach[column, :tiers].reshape(shape)
            low = low + self.lightest[column, :tiers].reshape(shape)
            high = high + self.heaviest[column, :tiers].reshape(shape)
            price = price + self.prices[column, :tiers].reshape(shape)
        shortfall = np.maximum(0.0, reachable.reshape((-1,) + (1,) * size) - high)
        cost = price + per_gram.reshape((-1,) + (1,) * size) * shortfall
        cost = np.where(ok & (low <= float(self.quantity @ self.weight)), cost, _INF)
        return cost.reshape(len(members), tiers**size).min(axis=1)  # type: ignore[no-any-return]

    def _shipping_apart(self, members: Ints, per_gram: Floats, reachable: Floats) -> Floats:
        """(M,) a weaker bound than `_shipping`, summed package by package: the greater of the least tier
        prices, and of the least (tier price - per_gram * its most weight) plus per_gram * what the set
        could ship (leaving the weight of a package unshipped costs per_gram a gram at least)."""
        prices = np.where(self.reach, self.prices, _INF)[members]  # (M, k, T)
        carried = self.heaviest[members]
        cheapest = prices.min(axis=2).sum(axis=1)
        traded = (prices - per_gram[:, None, None] * carried).min(axis=2).sum(axis=1) + per_gram * reachable
        return np.maximum(cheapest, traded)  # type: ignore[no-any-return]

    @functools.cached_property
    def tiers_used(self) -> range:
        """The tiers up to the last any source reaches."""
        return range(int(np.flatnonzero(self.reach.any(axis=0)).max(initial=0)) + 1)

    def sets_of(self, size: int, problem: Problem, incumbent: float, work: _Work) -> Ints | None:
        """(M, size) the sets of `size` rows that could hold a plan cheaper than the incumbent (None: more
        than this method bounds).

        Built a row at a time: a partial set is bounded with stand-ins for its missing rows (a stand-in has
        the best of every row, so the bound holds for any rows in its place) and only the partial sets
        below the incumbent grow, each by the rows after its last.
        """
        stand_in = self._stand_in()
        padding = len(self.rows)  # the stand-in's row
        rows: Ints = np.arange(len(self.rows), dtype=np.intp)
        sets: Ints = rows[:, None]
        for filled in range(1, size + 1):
            padded = np.hstack([sets, np.full((len(sets), size - filled), padding, dtype=np.intp)])
            apart = filled < size - 1  # a partial set with more than one stand-in: the cheap bound
            if not work.spend(self.bound_work(padded, apart=apart)):
                return None
            sets = sets[stand_in.bounds(padded, problem, apart=apart) < incumbent - _TOL]
            if filled == 1:
                rows = sets[:, 0]
            if filled == size or not len(sets):
                return sets if filled == size else np.empty((0, size), dtype=np.intp)
            after = np.searchsorted(rows, sets[:, -1], side="right")  # the rows that may follow each set
            counts = len(rows) - after
            total = int(counts.sum())
            if total > _MOST_COMBINED:
                return None
            start = np.repeat(after - (np.cumsum(counts) - counts), counts)
            sets = np.hstack([np.repeat(sets, counts, axis=0), rows[np.arange(total) + start][:, None]])
        return sets

    def _stand_in(self) -> _Table:
        """This table with one more row, a source with the best of every row (its bound is below theirs)."""
        def pad(array: NDArray[Any], best: NDArray[Any]) -> NDArray[Any]:
            return np.concatenate([array, best[None, ...]])

        return _Table(
            rows=np.append(self.rows, -1),
            usable=pad(self.usable, self.usable.max(axis=0)),
            unit=pad(self.unit, self.unit.min(axis=0)),
            fixed=np.append(self.fixed, self.fixed.min()),
            capacity=np.append(self.capacity, self.capacity.max()),
            limits=pad(self.limits, self.limits.max(axis=0)),
            prices=pad(self.prices, np.where(self.reach, self.prices, _INF).min(axis=0)),
            reach=pad(self.reach, np.asarray(self.reach.any(axis=0), dtype=bool)),
            lightest=pad(self.lightest, np.zeros(self.lightest.shape[1])),
            heaviest=pad(self.heaviest, self.heaviest.max(axis=0)),
            quantity=self.quantity,
            weight=self.weight,
            unfilled=self.unfilled,
        )


def _per_gram(least: Floats, supplied: Bools, weight: Floats, unfilled: Floats) -> Floats:
    """(M,) the least extra cost per gram of a unit the set could ship but leaves unfilled."""
    weighted = supplied & (weight > 0)
    gap = np.where(weighted, (unfilled - least) / np.where(weight > 0, weight, 1.0), _INF).min(axis=-1)
    return np.where(np.isfinite(gap), gap, 0.0)


def _size_bound(table: _Table, problem: Problem, size: int, incumbent: float) -> float:
    """A lower bound on every plan shipping from `size` sources or more (inf when none can be cheaper)."""
    q = table.quantity
    least = np.minimum(table.unit.min(axis=0), table.unfilled)
    supplied = np.asarray(table.usable.any(axis=0), dtype=bool)
    per_gram = float(_per_gram(least, supplied, table.weight, table.unfilled))
    reachable = float(np.where(supplied, q * table.weight, 0.0).sum())
    base = float(least @ q) - problem.split_cost
    # the packages any source can send: (most weight, price), without those another beats on both
    heavy, price = table.heaviest[table.reach], table.prices[table.reach]
    order = np.lexsort((price, -heavy))  # heaviest first, then cheapest
    heavy, price = heavy[order], price[order]
    frontier = price < np.concatenate([[_INF], np.minimum.accumulate(price)[:-1]])
    heavy, price = heavy[frontier], price[frontier]
    fixed = np.sort(table.fixed)
    most = min(len(fixed), int(table.quantity.sum()))
    if problem.max_shipments is not None:
        most = min(most, problem.max_shipments)
    best = _INF
    for count in range(size, most + 1):
        paid = float(fixed[:count].sum()) + base
        if paid + count * float(price.min()) >= min(best, incumbent - _TOL):
            break  # fixed costs and tier prices only grow with more shipments
        if count > _MOST_SIZE_COMBINATIONS:
            best = min(best, paid + count * float(price.min()))
            continue
        chosen = _multisets(len(price), count)
        shortfall = np.maximum(0.0, reachable - heavy[chosen].sum(axis=1))
        best = min(best, paid + float((price[chosen].sum(axis=1) + per_gram * shortfall).min()))
    return best


@functools.lru_cache(maxsize=64)
def _multisets(options: int, count: int) -> Ints:
    """(C, count) every multiset of `count` among `options` numbers, one per row."""
    found = list(itertools.combinations_with_replacement(range(options), count))
    array = np.array(found, dtype=np.intp).reshape(len(found), count)
    array.setflags(write=False)
    return array


class _Programme:
    """The cheapest plan shipping from one set of sources, tiers chosen one way at a time, by a dynamic
    programme over the needs.

    A state is what later needs must respect, after the needs so far: the weight of each package whose tier
    limit can bind, the units of each source whose capacity can bind, and (in a split plan with a minimum
    value per shipment) the value of each package, counted up to that minimum. Each keeps its least cost
    (unit costs and unfilled costs so far); a state goes as soon as that cost, the least the other needs can
    cost and the tier prices reach the incumbent.
    """

    def __init__(self, table: _Table, problem: Problem, members: tuple[int, ...], work: _Work) -> None:
        self.table, self.problem, self.members, self.work = table, problem, members, work
        usable = table.usable[list(members)]
        unit = table.unit[list(members)]
        least = np.minimum(unit.min(axis=0), table.unfilled)
        self.rest = [float(x) for x in np.append(np.cumsum((least * table.quantity)[::-1])[::-1], 0.0)]
        self.fixed = float(table.fixed[list(members)].sum()) - problem.split_cost
        self.heaviest = (usable * table.weight).sum(axis=1).tolist()
        supplied = np.asarray(usable.any(axis=0), dtype=bool)
        self.per_gram = float(_per_gram(least, supplied, table.weight, table.unfilled))
        # per need n, what the set could ship of the needs from n on: in all, and from each source
        weights = np.where(supplied, table.quantity * table.weight, 0.0)
        self.later = [float(x) for x in np.append(np.cumsum(weights[::-1])[::-1], 0.0)]
        carried = usable * table.weight
        later_each = np.hstack([np.cumsum(carried[:, ::-1], axis=1)[:, ::-1], np.zeros((len(members), 1))])
        self.later_each: list[list[float]] = later_each.T.tolist()  # per need, per source
        self.counted = [j for j, row in enumerate(members) if table.capacity[row] < usable[j].sum()]
        self.valued = len(members) > 1 and problem.min_split_value > 0
        self.options: list[list[tuple[tuple[int, ...], float]]] = []
        for n, need in enumerate(problem.needs):
            found = []
            for units in itertools.product(*(range(int(usable[j, n]) + 1) for j in range(len(members)))):
                shipped = sum(units)
                if shipped <= need.quantity:
                    cost = sum(float(unit[j, n]) * u for j, u in enumerate(units) if u)
                    found.append((units, cost + float(table.unfilled[n]) * (need.quantity - shipped)))
            self.options.append(found)

    def run(self, incumbent: float) -> Take | None:
        """The cheapest plan found below the incumbent (() if none), or None when there are too many states."""
        best: Take = ()
        for price, tiers in self._tier_choices(incumbent):
            if price >= incumbent - _TOL:
                break
            found = self._best_within(tiers, incumbent - self._price(tiers))
            if found is None:
                return None
            if found[1]:
                incumbent, best = found[0] + self._price(tiers), found[1]
        return best

    def _price(self, tiers: tuple[int, ...]) -> float:
        prices = self.table.prices
        return self.fixed + sum(float(prices[row, t]) for row, t in zip(self.members, tiers, strict=True))

    def _tier_choices(self, incumbent: float) -> list[tuple[float, tuple[int, ...]]]:
        """Every choice of one reachable tier per source whose lightest packages fit in the order, with a
        lower bound on its plans, cheapest first."""
        t = self.table
        rows = list(self.members)
        supplied = np.asarray(t.usable[rows].any(axis=0), dtype=bool)
        least = np.minimum(t.unit[rows].min(axis=0), t.unfilled)
        per_gram = float(_per_gram(least, supplied, t.weight, t.unfilled))
        reachable = float(np.where(supplied, t.quantity * t.weight, 0.0).sum())
        total = float(t.quantity @ t.weight)
        choices = []
        for tiers in itertools.product(*(np.flatnonzero(t.reach[row]).tolist() for row in rows)):
            if sum(float(t.lightest[row, x]) for row, x in zip(rows, tiers, strict=True)) > total:
                continue
            carried = sum(float(t.heaviest[row, x]) for row, x in zip(rows, tiers, strict=True))
            bound = self._price(tiers) + self.rest[0] + per_gram * max(0.0, reachable - carried)
            if bound < incumbent - _TOL:
                choices.append((bound, tiers))
        return sorted(choices)

    def _best_within(self, tiers: tuple[int, ...], budget: float) -> tuple[float, Take] | None:
        """The least unit and unfilled cost below `budget` with every package within its tier's limit, and
        its plan (inf and () if none); None when a step has too many states."""
        t, problem = self.table, self.problem
        limits = [float(t.limits[row, x]) for row, x in zip(self.members, tiers, strict=True)]
        capped = [j for j, limit in enumerate(limits) if limit < self.heaviest[j]]
        floor = problem.min_split_value if self.valued else 0.0
        valued = list(range(len(self.members))) if self.valued else []
        states: dict[State, float] = {(0.0,) * (len(capped) + len(self.counted) + len(valued)): 0.0}
        steps: list[dict[State, tuple[State, int]]] = []
        for n, need in enumerate(problem.needs):
            if not self.work.spend(_STEP_WORK * len(states) * len(self.options[n])):
                return None
            room = budget - _TOL - self.rest[n + 1]
            weight, value = need.unit_weight, need.unit_value
            following: dict[State, float] = {}
            back: dict[State, tuple[State, int]] = {}
            for key, cost in states.items():
                for index, (units, extra) in enumerate(self.options[n]):
                    total = cost + extra
                    if total >= room:
                        continue
                    state = self._next(key, units, capped, limits, weight, valued, value, floor)
                    if state is None or total >= following.get(state, _INF):
                        continue
                    if capped and total + self._unshipped(state, n + 1, capped, limits) >= room:
                        continue
                    following[state] = total
                    back[state] = (key, index)
            if len(following) > MOST_STATES:
                return None
            states = _undominated(following, valued) if len(next(iter(following), ())) == 1 else following
            steps.append(back)
            if not states:
                return _INF, ()
        final = [(cost, key) for key, cost in states.items() if all(v >= floor for v in key[len(key) - len(valued) :])]
        if not final:
            return _INF, ()
        cost, key = min(final, key=lambda x: x[0])
        return cost, self._walk_back(steps, key)

    def _unshipped(self, state: State, start: int, capped: list[int], limits: list[float]) -> float:
        """A lower bound on what the needs from `start` on cost beyond their least unit costs, for what the
        packages' room left under their tier limits makes them leave unfilled."""
        carried = self.later_each[start]
        room = sum(carried)
        for at, j in enumerate(capped):
            room -= carried[j] - min(carried[j], limits[j] - state[at])
        return self.per_gram * max(0.0, self.later[start] - room)

    def _next(
        self,
        key: State,
        units: tuple[int, ...],
        capped: list[int],
        limits: list[float],
        weight: float,
        valued: list[int],
        value: float,
        floor: float,
    ) -> State | None:
        state = list(key)
        at = 0
        for j in capped:
            if units[j]:
                state[at] += weight * units[j]
                if state[at] > limits[j]:
                    return None
            at += 1
        for j in self.counted:
            if units[j]:
                state[at] += units[j]
                if state[at] > self.table.capacity[self.members[j]]:
                    return None
            at += 1
        for j in valued:
            if units[j]:
                state[at] = min(floor, state[at] + value * units[j])
            at += 1
        return tuple(state)

    def _walk_back(self, steps: list[dict[State, tuple[State, int]]], key: State) -> Take:
        take: list[tuple[int, int, int]] = []
        for n in range(len(steps) - 1, -1, -1):
            key, index = steps[n][key]
            units = self.options[n][index][0]
            take.extend((n, int(self.table.rows[row]), u) for row, u in zip(self.members, units, strict=True) if u)
        return tuple(sorted(take))


def _undominated(states: dict[State, float], valued: list[int]) -> dict[State, float]:
    """The states of one measure that no other beats on both the measure and the cost (a weight or a unit
    count is better lower, a value higher)."""
    sign = -1.0 if valued else 1.0
    kept: dict[State, float] = {}
    least = _INF
    for key in sorted(states, key=lambda k: sign * k[0]):
        if states[key] < least:
            kept[key] = least = states[key]
    return kept
