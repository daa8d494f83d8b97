"""The deterministic LP (DLP) lower bound, solved with HiGHS from sparse numpy arrays.

Per order (everything scaled by 1/T) the README's LP reads, for every (type q, region j) of rate
lambda[q, j]:

    min  sum lambda[q,j] * (c_fixed[k] * y[q,j,k] + c_unit[k,j] * sum_i u[q,j,i,k])
    s.t. sum_k u[q,j,i,k] = 1                                   for every item i of q   (assignment)
         u[q,j,i,k] <= y[q,j,k]                                 (package opening)
         sum_{q,j} lambda[q,j] * u[q,j,i,k] <= b[k,i] / T       for every real FC k, item i   (stock)

Only FCs that carry item i (and the virtual FC K) get a u[q,j,i,k]. The variables of one (q, j, k)
form a *block*: the u of the items of q that k carries, plus y when k carries two or more of them
(with one item, y = u at any optimum, so the block is a single column priced c_fixed + c_unit).

The full LP of the large setup (about 400k columns, 360k rows) takes HiGHS many minutes, so it is
solved by exact block generation: start from the virtual FC and the closest carrier of every item,
solve, and add every missing block whose reduced cost is negative. With assignment duals pi and
stock duals -mu (mu >= 0), block (q, j, k) prices out iff
    sum_i max(0, pi[q,j,i] - lambda[q,j] * (c_unit[k,j] + mu[k,i])) > lambda[q,j] * c_fixed[k]
(choose the duals of its linking rows as the positive parts). When no block prices out, the
restricted optimum is optimal for the full LP, so the value is the README's DLP, not an estimate.
The value times T is the DLP bound; -dual of the stock row of (k, i) is the value of one unit of b[k, i].
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import highspy
import numpy as np
from instances import BoolArray, FloatArray, Instance, IntArray

PRICING_TOLERANCE = 1e-7


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


@dataclass
class DlpSolution:
    """Value, primal assignment and stock duals of one DLP solve."""

    value: float  # T * per-order optimum: the lower bound on the expected total cost
    horizon: int
    assignment: list[FloatArray]  # per type: (J, n_items, K+1) fraction of item i of (q, j) sent to FC k
    opportunity: FloatArray  # (K, I): -dual of the stock row, the value of one unit of stock (>= 0)
    seconds: float
    rounds: int  # block-generation rounds
    columns: int  # columns of the final restricted LP
    full_columns: int  # columns of the full LP
    active: list[BoolArray]  # per type, (J, K+1) blocks in the final model (a warm start for another Dlp)


class Dlp:
    """The DLP of one instance; `solve` may be called again with remaining stock and horizon (warm start)."""

    def __init__(self, instance: Instance, *, start: list[BoolArray] | None = None, verbose: bool = False) -> None:
        self.instance = instance
        self.verbose = verbose
        self.start = start
        net = instance.network
        self.k_all = net.centres + 1
        regions = net.regions
        items = instance.setup.items
        # carried[q]: (n_items, K+1) whether FC k may ship item i of type q
        self.carried: list[BoolArray] = []
        self.assign_row0: list[int] = []  # first assignment row of type q; row = row0 + j * n_items + item position
        row = 0
        for order_items in instance.types:
            carry = np.ones((len(order_items), self.k_all), dtype=bool)
            carry[:, : net.centres] = instance.carries[:, list(order_items)].T
            self.carried.append(carry)
            self.assign_row0.append(row)
            row += regions * len(order_items)
        self.stock_row0 = row  # stock row of (k, i) = stock_row0 + k * I + i
        self.stock_end = row + net.centres * items
        self.n_rows = self.stock_end  # linking rows are appended after the stock rows
        self.full_columns = sum(regions * (int(c.sum()) + int((c.sum(axis=0) >= 2).sum())) for c in self.carried)
        # column bookkeeping of the u columns (for the primal assignment)
        self.u_type: list[IntArray] = []
        self.u_region: list[IntArray] = []
        self.u_item: list[IntArray] = []
        self.u_centre: list[IntArray] = []
        self.u_column: list[IntArray] = []
        self.active = [np.zeros((regions, self.k_all), dtype=bool) for _ in instance.types]
        self.n_cols = 0
        self.scale = float(instance.horizon)  # objective scaled by T: HiGHS tolerances are absolute
        self.highs = new_highs()
        self._loaded = False

    # --- model building -------------------------------------------------------------------------

    def _initial_blocks(self) -> list[BoolArray]:
        """Per type, the (J, K+1) blocks to start from: the virtual FC and each item's closest carrier."""
        net = self.instance.network
        start = []
        for carry in self.carried:
            chosen = np.zeros((net.regions, self.k_all), dtype=bool)
            chosen[:, net.centres] = True
            for i in range(carry.shape[0]):
                carriers = np.flatnonzero(carry[i, : net.centres])
                closest = carriers[np.argmin(net.miles[carriers], axis=0)]
                chosen[np.arange(net.regions), closest] = True
            start.append(chosen)
        return start

    def _add_blocks(self, new: list[BoolArray], stock_bound: FloatArray) -> int:
        """Add the (q, j, k) blocks marked in `new` as columns and linking rows; returns how many."""
        instance, net = self.instance, self.instance.network
        items = instance.setup.items
        costs: list[FloatArray] = []
        col_rows: list[IntArray] = []  # per new column entry: row, column (local), value
        col_ids: list[IntArray] = []
        col_vals: list[FloatArray] = []
        link_rows: list[IntArray] = []  # per linking row: u column, y column (global)
        link_y: list[IntArray] = []
        n_new = 0
        added = 0
        for q, order_items in enumerate(instance.types):
            lam = instance.rate[q]
            carry = self.carried[q]
            n_items = len(order_items)
            for k in range(self.k_all):
                regions = np.flatnonzero(new[q][:, k])
                if regions.size == 0:
                    continue
                added += regions.size
                positions = np.flatnonzero(carry[:, k])
                width = positions.size + (1 if positions.size >= 2 else 0)
                base = self.n_cols + n_new + np.arange(regions.size)[:, None] * width  # (R, 1) global column
                u_cols = base + np.arange(positions.size)[None, :]  # (R, P)
                merged = positions.size == 1
                unit = net.unit_cost[k, regions] + (net.package_cost[k] if merged else 0.0)
                block_cost = np.empty((regions.size, width))
                block_cost[:, : positions.size] = (self.scale * lam[regions] * unit)[:, None]
                if not merged:
                    block_cost[:, -1] = self.scale * lam[regions] * net.package_cost[k]
                costs.append(block_cost.ravel())
                # assignment rows
                a_rows = self.assign_row0[q] + regions[:, None] * n_items + positions[None, :]
                col_rows.append(a_rows.ravel())
                col_ids.append(u_cols.ravel())
                col_vals.append(np.ones(a_rows.size))
                if k < net.centres:  # stock rows
                    s_rows = self.stock_row0 + k * items + np.asarray(order_items)[positions]
                    col_rows.append(np.broadcast_to(s_rows[None, :], u_cols.shape).ravel())
                    col_ids.append(u_cols.ravel())
                    col_vals.append(np.broadcast_to(lam[regions][:, None], u_cols.shape).ravel())
                if not merged:
                    link_rows.append(u_cols.ravel())
                    link_y.append(np.broadcast_to(base + positions.size, u_cols.shape).ravel())
                self.u_type.append(np.full(u_cols.size, q))
                self.u_region.append(np.repeat(regions, positions.size))
                self.u_item.append(np.tile(positions, regions.size))
                self.u_centre.append(np.full(u_cols.size, k))
                self.u_column.append(u_cols.ravel())
                n_new += regions.size * width
                self.active[q][regions, k] = True
        if not n_new:
            return 0
        cost = np.concatenate(costs)
        rows = np.concatenate(col_rows)
        cols = np.concatenate(col_ids) - self.n_cols
        vals = np.concatenate(col_vals)
        order = np.argsort(cols, kind="stable")
        starts = np.zeros(n_new + 1, dtype=np.int32)
        np.cumsum(np.bincount(cols, minlength=n_new), out=starts[1:])
        if not self._loaded:
            self._pass_model(cost, starts, rows[order], vals[order], stock_bound)
        else:
            self.highs.addCols(
                n_new,
                cost,
                np.zeros(n_new),
                np.full(n_new, np.inf),
                int(rows.size),
                starts[:-1],
                rows[order].astype(np.int32),
                vals[order],
            )
        self.n_cols += n_new
        if link_rows:
            u = np.concatenate(link_rows)
            y = np.concatenate(link_y)
            n_link = u.size
            index = np.empty(2 * n_link, dtype=np.int32)
            index[0::2], index[1::2] = u, y
            value = np.empty(2 * n_link)
            value[0::2], value[1::2] = 1.0, -1.0
            self.highs.addRows(
                n_link,
                np.full(n_link, -np.inf),
                np.zeros(n_link),
                2 * n_link,
                np.arange(0, 2 * n_link, 2, dtype=np.int32),
                index,
                value,
            )
        return added

    def _pass_model(
        self, cost: FloatArray, starts: IntArray, index: IntArray, value: FloatArray, stock_bound: FloatArray
    ) -> None:
        lp = highspy.HighsLp()
        n = cost.size
        lp.num_col_ = n
        lp.num_row_ = self.n_rows
        lp.col_cost_ = cost
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, np.inf)
        lp.row_lower_ = np.concatenate([np.ones(self.stock_row0), np.full(stock_bound.size, -np.inf)])
        lp.row_upper_ = np.concatenate([np.ones(self.stock_row0), stock_bound])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = self.n_rows
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = index.astype(np.int32)
        lp.a_matrix_.value_ = value
        self.highs.passModel(lp)
        self._loaded = True

    # --- pricing and solving --------------------------------------------------------------------

    def _price(self, row_dual: FloatArray) -> tuple[list[BoolArray], int]:
        """Blocks not in the model whose reduced cost is negative."""
        instance, net = self.instance, self.instance.network
        items = instance.setup.items
        mu = np.maximum(-row_dual[self.stock_row0 : self.stock_end].reshape(net.centres, items), 0.0)
        mu = np.vstack([mu, np.zeros((1, items))])  # the virtual FC has no stock row
        new: list[BoolArray] = []
        count = 0
        for q, order_items in enumerate(instance.types):
            n_items = len(order_items)
            lam = instance.rate[q]
            pi = row_dual[self.assign_row0[q] : self.assign_row0[q] + net.regions * n_items].reshape(
                net.regions, n_items
            )
            # (J, n_items, K+1) gain of sending item i to FC k
            unit = self.scale * net.unit_cost.T[:, None, :] + mu[:, list(order_items)].T[None, :, :]
            gain = np.maximum(pi[:, :, None] - lam[:, None, None] * unit, 0.0)
            gain = np.where(self.carried[q][None, :, :], gain, 0.0).sum(axis=1)  # (J, K+1)
            floor = self.scale * lam[:, None] * net.package_cost[None, :]
            violated = (gain > floor * (1 + PRICING_TOLERANCE) + PRICING_TOLERANCE) & ~self.active[q]
            violated &= self.carried[q].any(axis=0)[None, :]
            new.append(violated)
            count += int(violated.sum())
        return new, count

    def solve(self, stock: IntArray, horizon: int, max_rounds: int = 50) -> DlpSolution:
        """Solve with `stock` (K, I) left for the next `horizon` orders."""
        started = time.perf_counter()
        net = self.instance.network
        items = self.instance.setup.items
        bound = stock.astype(np.float64).ravel() / horizon
        if not self._loaded:
            self._add_blocks(self.start if self.start is not None else self._initial_blocks(), bound)
        else:
            index = np.arange(self.stock_row0, self.stock_end, dtype=np.int32)
            self.highs.changeRowsBounds(index.size, index, np.full(index.size, -np.inf), bound)
        rounds = 0
        while True:
            rounds += 1
            run_started = time.perf_counter()
            self.highs.run()
            if self.verbose:
                print(
                    f"    DLP round {rounds}: {self.n_cols:,} columns, {self.highs.getInfo().simplex_iteration_count:,}"
                    f" iterations, {time.perf_counter() - run_started:.1f}s",
                    file=sys.stderr,
                    flush=True,
                )
            status = self.highs.getModelStatus()
            assert status == highspy.HighsModelStatus.kOptimal, f"DLP: {self.highs.modelStatusToString(status)}"
            row_dual = np.asarray(self.highs.getSolution().row_dual)
            new, count = self._price(row_dual)
            if count == 0:
                break
            assert rounds < max_rounds, "DLP block generation did not converge"
            self._add_blocks(new, bound)
        solution = self.highs.getSolution()
        col = np.asarray(solution.col_value)
        row_dual = np.asarray(solution.row_dual)
        opportunity = (
            np.maximum(-row_dual[self.stock_row0 : self.stock_end].reshape(net.centres, items), 0.0) / self.scale
        )
        u_type = np.concatenate(self.u_type)
        u_region = np.concatenate(self.u_region)
        u_item = np.concatenate(self.u_item)
        u_centre = np.concatenate(self.u_centre)
        u_value = np.clip(col[np.concatenate(self.u_column)], 0.0, None)
        assignment: list[FloatArray] = []
        for q, order_items in enumerate(self.instance.types):
            x = np.zeros((net.regions, len(order_items), self.k_all))
            mine = u_type == q
            x[u_region[mine], u_item[mine], u_centre[mine]] = u_value[mine]
            assignment.append(x)
        value = float(self.highs.getInfo().objective_function_value) / self.scale * horizon
        return DlpSolution(
            value=value,
            horizon=horizon,
            assignment=assignment,
            opportunity=opportunity,
            seconds=time.perf_counter() - started,
            rounds=rounds,
            columns=self.n_cols,
            full_columns=self.full_columns,
            active=[a.copy() for a in self.active],
        )
