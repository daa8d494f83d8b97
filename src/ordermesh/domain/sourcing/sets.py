"""The proven least-cost plan of an order, by enumerating the few sets of sources a cheaper plan can ship from.

A plan ships from a set of sources. Every plan that ships from exactly a given set (each of its sources ships
at least one unit) costs at least:
- the fixed costs of its shipments: each source's package cost and one split cost, one split cost less;
- per unit of need n, `least[n]`: the least of its unit costs at the set's sources and its unfilled cost;
  and past the units of n the set's sources hold between them, its unfilled cost;
- per shipment, the price of a weight tier its source can reach with its own stock (a package weighs at
  least the lightest unit its source can ship, at most everything it can ship, and within its tier's limits);
- for every gram of the order that the set could ship but does not, `per_gram` more: the least of
  (unfilled cost - least[n]) / weight over the needs the set can supply (leaving a unit costs its unfilled
  cost, shipping it at least least[n]).
The bound of a set takes the least of the last two terms over every choice of a tier per source whose
lightest weights fit in the order (`set_bounds.SourceTable.bounds`, many sets at once with numpy).

Search, smallest sets first: every single source; then, while a bound on every plan of at least that many
shipments (`set_bounds.size_bound`: any sources' cheapest fixed costs and packages) is below the incumbent,
the sets of the next size. Before the first sets of several sources that the incumbent leaves room for, a
heuristic plan (the caller's: the greedy one) is offered: a good incumbent early is what prunes sets. Sets
are grown a source at a time, the sources with the cheapest shipments first: a partial set is bounded with
stand-ins for its missing sources, each with the best of the sources that may still join it (so the bound
holds whichever join), and only partial sets below the incumbent grow. A need whose unfilled cost reaches
the incumbent must be shipped (some of it) by any cheaper plan: a partial set whose missing sources,
however chosen among those that may still join, cannot hold some of each such need is dropped
(`set_pruning.Cover`, a table per mask of needs of the fewest joining sources that cover it). From sets of
three, a set holding a source and not an earlier one that dominates it (could ship its shipment for no
more, `set_pruning.dominating`) is dropped too: the set with the dominating source in its place is no dearer.

Each set left is solved exactly, cheapest bound first, while its bound is below the incumbent: for each
choice of tier per source, cheapest bound first, a dynamic programme over the needs
(`set_programme.SetProgramme`) finds the least unit and unfilled cost with every package within its tier's
limit, pruned by the same bounds. A tier price counted for a lighter package, or a source
that ships nothing, only over-prices a plan that the set (or a smaller one) also holds, so the least over
every set is exact. The plan found is priced by `evaluate` and checked by `violations`.

Where it applies: no need ships `alone`, no two needs share a SKU, no negative price, tier prices that do
not fall with weight. The search counts its work (bounds, and steps of the programme) and stops unproven past
`MOST_WORK`, or when too many sets or states are left, the same way on every machine; the caller then proves
optimality another way, starting from the best plan found. Ties keep the plan found first: the incumbent
handed in (the empty plan before it), the heuristic's, then the sets in the order of their bounds, then of
their sources (each set's listed strongest alone first).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ordermesh.domain.sourcing.problem import Problem, Take, evaluate, violations
from ordermesh.domain.sourcing.set_bounds import SETUP_WORK, TOL, Floats, Ints, SourceTable, Work, size_bound
from ordermesh.domain.sourcing.set_programme import SetProgramme

MOST_SETS = 48  # sets solved exactly before handing the order to another method
MOST_WORK = 450_000  # bound evaluations (`set_bounds.CALL_WORK`): 15-20 ms, 27 ms the most seen, on the 2-core machine


def solve_by_sets(
    problem: Problem, incumbent: Take | None = None, heuristic: Callable[[], Take] | None = None
) -> Take | None:
    """Return an optimal feasible plan, or None when this method does not apply or would take too long.

    `incumbent` (a feasible plan, such as the best whole order from one source) is kept unless a plan
    cheaper by more than the tolerance exists. `heuristic` makes a feasible plan (such as the greedy one)
    when the search is about to bound sets of several sources: without an incumbent, before pairs; else
    before sets of three.
    """
    found = search_sets(problem, incumbent, heuristic)
    return found[0] if found is not None and found[1] else None


def search_sets(
    problem: Problem,
    incumbent: Take | None = None,
    heuristic: Callable[[], Take] | None = None,
    *,
    singles_settled: bool = False,
) -> tuple[Take, bool] | None:
    """The best feasible plan found and whether it is proven optimal (None: the method does not apply).

    The search stops unproven when more sets or states are left than it takes on; its best plan is still
    a good incumbent for another method. `heuristic`: as for `solve_by_sets`. `singles_settled`: the caller
    has shown that no plan shipping from one source alone beats the incumbent, so no single source's set is
    solved.
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
    proven = _search(problem, best, heuristic, before=1 if incumbent is None else 3, singles=not singles_settled)
    if best.plan and violations(problem, best.plan):  # not expected: the programme keeps every constraint
        return None
    return best.plan, proven


def _search(
    problem: Problem, best: _Best, heuristic: Callable[[], Take] | None, before: int, *, singles: bool = True
) -> bool:
    """Improve the incumbent over every set of sources, smallest sets first (False: stopped unproven); the
    heuristic's plan is offered before the sets of `before` sources, the first that the incumbent leaves
    room for: a good incumbent early prunes most sets of several sources (a plan leaving a unit unfilled
    then costs more than it, and a set must hold some of every need)."""
    table = source_table(problem)
    most = min(len(table.rows), int(table.quantity.sum()))  # each source ships a unit at least
    if problem.max_shipments is not None:
        most = min(most, problem.max_shipments)
    if problem.min_split_value > 1e-3:  # each package of a split is worth the minimum at least
        value = sum(need.unit_value * need.quantity for need in problem.needs)
        most = min(most, max(1, math.floor((value + 1e-6) / (problem.min_split_value - 1e-6))))
    if most < 1:
        return True
    work = Work(MOST_WORK)
    ones = np.arange(len(table.rows), dtype=np.intp)[:, None]
    if not work.spend(table.bound_work(ones)):
        return False
    alone = table.bounds(ones, problem)

    def offer() -> None:
        nonlocal heuristic
        if heuristic is not None:
            plan, heuristic = heuristic(), None
            if not violations(problem, plan):
                best.offer(evaluate(problem, plan).total, plan)

    if before == 1 and most > 1:
        offer()
    if singles and not _solve_sets(table, problem, ones, best, work, alone):
        return False
    size = 2
    while size <= most and size_bound(table, problem, size, best.cost) < best.cost - TOL:
        if heuristic is not None and size >= before:
            offer()
            if size_bound(table, problem, size, best.cost) >= best.cost - TOL:
                break
        found = table.sets_of(size, problem, best.cost, work, alone)
        if found is None or not _solve_sets(table, problem, found[0], best, work, found[1]):
            return False
        size += 1
    return True


def split_bound(problem: Problem, incumbent: float) -> float | None:
    """A lower bound on every plan of two shipments or more, at least `incumbent` when none is cheaper than it
    by more than the tolerance (None: the search does not apply). Cheap next to the search itself: when it
    shows that no split can beat the best whole order from one source, the search has nothing to do."""
    if not _applies(problem):
        return None
    return size_bound(source_table(problem), problem, 2, incumbent)


def source_table(problem: Problem) -> SourceTable:
    """The problem's sources as the search's table, built once per problem."""
    table = problem.shared.get("sets.table")
    if table is None:
        table = problem.shared["sets.table"] = SourceTable.of(problem)
    return table


@dataclass
class _Best:
    """The best plan found so far; another replaces it only if cheaper by more than the tolerance."""

    cost: float
    plan: Take

    def offer(self, cost: float, plan: Take) -> None:
        if cost < self.cost - TOL:
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


def _solve_sets(
    table: SourceTable, problem: Problem, members: Ints, best: _Best, work: Work, bounds: Floats | None = None
) -> bool:
    """Solve the sets of sources whose bound is below the incumbent, cheapest first (False: too many)."""
    if bounds is None:
        bounds = table.bounds(members, problem)
    order = np.lexsort((*members.T[::-1], bounds))
    order = order[bounds[order] < best.cost - TOL]
    for solved, index in enumerate(order.tolist()):
        if bounds[index] >= best.cost - TOL:
            break
        if solved == MOST_SETS:
            return False
        if not work.spend(SETUP_WORK):
            return False
        found = SetProgramme(table, problem, tuple(members[index].tolist()), work).run(best.cost)
        if found is None:
            return False
        if found:
            best.offer(evaluate(problem, found).total, found)
    return True
