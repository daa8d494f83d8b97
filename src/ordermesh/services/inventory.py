"""Inventory use cases: absolute counts, signed adjustments and bulk snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.event_catalog import StockLevelPicture
from ordermesh.domain.events import Event
from ordermesh.domain.inventory import Movement, MovementKind, StockChange, StockLevel
from ordermesh.services.allocation import fill_backorders
from ordermesh.services.commands import AdjustStock, SetStock
from ordermesh.services.context import AppContext
from ordermesh.services.ports import UnitOfWork

# SKUs per "is anyone waiting for these?" query when a snapshot frees stock.
WAITING_CHUNK = 500


def level_data(level: StockLevel | None) -> StockLevelPicture | None:
    if level is None:
        return None
    return {
        "location": level.location,
        "sku": level.sku,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "safety_stock": level.safety_stock,
        "as_of": level.as_of.isoformat() if level.as_of else None,
        "available": level.available,
    }


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


def _publish(uow: UnitOfWork, ctx: AppContext, changes: Sequence[tuple[StockChange, Movement]], now: datetime) -> None:
    """Write the ledger and the events of some stock changes, then source orders waiting for freed units."""
    if not changes:
        return
    uow.stock.record([movement for _, movement in changes])
    uow.outbox.add(
        [
            Event(
                "ordermesh.inventory.changed",
                f"{c.after.location}/{c.after.sku}",
                {"before": level_data(c.before), "after": level_data(c.after), "reason": m.reason},
            )
            for c, m in changes
        ],
        now,
    )
    freed = [c.after for c, _ in changes if c.freed_units]
    skus = sorted({level.sku for level in freed})
    waiting: set[str] = set()
    for start in range(0, len(skus), WAITING_CHUNK):
        chunk = skus[start : start + WAITING_CHUNK]
        waiting.update(uow.orders.backordered_skus(limit=len(chunk), among=chunk))
    for level in freed:
        if level.sku in waiting:
            fill_backorders(uow, ctx, sku=level.sku, location=level.location)


def _apply_set(uow: UnitOfWork, command: SetStock, now: datetime) -> tuple[StockChange, Movement] | None:
    change = uow.stock.set_level(
        command.location,
        command.sku,
        on_hand=command.on_hand,
        safety_stock=command.safety_stock,
        as_of=command.as_of,
        now=now,
    )
    if change is None:
        return None
    reference = command.as_of.isoformat() if command.as_of else None
    movement = Movement(
        command.location,
        command.sku,
        MovementKind.SNAPSHOT,
        change.on_hand_delta,
        0,
        command.reason,
        reference,
        now,
        change.after.on_hand,
    )
    return change, movement


def set_stock(ctx: AppContext, *, command: SetStock, actor: Principal) -> tuple[StockLevel, bool]:
    """Set on-hand (and safety stock) to absolute values; return (level, applied).

    A count older than the row's watermark changes nothing (applied=False).
    """

    def work(uow: UnitOfWork) -> tuple[StockLevel, bool]:
        _check_known(uow, [(command.location, command.sku)])
        now = ctx.clock.now()
        applied = _apply_set(uow, command, now)
        if applied is not None:
            change = applied[0]
            uow.audit.record(
                actor=actor,
                action="inventory.set",
                entity="stock",
                entity_id=f"{command.location}/{command.sku}",
                before=level_data(change.before),
                after=level_data(change.after),
                at=now,
            )
            _publish(uow, ctx, [applied], now)
        level = uow.stock.get(command.location, command.sku)
        assert level is not None, "the row exists: it was just read or written"
        return level, applied is not None

    return ctx.transaction(work)


def snapshot(ctx: AppContext, *, counts: Sequence[SetStock], actor: Principal) -> tuple[int, int]:
    """Apply a bulk snapshot all or nothing; return (applied, skipped as stale).

    One audit record covers the whole snapshot; each changed row still gets its ledger entry and event.
    """

    return ctx.transaction(lambda uow: snapshot_in(uow, ctx, counts=counts, actor=actor))


def snapshot_in(uow: UnitOfWork, ctx: AppContext, *, counts: Sequence[SetStock], actor: Principal) -> tuple[int, int]:
    """`snapshot` inside a unit of work the caller holds."""
    _check_known(uow, [(c.location, c.sku) for c in counts])
    now = ctx.clock.now()
    changes = [
        applied
        for c in sorted(counts, key=lambda c: (c.location, c.sku))
        if (applied := _apply_set(uow, c, now)) is not None
    ]
    as_of = sorted({c.as_of.isoformat() for c in counts if c.as_of})
    uow.audit.record(
        actor=actor,
        action="inventory.snapshot",
        entity="stock",
        entity_id="snapshot",
        before=None,
        after={"rows": len(counts), "applied": len(changes), "as_of": as_of},
        at=now,
    )
    _publish(uow, ctx, changes, now)
    return len(changes), len(counts) - len(changes)


def adjust_stock(
    ctx: AppContext, *, adjustments: Sequence[AdjustStock], reference: str | None, actor: Principal
) -> list[StockLevel]:
    """Apply signed deltas all or nothing. Raises InvalidInput when on-hand would fall below zero."""
    return ctx.transaction(
        lambda uow: adjust_stock_in(uow, ctx, adjustments=adjustments, reference=reference, actor=actor)
    )


def adjust_stock_in(
    uow: UnitOfWork, ctx: AppContext, *, adjustments: Sequence[AdjustStock], reference: str | None, actor: Principal
) -> list[StockLevel]:
    """`adjust_stock` inside a unit of work the caller holds."""
    _check_known(uow, [(a.location, a.sku) for a in adjustments])
    now = ctx.clock.now()
    changes: list[tuple[StockChange, Movement]] = []
    for index, a in sorted(enumerate(adjustments), key=lambda pair: (pair[1].location, pair[1].sku)):
        change = uow.stock.adjust(a.location, a.sku, a.delta, now)
        if change is None:
            have = uow.stock.get(a.location, a.sku)
            raise InvalidInput(
                f"on_hand of {a.sku} at {a.location} is {have.on_hand if have else 0}; cannot apply {a.delta}",
                field=("adjustments", index, "delta"),
            )
        movement = Movement(
            a.location, a.sku, MovementKind.ADJUSTMENT, a.delta, 0, a.reason, reference, now, change.after.on_hand
        )
        uow.audit.record(
            actor=actor,
            action="inventory.adjust",
            entity="stock",
            entity_id=f"{a.location}/{a.sku}",
            before=level_data(change.before),
            after=level_data(change.after),
            at=now,
        )
        changes.append((change, movement))
    _publish(uow, ctx, changes, now)
    return [uow.stock.get(c.after.location, c.after.sku) or c.after for c, _ in changes]
