"""The cheapest plan shipping from one set of sources, by a dynamic programme over the needs (`sets.py`)."""

from __future__ import annotations

import bisect
import itertools

from ordermesh.domain.sourcing.problem import Problem, Take
from ordermesh.domain.sourcing.set_bounds import INF, STEP_WORK, TOL, SourceTable, Work

MOST_STATES = 4_000  # states of one step of the programme before handing the order to another method
State = tuple[float, ...]  # what later needs must respect, after some needs
_MARGIN = 1e-6  # grams: a package this far under its limit stays under it whatever the rounding


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
        lists = self.lists = table.lists
        needs = range(len(problem.needs))
        quantity = [need.quantity for need in problem.needs]
        weight, unfilled = lists.weight, lists.unfilled
        usable = [lists.usable[row] for row in members]
        unit = [lists.unit[row] for row in members]
        least = [min(unfilled[n], *(costs[n] for costs in unit)) for n in needs]
        # units of each need the set could supply: the rest is left unfilled whatever the plan
        shippable = [min(quantity[n], sum(units[n] for units in usable)) for n in needs]
        self.fixed = sum(lists.fixed[row] for row in members) - problem.split_cost
        self.heaviest = [sum(units[n] * weight[n] for n in needs) for units in usable]
        gaps = [(unfilled[n] - least[n]) / weight[n] for n in needs if shippable[n] and weight[n] > 0]
        self.per_gram = min(gaps, default=0.0)
        # per need n, from n on: the least the needs cost, the weight the set could ship of them (in all, and
        # from each source) and the units each source could ship of them
        self.rest = _from_each([least[n] * shippable[n] + unfilled[n] * (quantity[n] - shippable[n]) for n in needs])
        self.later = _from_each([shippable[n] * weight[n] for n in needs])
        each = [_from_each([units[n] * weight[n] for n in needs]) for units in usable]
        self.later_each: list[list[float]] = [list(column) for column in zip(*each, strict=True)]
        counts = [_from_each([float(units[n]) for n in needs]) for units in usable]
        self.later_units: list[list[float]] = [list(column) for column in zip(*counts, strict=True)]
        self.counted = [j for j, row in enumerate(members) if lists.capacity[row] < sum(usable[j])]
        self.valued = len(members) > 1 and problem.min_split_value > 0
        self.options: list[list[tuple[tuple[int, ...], float]]] = []
        for n in needs:
            found = []
            per_unit, left = [costs[n] for costs in unit], unfilled[n]
            for units in itertools.product(*(range(row[n] + 1) for row in usable)):
                shipped = sum(units)
                if shipped <= quantity[n]:
                    cost: float = 0  # summed in source order, from 0, as sum() would
                    for j, u in enumerate(units):
                        if u:
                            cost += per_unit[j] * u
                    found.append((units, cost + left * (quantity[n] - shipped)))
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
        prices = self.lists.prices
        return self.fixed + sum(prices[row][t] for row, t in zip(self.members, tiers, strict=True))

    def _tier_choices(self, incumbent: float) -> list[tuple[float, tuple[int, ...]]]:
        """Every choice of one reachable tier per source whose lightest packages fit in the order, with a
        lower bound on its plans, cheapest first."""
        lists = self.lists
        rows = list(self.members)
        reachable, total = self.later[0], lists.total_weight
        choices = []
        for tiers in itertools.product(*(lists.reach[row] for row in rows)):
            if sum(lists.lightest[row][x] for row, x in zip(rows, tiers, strict=True)) > total:
                continue
            carried = sum(lists.heaviest[row][x] for row, x in zip(rows, tiers, strict=True))
            bound = self._price(tiers) + self.rest[0] + self.per_gram * max(0.0, reachable - carried)
            if bound < incumbent - TOL:
                choices.append((bound, tiers))
        return sorted(choices)

    def _best_within(self, tiers: tuple[int, ...], budget: float) -> tuple[float, Take] | None:
        """The least unit and unfilled cost below `budget` with every package within its tier's limit, and
        its plan (inf and () if none); None when a step has too many states."""
        problem = self.problem
        limits = [self.lists.limits[row][x] for row, x in zip(self.members, tiers, strict=True)]
        capped = [j for j, limit in enumerate(limits) if limit < self.heaviest[j]]
        floor = problem.min_split_value if self.valued else 0.0
        valued = list(range(len(self.members))) if self.valued else []
        states: dict[State, float] = {(0.0,) * (len(capped) + len(self.counted) + len(valued)): 0.0}
        signs = (1.0,) * (len(capped) + len(self.counted)) + (-1.0,) * len(valued)
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
                    state = self._next(key, units, n + 1, capped, limits, weight, valued, value, floor)
                    if state is None or total >= following.get(state, INF):
                        continue
                    if capped and total + self._unshipped(state, n + 1, capped, limits) >= room:
                        continue
                    following[state] = total
                    back[state] = (key, index)
            if len(following) > MOST_STATES:
                return None
            states = _undominated(following, signs)
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
        start: int,
        capped: list[int],
        limits: list[float],
        weight: float,
        valued: list[int],
        value: float,
        floor: float,
    ) -> State | None:
        """The state after shipping `units` of a need from each source (None: past a limit). A weight or a
        unit count that the needs from `start` on can no longer take past its limit becomes -inf: states
        that differ only there have the same future, and merge."""
        state = list(key)
        at = 0
        for j in capped:
            if units[j]:
                state[at] += weight * units[j]
                if state[at] > limits[j]:
                    return None
            if state[at] + self.later_each[start][j] < limits[j] - _MARGIN:
                state[at] = -INF
            at += 1
        for j in self.counted:
            capacity = self.table.capacity[self.members[j]]
            if units[j]:
                state[at] += units[j]
                if state[at] > capacity:
                    return None
            if state[at] + self.later_units[start][j] <= capacity:
                state[at] = -INF
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


def _from_each(values: list[float]) -> list[float]:
    """Per position, the sum of the values from there on (one more position: 0)."""
    sums = [0.0] * (len(values) + 1)
    for n in range(len(values) - 1, -1, -1):
        sums[n] = sums[n + 1] + values[n]
    return sums


def _undominated(states: dict[State, float], signs: tuple[float, ...]) -> dict[State, float]:
    """The states that no other beats on every measure and the cost (a measure with sign 1 is better lower:
    a weight or a unit count; with sign -1 higher: a value). Done for one or two measures; with more, the
    states as they are. Among equal states the first stays."""
    if not signs or len(signs) > 2:
        return states
    ordered = sorted(states, key=lambda k: (*(s * x for s, x in zip(signs, k, strict=True)), states[k]))
    kept: dict[State, float] = {}
    if len(signs) == 1:
        least = INF
        for key in ordered:
            if states[key] < least:
                kept[key] = least = states[key]
        return kept
    # two measures: a staircase of the second measure (ascending) against the least cost so far (descending)
    steps: list[float] = []
    costs: list[float] = []
    sign = signs[1]
    for key in ordered:
        second, cost = sign * key[1], states[key]
        at = bisect.bisect_right(steps, second)
        if at and costs[at - 1] <= cost:
            continue  # a state no worse on both measures costs no more
        kept[key] = cost
        end = at
        while end < len(steps) and costs[end] >= cost:
            end += 1
        steps[at:end], costs[at:end] = [second], [cost]
    return kept
