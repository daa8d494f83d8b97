"""Order use cases: capture (idempotent), hold, release and cancel."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from ordermesh.domain.access import Principal
from ordermesh.domain.catalog import Capability
from ordermesh.domain.errors import ConcurrentUpdate, IdempotencyConflict
from ordermesh.domain.events import Event
from ordermesh.domain.orders import (
    PAYMENT_HOLD,
    DeliveryMethod,
    Order,
    OrderLine,
    PaymentStatus,
    order_data,
)
from ordermesh.services.allocation import plan_ahead, publish_events, release_units, source_order
from ordermesh.services.changes import Audited, change_order
from ordermesh.services.commands import CaptureOrder
from ordermesh.services.context import AppContext
from ordermesh.services.ports import DuplicateKey, UnitOfWork

ORDER_SCOPE = "orders"


def capture_order(
    ctx: AppContext,
    *,
    command: CaptureOrder,
    actor: Principal,
    idempotency_key: str | None = None,
    also: Callable[[UnitOfWork, Order], None] | None = None,
) -> tuple[Order, bool]:
    """Record an order once and source it; return (order, created).

    A replay — same (channel, external_id) or same Idempotency-Key — returns the existing order
    with created=False. Raises IdempotencyConflict when a key comes back with another body.
    `also` writes what belongs with a new order (a channel's delivery record) in its transaction.
    """
    fingerprint = _fingerprint(command) if idempotency_key is not None else ""
    ids = (ctx.ids("ord"), [ctx.ids("line") for _ in command.lines])

    def look_ahead(uow: UnitOfWork) -> tuple[Order | None, Order | None]:
        """(an existing order this replays, or the new order as it would be written)."""
        if idempotency_key is not None:
            existing = _existing(uow, command, idempotency_key, fingerprint)
            if existing is not None:
                return existing, None
        return None, _new_order(uow, ctx, command, ids)

    replayed, draft = ctx.read(look_ahead)
    if replayed is not None:
        return replayed, False
    # Sourcing is decided before the write transaction, outside its locks; inside it the plan's reservations
    # are taken (and the order planned again only if another order got there first).
    hint = plan_ahead(ctx, draft) if draft is not None else None

    def work(uow: UnitOfWork) -> tuple[Order, bool]:
        if idempotency_key is not None:
            existing = _existing(uow, command, idempotency_key, fingerprint)
            if existing is not None:
                return existing, False
        order = _new_order(uow, ctx, command, ids)
        order.events.append(Event("ordermesh.order.created", order.id, order_data(order)))
        _raise_exceptions(order)
        source_order(uow, ctx, order, hint=hint)
        # Written after sourcing, in one go. A replay of (channel, external_id) fails here with DuplicateKey
        # and the whole transaction, reservations included, is rolled back.
        uow.orders.add(order)
        if idempotency_key is not None:
            uow.idempotency.claim(
                key=idempotency_key,
                scope=ORDER_SCOPE,
                fingerprint=fingerprint,
                resource_id=order.id,
                now=order.created_at,
            )
        if also is not None:
            also(uow, order)
        publish_events(uow, ctx, order)
        uow.audit.record(
            actor=actor,
            action="order.capture",
            entity="order",
            entity_id=order.id,
            before=None,
            after=order_data(order),
            at=order.created_at,
        )
        return order, True

    try:
        return ctx.transaction(work)
    except DuplicateKey:
        # A concurrent request with the same key committed first: answer with its order.
        def replay(uow: UnitOfWork) -> Order | None:
            return _existing(uow, command, idempotency_key, fingerprint)

        order = ctx.read(replay)
        if order is None:
            raise ConcurrentUpdate("the order is being written by a concurrent request; retry") from None
        return order, False


def _existing(uow: UnitOfWork, command: CaptureOrder, key: str | None, fingerprint: str) -> Order | None:
    if key is not None:
        claimed = uow.idempotency.get(key=key, scope=ORDER_SCOPE)
        if claimed is not None:
            if claimed[0] != fingerprint:
                raise IdempotencyConflict(key)
            return uow.orders.get(claimed[1])
    return uow.orders.find(command.channel, command.external_id)


def _fingerprint(command: CaptureOrder) -> str:
    payload = json.dumps(asdict(command), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _new_order(uow: UnitOfWork, ctx: AppContext, command: CaptureOrder, ids: tuple[str, list[str]]) -> Order:
    now = ctx.clock.now()
    known = uow.items.known([line.sku for line in command.lines])
    order_id, line_ids = ids
    order = order_from_command(command, order_id=order_id, line_id=lambda n: line_ids[n - 1], known=known, now=now)
    if command.delivery.method == DeliveryMethod.PICKUP:
        problem = _pickup_problem(uow, command.delivery.pickup_location)
        if problem:
            for line in order.lines:
                line.exception = line.exception or problem
    order.hold_reason = PAYMENT_HOLD if command.payment_status == PaymentStatus.PENDING else None
    return order


def order_from_command(
    command: CaptureOrder, *, order_id: str, line_id: Callable[[int], str], known: set[str], now: datetime
) -> Order:
    """The order a capture command describes, every unit waiting; SKUs not in `known` become line exceptions."""
    lines = [
        OrderLine(
            line_id(n),
            line.external_id,
            line.sku,
            line.quantity,
            line.unit_price,
            exception=None if line.sku in known else f"unknown SKU '{line.sku}'",
        )
        for n, line in enumerate(command.lines, start=1)
    ]
    return Order(
        id=order_id,
        channel=command.channel,
        external_id=command.external_id,
        currency=command.currency,
        customer=command.customer,
        ship_to=command.ship_to,
        delivery=command.delivery,
        lines=lines,
        shipping_total=command.shipping_total,
        tax_total=command.tax_total,
        discount_total=command.discount_total,
        payment_status=command.payment_status,
        placed_at=command.placed_at or now,
        created_at=now,
        updated_at=now,
    )


def _pickup_problem(uow: UnitOfWork, code: str | None) -> str | None:
    location = uow.locations.get(code) if code else None
    if location is None:
        return f"pickup location '{code}' does not exist"
    if not location.can(Capability.PICKUP):
        return f"location '{code}' does not offer pickup"
    return None


def _raise_exceptions(order: Order) -> None:
    problems = [
        {"line_id": line.id, "sku": line.sku, "reason": line.exception} for line in order.lines if line.exception
    ]
    if problems:
        order.events.append(
            Event("ordermesh.order.exception_raised", order.id, {**order_data(order), "exceptions": problems})
        )


def hold_order(ctx: AppContext, *, order_id: str, reason: str, actor: Principal) -> Order:
    """Stop an order from being sourced or fulfilled until it is released."""

    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        order.hold(reason, now)

    return change_order(
        ctx, order_id=order_id, actor=actor, action="order.hold", change=change, audited=Audited.order(order_id)
    )


def release_order(ctx: AppContext, *, order_id: str, actor: Principal) -> Order:
    """Lift the order's hold and source whatever is still waiting."""

    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        order.release_hold(now)
        source_order(uow, ctx, order)

    return change_order(
        ctx, order_id=order_id, actor=actor, action="order.release", change=change, audited=Audited.order(order_id)
    )


def cancel_order(
    ctx: AppContext, *, order_id: str, lines: dict[str, int] | None, reason: str, actor: Principal
) -> Order:
    """Cancel the whole order or some units of some lines, giving their reservations back."""

    def change(uow: UnitOfWork, order: Order, now: datetime) -> None:
        released = order.cancel(lines, reason, now)
        release_units(uow, ctx, order, released, reason="order cancelled", now=now)

    return change_order(
        ctx, order_id=order_id, actor=actor, action="order.cancel", change=change, audited=Audited.order(order_id)
    )
