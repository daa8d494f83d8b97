"""Webhook subscriptions (admin): create, change, rotate the secret, delete, read the log, replay events.

Every change is audited without the secret. Replay queues new deliveries (fresh attempts, due now) for
events the subscription was sent before, one event or those whose time falls in a range; the old
deliveries and their attempts stay in the log.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import InvalidInput, NotFound
from ordermesh.domain.outbound_webhooks import (
    SECRET_BYTES,
    DeliveryStatus,
    event_type_problem,
    new_secret,
    secret_problem,
)
from ordermesh.services.context import AppContext
from ordermesh.services.ports import Page, UnitOfWork
from ordermesh.services.webhook_ports import Subscription

REPLAY_LIMIT = 10_000


@dataclass(frozen=True)
class CreateSubscription:
    """`secret` None: one is generated (`whsec_` + 24 random bytes) and shown once, in the answer."""

    url: str
    event_types: Sequence[str]
    secret: str | None = None
    active: bool = True
    description: str | None = None


@dataclass(frozen=True)
class ChangeSubscription:
    """Fields left None stay as they are; `rotate_secret` replaces the secret (with `secret`, or a new one)."""

    url: str | None = None
    event_types: Sequence[str] | None = None
    active: bool | None = None
    description: str | None = None
    rotate_secret: bool = False
    secret: str | None = None


def public_view(record: Subscription) -> dict[str, Any]:
    """What the audit log keeps of a subscription: everything but its secret."""
    return {
        "id": record.id,
        "url": record.url,
        "event_types": list(record.event_types),
        "active": record.active,
        "description": record.description,
    }


def create_subscription(ctx: AppContext, *, command: CreateSubscription, actor: Principal) -> Subscription:
    """Subscribe a URL to event types. Raises InvalidInput naming the url, event type or secret at fault."""
    _check_url(command.url)
    _check_event_types(command.event_types)
    secret = _checked_secret(command.secret)
    now = ctx.clock.now()
    record = Subscription(
        ctx.ids("whs"), command.url, tuple(command.event_types), secret, command.active, command.description, now, now
    )

    def work(uow: UnitOfWork) -> Subscription:
        uow.subscriptions.add(record)
        _audit(uow, actor, "webhook.create", record, None, public_view(record))
        return record

    return ctx.transaction(work)


def change_subscription(
    ctx: AppContext, *, subscription_id: str, change: ChangeSubscription, actor: Principal
) -> Subscription:
    """Change a subscription. Raises NotFound for an unknown id, InvalidInput naming a bad field."""
    if change.url is not None:
        _check_url(change.url)
    if change.event_types is not None:
        _check_event_types(change.event_types)
    if change.secret is not None and not change.rotate_secret:
        raise InvalidInput("a secret is only given with rotate_secret: true", field=("secret",))
    rotated = _checked_secret(change.secret) if change.rotate_secret else None

    def work(uow: UnitOfWork) -> Subscription:
        stored = _stored(uow, subscription_id)
        changed = replace(
            stored,
            url=change.url if change.url is not None else stored.url,
            event_types=tuple(change.event_types) if change.event_types is not None else stored.event_types,
            active=change.active if change.active is not None else stored.active,
            description=change.description if change.description is not None else stored.description,
            secret=rotated or stored.secret,
            updated_at=ctx.clock.now(),
        )
        uow.subscriptions.save(changed)
        after = {**public_view(changed), "secret_rotated": rotated is not None}
        _audit(uow, actor, "webhook.update", changed, public_view(stored), after)
        return changed

    return ctx.transaction(work)


def delete_subscription(ctx: AppContext, *, subscription_id: str, actor: Principal) -> None:
    """Delete a subscription with its deliveries and their log. Raises NotFound for an unknown id."""

    def work(uow: UnitOfWork) -> None:
        stored = _stored(uow, subscription_id)
        uow.subscriptions.delete(subscription_id)
        _audit(uow, actor, "webhook.delete", replace(stored, updated_at=ctx.clock.now()), public_view(stored), None)

    ctx.transaction(work)


def get_subscription(ctx: AppContext, subscription_id: str) -> Subscription:
    """Raises NotFound for an unknown id."""
    return ctx.read(lambda uow: _stored(uow, subscription_id))


def list_subscriptions(ctx: AppContext, *, after: str | None, limit: int) -> Page:
    return ctx.read(lambda uow: uow.subscriptions.page(after=after, limit=limit))


def delivery_log(ctx: AppContext, *, subscription_id: str, status: str | None, after: str | None, limit: int) -> Page:
    """The subscription's deliveries, newest first, each with its latest attempts. Raises NotFound, InvalidInput."""
    if status is not None and status not in set(DeliveryStatus):
        known = ", ".join(s.value for s in DeliveryStatus)
        raise InvalidInput(f"unknown status '{status}' (one of {known})", field=("query", "status"))

    def work(uow: UnitOfWork) -> Page:
        _stored(uow, subscription_id)
        return uow.deliveries.page(subscription_id, status=status, after=after, limit=limit)

    return ctx.read(work)


def replay(
    ctx: AppContext,
    *,
    subscription_id: str,
    event_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    actor: Principal,
) -> int:
    """Send events again: one (`event_id`) or all with start <= time < end; return how many were queued.

    Raises NotFound for an unknown subscription or an event it was never sent, InvalidInput when neither or
    both ways are given, or the range is empty.
    """
    if (event_id is None) == (start is None and end is None):
        raise InvalidInput("give either event_id or a time range (from, to)", field=("event_id",))
    if start is not None and end is not None and end <= start:
        raise InvalidInput("'to' must be after 'from'", field=("to",))

    def work(uow: UnitOfWork) -> int:
        stored = _stored(uow, subscription_id)
        events = uow.deliveries.events(subscription_id, event_id=event_id, start=start, end=end, limit=REPLAY_LIMIT)
        if event_id is not None and not events:
            raise NotFound("event", event_id)
        now = ctx.clock.now()
        uow.deliveries.add(subscription_id, events, now)
        asked = {"event_id": event_id} if event_id else {"from": _iso(start), "to": _iso(end)}
        _audit(uow, actor, "webhook.replay", replace(stored, updated_at=now), None, {**asked, "events": len(events)})
        return len(events)

    return ctx.transaction(work)


def _stored(uow: UnitOfWork, subscription_id: str) -> Subscription:
    stored = uow.subscriptions.get(subscription_id)
    if stored is None:
        raise NotFound("webhook subscription", subscription_id)
    return stored


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("must be an http:// or https:// URL with a host", field=("url",))


def _check_event_types(event_types: Sequence[str]) -> None:
    if not event_types:
        raise InvalidInput("name at least one event type ('*' for all)", field=("event_types",))
    for index, pattern in enumerate(event_types):
        problem = event_type_problem(pattern)
        if problem is not None:
            raise InvalidInput(problem, field=("event_types", index))


def _checked_secret(secret: str | None) -> str:
    if secret is None:
        return new_secret(secrets.token_bytes(SECRET_BYTES))
    problem = secret_problem(secret)
    if problem is not None:
        raise InvalidInput(f"secret {problem}", field=("secret",))
    return secret


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _audit(uow: UnitOfWork, actor: Principal, action: str, record: Subscription, before: Any, after: Any) -> None:
    uow.audit.record(
        actor=actor,
        action=action,
        entity="webhook",
        entity_id=record.id,
        before=before,
        after=after,
        at=record.updated_at,
    )
