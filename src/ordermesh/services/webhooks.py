"""Inbound channel webhooks: verify, de-duplicate, then capture, reconcile or cancel the order they carry.

One delivery is acted on once: its id (the channel's, or the body's hash) is recorded in the same transaction
as the change it made, and a delivery that comes again is answered from that record. Orders themselves are
captured through `capture_order`, idempotent on (channel, external_id), so two different deliveries of the
same new order (Shopify sends `orders/create` and `orders/updated` moments apart, in either order) still make
one order. Changes to an order Ordermesh holds are applied as `domain.channel_edits` describes, in one
transaction with the channel's new picture of the order; a picture older than the one applied last is stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from ordermesh.domain.access import Principal, Role
from ordermesh.domain.channel_edits import ChannelState, Reconciliation, cancel_on_channel, reconcile
from ordermesh.domain.errors import NotFound
from ordermesh.domain.orders import Order, order_data
from ordermesh.services.allocation import release_units, save_order, source_order
from ordermesh.services.channel_ports import ChannelOrderRecord, ChannelRecord, WebhookRecord
from ordermesh.services.commands import CaptureOrder
from ordermesh.services.connectors import ChannelOrder, InboundRequest, Intent, InvalidSignature, WebhookDelivery
from ordermesh.services.context import AppContext
from ordermesh.services.orders import capture_order
from ordermesh.services.ports import DuplicateKey, UnitOfWork

CREATED, UPDATED, HELD, CANCELLED = "created", "updated", "held", "cancelled"
UNCHANGED, STALE, IGNORED, DUPLICATE, PING = "unchanged", "stale", "ignored", "duplicate", "ping"
DETAIL_LENGTH = 500
T = TypeVar("T")


@dataclass(frozen=True)
class WebhookOutcome:
    """What a delivery did: `outcome` is one of created, updated, held, cancelled, unchanged, stale, ignored,
    duplicate (this delivery was processed before) or ping (the channel checking the URL)."""

    outcome: str
    order_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class _Inbound:
    """One verified delivery and the channel it came from."""

    channel: ChannelRecord
    delivery: WebhookDelivery

    @property
    def actor(self) -> Principal:
        return Principal("webhook", f"webhook {self.channel.channel}", Role.INTEGRATION)

    def remember(self, uow: UnitOfWork, outcome: WebhookOutcome, now: datetime) -> WebhookOutcome:
        """Record the delivery with what it did; DuplicateKey (failing the transaction) if it is known."""
        uow.webhooks.add(
            WebhookRecord(
                self.channel.channel,
                self.delivery.webhook_id,
                self.delivery.topic,
                outcome.outcome,
                outcome.order_id,
                now,
                outcome.detail[:DETAIL_LENGTH] if outcome.detail else None,
            )
        )
        return outcome


def receive_webhook(ctx: AppContext, *, kind: str, instance: str, request: InboundRequest) -> WebhookOutcome:
    """Process one delivery of a channel's webhook, at most once per delivery id.

    Raises NotFound for a channel that is not configured, InvalidSignature when the body was not signed with
    the channel's secret (checked before the body is parsed), MalformedPayload or InvalidInput (naming the
    field) when the payload cannot be mapped; nothing is written then.
    """
    name = f"{kind}:{instance.lower()}"
    connector = ctx.connectors.get(kind)
    if connector is None:
        raise NotFound("channel", name)
    delivery = connector.delivery(request)
    channel, seen = ctx.read(lambda uow: (uow.channels.get(name), uow.webhooks.get(name, delivery.webhook_id)))
    if channel is None or channel.kind != kind:
        raise NotFound("channel", name)
    if delivery.intent == Intent.PING:
        return WebhookOutcome(PING, detail="the webhook URL answers")
    if not connector.verify(request, channel.webhook_secret):
        raise InvalidSignature(f"the body was not signed with the webhook secret of channel '{name}'")
    if seen is not None:
        return _duplicate(seen)
    inbound = _Inbound(channel, delivery)
    if delivery.intent == Intent.IGNORE:
        detail = f"topic '{delivery.topic}' is not one Ordermesh acts on"
        return _once(ctx, inbound, lambda uow, now: inbound.remember(uow, WebhookOutcome(IGNORED, detail=detail), now))
    view = connector.read_order(request, channel)
    if delivery.intent == Intent.CREATE and not view.cancelled:
        return _capture(ctx, inbound, view)
    return _apply(ctx, inbound, view)


def _duplicate(seen: WebhookRecord) -> WebhookOutcome:
    when = seen.received_at.isoformat(timespec="seconds")
    detail = f"delivery {seen.webhook_id} was processed at {when}: {seen.outcome}"
    return WebhookOutcome(DUPLICATE, seen.order_id, detail)


def _once(ctx: AppContext, inbound: _Inbound, work: Callable[[UnitOfWork, datetime], T]) -> T | WebhookOutcome:
    """Run the delivery's work in one transaction; a concurrent delivery of the same webhook makes it a duplicate."""
    try:
        return ctx.transaction(lambda uow: work(uow, ctx.clock.now()))
    except DuplicateKey:
        seen = ctx.read(lambda uow: uow.webhooks.get(inbound.channel.channel, inbound.delivery.webhook_id))
        if seen is None:
            raise
        return _duplicate(seen)


def _capture(ctx: AppContext, inbound: _Inbound, view: ChannelOrder) -> WebhookOutcome:
    """Capture a new order; if Ordermesh has it already, treat the delivery as a change to it."""
    command = view.command
    if command is None or view.ignored:
        detail = view.ignored or "the payload carries no order"
        return _once(ctx, inbound, lambda uow, now: inbound.remember(uow, WebhookOutcome(IGNORED, detail=detail), now))

    def record(uow: UnitOfWork, order: Order) -> None:
        # In the order's own transaction: a concurrent delivery of the same webhook finds both, or neither.
        _keep_picture(uow, inbound, view, order.id, _state(command), order.created_at)
        inbound.remember(uow, WebhookOutcome(CREATED, order.id), order.created_at)

    order, created = capture_order(ctx, command=command, actor=inbound.actor, also=record)
    if not created:
        return _apply(ctx, inbound, view)
    return WebhookOutcome(CREATED, order.id)


def _apply(ctx: AppContext, inbound: _Inbound, view: ChannelOrder) -> WebhookOutcome:
    """Apply the channel's picture to the order Ordermesh holds; capture it when Ordermesh has none."""

    def work(uow: UnitOfWork, now: datetime) -> WebhookOutcome | None:
        found = uow.orders.find(inbound.channel.channel, view.external_id)
        order = uow.orders.get(found.id, for_update=True) if found is not None else None
        if order is None:
            if view.cancelled or view.command is None:
                detail = "cancelled on the channel before Ordermesh captured it"
                return inbound.remember(uow, WebhookOutcome(IGNORED, detail=detail), now)
            return None
        stored = uow.channel_orders.get(inbound.channel.channel, view.external_id)
        if stored is not None and _older(view.updated_at, stored.source_updated_at):
            detail = f"the channel's order changed since (at {stored.source_updated_at}); this picture is older"
            return inbound.remember(uow, WebhookOutcome(STALE, order.id, detail), now)
        before = ChannelState.from_data(stored.state) if stored is not None else ChannelState.of(order)
        after = _state(view.command) if view.command is not None else before
        outcome = _change(uow, ctx, inbound, order, view, before, after, now)
        _keep_picture(uow, inbound, view, order.id, after, now, stored)
        return inbound.remember(uow, outcome, now)

    outcome = _once(ctx, inbound, work)
    return outcome if outcome is not None else _capture(ctx, inbound, view)


def _change(
    uow: UnitOfWork,
    ctx: AppContext,
    inbound: _Inbound,
    order: Order,
    view: ChannelOrder,
    before: ChannelState,
    after: ChannelState,
    now: datetime,
) -> WebhookOutcome:
    """Reconcile the order with the channel's picture (or cancel it) and save it, with its events and audit."""
    picture = order_data(order)
    if view.cancelled:
        result = cancel_on_channel(order, view.cancel_reason or "cancelled on the channel", now)
    else:
        result = reconcile(order, before, after, now)
    if result.released:
        release_units(uow, ctx, order, result.released, reason="order cancelled on the channel", now=now)
    if result.source:
        source_order(uow, ctx, order, trigger="release")
    if result.changes:
        save_order(uow, ctx, order)
        uow.audit.record(
            actor=inbound.actor,
            action="order.channel_cancel" if view.cancelled else "order.channel_update",
            entity="order",
            entity_id=order.id,
            before=picture,
            after=order_data(order),
            at=now,
        )
    return WebhookOutcome(_verdict(view, result), order.id, "; ".join(result.changes + result.review) or None)


def _verdict(view: ChannelOrder, result: Reconciliation) -> str:
    if not result.changes:
        return UNCHANGED
    if view.cancelled:
        return CANCELLED
    return HELD if result.review else UPDATED


def _state(command: CaptureOrder) -> ChannelState:
    lines = [line for line in command.lines if line.external_id is not None]
    return ChannelState(
        command.payment_status,
        command.ship_to,
        command.customer,
        command.delivery,
        {str(line.external_id): line.quantity for line in lines},
        {str(line.external_id): line.sku for line in lines},
    )


def _keep_picture(
    uow: UnitOfWork,
    inbound: _Inbound,
    view: ChannelOrder,
    order_id: str,
    state: ChannelState,
    now: datetime,
    stored: ChannelOrderRecord | None = None,
) -> None:
    uow.channel_orders.put(
        ChannelOrderRecord(
            inbound.channel.channel,
            view.external_id,
            order_id,
            view.updated_at or (stored.source_updated_at if stored else None),
            state.data(),
            view.details or (stored.details if stored else {}),
            now,
        )
    )


def _older(first: datetime | None, second: datetime | None) -> bool:
    """Whether `first` is strictly before `second` (unknown times are never older)."""
    return first is not None and second is not None and first < second
