"""Lower bounds on the plans that ship from given sets of sources, for the set search (`sets.py`).

`SourceTable` holds the sources that can ship something as arrays and bounds many sets at once with numpy;
`size_bound` bounds every plan of at least a number of shipments; `Work` counts what the search spends.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from ordermesh.domain.sourcing.problem import Problem
from ordermesh.domain.sourcing.set_pruning import DOMINANCE_FROM, Cover, dominating

Floats = NDArray[np.float64]
Ints = NDArray[np.intp]
Bools = NDArray[np.bool_]

Item = TypeVar("Item")

TOL = 1e-9  # plans within this of each other cost the same
INF = math.inf
MOST_COMBINED = 20_000  # sets of one size bounded at once, at most (all pairs of 200 sources)
MOST_GROWN = 400_000  # sets grown at once before those that cannot hold what they must go
# Work is counted in bound evaluations (a set under one choice of tiers, 25-40 ns on the 2-core development
# machine); the other steps are priced in them as measured there.
CALL_WORK = 1_500  # a call of `bounds`, whatever it bounds (numpy's overhead: 40-60 us)
SET_WORK = 10  # each set it bounds, whatever the tiers (its needs, about 0.35 us)
STEP_WORK = 45  # one step of the set programme (a state and a choice for a need)
SETUP_WORK = 3_000  # setting up the programme of one set
MOST_TIER_CHOICES = 200_000  # (set, choice of tiers) pairs bounded at once; beyond, a weaker bound
MOST_SIZE_COMBINATIONS = 8  # beyond this many shipments a size bound charges each the least tier price


@dataclass
class Work:
    """What the search may still spend, counted in bound evaluations (a set under one choice of tiers);
    a step of the dynamic programme from one state counts `STEP_WORK`."""

    left: int

    def spend(self, amount: int) -> bool:
        """Count the work; False once there is none left."""
        self.left -= amount
        return self.left >= 0


class Rows(Generic[Item]):
    """An array's rows as Python lists, each made when first read (a table may have hundreds of rows, of which
    the programme reads a few)."""

    def __init__(self, array: NDArray[Any], convert: Callable[[list[Any]], list[Item]] | None = None) -> None:
        self.array = array
        self.convert = convert
        self.made: dict[int, list[Item]] = {}

    def __getitem__(self, row: int) -> list[Item]:
        found = self.made.get(row)
        if found is None:
            found = self.array[row].tolist()
            if self.convert is not None:
                found = self.convert(found)
            self.made[row] = found
        return found


@dataclass(frozen=True)
class TableLists:
    """A table's arrays as Python lists: the programme of one set reads them element by element."""

    limits: Rows[float]
    prices: Rows[float]
    lightest: Rows[float]
    heaviest: Rows[float]
    usable: Rows[int]
    unit: Rows[float]
    fixed: list[float]
    capacity: list[float]
    weight: list[float]
    unfilled: list[float]
    reach: Rows[int]  # per row, the tiers it reaches
    total_weight: float  # of the whole order


@dataclass(frozen=True)
class SourceTable:
    """The sources that can ship something, as arrays: one row per source, one column per need or tier."""

    rows: Ints  # (R,) problem index of each row
    usable: Ints  # (R, N) units of each need the source could supply
    unit: Floats  # (R, N) cost per unit, inf where it supplies none
    fixed: Floats  # (R,) package cost plus one split cost
    capacity: Floats  # (R,) units it may take (inf: no limit)
    value: Floats  # (R,) the most value it could ship (for the minimum value of a split shipment)
    limits: Floats  # (R, T) upper weight of each tier (inf pads)
    prices: Floats  # (R, T)
    reach: Bools  # (R, T) a package of the source can weigh something within the tier
    lightest: Floats  # (R, T) the least such weight
    heaviest: Floats  # (R, T) the most
    quantity: Floats  # (N,)
    weight: Floats  # (N,) grams per unit
    unfilled: Floats  # (N,) cost per unit left unfilled

    @classmethod
    def of(cls, problem: Problem) -> SourceTable:
        a = problem.arrays
        keep = a.usable.any(axis=1) & (a.capacity >= 1)
        if keep.all():  # the usual case: the arrays as they are (nothing here writes into them)
            rows = np.arange(len(keep), dtype=np.intp)
            usable, unit, package, capacity, limits, prices = (
                a.usable,
                a.unit,
                a.package,
                a.capacity,
                a.tier_limits,
                a.tier_prices,
            )
        else:
            rows = np.flatnonzero(keep)
            usable, unit, package, capacity, limits, prices = (
                a.usable[rows],
                a.unit[rows],
                a.package[rows],
                a.capacity[rows],
                a.tier_limits[rows],
                a.tier_prices[rows],
            )
        served = usable > 0  # (the unit costs are already inf elsewhere)
        lo = np.where(served, a.weight, INF).min(axis=1, initial=INF)
        hi = (usable * a.weight).sum(axis=1)
        below = np.concatenate([np.full((len(rows), 1), -INF), limits[:, :-1]], axis=1)
        reach = (lo[:, None] <= limits) & (hi[:, None] > below)  # the first tier starts at 0 grams
        if problem.min_split_value > 0:  # only a minimum value per split shipment reads it
            values = np.array([need.unit_value for need in problem.needs], dtype=np.float64)
            value = usable.astype(np.float64) @ values
        else:
            value = np.zeros(len(rows))
        return cls(
            rows=rows,
            usable=usable,
            unit=unit,
            fixed=package + problem.split_cost,
            capacity=capacity,
            value=value,
            limits=limits,
            prices=prices,
            reach=reach,
            lightest=np.where(reach, np.maximum(lo[:, None], below), 0.0),
            heaviest=np.where(reach, np.minimum(limits, hi[:, None]), 0.0),
            quantity=a.quantity,
            weight=a.weight,
            unfilled=a.unfilled,
        )

    def bounds(self, members: Ints, problem: Problem, *, apart: bool | None = None) -> Floats:
        """(M,) a lower bound on every plan shipping from exactly each set of rows in `members` (M, k); past
        `MOST_TIER_CHOICES` (or when `apart`), the cheaper, weaker one that bounds each package's tier on its
        own.

        Per need, the units beyond what the set's sources hold between them are left unfilled, the others
        cost their least unit (or unfilled) cost at least."""
        q, w, unfilled = self.quantity, self.weight, self.unfilled
        if members.shape[1] == 1:  # (the same numbers, without reducing over one member)
            rows = members[:, 0]
            least = np.minimum(self.unit[rows], unfilled)
            shippable = np.minimum(self.usable[rows], q)
            fixed = self.fixed[rows]
        else:
            least = np.minimum(self.unit[members].min(axis=1), unfilled)  # (M, N)
            shippable = np.minimum(self.usable[members].sum(axis=1), q)  # (M, N) units the set could supply
            fixed = self.fixed[members].sum(axis=1)
        per_gram = cost_per_gram(least, shippable > 0, w, unfilled)
        reachable = shippable @ w
        units = (shippable * least).sum(axis=1) + (q - shippable) @ unfilled
        base = fixed - problem.split_cost + units
        if members.shape[1] > 1 and problem.min_split_value > 0:  # each package of a split must be worth it
            short = (self.value[members] < problem.min_split_value - 1e-6).any(axis=1)
            base = np.where(short, INF, base)
        if apart is None:
            apart = len(members) * len(self.tiers_used) ** members.shape[1] > MOST_TIER_CHOICES
        if apart:
            return base + self._shipping_apart(members, per_gram, reachable)  # type: ignore[no-any-return]
        return base + self._shipping(members, per_gram, reachable)  # type: ignore[no-any-return]

    def bound_work(self, members: Ints) -> int:
        """The work of bounding these sets (`bounds`)."""
        size, tiers = int(members.shape[1]), len(self.tiers_used)
        apart = len(members) * tiers**size > MOST_TIER_CHOICES
        choices = tiers * size if apart else tiers**size
        return CALL_WORK + len(members) * (SET_WORK + choices)

    def bounds_below(self, members: Ints, problem: Problem, incumbent: float, work: Work) -> Floats | None:
        """`bounds`, and where the weaker form was used, the full one for the sets still below the incumbent
        when they are few enough (None: out of work)."""
        if not work.spend(self.bound_work(members)):
            return None
        found = self.bounds(members, problem)
        size, tiers = int(members.shape[1]), len(self.tiers_used)
        if len(members) * tiers**size <= MOST_TIER_CHOICES:
            return found
        below = np.flatnonzero(found < incumbent - TOL)
        if not len(below) or len(below) * tiers**size > MOST_TIER_CHOICES:
            return found
        if not work.spend(CALL_WORK + len(below) * (SET_WORK + tiers**size)):
            return None
        found[below] = np.maximum(found[below], self.bounds(members[below], problem, apart=False))
        return found

    def _shipping(self, members: Ints, per_gram: Floats, reachable: Floats) -> Floats:
        """(M,) the least tier prices plus the cost of what is left unshipped, over every choice of tiers
        (one axis per member: (M, T, T, ...))."""
        size, tiers = members.shape[1], len(self.tiers_used)
        gathered = self._tier_table[members]  # (M, k, 3, T): one gather for every member
        shape = (len(members), tiers) + (1,) * (size - 1)
        price, low, high = (gathered[:, 0, x].reshape(shape) for x in range(3))
        for j in range(1, size):
            shape = (len(members),) + (1,) * j + (tiers,) + (1,) * (size - j - 1)
            part = gathered[:, j]
            price = price + part[:, 0].reshape(shape)
            low = low + part[:, 1].reshape(shape)
            high = high + part[:, 2].reshape(shape)
        # in place, on the one array of every choice: the same numbers with fewer allocations
        cost = reachable.reshape((-1,) + (1,) * size) - high  # the weight left over
        np.maximum(cost, 0.0, out=cost)
        cost *= per_gram.reshape((-1,) + (1,) * size)
        cost += price  # inf where a tier is out of reach
        np.copyto(cost, INF, where=low > float(self.quantity @ self.weight))
        return cost.reshape(len(members), tiers**size).min(axis=1)  # type: ignore[no-any-return]

    @functools.cached_property
    def _tier_table(self) -> Floats:
        """(R, 3, T) per row and tier used: its price (inf where no package of the row falls in the tier),
        and the least and most weight of such a package."""
        tiers = len(self.tiers_used)
        price = np.where(self.reach[:, :tiers], self.prices[:, :tiers], INF)
        return np.stack([price, self.lightest[:, :tiers], self.heaviest[:, :tiers]], axis=1)

    def _shipping_apart(self, members: Ints, per_gram: Floats, reachable: Floats) -> Floats:
        """(M,) a weaker bound than `_shipping`, summed package by package: the greater of the least tier
        prices, and of the least (tier price - per_gram * its most weight) plus per_gram * what the set
        could ship (leaving the weight of a package unshipped costs per_gram a gram at least)."""
        prices = np.where(self.reach, self.prices, INF)[members]  # (M, k, T)
        carried = self.heaviest[members]
        cheapest = prices.min(axis=2).sum(axis=1)
        traded = (prices - per_gram[:, None, None] * carried).min(axis=2).sum(axis=1) + per_gram * reachable
        return np.maximum(cheapest, traded)  # type: ignore[no-any-return]

    @functools.cached_property
    def lists(self) -> TableLists:
        """The per-row arrays as Python lists, for the programme's loops (numpy scalars are slow to read)."""
        return TableLists(
            Rows(self.limits),
            Rows(self.prices),
            Rows(self.lightest),
            Rows(self.heaviest),
            Rows(self.usable),
            Rows(self.unit),
            self.fixed.tolist(),
            self.capacity.tolist(),
            self.weight.tolist(),
            self.unfilled.tolist(),
            Rows(self.reach, lambda row: [tier for tier, reached in enumerate(row) if reached]),
            float(self.quantity @ self.weight),
        )

    @functools.cached_property
    def size_parts(self) -> SizeParts:
        least = np.minimum(self.unit.min(axis=0), self.unfilled)
        supplied = np.asarray(self.usable.any(axis=0), dtype=bool)
        heavy, price = self.heaviest[self.reach], self.prices[self.reach]
        order = np.lexsort((price, -heavy))  # heaviest first, then cheapest
        heavy, price = heavy[order], price[order]
        frontier = price < np.concatenate([[INF], np.minimum.accumulate(price)[:-1]])
        return SizeParts(
            least=float(least @ self.quantity),
            per_gram=float(cost_per_gram(least, supplied, self.weight, self.unfilled)),
            reachable=float(np.where(supplied, self.quantity * self.weight, 0.0).sum()),
            heavy=heavy[frontier],
            price=price[frontier],
            cheapest=float(price[frontier].min()),
            fixed_sums=np.concatenate([[0.0], np.cumsum(np.sort(self.fixed))]).tolist(),
        )

    @functools.cached_property
    def _kept(self) -> dict[tuple[str, bytes], Ints | None]:
        """What the searches of several sizes share (this table's dominance, by the order of its rows)."""
        return {}

    @functools.cached_property
    def tiers_used(self) -> range:
        """The tiers up to the last any source reaches."""
        return range(int(np.flatnonzero(self.reach.any(axis=0)).max(initial=0)) + 1)

    def sets_of(
        self, size: int, problem: Problem, incumbent: float, work: Work, alone: Floats
    ) -> tuple[Ints, Floats] | None:
        """(M, size) the sets of `size` rows that could hold a plan cheaper than the incumbent, and their
        bounds (None: more than this method bounds). `alone`: each row's bound on its own.

        Built a row at a time, the rows taken cheapest shipment first: a partial set is bounded with
        stand-ins for its missing rows, each with the best of the rows that may still join (those after its
        last), so the bound holds whichever join; only the partial sets below the incumbent whose missing rows
        can hold what it must ship (`set_pruning.Cover`), and that hold every earlier row dominating one of theirs
        (`set_pruning.dominating`), grow. A row whose bound with stand-ins for all other rows
        reaches the incumbent joins no set.
        """
        count = len(self.rows)
        ones = np.arange(count, dtype=np.intp)[:, None]
        # cheapest shipments first (package, split and the price of the heaviest tier: a zone's rate card
        # prices every tier in the same order), then the strongest alone: the rows after a partial set, the
        # ones its stand-ins are made of, then ship dear, which keeps the stand-ins weak
        shipment = self.fixed + self.prices[:, len(self.tiers_used) - 1]
        order = np.lexsort((ones[:, 0], alone, shipment))
        strongest = np.empty(count, dtype=np.intp)  # each row's place, strongest alone first
        strongest[np.lexsort((ones[:, 0], alone))] = np.arange(count)
        table = self._stand_ins(order)
        joined = np.hstack([ones, np.full((count, size - 1), count, dtype=np.intp)])  # stand-ins for all rows
        joined_bounds = table.bounds_below(joined, problem, incumbent, work)
        if joined_bounds is None:
            return None
        joins = np.sort(np.flatnonzero(joined_bounds < incumbent - TOL))
        joining = np.zeros(count, dtype=bool)
        joining[joins] = True
        joins = np.flatnonzero(joining[order])  # as positions in `order`
        sets: Ints = joins[:, None]  # positions in `order`
        cover = Cover.of(self, incumbent, order[joins], size)
        masks = cover.bits[order[joins]]  # per set, the needs it covers of those it must
        # per position, the earlier rows that dominate its row: a set holding it must hold them all
        earlier = None
        if size >= DOMINANCE_FROM:  # the same for every size: the order depends on the rows alone
            key = ("dominating", order.tobytes())
            if key not in self._kept:
                self._kept[key] = dominating(self, order)
            earlier = self._kept[key]
        held = np.zeros(len(joins), dtype=np.int64)  # per set, its positions as bits (when dominance counts)
        if earlier is not None:
            held = np.left_shift(1, joins.astype(np.int64))
            first = earlier[joins] == 0
            sets, masks, held = sets[first], masks[first], held[first]
        for filled in range(1, size + 1):
            # the rows after its last must hold what the set must ship and its rows do not
            start = np.searchsorted(joins, sets[:, -1], side="right")
            able = cover.able(start, masks, size - filled)
            sets, masks, held = sets[able], masks[able], held[able]
            after = count + 1 + sets[:, -1]  # the stand-in for the rows after the set's last
            padded = np.hstack([order[sets], np.repeat(after[:, None], size - filled, axis=1)])
            if filled == size:  # each set's rows strongest first: ties between sets go the same way
                padded = np.take_along_axis(padded, np.argsort(strongest[padded], axis=1), axis=1)
            found = table.bounds_below(padded, problem, incumbent, work)
            if found is None:
                return None
            bounds = found
            below = bounds < incumbent - TOL
            sets, masks, held = sets[below], masks[below], held[below]
            if filled == size:  # no stand-in left: the sets' own bounds
                return padded[below], bounds[below]
            start = np.searchsorted(joins, sets[:, -1], side="right")  # the rows that may follow each set
            counts = len(joins) - start
            total = int(counts.sum())
            if total > MOST_GROWN:
                return None
            offset = np.repeat(start - (np.cumsum(counts) - counts), counts)
            grown = joins[np.arange(total) + offset]
            sets = np.hstack([np.repeat(sets, counts, axis=0), grown[:, None]])
            masks = np.repeat(masks, counts) | cover.bits[order[grown]]
            held = np.repeat(held, counts)
            if earlier is not None:  # a row joins only a set that holds the earlier rows dominating it
                kept = (earlier[grown] & ~held) == 0
                sets, masks, held = sets[kept], masks[kept], held[kept] | np.left_shift(1, grown[kept].astype(np.int64))
            if len(sets) > MOST_COMBINED:  # fewer may be left once those that cannot cover go
                start = np.searchsorted(joins, sets[:, -1], side="right")
                able = cover.able(start, masks, size - filled - 1)
                sets, masks, held = sets[able], masks[able], held[able]
                if len(sets) > MOST_COMBINED:
                    return None
        raise AssertionError("unreachable: the loop returns at its last size")

    def _stand_ins(self, order: Ints) -> SourceTable:
        """This table with stand-ins after its rows: row count + i has the best of the rows order[i:] (the
        last, of none, ships nothing), so a bound with it in place of any of them is below theirs."""

        def best(array: NDArray[Any], pick: Any, nothing: float | bool) -> NDArray[Any]:
            ranked = array[order][::-1]
            suffix = pick.accumulate(ranked, axis=0)[::-1]
            none = np.full((1, *array.shape[1:]), nothing, dtype=array.dtype)
            return np.concatenate([array, suffix, none])

        prices = np.where(self.reach, self.prices, INF)
        return SourceTable(
            rows=np.concatenate([self.rows, np.full(len(order) + 1, -1)]),
            usable=best(self.usable, np.maximum, 0),
            unit=best(self.unit, np.minimum, INF),
            fixed=best(self.fixed, np.minimum, INF),
            capacity=best(self.capacity, np.maximum, 0.0),
            value=best(self.value, np.maximum, 0.0),
            limits=best(self.limits, np.maximum, INF),
            prices=np.concatenate([self.prices, best(prices, np.minimum, INF)[len(order) :]]),
            reach=best(self.reach, np.logical_or, False),
            lightest=np.concatenate([self.lightest, np.zeros((len(order) + 1, self.lightest.shape[1]))]),
            heaviest=best(self.heaviest, np.maximum, 0.0),
            quantity=self.quantity,
            weight=self.weight,
            unfilled=self.unfilled,
        )


def cost_per_gram(least: Floats, supplied: Bools, weight: Floats, unfilled: Floats) -> Floats:
    """(M,) the least extra cost per gram of a unit the set could ship but leaves unfilled."""
    weighted = supplied & (weight > 0)
    gap = np.where(weighted, (unfilled - least) / np.where(weight > 0, weight, 1.0), INF).min(axis=-1)
    return np.where(np.isfinite(gap), gap, 0.0)


def size_bound(table: SourceTable, problem: Problem, size: int, incumbent: float) -> float:
    """A lower bound on every plan shipping from `size` sources or more (inf when none can be cheaper)."""
    parts = table.size_parts
    paid_fixed = parts.fixed_sums
    most = min(len(paid_fixed) - 1, int(table.quantity.sum()))
    if problem.max_shipments is not None:
        most = min(most, problem.max_shipments)
    best = INF
    for count in range(size, most + 1):
        paid = paid_fixed[count] + parts.least - problem.split_cost
        if paid + count * parts.cheapest >= min(best, incumbent - TOL):
            break  # fixed costs and tier prices only grow with more shipments
        if count > MOST_SIZE_COMBINATIONS:
            best = min(best, paid + count * parts.cheapest)
            continue
        chosen = _multisets(len(parts.price), count)
        shortfall = np.maximum(0.0, parts.reachable - parts.heavy[chosen].sum(axis=1))
        best = min(best, paid + float((parts.price[chosen].sum(axis=1) + parts.per_gram * shortfall).min()))
    return best


@dataclass(frozen=True)
class SizeParts:
    """What `size_bound` needs of a table, whatever the size."""

    least: float  # every unit at its least unit (or unfilled) cost
    per_gram: float
    reachable: float  # grams any source could ship
    heavy: Floats  # the packages any source can send: most weight, without those another beats on both
    price: Floats  # and their prices
    cheapest: float
    fixed_sums: list[float]  # per count, the least fixed costs of that many shipments


@functools.lru_cache(maxsize=64)
def _multisets(options: int, count: int) -> Ints:
    """(C, count) every multiset of `count` among `options` numbers, one per row."""
    found = list(itertools.combinations_with_replacement(range(options), count))
    array = np.array(found, dtype=np.intp).reshape(len(found), count)
    array.setflags(write=False)
    return array
