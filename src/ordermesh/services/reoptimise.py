"""Re-optimisation: re-source allocated work no location has accepted yet, when that saves enough cost.

Fulfilment orders are released to their locations `release_delay` after they were created; until
then, an open fulfilment order may be withdrawn and its units sourced again. The job looks at every
order whose active fulfilment orders are all open and younger than the delay, prices its current
assignment and the engine's best plan on the same stock (its own reservations counted as available),
and moves it only when the saving reaches `min_saving`. Each order is one transaction; an order that
was changed meanwhile is simply left for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ordermesh.domain.access import Principal
from ordermesh.domain.fulfillment import ACTIVE, FulfillmentStatus
from ordermesh.domain.orders import Allocation
from ordermesh.domain.sourcing.engine import SourcingEngine
from ordermesh.services.allocation import candidates_for, give_back, resource, save_order, sourcing_request
from ordermesh.services.context import AppContext
from ordermesh.services.ports import FulfillmentFilter, Page, RetryableConflict

PAGE = 200


@dataclass(frozen=True)
class Reoptimised:
    order_id: str
    before: float
    after: float
    moved: bool
    from_locations: tuple[str, ...]
    to_locations: tuple[str, ...]

    @property
    def saving(self) -> float:
        return self.before - self.after


@dataclass(frozen=True)
class RunReport:
    examined: int
    moved: list[Reoptimised]
    kept: int
    skipped: int

    @property
    def saving(self) -> float:
        return sum(r.saving for r in self.moved)


def reoptimise(
    ctx: AppContext,
    *,
    release_delay: timedelta,
    min_saving: float,
    actor: Principal,
    order_ids: list[str] | None = None,
    limit: int = 1_000,
) -> RunReport:
    """Re-source unreleased work where it saves at least `min_saving` (in the rule set's currency)."""
    ids = order_ids if order_ids is not None else _unreleased_orders(ctx, release_delay, limit)
    moved: list[Reoptimised] = []
    kept = skipped = 0
    for order_id in ids:
        try:
            result = _one(ctx, order_id, release_delay, min_saving, actor)
        except RetryableConflict:
            result = None
        if result is None:
            skipped += 1
        elif result.moved:
            moved.append(result)
        else:
            kept += 1
    return RunReport(len(ids), moved, kept, skipped)


def _unreleased_orders(ctx: AppContext, release_delay: timedelta, limit: int) -> list[str]:
    """Orders with an open fulfilment order created within the release delay, oldest first."""
    since = ctx.clock.now() - release_delay
    found: list[str] = []
    cursor: str | None = None
    open_work = FulfillmentFilter(status=FulfillmentStatus.OPEN.value)

    def page_after(after: str | None) -> Page:
        return ctx.read(lambda uow: uow.orders.list_fulfillment_orders(open_work, after=after, limit=PAGE))

    while len(found) < limit:
        page = page_after(cursor)
        for fo in page.rows:
            if fo.created_at >= since and fo.order_id not in found:
                found.append(fo.order_id)
        cursor = page.next_cursor
        if cursor is None:
            break
    return found[:limit]


def _one(
    ctx: AppContext, order_id: str, release_delay: timedelta, min_saving: float, actor: Principal
) -> Reoptimised | None:
    with ctx.uow() as uow:
        order = uow.orders.get(order_id, for_update=True)
        if order is None or order.hold_reason is not None:
            return None
        now = ctx.clock.now()
        active = [fo for fo in order.fulfillment_orders if fo.status in ACTIVE]
        if not active or any(
            fo.status != FulfillmentStatus.OPEN or fo.created_at < now - release_delay for fo in active
        ):
            return None  # some of its work is released or accepted already
        policy = ctx.sourcing or ctx.sourcing_cache.engine(uow)
        if not isinstance(policy, SourcingEngine):
            return None
        current = [
            Allocation(fl.order_line_id, fo.location, fl.open) for fo in active for fl in fo.lines if fl.open > 0
        ]
        before_locations = tuple(sorted({fo.location for fo in active}))
        moves = []
        for fo in active:
            moves += order.withdraw_fulfillment(fo.id, "re-optimised", now)
        give_back(uow, ctx, order, moves, reason="re-optimised", now=now)
        request = sourcing_request(uow, ctx, order, now)
        candidates = candidates_for(uow, ctx, request)
        before = policy.cost_of(request, candidates, current)
        plan = policy.plan(request, candidates)
        after = plan.explanation["chosen"]["cost"] if plan.explanation else None
        if before is None or after is None or before - after < min_saving or plan.backordered:
            uow.rollback()
            return Reoptimised(order_id, before or 0.0, after or 0.0, False, before_locations, before_locations)
        resource(uow, ctx, order, moves, trigger="reoptimisation")
        save_order(uow, ctx, order)
        after_locations = tuple(sorted({fo.location for fo in order.fulfillment_orders if fo.status in ACTIVE}))
        uow.audit.record(
            actor=actor,
            action="order.reoptimised",
            entity="order",
            entity_id=order.id,
            before={"locations": list(before_locations), "cost": round(before, 4)},
            after={"locations": list(after_locations), "cost": round(after, 4)},
            at=now,
        )
        uow.commit()
        return Reoptimised(order_id, before, after, True, before_locations, after_locations)
