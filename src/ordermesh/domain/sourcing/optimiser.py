"""Minimum-cost assignment of an order's units to locations: fast path, bounds, exact search, greedy fallback.

`solve` tries the cheapest proofs first: the best whole order from one source when the lower bounds (`bounds.py`,
and the set search's bound on every plan of several shipments) show nothing else can be cheaper; then the search
over the few sets of sources a cheaper plan can ship from (`sets.py`, handed the greedy plan to start from before
it bounds sets of several sources: it is made once, and is the fallback too); then, for small orders, an exact
dynamic programme over the sources (`exact.py`); then the best plan found so far (the greedy plan, or the set
search's) as the incumbent, with every source that cannot take part in a cheaper plan ruled out, and the exact
search over what is left (HiGHS, `milp.py`), stopped at the incumbent. When the budget runs out the best plan
found is kept, marked not optimal.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ordermesh.domain.sourcing import milp
from ordermesh.domain.sourcing.bounds import Bounds, lower_bound_other, worth_keeping
from ordermesh.domain.sourcing.exact import solve_exactly
from ordermesh.domain.sourcing.plans import best_single, greedy, rank, restricted, runner_up, solution
from ordermesh.domain.sourcing.problem import (
    INF,
    MONEY_GAP,
    Breakdown,
    Budget,
    Need,
    Problem,
    ShipmentCost,
    Solution,
    Source,
    Take,
    evaluate,
    violations,
)
from ordermesh.domain.sourcing.sets import search_sets, split_bound

__all__ = [
    "INF",
    "MONEY_GAP",
    "Breakdown",
    "Budget",
    "Need",
    "Problem",
    "ShipmentCost",
    "Solution",
    "Source",
    "Take",
    "evaluate",
    "runner_up",
    "solve",
    "violations",
]


def solve(problem: Problem, budget: Budget = Budget()) -> Solution:
    """The least-cost feasible assignment; `optimal` is False when the budget ran out first."""
    started = time.perf_counter()
    if not problem.arrays.usable.any():
        return solution(problem, (), "none", optimal=True)
    single = best_single(problem)
    alone = any(need.alone for need in problem.needs)
    # Two valid views of the lower bounds; the second (weight-aware) one is only built when the first,
    # cheaper one cannot prove the whole-order source optimal.
    views: tuple[Bounds, ...] = (Bounds(problem, sloped=False),)
    if single is not None and not alone:
        if single.cost <= lower_bound_other(problem, views) + 1e-9:
            return single
        # no split cheaper, by the bound on plans of several shipments the set search starts from
        two = split_bound(problem, single.cost)
        if two is not None and single.cost <= lower_bound_other(problem, views, split=two) + 1e-9:
            return single
    made: list[Solution] = []  # the greedy plan, made once: the set search may start from it

    def greedy_plan() -> Solution:
        if not made:
            made.append(greedy(problem))
        return made[0]

    # Plans from one source alone: the whole order from another costs no less than `single`; when the flat
    # bound shows every partial one costs no less either, the search need not solve single sources' sets.
    settled = single is not None and not alone and float(views[0].only_partial.min(initial=INF)) >= single.cost - 1e-9
    by_sets = search_sets(
        problem, single.take if single is not None else None, lambda: greedy_plan().take, singles_settled=settled
    )
    if by_sets is not None and by_sets[1]:
        return solution(problem, by_sets[0], "exact", optimal=True)
    exactly = solve_exactly(problem)  # small orders: a dynamic programme, in about a millisecond
    if exactly is not None:
        return solution(problem, exactly, "exact", optimal=True)
    views = (*views, Bounds(problem, sloped=True))
    if single is not None and not alone and single.cost <= lower_bound_other(problem, views) + 1e-9:
        return single
    fallback = greedy_plan()
    if by_sets is not None:  # the best plan the set search found before it stopped, if cheaper
        searched = solution(problem, by_sets[0], "greedy", optimal=False)
        fallback = min(fallback, searched, key=lambda x: round(x.cost, 6))
    incumbent = min((x for x in (fallback, single) if x is not None), key=lambda x: (round(x.cost, 6), rank(x.method)))
    keep = worth_keeping(problem, incumbent.cost, views)
    if not keep:  # no source can take part in a cheaper plan: the incumbent is optimal
        return Solution(incumbent.take, incumbent.breakdown, "bound", optimal=True)
    reduced, original = restricted(problem, keep)
    left = replace(budget, seconds=budget.seconds - (time.perf_counter() - started))  # the budget is per order
    found, proven = milp.search(reduced, left, cutoff=incumbent.cost - MONEY_GAP)
    if found is not None:
        take = tuple(sorted((n, original[s], units) for n, s, units in found.take))
        found = solution(problem, take, "milp", optimal=found.optimal)
    if found is not None and found.cost < incumbent.cost - 1e-9:
        return found
    if proven:  # the exact search found nothing cheaper than the incumbent by more than half a cent
        return Solution(incumbent.take, incumbent.breakdown, "milp", optimal=True)
    return Solution(incumbent.take, incumbent.breakdown, incumbent.method, optimal=False)
