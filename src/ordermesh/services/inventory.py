"""Inventory use cases: absolute counts, signed adjustments and bulk snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.events import Event
from ordermesh.domain.inventory import Movement, MovementKind, StockLevel
from ordermesh.services.allocation import fill_backorders
from ordermesh.services.commands import AdjustStock, SetStock
from ordermesh.services.context import AppContext
from ordermesh.services.ports import UnitOfWork


def _level_data(level: StockLevel | None) -> dict[str, object] | None:
    if level is None:
        return None
    data = asdict(level)
    data["available"] = level.available
    data["as_of"] = level.as_of.isoformat() if level.as_of else None
    return data


def _check_known(uow: UnitOfWork, pairs: Sequence[tuple[str, str]]) -> None:
    """Raise InvalidInput naming every unknown location and SKU among the pairs, before any write."""
    problems: list[str] = []
    for location in sorted({loc for loc, _ in pairs}):
        if uow.locations.get(location) is None:
            problems.append(f"unknown location '{location}'")
    skus = sorted({sku for _, sku in pairs})
    known = uow.items.known(skus)
    problems += [f"unknown SKU '{sku}'" for sku in skus if sku not in known]
    if problems:
        raise InvalidInput("; ".join(problems))


def _apply_set(uow: UnitOfWork, ctx: AppContext, command: SetStock, actor: Principal, now: datetime) -> bool:
    before = uow.stock.get(command.location, command.sku)
    after = uow.stock.set_level(
        command.location,
        command.sku,
        on_hand=command.on_hand,
        safety_stock=command.safety_stock,
        as_of=command.as_of,
        now=now,
    )
    if after is None:
        return False
    delta = after.on_hand - (before.on_hand if before else 0)
    uow.stock.record(
        [
            Movement(
                command.location,
                command.sku,
                MovementKind.SNAPSHOT,
                delta,
                0,
                command.reason,
                command.as_of.isoformat() if command.as_of else None,
                now,
                after.on_hand,
            )
        ]
    )
    _changed(uow, ctx, actor, before, after, "inventory.set", now)
    return True


def _changed(
    uow: UnitOfWork,
    ctx: AppContext,
    actor: Principal,
    before: StockLevel | None,
    after: StockLevel,
    action: str,
    now: datetime,
) -> None:
    subject = f"{after.location}/{after.sku}"
    uow.outbox.add(
        [Event("ordermesh.inventory.changed", subject, {"before": _level_data(before), "after": _level_data(after)})],
        now,
    )
    uow.audit.record(
        actor=actor,
        action=action,
        entity="stock",
        entity_id=subject,
        before=_level_data(before),
        after=_level_data(after),
        at=now,
    )
    if after.available > (before.available if before else 0):
        fill_backorders(uow, ctx, sku=after.sku, location=after.location)


def set_stock(ctx: AppContext, *, command: SetStock, actor: Principal) -> tuple[StockLevel, bool]:
    """Set on-hand (and safety stock) to absolute values; return (level, applied).

    A count older than the row's watermark changes nothing (applied=False).
    """

    def work(uow: UnitOfWork) -> tuple[StockLevel, bool]:
        _check_known(uow, [(command.location, command.sku)])
        applied = _apply_set(uow, ctx, command, actor, ctx.clock.now())
        level = uow.stock.get(command.location, command.sku)
        assert level is not None
        return level, applied

    return ctx.transaction(work)


def snapshot(ctx: AppContext, *, counts: Sequence[SetStock], actor: Principal) -> tuple[int, int]:
    """Apply a bulk snapshot all or nothing; return (applied, skipped as stale)."""

    def work(uow: UnitOfWork) -> tuple[int, int]:
        _check_known(uow, [(c.location, c.sku) for c in counts])
        now = ctx.clock.now()
        applied = sum(_apply_set(uow, ctx, c, actor, now) for c in sorted(counts, key=lambda c: (c.location, c.sku)))
        return applied, len(counts) - applied

    return ctx.transaction(work)


def adjust_stock(
    ctx: AppContext, *, adjustments: Sequence[AdjustStock], reference: str | None, actor: Principal
) -> list[StockLevel]:
    """Apply signed deltas all or nothing. Raises InvalidInput when on-hand would fall below zero."""

    def work(uow: UnitOfWork) -> list[StockLevel]:
        _check_known(uow, [(a.location, a.sku) for a in adjustments])
        now = ctx.clock.now()
        levels = []
        for index, a in sorted(enumerate(adjustments), key=lambda pair: (pair[1].location, pair[1].sku)):
            before = uow.stock.get(a.location, a.sku)
            after = uow.stock.adjust(a.location, a.sku, a.delta, now)
            if after is None:
                have = before.on_hand if before else 0
                raise InvalidInput(
                    f"on_hand of {a.sku} at {a.location} is {have}; cannot apply {a.delta}",
                    field=("adjustments", index, "delta"),
                )
            uow.stock.record(
                [
                    Movement(
                        a.location, a.sku, MovementKind.ADJUSTMENT, a.delta, 0, a.reason, reference, now, after.on_hand
                    )
                ]
            )
            _changed(uow, ctx, actor, before, after, "inventory.adjust", now)
            levels.append(after)
        return levels

    return ctx.transaction(work)
