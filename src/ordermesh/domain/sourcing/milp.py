"""The exact search for big problems: a mixed-integer program solved by HiGHS, stopped at the incumbent.

Variables: units per (need, source), one package per source (binary), the weight tier of each package
(binaries summing to the package), units left unfilled, and the side constraints of `Problem`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

from ordermesh.domain.sourcing.plans import solution
from ordermesh.domain.sourcing.problem import INF, MONEY_GAP, Budget, Problem, Solution, violations


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


_local = threading.local()


def _highs() -> Any:
    """This thread's solver, emptied (a new instance per solve would print HiGHS's banner every time)."""
    solver = getattr(_local, "highs", None)
    if solver is None:
        solver = highspy.Highs()  # type: ignore[no-untyped-call]
        solver.setOptionValue("output_flag", False)
        solver.setOptionValue("threads", 1)
        solver.setOptionValue("random_seed", 0)
        # Proven optimal to within half a cent: money is rounded to cents anyway. No relative gap: HiGHS's
        # default (0.01%) would accept a plan ten cents dearer on an order costing a thousand.
        solver.setOptionValue("mip_abs_gap", MONEY_GAP)
        solver.setOptionValue("mip_rel_gap", 0.0)
        _local.highs = solver
    else:
        solver.clearModel()
        solver.clearSolver()
    return solver


def search(problem: Problem, budget: Budget, *, cutoff: float = INF) -> tuple[Solution | None, bool]:
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
    found = solution(problem, take, "milp", optimal=status == highspy.HighsModelStatus.kOptimal)
    if violations(problem, take):
        return None, False
    return found, complete


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
