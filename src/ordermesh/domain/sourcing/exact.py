"""The proven least-cost plan of a small order, by dynamic programming over its sources.

`solve_exactly` returns a plan minimising `evaluate(problem, take).total` over every assignment that
`violations` accepts, in well under a millisecond for most orders, or None when the order is too big for the
method (the caller then proves optimality another way, with the MILP). It never returns a plan that is not
optimal: plans within 1e-9 of each other count as equal.

Parts. Each source contributes one *part* to a plan: a vector `a` of units per need (all zeros: it ships
nothing). Eligibility, stock per SKU, unit capacity and the number and value of the shipments of a part
depend on the part alone, and so does its cost at source s:
- the unit costs, sum over n of a_n * unit_cost[s][n];
- for its units of needs that do not ship `alone`, if any: one package (package cost plus the tier price
  of their total weight) and one split cost;
- for each unit of an `alone` need: its own package, tier price and split cost.
A plan costs the sum of its parts, minus one split cost if anything ships, plus the unfilled cost of what
is left. Every part vector is priced at every source at once with numpy (`_Parts`; inf: not allowed).

Search, cheapest proofs first, each exact:
1. Plans from one source (`best_single`), and the empty plan: the incumbent.
2. Sources that cannot take part in a cheaper plan go: their part plus a lower bound on the rest of the order
   (each other unit at its least unit or unfilled cost, one more package and split if anything else ships)
   already reaches the incumbent (`worth_keeping`).
3. Plans from two sources (`best_pair`): over every pair of parts a + b <= q, each part at its cheapest
   source, or its second cheapest when both parts have the same cheapest.
4. If the incumbent leaves room for plans of K >= 3 sources (`most_sources`), a source that is not among the
   K cheapest for any part vector goes too: in a plan of at most K parts, a part at another source can move
   to one of its K cheapest that no other part uses, for no more. Then the dynamic programme over the
   sources left (`_Programme`): the states are the vectors r of units still needed, numbered in mixed
   radix (prod(q_n + 1) states); source s takes state r to r - a at the cost of a. Each step is a gather,
   an add and a scatter-minimum (`np.minimum.at`) over the moves of that source, cached per order shape
   and set of needs the source may ship (`shapes.moves`); the plan is rebuilt by walking the stored steps
   backwards. A plan ships something iff its final state is not q.

Side constraints:
- `max_shipments`: parts that alone exceed it are dropped; pairs are checked; when it can bind, the states
  of the programme also count the shipments made (`layers` = max_shipments + 1 copies of the states).
  With at most one shipment allowed, step 1 covers every plan.
- `min_split_value`: a shipment below it is allowed only in a plan of one shipment, so steps 2-4 only use
  parts whose every shipment meets it, and step 1 covers the rest.
- `complete`: the whole order from one source, or nothing: step 1 alone.

Ties go to the empty plan, then a single-source plan (lowest source index, then part number), then a pair,
then the programme's plan (which, walking back from the last source, ships nothing from a source whenever
that costs no more). The same problem always gets the same plan.

Work is estimated before each step from the shapes alone (parts priced, pairs, moves) and the search stops
with None as soon as the estimate passes `max_work`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ordermesh.domain.sourcing import shapes
from ordermesh.domain.sourcing.problem import Problem, Take

Floats = NDArray[np.float64]
Ints = NDArray[np.intp]
Bools = NDArray[np.bool_]

# Work counts array element operations, 5-10 ns each: pricing one part at one source counts 3, one pair of
# parts 3, one move of the programme 1 per shipment count it tracks. With the default a call takes up to about
# 10 ms (orders of 6-7 lines over 50 sources) on the 2-core development machine, well under what the MILP
# needs for the same orders (20-25 ms); most orders of up to 5 lines take under 1.5 ms.
DEFAULT_MAX_WORK = 1_000_000
_PRICE_WORK = 3
_PAIR_WORK = 3
_TOL = 1e-9  # plans within this of each other cost the same
_INF = math.inf


def solve_exactly(problem: Problem, max_work: int = DEFAULT_MAX_WORK) -> Take | None:
    """Return an optimal feasible plan, or None when finding it would take more than `max_work` work."""
    table = _Sources.of(problem)
    active = table.supplying(np.array([need.quantity for need in problem.needs], dtype=np.intp))
    if not active.size:  # nothing can ship: the empty plan is the only one
        return ()
    sizes = tuple(need.quantity + 1 for need in problem.needs)
    if min(sizes, default=1) < 1:  # a negative quantity: not a problem this method knows
        return None
    work = _PRICE_WORK * math.prod(sizes) * len(active)
    if work > max_work:
        return None
    parts = _Parts.price(problem, sizes, table.take(active))
    best = _Incumbent(parts.empty_cost, ())
    best.offer(*parts.best_single(complete=problem.complete))
    units = sum(need.quantity for need in problem.needs)
    if problem.complete or units < 2 or (problem.max_shipments is not None and problem.max_shipments <= 1):
        return best.plan  # every plan ships from at most one source
    rows = parts.worth_keeping(best.cost, range(len(active)))
    if len(rows) < 2:  # every plan cheaper than the incumbent ships from one source
        return best.plan
    work += _PAIR_WORK * shapes.pair_count(sizes)
    if work > max_work:
        return None
    best.offer(*parts.best_pair(rows))
    rows = parts.worth_keeping(best.cost, rows)
    rows = parts.contenders(rows, parts.most_sources(rows, best.cost)) if units > 2 else []
    if len(rows) < 3:  # plans of at most two sources are all known
        return best.plan
    layers = parts.layers(rows)
    boxes = parts.boxes(rows)
    work += layers * sum(shapes.move_count(sizes, box) for box in boxes)
    if work > max_work:
        return None
    best.offer(*_Programme(parts, rows, boxes, layers).run())
    return best.plan


@dataclass
class _Incumbent:
    """The best plan found so far; another replaces it only if cheaper by more than the tolerance."""

    cost: float
    plan: Take

    def offer(self, cost: float, plan: Take) -> None:
        if cost < self.cost - _TOL:
            self.cost, self.plan = cost, plan


@dataclass(frozen=True)
class _Sources:
    """What the sources offer, as arrays: one row per source, one column per need (or per SKU)."""

    index: Ints  # (P,) problem index of each row
    unit: Floats  # (P, N) cost per unit, inf where the need may not use the source
    stock: Floats  # (P, N) stock of the need's SKU (shared with the needs of the same SKU)
    capacity: Floats  # (P,) units the source may take, inf: no limit
    package: Floats  # (P,)
    alone_shipping: Floats  # (P, N) tier price of one unit of each need, for the needs shipping alone
    tiers: tuple[tuple[tuple[float, float], ...], ...]  # the distinct rate cards
    card: Ints  # (P,) each source's rate card

    @classmethod
    def of(cls, problem: Problem) -> _Sources:
        sources, needs = problem.sources, range(len(problem.needs))
        skus = [need.sku for need in problem.needs]
        shape = (len(sources), len(skus))
        infinite, nothing = [_INF] * len(skus), [0] * len(skus)
        alone_shipping = np.zeros(shape)
        for n in (n for n in needs if problem.needs[n].alone):
            alone_shipping[:, n] = [source.tier_price(problem.needs[n].unit_weight) for source in sources]
        cards: dict[tuple[tuple[float, float], ...], int] = {}
        return cls(
            index=np.arange(len(sources), dtype=np.intp),
            unit=np.array([list(map(x.unit_cost.get, needs, infinite)) for x in sources], dtype=float).reshape(shape),
            stock=np.array([list(map(x.stock.get, skus, nothing)) for x in sources], dtype=float).reshape(shape),
            capacity=np.array([_INF if x.unit_capacity is None else x.unit_capacity for x in sources], dtype=float),
            package=np.array([x.package_cost for x in sources], dtype=np.float64),
            alone_shipping=alone_shipping,
            card=np.array([cards.setdefault(x.tiers, len(cards)) for x in sources], dtype=np.intp),
            tiers=tuple(cards),
        )

    def supplying(self, quantity: Ints) -> Ints:
        """The rows of the sources that can supply at least one unit."""
        usable = np.isfinite(self.unit) & (self.stock > 0) & (self.capacity > 0)[:, None] & (quantity > 0)[None, :]
        return np.flatnonzero(usable.any(axis=1))

    def take(self, rows: Ints) -> _Sources:
        return _Sources(
            self.index[rows],
            self.unit[rows],
            self.stock[rows],
            self.capacity[rows],
            self.package[rows],
            self.alone_shipping[rows],
            self.tiers,
            self.card[rows],
        )

    @functools.cached_property
    def fixed(self) -> Floats:
        """Per row, the least a shipment from it costs besides its unit costs."""
        least = np.array([min((price for _, price in tiers), default=0.0) for tiers in self.tiers])
        return self.package + least[self.card]  # type: ignore[no-any-return]


# --- parts: every part vector priced at every source ---------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    """The part vectors of one order and what each source (a row) charges for them."""

    problem: Problem
    sizes: tuple[int, ...]
    sources: _Sources  # what each row's source offers
    units: Ints  # (V, N) the part vectors, V = prod(sizes)
    shipments: Ints  # (V,) shipments a part makes
    unfilled: Floats  # (V,) cost of leaving these units unfilled
    cost: Floats  # (P, V) part costs, one split cost per shipment included; inf where not allowed
    in_split: Floats  # (P, V) the same where every shipment meets the minimum split value, else inf

    @classmethod
    def price(cls, problem: Problem, sizes: tuple[int, ...], sources: _Sources) -> _Parts:
        needs = problem.needs
        units = shapes.grid(sizes)
        alone = tuple(need.alone for need in needs)
        packed = units[:, ~np.array(alone, dtype=bool)].sum(axis=1) > 0
        shipments = shapes.shipments(sizes, alone)
        cost = _part_costs(problem, sizes, sources, packed)
        if problem.max_shipments is not None and int(shipments.max()) > problem.max_shipments:
            cost[:, shipments > problem.max_shipments] = _INF
        cost[:, 0] = 0.0  # shipping nothing is always allowed
        floor = problem.min_split_value - 1e-9  # the tolerance `violations` allows
        in_split = cost
        if any(need.unit_value < floor for need in needs):
            value = _ordered_sum(units, [0.0 if need.alone else need.unit_value for need in needs])
            worthy = ~packed | (value >= floor)
            for n, need in enumerate(needs):
                if need.alone and need.unit_value < floor:
                    worthy &= units[:, n] == 0
            in_split = np.where(worthy[None, :], cost, _INF)
        unfilled = _ordered_sum(units, [need.unfilled_cost for need in needs])
        return cls(problem, sizes, sources, units, shipments, unfilled, cost, in_split)

    @property
    def empty_cost(self) -> float:
        return float(self.unfilled[-1])

    def plan(self, *row_parts: tuple[int, int]) -> Take:
        """The plan shipping part p from the source of row r for each (r, p)."""
        return tuple(
            sorted(
                (n, int(self.sources.index[row]), int(u))
                for row, part in row_parts
                for n, u in enumerate(self.units[part])
                if u
            )
        )

    def best_single(self, *, complete: bool) -> tuple[float, Take]:
        """The least-cost plan shipping from one source (the whole order when `complete`); inf if none."""
        allowed = np.where((self.shipments <= 1)[None, :], self.cost, self.in_split)
        totals = allowed + (self.unfilled[::-1] - self.problem.split_cost)
        totals[:, 0] = _INF
        if complete:
            totals[:, :-1] = _INF
        row, part = divmod(int(np.argmin(totals)), totals.shape[1])
        return float(totals[row, part]), self.plan((row, part))

    def best_pair(self, rows: list[int]) -> tuple[float, Take]:
        """The least-cost plan shipping from exactly two of these sources; inf if none."""
        cost = self.in_split[rows]
        columns = np.arange(cost.shape[1])
        first = np.argmin(cost, axis=0)
        cheapest = cost[first, columns]
        others = cost.copy()
        others[first, columns] = _INF
        second = np.argmin(others, axis=0)
        # what it costs more to ship a part from its second cheapest source
        extra = others[second, columns] - np.where(np.isfinite(cheapest), cheapest, 0.0)
        a, b, left = shapes.pairs(self.sizes)
        same = first[a] == first[b]
        totals = cheapest[a] + cheapest[b] + (self.unfilled - self.problem.split_cost)[left]
        totals[same] += np.minimum(extra[a[same]], extra[b[same]])
        limit = self.problem.max_shipments
        if limit is not None and 2 * int(self.shipments.max()) > limit:
            totals[self.shipments[a] + self.shipments[b] > limit] = _INF
        if totals.size == 0:
            return _INF, ()
        j = int(np.argmin(totals))
        pa, pb = int(a[j]), int(b[j])
        row_a, row_b = first[pa], first[pb]
        if same[j] and extra[pa] <= extra[pb]:
            row_a = second[pa]
        elif same[j]:
            row_b = second[pb]
        return float(totals[j]), self.plan((rows[row_a], pa), (rows[row_b], pb))

    def worth_keeping(self, incumbent: float, rows: range | list[int]) -> list[int]:
        """The rows whose source can take part in a plan of several shipments cheaper than the incumbent."""
        rows = list(rows)
        cost = self.in_split[rows, 1:]
        rest = self._rest_bound
        if rest is None:  # a negative price: no bound, only the sources that can ship something
            least, below = cost.min(axis=1), _INF
        else:
            least, below = (cost + rest[::-1][1:]).min(axis=1) - self.problem.split_cost, incumbent - _TOL
        return [row for row, bound in zip(rows, least.tolist(), strict=True) if bound < below]

    def most_sources(self, rows: list[int], incumbent: float) -> int:
        """The most sources a plan cheaper than the incumbent can ship from (each pays a package at least)."""
        least = self._least_unit
        if least is None:
            return len(rows)
        total = float(self.units[-1] @ least) - self.problem.split_cost
        count = 0
        for price in sorted(self.sources.fixed[rows].tolist()):
            total += price + self.problem.split_cost
            if total >= incumbent - _TOL:
                break
            count += 1
        limit = self.problem.max_shipments
        return min(count, int(self.units[-1].sum()), count if limit is None else limit)

    def contenders(self, rows: list[int], most: int) -> list[int]:
        """The rows among the `most` cheapest sources of some non-empty part vector."""
        if most >= len(rows):
            return rows
        if most < 3:
            return []
        cost = self.in_split[rows, 1:].copy()
        columns = np.arange(cost.shape[1])
        chosen = np.zeros(len(rows), dtype=bool)
        for _ in range(most):
            pick = np.argmin(cost, axis=0)
            chosen[pick[np.isfinite(cost[pick, columns])]] = True
            cost[pick, columns] = _INF
        return [row for row, keep in zip(rows, chosen, strict=True) if keep]

    def layers(self, rows: list[int]) -> int:
        """1 when `max_shipments` cannot bind a plan over these rows, else the shipment counts to track."""
        limit = self.problem.max_shipments
        if limit is None:
            return 1
        most = sum(int(self.shipments[np.isfinite(self.in_split[row])].max()) for row in rows)
        return 1 if limit >= min(most, int(self.units[-1].sum())) else limit + 1

    def boxes(self, rows: list[int]) -> list[tuple[int, ...]]:
        """Per row, per need: q_n if the source may ship some of it in a split plan, else 0.

        (Not the most it may ship: a handful of boxes per order shape keeps the cache of moves small.)
        """
        full = np.array(self.sizes) - 1
        if self.in_split is self.cost:  # then a source that may ship a need may ship one unit of it alone
            one_unit = np.cumprod([1, *self.sizes[:0:-1]])[::-1]  # the part numbers of one unit of each need
            reach = np.isfinite(self.in_split[rows][:, one_unit])
        else:
            allowed = np.isfinite(self.in_split[rows])
            reach = np.stack([(allowed & (self.units[:, n] > 0)).any(axis=1) for n in range(len(full))], axis=1)
        return [tuple(x) for x in np.where(reach, full[None, :], 0).tolist()]

    @functools.cached_property
    def _least_unit(self) -> Floats | None:
        """Per need, the least a unit costs, shipped or not (None when some price is negative)."""
        unfilled = np.array([need.unfilled_cost for need in self.problem.needs], dtype=np.float64)
        least: Floats = np.minimum(unfilled, self.sources.unit.min(axis=0))
        if self.problem.split_cost < 0 or (least < 0).any() or (self.sources.fixed < 0).any():
            return None
        return least if np.isfinite(least).all() else None

    @functools.cached_property
    def _rest_bound(self) -> Floats | None:
        """Per vector r, a lower bound on what r adds to a plan when another source than the one considered
        ships some of it, or none does (None when some price is negative)."""
        least = self._least_unit
        if least is None:
            return None
        shipped = self.sources.fixed.min() + self.problem.split_cost + _ordered_sum(self.units, list(least))
        rest: Floats = np.minimum(self.unfilled, shipped)
        rest[0] = 0.0
        return rest


def _ordered_sum(units: Ints, weights: list[float]) -> Floats:
    """Sum of units * weight over the needs in need order, the order `evaluate` adds them in (so a package
    right at a tier limit is priced the same)."""
    total = np.zeros(units.shape[0], dtype=np.float64)
    for n, weight in enumerate(weights):
        if weight:
            total = total + units[:, n] * weight
    return total


def _part_costs(problem: Problem, sizes: tuple[int, ...], sources: _Sources, packed: Bools) -> Floats:
    """(P, V) cost of each part at each source, split costs included; inf where the part is not allowed.

    The unit costs (and the packages of `alone` units) add up need by need: an outer sum of per-need tables,
    inf past what the need may take from the source. The package shared by the other units and its tier
    price depend on the whole part: one row per distinct (rate card, package cost), added at the end.
    """
    needs = problem.needs
    count = len(sources.index)
    eligible = np.isfinite(sources.unit)
    per_unit = np.where(eligible, sources.unit, 0.0)
    alone = np.array([need.alone for need in needs], dtype=bool)
    if alone.any():  # each unit is a package of its own
        own = sources.package[:, None] + sources.alone_shipping + problem.split_cost
        per_unit = per_unit + np.where(alone[None, :], own, 0.0)
    most = np.where(eligible, np.minimum(sources.stock, sources.capacity[:, None]), 0.0)
    taken = np.arange(max(sizes))
    tables = np.where(taken <= most[:, :, None], per_unit[:, :, None] * taken, _INF)
    tables[:, :, 0] = 0.0
    cost = tables[:, -1, : sizes[-1]]
    for n in range(len(needs) - 2, -1, -1):  # the last need counts fastest
        cost = (tables[:, n, : sizes[n], None] + cost[:, None, :]).reshape(count, -1)
    units = shapes.grid(sizes)
    total = units.sum(axis=1)
    if (sources.capacity < total[-1]).any():
        cost = np.where(total[None, :] <= sources.capacity[:, None], cost, _INF)
    shared: dict[str, list[int]] = {}
    for n, need in enumerate(needs):
        shared.setdefault(need.sku, []).append(n)
    for members in shared.values():
        if len(members) > 1:  # needs of one SKU share its stock
            together = units[:, members].sum(axis=1)
            cost = np.where(together[None, :] <= sources.stock[:, members[0], None], cost, _INF)
    weight = _ordered_sum(units, [0.0 if need.alone else need.unit_weight for need in needs])
    shipping = [_tier_prices(tiers, weight) for tiers in sources.tiers]
    kinds: dict[tuple[int, float], int] = {}
    kind = [
        kinds.setdefault((int(c), float(p)), len(kinds)) for c, p in zip(sources.card, sources.package, strict=True)
    ]
    fixed = np.array([np.where(packed, shipping[c] + (p + problem.split_cost), 0.0) for c, p in kinds])
    result: Floats = cost + fixed[kind]
    return result


def _tier_prices(tiers: tuple[tuple[float, float], ...], weight: Floats) -> Floats:
    """The price of the first tier whose limit the weight does not exceed (past the last, the last price)."""
    if not tiers:
        return np.zeros(weight.shape)
    limits = [limit for limit, _ in tiers]
    prices = np.array([price for _, price in tiers], dtype=np.float64)
    if limits == sorted(limits):
        return prices[np.minimum(np.searchsorted(limits, weight), len(tiers) - 1)]
    price = np.full(weight.shape, prices[-1])
    for limit, value in reversed(tiers):
        price = np.where(weight <= limit, value, price)
    return price


# --- the dynamic programme -----------------------------------------------------------------------------


class _Programme:
    """The dynamic programme over the sources of some rows, and the walk back that rebuilds its plan.

    A stage is stored as `pad + layers` blocks of the states: block pad + k holds the least cost of reaching
    each state after k shipments (one block when shipments are not counted); the `pad` blocks in front stay
    infinite, for the moves that would start from a negative count.
    """

    def __init__(self, parts: _Parts, rows: list[int], boxes: list[tuple[int, ...]], layers: int) -> None:
        self.parts = parts
        self.rows = rows
        self.layers = layers
        self.pad = 0 if layers == 1 else layers
        self.states = parts.units.shape[0]
        alone = tuple(need.alone for need in parts.problem.needs)
        distinct = {box: shapes.counted_moves(parts.sizes, box, alone, layers) for box in set(boxes)}
        self.moves = [distinct[box] for box in boxes]

    def run(self) -> tuple[float, Take]:
        """The least cost of a plan over these sources, and that plan (inf and () if none)."""
        live = self.pad * self.states  # where the live blocks start
        store = np.full(live + self.layers * self.states, _INF)
        store[live + self.states - 1] = 0.0  # nothing shipped yet: every unit still needed
        stores = [store]
        for row, (part, origin, target) in zip(self.rows, self.moves, strict=True):
            step = store[origin] + self.parts.in_split[row][part]
            store = store.copy()  # this source ships nothing, or:
            np.minimum.at(store[live:], target, step)
            stores.append(store)
        shipped = np.full(self.states, self.parts.problem.split_cost)
        shipped[-1] = 0.0
        totals = store[live:].reshape(self.layers, self.states) + (self.parts.unfilled - shipped)[None, :]
        index = int(np.argmin(totals))
        total = float(totals.flat[index])
        if not math.isfinite(total):
            return _INF, ()
        return total, self._walk_back(stores, live + index)

    def _walk_back(self, stores: list[Floats], at: int) -> Take:
        """The parts that led to store index `at`: at each stage, the first move whose sum is the minimum."""
        chosen: list[tuple[int, int]] = []
        for stage in range(len(self.rows) - 1, -1, -1):
            before, after = stores[stage], stores[stage + 1]
            if before[at] == after[at]:  # this source ships nothing
                continue
            part, origin, target = self.moves[stage]
            into = np.flatnonzero(target == at - self.pad * self.states)
            step = before[origin[into]] + self.parts.in_split[self.rows[stage]][part[into]]
            j = into[np.flatnonzero(step == after[at])[0]]
            chosen.append((self.rows[stage], int(part[j])))
            at = int(origin[j])
        return self.parts.plan(*chosen)
