"""Online policies of the benchmark: the published myopic and dilated rounding, and Ordermesh's engine.

Every policy sees the same arrival sequence, starts from the instance's stock, decides each order at
once, and pays the README's cost: c_fixed per distinct FC used (2 * c_fixed for the virtual FC) plus
c_unit(k, j) per item (2 * c_unit_max(j) for an item sent to the virtual FC, i.e. lost).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from dlp import Dlp, DlpSolution
from instances import FloatArray, Instance, IntArray

from ordermesh.domain.sourcing.engine import DETERMINISTIC_SECONDS
from ordermesh.domain.sourcing.optimiser import Budget, Need, Problem, Source, solve

# A node budget only (the engine's deterministic mode): results do not depend on the machine's load.
ENGINE_BUDGET = Budget(seconds=DETERMINISTIC_SECONDS, nodes=Budget().nodes)
AMPLE = 10**9  # stock of the virtual FC


@dataclass
class Outcome:
    """What one policy did on one arrival sequence."""

    cost: float = 0.0
    orders: int = 0  # non-empty orders
    items: int = 0
    lost_items: int = 0
    packages: int = 0
    seconds: float = 0.0  # wall time of the sequence
    cpu_seconds: float = 0.0
    solves: int = 0  # optimiser calls
    solve_seconds: float = 0.0  # wall time inside `solve`
    methods: Counter[str] = field(default_factory=Counter)  # optimiser method (and "+timeout" if not optimal)
    dlp_seconds: float = 0.0  # DLP re-solves inside the sequence
    dlp_resolves: int = 0


class Ledger:
    """Remaining stock and the README's cost of each decision."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.net = instance.network
        self.virtual = self.net.centres
        self.stock: IntArray = instance.stock.copy()
        self.outcome = Outcome()

    def ship(self, items: tuple[int, ...], region: int, centres: list[int]) -> float:
        """Ship item n of the order from `centres[n]` (the virtual FC = lost); returns the order's cost."""
        net = self.net
        cost = 0.0
        for item, k in zip(items, centres, strict=True):
            if k != self.virtual:
                self.stock[k, item] -= 1
                assert self.stock[k, item] >= 0, "stock went negative"
            cost += float(net.unit_cost[k, region])
        used = set(centres)
        cost += float(sum(net.package_cost[k] for k in used))
        out = self.outcome
        out.cost += cost
        out.orders += 1
        out.items += len(items)
        out.lost_items += sum(1 for k in centres if k == self.virtual)
        out.packages += len(used)
        return cost


def _progress(label: str, t: int, horizon: int, started: float) -> None:
    if horizon >= 50_000 and t % (horizon // 10) == 0 and t:
        elapsed = time.perf_counter() - started
        print(f"  [{label}] {t:,}/{horizon:,} orders, {elapsed:.0f}s", file=sys.stderr, flush=True)


def run_myopic(instance: Instance, order_type: IntArray, region: IntArray, label: str = "myopic") -> Outcome:
    """Each item from the closest FC that carries it; if that FC is out of stock, the item is lost."""
    started, cpu = time.perf_counter(), time.process_time()
    ledger = Ledger(instance)
    net = instance.network
    miles = np.where(instance.carries[:, :, None], net.miles[:, None, :], np.inf)  # (K, I, J)
    closest = np.argmin(miles, axis=0)  # (I, J)
    for t, (q, j) in enumerate(zip(order_type.tolist(), region.tolist(), strict=True)):
        _progress(label, t, instance.horizon, started)
        if q < 0:
            continue
        items = instance.types[q]
        centres = []
        for i in items:
            k = int(closest[i, j])
            centres.append(k if ledger.stock[k, i] > 0 else ledger.virtual)
        ledger.ship(items, j, centres)
    return _finish(ledger, started, cpu)


def run_dilated(
    instance: Instance,
    order_type: IntArray,
    region: IntArray,
    dlp: DlpSolution,
    seed: int,
    label: str = "dilated",
) -> Outcome:
    """Ma's dilated rounding: per order, FC k opens at E_k ~ Exp(1); item i goes to argmin_k E_k / x[k, i].

    x is the DLP assignment of the order's (type, region), the virtual FC included; an item whose chosen
    FC is out of stock is lost (sent to the virtual FC).
    """
    started, cpu = time.perf_counter(), time.process_time()
    ledger = Ledger(instance)
    rng = np.random.default_rng(seed)
    opening = rng.exponential(size=(instance.horizon, instance.network.centres + 1))
    with np.errstate(divide="ignore"):
        inverse = [np.where(x > 0, 1.0 / np.where(x > 0, x, 1.0), np.inf) for x in dlp.assignment]
    for t, (q, j) in enumerate(zip(order_type.tolist(), region.tolist(), strict=True)):
        _progress(label, t, instance.horizon, started)
        if q < 0:
            continue
        items = instance.types[q]
        chosen = np.argmin(opening[t][None, :] * inverse[q][j], axis=1).tolist()
        centres = [
            k if k == ledger.virtual or ledger.stock[k, i] > 0 else ledger.virtual
            for i, k in zip(items, chosen, strict=True)
        ]
        ledger.ship(items, j, centres)
    return _finish(ledger, started, cpu)


def run_engine(
    instance: Instance,
    order_type: IntArray,
    region: IntArray,
    *,
    lookahead: DlpSolution | None = None,
    resolves: int = 0,
    dual_scale: float = 1.0,
    label: str = "engine",
) -> Outcome:
    """Ordermesh's optimiser per order on the remaining stock.

    With `lookahead`, the unit cost of item i at FC k adds `dual_scale` times the DLP dual price of FC k's
    stock of i (its opportunity cost); with `resolves` > 0 the DLP is solved again on the remaining stock
    and remaining horizon that many times, evenly spaced, and the prices are replaced.
    """
    started, cpu = time.perf_counter(), time.process_time()
    ledger = Ledger(instance)
    net = instance.network
    virtual = ledger.virtual
    horizon = instance.horizon
    opportunity: FloatArray | None = None if lookahead is None else lookahead.opportunity * dual_scale
    resolve_at = {round(horizon * r / (resolves + 1)) for r in range(1, resolves + 1)} if lookahead else set()
    model: Dlp | None = None
    skus = [tuple(str(i) for i in items) for items in instance.types]
    needs = [tuple(Need(sku, 1) for sku in names) for names in skus]
    carriers = [
        [(k, [n for n, i in enumerate(items) if instance.carries[k, i]]) for k in range(net.centres)]
        for items in instance.types
    ]
    carriers = [[(k, ns) for k, ns in per_type if ns] for per_type in carriers]
    lost_sources: dict[tuple[int, int], Source] = {}
    outcome = ledger.outcome
    for t, (q, j) in enumerate(zip(order_type.tolist(), region.tolist(), strict=True)):
        _progress(label, t, horizon, started)
        if t in resolve_at and lookahead is not None:
            model = model if model is not None else Dlp(instance, start=lookahead.pool)
            fresh = model.solve(ledger.stock, horizon - t)
            opportunity = fresh.opportunity * dual_scale
            outcome.dlp_seconds += fresh.seconds
            outcome.dlp_resolves += 1
        if q < 0:
            continue
        items = instance.types[q]
        names = skus[q]
        sources = []
        for k, positions in carriers[q]:
            unit = float(net.unit_cost[k, j])
            if opportunity is None:
                unit_cost = dict.fromkeys(positions, unit)
            else:
                unit_cost = {n: unit + float(opportunity[k, items[n]]) for n in positions}
            stock = {names[n]: int(ledger.stock[k, items[n]]) for n in positions}
            sources.append(Source(str(k), stock, unit_cost, float(net.package_cost[k])))
        lost = lost_sources.get((q, j))
        if lost is None:
            lost = Source(
                "lost",
                dict.fromkeys(names, AMPLE),
                dict.fromkeys(range(len(items)), float(net.unit_cost[virtual, j])),
                float(net.package_cost[virtual]),
            )
            lost_sources[(q, j)] = lost
        sources.append(lost)
        problem = Problem(needs[q], tuple(sources))
        solve_started = time.perf_counter()
        solution = solve(problem, ENGINE_BUDGET)
        outcome.solve_seconds += time.perf_counter() - solve_started
        outcome.solves += 1
        outcome.methods[solution.method + ("" if solution.optimal else "+budget")] += 1
        centres = [-1] * len(items)
        for n, s, units in solution.take:
            assert units == 1 and centres[n] == -1
            key = sources[s].key
            centres[n] = virtual if key == "lost" else int(key)
        assert -1 not in centres, "the optimiser left an item unfilled although the virtual FC has ample stock"
        cost = ledger.ship(items, j, centres)
        if opportunity is None:
            assert abs(cost - solution.cost) <= 1e-6 * max(1.0, cost), (cost, solution.cost)
    return _finish(ledger, started, cpu)


def _finish(ledger: Ledger, started: float, cpu: float) -> Outcome:
    assert (ledger.stock >= 0).all(), "stock went negative"
    ledger.outcome.seconds = time.perf_counter() - started
    ledger.outcome.cpu_seconds = time.process_time() - cpu
    return ledger.outcome
