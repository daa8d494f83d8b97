"""Lower bounds on what plans can cost: they prove a plan optimal without a search, or rule sources out of it.

Each shipment from source s costs at least `fixed[s]` (its package cost plus the intercept of a line under
its tier prices) and each unit of need n from s at least its unit cost plus the line's slope times the
unit's weight; a unit left unfilled costs its unfilled cost. Two views of that line are valid: flat (every
shipment weighs at least its lightest unit) and sloped (a line under the lower convex hull of the tier
prices, which also charges weight). Both are computed for all sources at once with numpy.
"""

from __future__ import annotations

import itertools
from functools import cached_property

import numpy as np

from ordermesh.domain.sourcing.problem import INF, FloatArray, Problem, price


class Bounds:
    def __init__(self, problem: Problem, *, sloped: bool) -> None:
        a = problem.arrays
        self.problem = problem
        served = a.usable > 0
        self._ships = served.any(axis=1)
        lightest = np.where(served, a.weight, INF).min(axis=1, initial=INF)
        if sloped:
            intercept, slope = _sloped_lines(problem, served)
            unit = a.unit + slope[:, None] * a.weight
        else:  # every shipment weighs at least its lightest unit
            intercept, unit = a.price(np.where(np.isfinite(lightest), lightest, 0.0)), a.unit
        self.fixed: FloatArray = np.where(self._ships, a.package + intercept, INF)
        self.unit: FloatArray = np.where(served, unit, INF)
        best = np.minimum(self.unit.min(axis=0, initial=INF), a.unfilled)
        self.rest = float(a.quantity @ best)
        capped = np.minimum(self.unit, a.unfilled)
        self.only: FloatArray = self.fixed + capped @ a.quantity
        """Per source: least cost of a plan shipping from it alone (possibly leaving units unfilled)."""
        every = (self.unit <= a.unfilled).all(axis=1)
        fewest = (a.unfilled - capped).min(axis=1, initial=INF)
        self.only_partial: FloatArray = self.only + np.where(every, fewest, 0.0)
        """Per source: least cost of a plan shipping from it alone that leaves at least one unit unfilled."""
        two = np.sort(self.fixed)[:2]
        finite = len(two) > 1 and bool(np.isfinite(two[1]))
        self.split = self.rest + float(two[0]) + float(two[1]) + problem.split_cost if finite else INF
        """Least cost of a plan with two or more shipments."""

    @cached_property
    def usable(self) -> list[int]:
        """The sources that can ship something."""
        return np.flatnonzero(self._ships).tolist()

    @cached_property
    def other_fixed(self) -> FloatArray:
        """Per source: the least fixed cost of a shipment from another source."""
        order = np.argsort(self.fixed, kind="stable")[:2]
        two = [float(self.fixed[t]) for t in order if np.isfinite(self.fixed[t])]
        other = np.full(len(self.fixed), two[0] if two else INF)
        if two:
            other[order[0]] = two[1] if len(two) > 1 else INF
        return other

    def in_a_split(self) -> FloatArray:
        """Per source: least cost of a plan it takes part in (alone, or with at least one other source)."""
        return np.minimum(self.only, self.fixed + self.other_fixed + self.problem.split_cost + self.rest)


def lower_bound_other(problem: Problem, views: tuple[Bounds, ...], split: float = -INF) -> float:
    """A lower bound on every plan other than the cheapest whole order from one source (`single`).

    Another plan (a) splits over two or more shipments, (b) ships from one source alone — the whole
    order from another source costs at least `single`, so it leaves at least one unit unfilled — or
    (c) ships nothing. Each view is a valid bound: take the larger; `split`, another bound on (a) (such as
    the set search's `split_bound`), counts too.
    """
    nothing = float(problem.arrays.quantity @ problem.arrays.unfilled)  # (c)
    partial = views[0].only_partial if len(views) == 1 else np.max([view.only_partial for view in views], axis=0)
    alone = partial.min(initial=INF)  # (b)
    split = max(split, *(view.split for view in views))  # (a)
    return min(nothing, float(alone), split)


def worth_keeping(problem: Problem, incumbent: float, views: tuple[Bounds, ...]) -> list[int]:
    """Sources that could take part in a plan cheaper than the incumbent (for the others, their own
    shipment plus the least the rest of the order costs already reaches it)."""
    usable = views[0].usable
    if any(need.alone for need in problem.needs):
        return usable
    least = np.max([view.in_a_split() for view in views], axis=0)
    return [s for s in usable if least[s] < incumbent - 1e-9]


def _sloped_lines(problem: Problem, served: np.ndarray) -> tuple[FloatArray, FloatArray]:
    a = problem.arrays
    total = float(a.quantity @ a.weight)
    intercept = np.zeros(len(a.package))
    slope = np.zeros(len(a.package))
    heaviest = (a.usable * a.weight).sum(axis=1)
    for s in np.flatnonzero(served.any(axis=1)).tolist():
        lightest = float(a.weight[served[s]].min())
        most = float(heaviest[s])
        intercept[s], slope[s] = line_under(problem.sources[s].tiers, lightest, max(most, lightest), min(total, most))
    return intercept, slope


def line_under(
    tiers: tuple[tuple[float, float], ...], lightest: float, heaviest: float, at: float
) -> tuple[float, float]:
    """(intercept, slope >= 0) of a line under the tier prices for weights in [lightest, heaviest], touching
    their lower convex hull near `at`. Within a tier the price is flat, so the line only has to pass under
    each tier's heaviest point."""
    if not tiers:
        return 0.0, 0.0
    corners: list[tuple[float, float]] = []
    low = 0.0
    for limit, value in tiers:
        if limit >= lightest and low < heaviest:
            corners.append((min(limit, heaviest), value))
        low = limit
    if len(corners) < 2:  # one tier spans every weight the shipment can have: its price, flat
        return price(tiers, lightest), 0.0
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


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
