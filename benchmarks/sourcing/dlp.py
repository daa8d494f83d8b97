"""The deterministic LP (DLP) lower bound, solved exactly with HiGHS by Dantzig-Wolfe column generation.

The README's LP, for every (type q, region j) "pair" of rate lambda[q, j] and a horizon of T orders:

    min  T * sum lambda[q,j] * (sum_k c_fixed[k] * y[q,j,k] + sum_{i,k} c_unit[k,j] * u[q,j,i,k])
    s.t. sum_k u[q,j,i,k] = 1                                   for every item i of q   (assignment)
         u[q,j,i,k] <= y[q,j,k]                                 (package opening)
         T * sum_{q,j} lambda[q,j] * u[q,j,i,k] <= b[k,i]       for every real FC k, item i   (stock)

with u[q,j,i,k] only for FCs k that carry item i (the virtual lost-sale FC K carries everything).
The full LP of the large setup has about 390k columns and 360k rows (about 300k of them package-opening
rows) and takes HiGHS many minutes (`solve_full` builds it: IPX with crossover, 6 minutes on a loaded machine;
the dual simplex more than 10); it is kept to check this method.

Only the ~1,000 stock rows link the pairs. For each pair, the assignment and package-opening rows describe a
polytope P[q,j] (a small uncapacitated facility-location LP: the items of q are the customers, the FCs
the facilities), so the DLP is the Dantzig-Wolfe master

    min  sum_p cost(p) * w[p]
    s.t. sum_{p of pair (q,j)} w[p] = T * lambda[q,j]           (convexity, dual sigma[q,j])
         sum_p u(p)[i,k] * w[p] <= b[k,i]                       (stock, dual -mu[k,i], mu >= 0)

over points p of the P[q,j] ("patterns", w[p] the expected number of orders of the pair served that way;
cost(p) = sum_k c_fixed[k] y(p)[k] + sum_{i,k} c_unit[k,j] u(p)[i,k]). The master has 10,000 + 1,000 rows
whatever the number of patterns. It starts from two patterns per pair: every item lost (always feasible)
and every item from its closest carrier (myopic).

Pricing is exact: each type's facility-location LPs (all its regions in one HiGHS model, unit prices
c_unit + mu, no stock rows; the costs change, the model stays) give per pair the LP value V[q,j](mu) and an
optimal vertex, often fractional (the LP relaxation of facility location is not integral). A pair with
V[q,j](mu) < sigma[q,j] gets that vertex as a new pattern. V also gives the Lagrangian lower bound
L(mu) = sum T * lambda * V(mu) - mu . b, valid for any mu >= 0.

The master is solved by IPX without crossover while the gap between the master and L(mu) is large (central
duals; patterns whose reduced cost stayed above PURGE_REDUCED_COST for PURGE_AGE solves are dropped, which
keeps the master at ~35k patterns), then once with crossover (a basis), then by the dual simplex warm-started
from that basis until the pricing adds nothing. At that point no point of any P[q,j] has a negative reduced
cost at the master's simplex duals: the master optimum is the optimum of the full DLP (not an estimate),
and `DlpSolution.lower_bound` = L(mu) certifies it (equal to the value up to HiGHS's tolerances). Checked:
equal to the full LP (`solve_full`) on the 10 warm-up instances and on large instance 0 of seed 20261127
(`python benchmarks/sourcing/dlp.py --setup large --full ipx`).

A re-solve (`solve` again, other stock and horizon) changes the row bounds and continues with the dual
simplex from the last basis; a new `Dlp` may start from the patterns of an earlier solution (`start`).

The primal assignment (used by dilated rounding) is the master's convex combination of patterns, an optimal
DLP solution; -dual of the stock row of (k, i), `mu`, is the value of one unit of b[k, i].
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))

from instances import SETUPS, BoolArray, FloatArray, Instance, IntArray, generate_instance

PRICING_TOLERANCE = 1e-7  # a pattern prices out if its reduced cost (cost per order) is below -PRICING_TOLERANCE
MASTER_DUAL_TOLERANCE = 1e-9  # HiGHS's dual feasibility tolerance in the master, well below PRICING_TOLERANCE
MAX_ROUNDS = 200
IPM_SWITCH_GAP = 1e-6  # IPM rounds end when (master - Lagrangian bound) / master falls below this
PURGE_REDUCED_COST = 0.5  # IPM rounds drop patterns whose reduced cost exceeded this (per order) ...
PURGE_AGE = 3  # ... in PURGE_AGE master solves in a row (never the all-lost pattern of a pair)
SIMPLEX_MAX_NEW = 1000  # simplex rounds go back to IPM rounds when the pricing adds more patterns than this


@contextlib.contextmanager
def banner_to_stderr() -> Iterator[None]:
    """HiGHS prints its banner on stdout when a `Highs` is created; keep stdout for the results table."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def new_highs() -> highspy.Highs:
    """A quiet single-threaded HiGHS instance."""
    with banner_to_stderr():
        solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)
    return solver


def run_optimal(highs: highspy.Highs, what: str) -> int:
    """Run HiGHS to an optimal status; returns how many retries it took.

    Rarely a warm-started simplex run ends with status "unknown" (a dual infeasibility just above the
    tolerance after the cost-perturbation clean-up): solve again from scratch, then with IPX and crossover.
    """
    optimal = highspy.HighsModelStatus.kOptimal
    highs.run()
    retries = 0
    if highs.getModelStatus() != optimal:
        retries += 1
        highs.clearSolver()
        highs.run()
    if highs.getModelStatus() != optimal:
        retries += 1
        _, solver = highs.getOptionValue("solver")
        _, crossover = highs.getOptionValue("run_crossover")
        highs.clearSolver()
        highs.setOptionValue("solver", "ipx")
        highs.setOptionValue("run_crossover", "on")
        highs.run()
        highs.setOptionValue("solver", solver)
        highs.setOptionValue("run_crossover", crossover)
    status = highs.getModelStatus()
    assert status == optimal, f"{what}: {highs.modelStatusToString(status)}"
    return retries


def _csc_starts(column: IntArray, n_columns: int) -> NDArray[np.int32]:
    starts = np.zeros(n_columns + 1, dtype=np.int32)
    np.cumsum(np.bincount(column, minlength=n_columns), out=starts[1:])
    return starts


@dataclass
class Patterns:
    """Columns of the master: pattern c serves pair `pair[c]` (= q * J + j) at `cost[c]` per order (without mu).

    Its assignment is the entries e with `entry_column[e] == c`: item position `entry_position[e]` of the type
    goes to FC `entry_centre[e]` (K = virtual) with fraction `entry_value[e]` (1 for an integral pattern).
    """

    pair: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cost: FloatArray = field(default_factory=lambda: np.zeros(0))
    entry_column: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    entry_position: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    entry_centre: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    entry_value: FloatArray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return int(self.pair.size)

    def extend(self, other: Patterns) -> None:
        offset = len(self)
        self.pair = np.concatenate([self.pair, other.pair])
        self.cost = np.concatenate([self.cost, other.cost])
        self.entry_column = np.concatenate([self.entry_column, other.entry_column + offset])
        self.entry_position = np.concatenate([self.entry_position, other.entry_position])
        self.entry_centre = np.concatenate([self.entry_centre, other.entry_centre])
        self.entry_value = np.concatenate([self.entry_value, other.entry_value])

    def subset(self, keep: BoolArray) -> Patterns:
        """The patterns marked in `keep` (renumbered in order)."""
        new_index = np.cumsum(keep) - 1
        entries = keep[self.entry_column]
        return Patterns(
            pair=self.pair[keep],
            cost=self.cost[keep],
            entry_column=new_index[self.entry_column[entries]],
            entry_position=self.entry_position[entries],
            entry_centre=self.entry_centre[entries],
            entry_value=self.entry_value[entries],
        )

    @staticmethod
    def join(parts: list[Patterns]) -> Patterns:
        out = Patterns()
        for part in parts:
            out.extend(part)
        return out


@dataclass
class DlpSolution:
    """Value, primal assignment and stock duals of one DLP solve."""

    value: float  # expected total cost over the horizon at the optimum: the lower bound on the expected cost
    lower_bound: float  # Lagrangian bound L(mu) from the last exact pricing (= value up to HiGHS tolerances)
    horizon: int
    assignment: list[FloatArray]  # per type: (J, n_items, K+1) fraction of item i of (q, j) sent to FC k
    opportunity: FloatArray  # (K, I): -dual of the stock row, the value of one unit of stock (>= 0)
    seconds: float
    rounds: int  # master solves
    columns: int  # patterns in the final master
    fractional_columns: int  # fractional patterns generated (vertices of P[q,j]; some dropped later)
    full_columns: int  # columns of the full (block) LP, for comparison
    retries: int  # HiGHS runs (master or pricing) solved again after a non-optimal status, over the Dlp's life
    pool: Patterns  # the master's patterns (a warm start for another Dlp of the same instance)


@dataclass(frozen=True)
class _TypeData:
    """What pricing needs about one order type."""

    items: IntArray  # (n,)
    centres: IntArray  # (m,) FCs carrying at least one item of the type, then the virtual FC
    carried: BoolArray  # (n, m)


class Dlp:
    """The DLP of one instance; `solve` may be called again with remaining stock and horizon (warm start)."""

    def __init__(self, instance: Instance, *, start: Patterns | None = None, verbose: bool = False) -> None:
        self.instance = instance
        self.verbose = verbose
        net = instance.network
        self.k_virtual = net.centres
        self.regions = net.regions
        self.items = instance.setup.items
        self.types: list[_TypeData] = []
        self.full_columns = 0
        for order_items in instance.types:
            items = np.asarray(order_items, dtype=np.int64)
            real = np.flatnonzero(instance.carries[:, items].any(axis=1))
            centres = np.append(real, net.centres)
            carried = np.ones((items.size, centres.size), dtype=bool)
            carried[:, :-1] = instance.carries[np.ix_(real, items)].T
            self.types.append(_TypeData(items, centres, carried))
            per_centre = carried.sum(axis=0)
            self.full_columns += self.regions * int(per_centre.sum() + (per_centre >= 2).sum())
        self.n_pairs = len(instance.types) * self.regions
        self.stock_row0 = self.n_pairs  # stock row of (k, i) = stock_row0 + k * I + i
        self.n_rows = self.n_pairs + net.centres * self.items
        self.rate = instance.rate.ravel()  # lambda per pair
        self.pool = Patterns()
        self.start = start
        self.highs = new_highs()
        self.highs.setOptionValue("dual_feasibility_tolerance", MASTER_DUAL_TOLERANCE)
        self._loaded = False
        self._lp_models: dict[int, _TypeLp] = {}
        self.fractional = 0
        self.age = np.zeros(0, dtype=np.int64)
        self.purged = 0
        self.retries = 0  # HiGHS runs solved again after a non-optimal status (see `run_optimal`)

    # --- patterns -------------------------------------------------------------------------------

    def _pattern_cost(self, regions: IntArray, centres: IntArray) -> FloatArray:
        """Cost per order (without mu) of integral patterns: `centres[r, n]` serves item position n in region r."""
        net = self.instance.network
        unit = net.unit_cost[centres, regions[:, None]].sum(axis=1)
        opened = np.zeros((regions.size, net.centres + 1))
        opened[np.arange(regions.size)[:, None], centres] = 1.0
        return np.asarray(unit + opened @ net.package_cost, dtype=np.float64)

    def _integral_patterns(self, q: int, regions: IntArray, centres: IntArray) -> Patterns:
        """Integral patterns of type q: item position n of the pattern for `regions[r]` goes to `centres[r, n]`."""
        n = centres.shape[1]
        positions = np.arange(n)
        return Patterns(
            pair=q * self.regions + regions,
            cost=self._pattern_cost(regions, centres),
            entry_column=np.repeat(np.arange(regions.size), n),
            entry_position=np.tile(positions, regions.size),
            entry_centre=centres.ravel(),
            entry_value=np.ones(centres.size),
        )

    def _initial_patterns(self) -> Patterns:
        """Per pair: every item lost (always feasible) and every item from its closest carrier (myopic)."""
        net = self.instance.network
        parts = []
        regions = np.arange(self.regions)
        for q, data in enumerate(self.types):
            n = data.items.size
            parts.append(self._integral_patterns(q, regions, np.full((self.regions, n), self.k_virtual)))
            closest = np.empty((self.regions, n), dtype=np.int64)
            for position, item in enumerate(data.items):
                carriers = np.flatnonzero(self.instance.carries[:, item])
                closest[:, position] = carriers[np.argmin(net.miles[carriers], axis=0)]
            parts.append(self._integral_patterns(q, regions, closest))
        return Patterns.join(parts)

    # --- master ---------------------------------------------------------------------------------

    def _add_columns(self, new: Patterns, convexity: FloatArray, stock: FloatArray) -> None:
        """Append patterns to the pool and to the HiGHS master."""
        offset = len(self.pool)
        self.pool.extend(new)
        n_new = len(new)
        q_of = new.pair // self.regions
        items_of = [data.items for data in self.types]
        real = new.entry_centre < self.k_virtual
        entry_item = np.empty(new.entry_column.size, dtype=np.int64)
        for q in np.unique(q_of[new.entry_column]):
            mine = q_of[new.entry_column] == q
            entry_item[mine] = items_of[q][new.entry_position[mine]]
        stock_col = new.entry_column[real]
        stock_row = self.stock_row0 + new.entry_centre[real] * self.items + entry_item[real]
        stock_value = new.entry_value[real]
        # merge duplicate (column, row) entries (a fractional pattern never has them, but be safe)
        key = stock_col * self.n_rows + stock_row
        unique, inverse = np.unique(key, return_inverse=True)
        stock_value = np.bincount(inverse, weights=stock_value).astype(np.float64)
        stock_col, stock_row = unique // self.n_rows, unique % self.n_rows
        cols = np.concatenate([np.arange(n_new), stock_col])
        rows = np.concatenate([new.pair, stock_row])
        vals = np.concatenate([np.ones(n_new), stock_value])
        order = np.lexsort((rows, cols))
        starts = _csc_starts(cols, n_new)
        if not self._loaded:
            lp = highspy.HighsLp()
            lp.num_col_ = n_new
            lp.num_row_ = self.n_rows
            lp.col_cost_ = new.cost
            lp.col_lower_ = np.zeros(n_new)
            lp.col_upper_ = np.full(n_new, np.inf)
            lp.row_lower_ = np.concatenate([convexity, np.full(stock.size, -np.inf)])
            lp.row_upper_ = np.concatenate([convexity, stock])
            lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
            lp.a_matrix_.num_col_ = n_new
            lp.a_matrix_.num_row_ = self.n_rows
            lp.a_matrix_.start_ = starts
            lp.a_matrix_.index_ = rows[order].astype(np.int32)
            lp.a_matrix_.value_ = vals[order]
            self.highs.passModel(lp)
            self._loaded = True
        else:
            self.highs.addCols(
                n_new,
                new.cost,
                np.zeros(n_new),
                np.full(n_new, np.inf),
                int(rows.size),
                starts[:-1],
                rows[order].astype(np.int32),
                vals[order],
            )
        assert self.highs.getNumCol() == offset + n_new

    # --- pricing --------------------------------------------------------------------------------

    def _price_lp(self, sigma: FloatArray, mu: FloatArray) -> tuple[Patterns, FloatArray]:
        """Exact pricing: per pair the facility-location LP value V(mu); patterns of the pairs with V < sigma."""
        parts: list[Patterns] = []
        value = np.empty(self.n_pairs)
        for q in range(len(self.types)):
            model = self._lp_models.get(q)
            if model is None:
                model = self._lp_models[q] = _TypeLp(self, q)
            pair_value, patterns = model.solve(mu, sigma[q * self.regions : (q + 1) * self.regions])
            value[q * self.regions : (q + 1) * self.regions] = pair_value
            if len(patterns):
                fractional = np.bincount(
                    patterns.entry_column, weights=(patterns.entry_value < 1 - 1e-9), minlength=len(patterns)
                )
                self.fractional += int((fractional > 0).sum())
                parts.append(patterns)
        return Patterns.join(parts), value

    # --- solving --------------------------------------------------------------------------------

    def solve(self, stock: IntArray, horizon: int) -> DlpSolution:
        """Solve with `stock` (K, I) left for the next `horizon` orders."""
        started = time.perf_counter()
        net = self.instance.network
        convexity = horizon * self.rate
        stock_bound = stock.astype(np.float64).ravel()
        if not self._loaded:
            start = self.start if self.start is not None else self._initial_patterns()
            self._add_columns(start, convexity, stock_bound)
        else:
            rows = np.arange(self.n_rows, dtype=np.int32)
            lower = np.concatenate([convexity, np.full(stock_bound.size, -np.inf)])
            upper = np.concatenate([convexity, stock_bound])
            self.highs.changeRowsBounds(rows.size, rows, lower, upper)  # type: ignore[attr-defined]
        rounds = 0
        pair_value = np.zeros(self.n_pairs)
        phase = "simplex" if self.highs.getBasis().valid else "ipm"
        while True:
            rounds += 1
            assert rounds <= MAX_ROUNDS, "DLP column generation did not converge"
            run_started = time.perf_counter()
            self.highs.setOptionValue("solver", "simplex" if phase == "simplex" else "ipx")
            self.highs.setOptionValue("run_crossover", "on" if phase == "crossover" else "off")
            self.retries += run_optimal(self.highs, "DLP master")
            objective = float(self.highs.getInfo().objective_function_value)
            row_dual = np.asarray(self.highs.getSolution().row_dual)
            sigma = row_dual[: self.n_pairs]
            mu = np.maximum(-row_dual[self.stock_row0 :].reshape(net.centres, self.items), 0.0)
            solved = time.perf_counter()
            new, pair_value = self._price_lp(sigma, mu)
            bound = float(horizon * self.rate @ pair_value - mu.ravel() @ stock_bound)
            if self.verbose:
                print(
                    f"    DLP round {rounds} ({phase}): {len(self.pool):,} patterns, objective {objective:,.4f},"
                    f" bound {bound:,.4f}, {self.highs.getInfo().simplex_iteration_count:,} simplex"
                    f" {self.highs.getInfo().ipm_iteration_count:,} ipm iterations {solved - run_started:.1f}s,"
                    f" pricing {time.perf_counter() - solved:.1f}s: {len(new):,} new, {self.purged:,} purged"
                    f"{f', {self.retries} retries' if self.retries else ''}",
                    file=sys.stderr,
                    flush=True,
                )
            if phase == "ipm":
                self._purge(np.asarray(self.highs.getSolution().col_dual))
                if not len(new) or objective - bound < IPM_SWITCH_GAP * abs(objective):
                    phase = "crossover"
            elif not len(new):
                break
            else:  # many new patterns (a re-solve far from the last one): IPM rounds again
                phase = "ipm" if len(new) > SIMPLEX_MAX_NEW else "simplex"
            if len(new):
                self._add_columns(new, convexity, stock_bound)
        solution = self.highs.getSolution()
        weight = np.asarray(solution.col_value)
        row_dual = np.asarray(solution.row_dual)
        opportunity = np.maximum(-row_dual[self.stock_row0 :].reshape(net.centres, self.items), 0.0)
        value = float(self.highs.getInfo().objective_function_value)
        lower_bound = float(horizon * self.rate @ pair_value - opportunity.ravel() @ stock_bound)
        return DlpSolution(
            value=value,
            lower_bound=lower_bound,
            horizon=horizon,
            assignment=self._assignment(weight, convexity),
            opportunity=opportunity,
            seconds=time.perf_counter() - started,
            rounds=rounds,
            columns=len(self.pool),
            fractional_columns=self.fractional,
            full_columns=self.full_columns,
            retries=self.retries,
            pool=self.pool,
        )

    def _purge(self, reduced: FloatArray) -> None:
        """Drop the patterns priced out of the master for PURGE_AGE rounds in a row (IPM rounds: no basis)."""
        if self.age.size < reduced.size:
            self.age = np.concatenate([self.age, np.zeros(reduced.size - self.age.size, dtype=np.int64)])
        self.age = np.where(reduced > PURGE_REDUCED_COST, self.age + 1, 0)
        pool = self.pool
        uses_stock = np.bincount(pool.entry_column, weights=pool.entry_centre < self.k_virtual, minlength=len(pool))
        drop = (self.age >= PURGE_AGE) & (uses_stock > 0)  # keep "all lost": every pair stays feasible
        if not drop.any():
            return
        index = np.flatnonzero(drop).astype(np.int32)
        self.highs.deleteCols(index.size, index)
        self.pool = self.pool.subset(~drop)
        self.age = self.age[~drop]
        self.purged += index.size

    def _assignment(self, weight: FloatArray, convexity: FloatArray) -> list[FloatArray]:
        """Per type (J, n, K+1): the master's convex combination of patterns, per order of the pair."""
        pool = self.pool
        share = np.clip(weight, 0.0, None) / convexity[pool.pair]
        entry_pair = pool.pair[pool.entry_column]
        entry_share = share[pool.entry_column] * pool.entry_value
        out = []
        for q, data in enumerate(self.types):
            mine = entry_pair // self.regions == q
            x = np.zeros((self.regions, data.items.size, self.k_virtual + 1))
            np.add.at(
                x,
                (entry_pair[mine] % self.regions, pool.entry_position[mine], pool.entry_centre[mine]),
                entry_share[mine],
            )
            out.append(x)
        return out


class _TypeLp:
    """The facility-location LPs of one type, all regions in one HiGHS model (no stock rows): exact pricing.

    Per region j and FC k carrying the positions P (of the type's items): one u column per position in P
    and one y column if |P| >= 2 (with |P| = 1, y = u at an optimum: one column priced c_fixed + c_unit).
    Rows: sum_k u[j, n, k] = 1 per (j, n); u <= y per u of a block with a y.
    """

    def __init__(self, dlp: Dlp, q: int) -> None:
        net = dlp.instance.network
        data = dlp.types[q]
        self.dlp, self.q, self.data = dlp, q, data
        regions, n = dlp.regions, data.items.size
        cost: list[FloatArray] = []
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        u_region: list[IntArray] = []
        u_position: list[IntArray] = []
        u_slot: list[IntArray] = []  # index into the (n, m) price matrix, position * m + f
        u_column: list[IntArray] = []
        y_column: list[IntArray] = []  # per u: its block's y column (or the u itself when merged)
        link_u: list[IntArray] = []
        link_y: list[IntArray] = []
        column = 0
        m = data.centres.size
        j = np.arange(regions)
        for f, k in enumerate(data.centres):
            positions = np.flatnonzero(data.carried[:, f])
            merged = positions.size == 1
            width = positions.size + (0 if merged else 1)
            base = column + j[:, None] * width  # (J, 1)
            u = base + np.arange(positions.size)[None, :]  # (J, P)
            block_cost = np.zeros((regions, width))
            if merged:
                block_cost[:, 0] = net.package_cost[k]
            else:
                block_cost[:, -1] = net.package_cost[k]
            cost.append(block_cost.ravel())
            rows.append((j[:, None] * n + positions[None, :]).ravel())
            cols.append(u.ravel())
            u_region.append(np.repeat(j, positions.size))
            u_position.append(np.tile(positions, regions))
            u_slot.append(np.tile(positions * m + f, regions))
            u_column.append(u.ravel())
            y = u if merged else np.broadcast_to(base + positions.size, u.shape)
            y_column.append(np.ascontiguousarray(y).ravel())
            if not merged:
                link_u.append(u.ravel())
                link_y.append(y.ravel())
            column += regions * width
        self.n_cols = column
        self.fixed_cost = np.concatenate(cost)  # c_fixed on y (or merged) columns, 0 on u
        self.u_region = np.concatenate(u_region)
        self.u_position = np.concatenate(u_position)
        self.u_slot = np.concatenate(u_slot)
        self.u_column = np.concatenate(u_column)
        self.y_column = np.concatenate(y_column)
        self.u_centre = data.centres[self.u_slot % m]
        a_rows = np.concatenate(rows)
        a_cols = np.concatenate(cols)
        n_assign = regions * n
        lu = np.concatenate(link_u) if link_u else np.zeros(0, dtype=np.int64)
        ly = np.concatenate(link_y) if link_y else np.zeros(0, dtype=np.int64)
        n_link = lu.size
        all_rows = np.concatenate([a_rows, n_assign + np.arange(n_link), n_assign + np.arange(n_link)])
        all_cols = np.concatenate([a_cols, lu, ly])
        all_vals = np.concatenate([np.ones(a_rows.size), np.ones(n_link), -np.ones(n_link)])
        order = np.lexsort((all_rows, all_cols))
        lp = highspy.HighsLp()
        lp.num_col_ = column
        lp.num_row_ = n_assign + n_link
        lp.col_cost_ = self.fixed_cost
        lp.col_lower_ = np.zeros(column)
        lp.col_upper_ = np.full(column, np.inf)
        lp.row_lower_ = np.concatenate([np.ones(n_assign), np.full(n_link, -np.inf)])
        lp.row_upper_ = np.concatenate([np.ones(n_assign), np.zeros(n_link)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = column
        lp.a_matrix_.num_row_ = n_assign + n_link
        lp.a_matrix_.start_ = _csc_starts(all_cols, column)
        lp.a_matrix_.index_ = all_rows[order].astype(np.int32)
        lp.a_matrix_.value_ = all_vals[order]
        self.highs = new_highs()
        self.highs.passModel(lp)
        self.unit_cost = net.unit_cost[self.u_centre, self.u_region]  # c_unit of every u column

    def solve(self, mu: FloatArray, sigma: FloatArray) -> tuple[FloatArray, Patterns]:
        """Per region the LP value at prices c_unit + mu, and the optimal vertices of the regions with V < sigma."""
        dlp, data = self.dlp, self.data
        extra = np.zeros((data.items.size, data.centres.size))
        extra[:, :-1] = mu[np.ix_(data.centres[:-1], data.items)].T
        cost = self.fixed_cost.copy()
        np.add.at(cost, self.u_column, self.unit_cost + extra.ravel()[self.u_slot])
        self.highs.changeColsCost(cost.size, np.arange(cost.size, dtype=np.int32), cost)
        self.dlp.retries += run_optimal(self.highs, "DLP pricing")
        x = np.asarray(self.highs.getSolution().col_value)
        # value per region: every column belongs to one region (u and y columns of its blocks)
        region_of_col = np.empty(self.n_cols, dtype=np.int64)
        region_of_col[self.u_column] = self.u_region
        region_of_col[self.y_column] = self.u_region
        value = np.bincount(region_of_col, weights=cost * x, minlength=dlp.regions).astype(np.float64)
        pricing = value - sigma
        regions = np.flatnonzero(pricing < -PRICING_TOLERANCE)
        if regions.size == 0:
            return value, Patterns()
        # the vertex of each priced-out region: u entries (position, centre, fraction), cost without mu
        u_value = x[self.u_column]
        keep = np.isin(self.u_region, regions) & (u_value > 1e-12)
        local = np.searchsorted(regions, self.u_region[keep])
        unit = np.bincount(local, weights=(self.unit_cost * u_value)[keep], minlength=regions.size).astype(np.float64)
        y_cols = np.unique(self.y_column[np.isin(self.u_region, regions)])
        fixed = np.bincount(
            np.searchsorted(regions, region_of_col[y_cols]),
            weights=self.fixed_cost[y_cols] * x[y_cols],
            minlength=regions.size,
        ).astype(np.float64)
        patterns = Patterns(
            pair=self.q * dlp.regions + regions,
            cost=unit + fixed,
            entry_column=local,
            entry_position=self.u_position[keep],
            entry_centre=self.u_centre[keep],
            entry_value=u_value[keep],
        )
        return value, patterns


def solve_full(instance: Instance, stock: IntArray, horizon: int, solver: str = "simplex") -> float:
    """The full block LP (every u and y column, every package-opening row) in one HiGHS run: a check."""
    dlp = Dlp(instance)
    net = instance.network
    parts = [_TypeLp(dlp, q) for q in range(len(instance.types))]
    lps = [part.highs.getLp() for part in parts]
    n_cols = sum(lp.num_col_ for lp in lps)
    n_rows = sum(lp.num_row_ for lp in lps) + net.centres * dlp.items
    costs, lower, upper, rows, cols, vals = [], [], [], [], [], []
    row0 = col0 = 0
    for q, (part, lp) in enumerate(zip(parts, lps, strict=True)):
        weight = horizon * instance.rate[q][part.u_region]  # expected orders of the u column's pair
        cost = np.asarray(lp.col_cost_).copy()
        region_of_col = np.empty(part.n_cols, dtype=np.int64)
        region_of_col[part.u_column] = part.u_region
        region_of_col[part.y_column] = part.u_region
        scale = horizon * instance.rate[q][region_of_col]
        cost = cost * scale
        np.add.at(cost, part.u_column, part.unit_cost * weight)
        costs.append(cost)
        starts = np.asarray(lp.a_matrix_.start_)
        index = np.asarray(lp.a_matrix_.index_)
        value = np.asarray(lp.a_matrix_.value_)
        col_of = np.repeat(np.arange(part.n_cols), np.diff(starts))
        rows.append(row0 + index)
        cols.append(col0 + col_of)
        vals.append(value)
        lower.append(np.asarray(lp.row_lower_))
        upper.append(np.asarray(lp.row_upper_))
        real = part.u_centre < net.centres
        stock_rows = (
            n_rows - net.centres * dlp.items + part.u_centre[real] * dlp.items + part.data.items[part.u_position[real]]
        )
        rows.append(stock_rows)
        cols.append(col0 + part.u_column[real])
        vals.append(weight[real])
        row0 += lp.num_row_
        col0 += part.n_cols
    lower.append(np.full(net.centres * dlp.items, -np.inf))
    upper.append(stock.astype(np.float64).ravel())
    all_rows, all_cols, all_vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    order = np.lexsort((all_rows, all_cols))
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = np.concatenate(costs)
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.full(n_cols, np.inf)
    lp.row_lower_ = np.concatenate(lower)
    lp.row_upper_ = np.concatenate(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    lp.a_matrix_.start_ = _csc_starts(all_cols, n_cols)
    lp.a_matrix_.index_ = all_rows[order].astype(np.int32)
    lp.a_matrix_.value_ = all_vals[order]
    highs = new_highs()
    highs.setOptionValue("solver", solver)
    highs.passModel(lp)
    highs.run()
    status = highs.getModelStatus()
    assert status == highspy.HighsModelStatus.kOptimal, f"full DLP: {highs.modelStatusToString(status)}"
    return float(highs.getInfo().objective_function_value)


def main() -> None:
    """Solve the DLP of some instances by column generation, optionally checked against the full LP."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from network import SETUP_CODES, derived_seed

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--setup", default="warmup", choices=sorted(SETUPS))
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--full", default="", help="also solve the full LP with this HiGHS solver (simplex, ipm)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    for n in range(args.instances):
        instance = generate_instance(SETUPS[args.setup], derived_seed(args.seed, SETUP_CODES[args.setup], n))
        solution = Dlp(instance, verbose=args.verbose).solve(instance.stock, instance.horizon)
        line = (
            f"{args.setup} instance {n}: DLP {solution.value:.6f} (Lagrangian bound {solution.lower_bound:.6f})"
            f" in {solution.seconds:.1f}s, {solution.rounds} rounds, {solution.columns:,} patterns"
            f" ({solution.fractional_columns} fractional)"
        )
        if args.full:
            started = time.perf_counter()
            full = solve_full(instance, instance.stock, instance.horizon, args.full)
            line += f"; full LP ({args.full}) {full:.6f} in {time.perf_counter() - started:.1f}s,"
            line += f" relative difference {(solution.value - full) / full:.2e}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
