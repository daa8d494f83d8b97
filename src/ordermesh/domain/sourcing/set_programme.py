"""The cheapest plan shipping from one set of sources, by a dynamic programme over the needs (`sets.py`)."""

from __future__ import annotations

import itertools

import numpy as np

from ordermesh.domain.sourcing.problem import Problem, Take
from ordermesh.domain.sourcing.set_bounds import INF, STEP_WORK, TOL, SourceTable, Work, cost_per_gram

MOST_STATES = 4_000  # states of one step of the programme before handing the order to another method
State = tuple[float, ...]  # what later needs must respect, after some needs


class SetProgramme:
    """The cheapest plan shipping from one set of sources, tiers chosen one way at a time, by a dynamic
    programme over the needs.

    A state is what later needs must respect, after the needs so far: the weight of each package whose tier
    limit can bind, the units of each source whose capacity can bind, and (in a split plan with a minimum
    value per shipment) the value of each package, counted up to that minimum. Each keeps its least cost
    (unit costs and unfilled costs so far); a state goes as soon as that cost, the least the other needs can
    cost and the tier prices reach the incumbent.
    """

    def __init__(self, table: SourceTable, problem: Problem, members: tuple[int, ...], work: Work) -> None:
        self.table, self.problem, self.members, self.work = table, problem, members, work
        usable = table.usable[list(members)]
        unit = table.unit[list(members)]
        least = np.minimum(unit.min(axis=0), table.unfilled)
        self.rest = [float(x) for x in np.append(np.cumsum((least * table.quantity)[::-1])[::-1], 0.0)]
        self.fixed = float(table.fixed[list(members)].sum()) - problem.split_cost
        self.heaviest = (usable * table.weight).sum(axis=1).tolist()
        supplied = np.asarray(usable.any(axis=0), dtype=bool)
        self.per_gram = float(cost_per_gram(least, supplied, table.weight, table.unfilled))
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
            if price >= incumbent - TOL:
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
        per_gram = float(cost_per_gram(least, supplied, t.weight, t.unfilled))
        reachable = float(np.where(supplied, t.quantity * t.weight, 0.0).sum())
        total = float(t.quantity @ t.weight)
        choices = []
        for tiers in itertools.product(*(np.flatnonzero(t.reach[row]).tolist() for row in rows)):
            if sum(float(t.lightest[row, x]) for row, x in zip(rows, tiers, strict=True)) > total:
                continue
            carried = sum(float(t.heaviest[row, x]) for row, x in zip(rows, tiers, strict=True))
            bound = self._price(tiers) + self.rest[0] + per_gram * max(0.0, reachable - carried)
            if bound < incumbent - TOL:
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
            if not self.work.spend(STEP_WORK * len(states) * len(self.options[n])):
                return None
            room = budget - TOL - self.rest[n + 1]
            weight, value = need.unit_weight, need.unit_value
            following: dict[State, float] = {}
            back: dict[State, tuple[State, int]] = {}
            for key, cost in states.items():
                for index, (units, extra) in enumerate(self.options[n]):
                    total = cost + extra
                    if total >= room:
                        continue
                    state = self._next(key, units, capped, limits, weight, valued, value, floor)
                    if state is None or total >= following.get(state, INF):
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
                return INF, ()
        final = [(cost, key) for key, cost in states.items() if all(v >= floor for v in key[len(key) - len(valued) :])]
        if not final:
            return INF, ()
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
    least = INF
    for key in sorted(states, key=lambda k: sign * k[0]):
        if states[key] < least:
            kept[key] = least = states[key]
    return kept
