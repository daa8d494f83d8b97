"""Ports of the outbound webhooks: subscriptions and the delivery queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ordermesh.services.ports import Page, StoredEvent


@dataclass(frozen=True)
class Subscription:
    """An outbound webhook subscription: POST the events matching `event_types` to `url`, signed with `secret`."""

    id: str
    url: str
    event_types: tuple[str, ...]
    secret: str = field(repr=False)  # never in a log line
    active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DeliveryAttempt:
    """One try of an outbound delivery: when, the receiver's status code or the error, how long it took."""

    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class OutboundDelivery:
    """One event on its way to one subscription; `id` orders the deliveries of a (subscription, subject)."""

    id: int
    subscription_id: str
    event: StoredEvent
    status: str  # pending, failed, delivered, dead (domain.outbound_webhooks.DeliveryStatus)
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    leased_until: datetime | None = None
    log: tuple[DeliveryAttempt, ...] = ()  # the latest attempts, oldest first


class WebhookSubscriptions(Protocol):
    def add(self, record: Subscription) -> None: ...
    def get(self, subscription_id: str) -> Subscription | None: ...
    def save(self, record: Subscription) -> None:
        """Store a subscription's changed url, event types, secret, active flag and description."""
        ...

    def delete(self, subscription_id: str) -> None:
        """Remove the subscription and every delivery of it."""
        ...

    def active(self) -> list[Subscription]:
        """Every active subscription, by id."""
        ...

    def page(self, *, after: str | None, limit: int) -> Page:
        """Subscriptions by id."""
        ...


class OutboundDeliveries(Protocol):
    def add(self, subscription_id: str, events: Sequence[StoredEvent], now: datetime) -> None:
        """Queue one pending delivery per event, due now, in the order given (the order they are sent in)."""
        ...

    def due(self, now: datetime, *, limit: int, exclude: Sequence[str] = ()) -> list[OutboundDelivery]:
        """Deliveries to try now, oldest first, of subscriptions other than `exclude`.

        Waiting (pending or failed) with next_attempt_at <= now, not leased beyond now, of an active
        subscription, and first among the waiting deliveries of their (subscription, subject). PostgreSQL
        locks them until the unit of work ends and skips rows another transaction holds.
        """
        ...

    def lease(self, delivery_ids: Sequence[int], until: datetime) -> None:
        """Hold deliveries until a time: nobody else picks them up before then."""
        ...

    def get(self, delivery_id: int) -> OutboundDelivery | None: ...
    def save(self, delivery: OutboundDelivery) -> None:
        """Store a delivery's outcome: status, attempts, next attempt, last result, lease and attempt log."""
        ...

    def events(
        self, subscription_id: str, *, event_id: str | None, start: datetime | None, end: datetime | None, limit: int
    ) -> list[StoredEvent]:
        """Events queued for the subscription before (once each, in queue order), by id or start <= time < end."""
        ...

    def page(self, subscription_id: str, *, status: str | None, after: str | None, limit: int) -> Page:
        """The subscription's deliveries, newest first."""
        ...
