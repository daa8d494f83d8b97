"""The sourcing sandbox: replay past orders under a draft rule set and under the active one, side by side.

Each order is planned by the sourcing engine as live sourcing would have planned it when it was placed,
on a copy of the stock as it was at the start of the range and with a simulated capacity ledger. Nothing
real changes: orders, stock, capacity, decisions and events are only read; the run is the one row written.

How the stock at the start (t0) is rebuilt from the current rows and the ledger (approximations in brackets):
- on_hand(t0) = on_hand now - the on-hand deltas of every ledger entry after t0; reserved(t0) likewise.
  Reservations held at t0 (orders placed before the range and still open) stay taken for the whole run
  [their later shipments change nothing available; their cancellations are not given back].
- Safety stock is today's [the ledger does not record its changes].
- Receipts, adjustments and counts after t0 (ledger kinds adjustment and snapshot) arrive in the copy at
  their time, interleaved with the orders [a count arrives as the delta it made to the real row].
- Reservations, releases and shipments of the range are not replayed: the replayed orders make their own.
- Capacity starts empty at t0 [work taken earlier on t0's day is not counted]. Each replayed order is
  sourced at its `placed_at` with all its units as ordered, as if it had not been held or changed since.

A run is held by the process that runs it, which keeps its heartbeat (`simulation_runner`); one whose process
stopped is failed as abandoned (`simulation_lease`), and a retry queues its parameters again as a new run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import IllegalTransition, InvalidInput, NotFound
from ordermesh.domain.inventory import MovementKind
from ordermesh.domain.orders import Order, OrderLine
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.domain.sourcing.engine import SourcingEngine
from ordermesh.domain.sourcing.rules import RuleSet, RuleSetInvalid
from ordermesh.services.allocation import sourcing_request
from ordermesh.services.caches import BUILT_IN, rule_set_ref
from ordermesh.services.commands import CaptureOrder
from ordermesh.services.context import AppContext
from ordermesh.services.orders import order_from_command
from ordermesh.services.ports import DuplicateKey, Page, SimulationRun, SimulationStatus, UnitOfWork
from ordermesh.services.replay import Replay, difference, replay, stock_at
from ordermesh.services.simulation_lease import SimulationStopped, abandon, is_stale, progress_text, with_progress
from ordermesh.services.sourcing import validate_document

log = logging.getLogger(__name__)

ARRIVALS = (MovementKind.ADJUSTMENT, MovementKind.SNAPSHOT)  # receipts, adjustments and counts
PAGE = 500
Progress = Callable[[int, int], None]  # (plans made, plans to make)


@dataclass(frozen=True)
class SimulationSpec:
    """What to replay (a placed_at range [start, end), or uploaded orders) and the draft (by id or inline)."""

    start: datetime | None = None
    end: datetime | None = None
    orders: tuple[CaptureOrder, ...] | None = None
    draft_id: str | None = None
    draft_document: dict[str, Any] | None = None


# --- use cases -------------------------------------------------------------------------------------------


def submit_simulation(ctx: AppContext, actor: Principal, spec: SimulationSpec, *, runner: str) -> SimulationRun:
    """Check the request and store it as a queued run held by `runner`; `run_simulation` does the work.

    Raises InvalidInput naming the field (unknown rule set, bad or empty range, an order without placed_at)
    and RuleSetInvalid (paths under `rule_set`) for an invalid inline document.
    """

    def work(uow: UnitOfWork) -> SimulationRun:
        now = ctx.clock.now()
        run = SimulationRun(
            ctx.ids("sim"),
            SimulationStatus.QUEUED,
            _parameters(uow, spec),
            now,
            actor.name,
            runner=runner,
            heartbeat_at=now,
        )
        uow.simulations.add(run)
        return run

    return ctx.transaction(work)


def retry_simulation(ctx: AppContext, actor: Principal, run_id: str, *, runner: str) -> SimulationRun:
    """Queue a new run, held by `runner`, with the parameters of a failed one (`retry_of` names it).

    The draft and active rule sets are the ones the failed run named. A failed run is retried once, so a
    repeated request queues nothing more. Raises NotFound; NotRetryable for a run that is not failed, or whose
    orders were uploaded (they are not kept); AlreadyRetried, naming the retry, for a run retried already.
    """

    def work(uow: UnitOfWork) -> SimulationRun:
        failed = uow.simulations.get(run_id)
        if failed is None:
            raise NotFound("simulation", run_id)
        if failed.status != SimulationStatus.FAILED:
            raise NotRetryable(run_id, failed.status, "only a failed run can be retried")
        if "uploaded" in failed.parameters["orders"]:
            raise NotRetryable(run_id, failed.status, "its uploaded orders are not kept: submit them again")
        earlier = uow.simulations.retry_of(run_id)
        if earlier is not None:
            raise AlreadyRetried(run_id, earlier.id)
        now = ctx.clock.now()
        run = SimulationRun(
            ctx.ids("sim"),
            SimulationStatus.QUEUED,
            failed.parameters,
            now,
            actor.name,
            runner=runner,
            heartbeat_at=now,
            retry_of=run_id,
        )
        uow.simulations.add(run)
        return run

    try:
        return ctx.transaction(work)
    except DuplicateKey:  # a concurrent retry of the same run committed first
        earlier = ctx.read(lambda uow: uow.simulations.retry_of(run_id))
        raise AlreadyRetried(run_id, earlier.id if earlier else "another run") from None


def run_simulation(
    ctx: AppContext,
    run: SimulationRun,
    *,
    runner: str,
    orders: Sequence[CaptureOrder] | None = None,
    progress: Progress | None = None,
) -> SimulationRun:
    """Replay a queued run `runner` holds and store its KPIs (status done) or what went wrong (status failed).

    `progress` may raise to stop the run (a SimulationStopped becomes its error). Returns the run as stored:
    failed as abandoned, unchanged, when another process gave it up first (its heartbeat had gone stale).
    """
    started = ctx.clock.now()
    if not ctx.transaction(lambda uow: uow.simulations.start(run.id, runner=runner, at=started)):
        log.warning("simulation %s is no longer queued here: not run", run.id)
        return get_simulation(ctx, run.id)
    run = replace(run, status=SimulationStatus.RUNNING, started_at=started, heartbeat_at=started)
    made: tuple[int, int] | None = None  # the last progress reported, kept with the outcome

    def tick(done: int, total: int) -> None:
        nonlocal made
        made = (done, total)
        if progress is not None:
            progress(done, total)

    try:
        result = _simulate(ctx, run.parameters, orders or (), tick)
        outcome = replace(run, status=SimulationStatus.DONE, result=result)
    except SimulationStopped as exc:
        outcome = replace(run, status=SimulationStatus.FAILED, error=f"{exc} {progress_text(made)}")
    except Exception as exc:  # the run records any failure; the caller (a background thread) has no one to tell
        log.exception("simulation %s failed", run.id)
        outcome = replace(run, status=SimulationStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
    except BaseException:  # Ctrl+C in the CLI: say so now rather than when the heartbeat goes stale
        error = f"stopped: interrupted {progress_text(made)}"
        stopped = replace(run, status=SimulationStatus.FAILED, finished_at=ctx.clock.now(), error=error)
        ctx.transaction(lambda uow: uow.simulations.finish(with_progress(stopped, made), runner=runner))
        raise
    outcome = with_progress(replace(outcome, finished_at=ctx.clock.now()), made)
    if not ctx.transaction(lambda uow: uow.simulations.finish(outcome, runner=runner)):
        log.warning("simulation %s was given up as abandoned while it ran: its outcome is dropped", run.id)
        return get_simulation(ctx, run.id)
    return outcome


def get_simulation(ctx: AppContext, run_id: str, *, stale_after: timedelta | None = None) -> SimulationRun:
    """A run; given `stale_after`, a queued or running one whose heartbeat is older is failed as abandoned first.

    Raises NotFound.
    """
    run = ctx.read(lambda uow: uow.simulations.get(run_id))
    if run is None:
        raise NotFound("simulation", run_id)
    if stale_after is not None and is_stale(ctx, run, stale_after):
        abandon(ctx, [run], before=ctx.clock.now() - stale_after)
        return get_simulation(ctx, run_id)
    return run


def list_simulations(ctx: AppContext, *, after: str | None, limit: int, stale_after: timedelta | None = None) -> Page:
    """Runs, newest first; given `stale_after`, those abandoned on the page are failed first."""
    page: Page = ctx.read(lambda uow: uow.simulations.page(after=after, limit=limit))
    if stale_after is not None:
        stale = [run for run in page.rows if is_stale(ctx, run, stale_after)]
        if stale:  # read again even if another process failed them first: the page must not show them running
            abandon(ctx, stale, before=ctx.clock.now() - stale_after)
            page = ctx.read(lambda uow: uow.simulations.page(after=after, limit=limit))
    return page


# --- errors --------------------------------------------------------------------------------------------


class NotRetryable(IllegalTransition):
    """Only a failed run can run again, and only one whose orders are a range (uploaded ones are not kept)."""

    def __init__(self, run_id: str, status: str, why: str) -> None:
        super().__init__("simulation", run_id, status, "retry")
        self.detail = f"simulation {run_id} is {status}; cannot retry: {why}"
        self.args = (self.detail,)


class AlreadyRetried(NotRetryable):
    """A failed run is retried once: a second retry is told which run retries it."""

    def __init__(self, run_id: str, retry_id: str) -> None:
        super().__init__(run_id, SimulationStatus.FAILED, f"it was retried already, as {retry_id}")
        self.retry_id = retry_id


# --- checking the request --------------------------------------------------------------------------------


def _parameters(uow: UnitOfWork, spec: SimulationSpec) -> dict[str, Any]:
    parameters: dict[str, Any] = {"draft": _draft(uow, spec)}
    active = uow.rule_sets.active()
    parameters["active"] = {"rule_set": rule_set_ref(active) if active else BUILT_IN}
    if spec.orders is not None:
        if not spec.orders:
            raise InvalidInput("no orders to replay", field=("orders",))
        missing = [index for index, order in enumerate(spec.orders) if order.placed_at is None]
        if missing:
            raise InvalidInput("every replayed order needs its placed_at", field=("orders", missing[0], "placed_at"))
        parameters["orders"] = {"uploaded": len(spec.orders)}
        return parameters
    if spec.start is None or spec.end is None:
        raise InvalidInput("give a range of placed_at or the orders to replay", field=("range",))
    if spec.start > spec.end:
        raise InvalidInput("from is after to", field=("range", "from"))
    if spec.start == spec.end or not uow.orders.placed_between(spec.start, spec.end, after=None, limit=1):
        raise InvalidInput("no order was placed in the range", field=("range",))
    parameters["orders"] = {"from": spec.start.isoformat(), "to": spec.end.isoformat()}
    return parameters


def _draft(uow: UnitOfWork, spec: SimulationSpec) -> dict[str, Any]:
    if (spec.draft_id is None) == (spec.draft_document is None):
        raise InvalidInput("give either rule_set_id or an inline rule_set document", field=("rule_set_id",))
    if spec.draft_id is not None:
        record = uow.rule_sets.get(spec.draft_id)
        if record is None:
            raise InvalidInput(f"rule set '{spec.draft_id}' does not exist", field=("rule_set_id",))
        return {"rule_set": rule_set_ref(record)}
    try:
        parsed = validate_document(uow, spec.draft_document)
    except RuleSetInvalid as exc:
        raise RuleSetInvalid(
            [(f"rule_set.{path}" if path else "rule_set", msg) for path, msg in exc.problems]
        ) from None
    return {
        "rule_set": {"id": None, "name": parsed.name, "version": None, "built_in": False},
        "document": spec.draft_document,
    }


def _rules(uow: UnitOfWork, side: Mapping[str, Any]) -> tuple[dict[str, Any], RuleSet]:
    ref = dict(side["rule_set"])
    if "document" in side:
        return ref, validate_document(uow, side["document"])
    if ref.get("built_in"):
        return ref, validate_document(uow, DEFAULT_RULE_SET)
    record = uow.rule_sets.get(ref["id"])
    if record is None:
        raise NotFound("rule set", ref["id"])
    return ref, validate_document(uow, record.document)


def _load(uow: UnitOfWork, ctx: AppContext, orders: Mapping[str, Any], uploaded: Sequence[CaptureOrder]) -> Replay:
    if "from" in orders:
        start, end = datetime.fromisoformat(orders["from"]), datetime.fromisoformat(orders["to"])
        replayed = list(_placed_between(uow, start, end))
    else:
        replayed = _uploaded(uow, uploaded)
        start, end = replayed[0].placed_at, replayed[-1].placed_at
    requests = tuple(
        sourcing_request(uow, ctx, order, order.placed_at) for order in replayed if order.sourceable_lines()
    )
    rows = ((level.location, level.sku, level.on_hand, level.reserved, level.safety_stock) for level in _levels(uow))
    stock = stock_at(rows, uow.stock.changes_since(start))
    arrivals = tuple(uow.stock.movements_between(start, end, kinds=ARRIVALS))
    return Replay(requests, dict(ctx.sourcing_cache.network(uow)), stock, arrivals)


def _placed_between(uow: UnitOfWork, start: datetime, end: datetime) -> Iterator[Order]:
    after: tuple[datetime, str] | None = None
    while page := uow.orders.placed_between(start, end, after=after, limit=PAGE):
        yield from (_as_placed(order) for order in page)
        after = (page[-1].placed_at, page[-1].id)


def _as_placed(order: Order) -> Order:
    """The order as it was placed: every unit waiting, no hold, no fulfilment orders yet."""
    lines = [
        OrderLine(ln.id, ln.external_id, ln.sku, ln.quantity, ln.unit_price, exception=ln.exception)
        for ln in order.lines
    ]
    return replace(order, lines=lines, hold_reason=None, fulfillment_orders=[], events=[])


def _uploaded(uow: UnitOfWork, commands: Sequence[CaptureOrder]) -> list[Order]:
    """Uploaded orders as the capture would have recorded them (unknown SKUs become line exceptions)."""
    known = uow.items.known(sorted({line.sku for command in commands for line in command.lines}))
    orders: list[Order] = []
    for index, command in enumerate(commands, start=1):
        assert command.placed_at is not None, "checked on submission"
        orders.append(
            order_from_command(
                command,
                order_id=f"upload_{index:07d}",
                line_id=partial(_upload_line_id, index),
                known=known,
                now=command.placed_at,
            )
        )
    return sorted(orders, key=lambda order: (order.placed_at, order.id))


def _upload_line_id(order_number: int, line_number: int) -> str:
    return f"upload_{order_number}_{line_number}"


def _levels(uow: UnitOfWork) -> Iterator[Any]:
    after = None
    while True:
        page = uow.stock.levels(location=None, sku=None, after=after, limit=5_000)
        yield from page.rows
        if page.next_cursor is None:
            return
        after = page.next_cursor


# --- one replay ------------------------------------------------------------------------------------------


def _simulate(
    ctx: AppContext, parameters: Mapping[str, Any], uploaded: Sequence[CaptureOrder], progress: Progress | None
) -> dict[str, Any]:
    started = time.perf_counter()

    def load(uow: UnitOfWork) -> tuple[Replay, dict[str, tuple[dict[str, Any], RuleSet]]]:
        sides = {name: _rules(uow, parameters[name]) for name in ("draft", "active")}
        return _load(uow, ctx, parameters["orders"], uploaded), sides

    inputs, sides = ctx.read(load)
    count = len(inputs.requests)
    if progress is not None:
        progress(0, 2 * count)  # the plans are counted: a heartbeat can say how far the run got
    results: dict[str, dict[str, Any]] = {}
    for offset, name in enumerate(("draft", "active")):
        ref, rules = sides[name]
        engine = SourcingEngine(rules, rule_set_ref=ref, explain=False, deterministic=True)
        tick = None if progress is None else _ticker(progress, offset * count, 2 * count)
        results[name] = {"rule_set": ref, **replay(inputs, engine, rules, progress=tick)}
    return {
        "orders_replayed": count,
        "draft": results["draft"],
        "active": results["active"],
        "difference": difference(results["draft"], results["active"]),
        "elapsed_seconds": round(time.perf_counter() - started, 3),
    }


def _ticker(progress: Progress, offset: int, total: int) -> Callable[[int], None]:
    return lambda done: progress(offset + done, total)
