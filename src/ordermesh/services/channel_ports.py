"""Ports of the sales channels: configured instances, inbound deliveries, channel orders, status pushes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ordermesh.services.ports import Page


@dataclass(frozen=True)
class ChannelRecord:
    """A configured channel instance (`shopify:<shop>`, `woocommerce:<site>`) with what its connector needs.

    The webhook secret is stored as given: verifying an HMAC needs the secret itself, and no key to encrypt
    it at rest is configured yet. `api_credentials` are what the channel's API takes to accept status
    pushes (Shopify: `access_token`; WooCommerce: `consumer_key`, `consumer_secret`); none: no pushes.
    """

    channel: str
    kind: str
    webhook_secret: str = field(repr=False)
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    api_credentials: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class WebhookRecord:
    """An inbound webhook that was processed, kept to recognise the same delivery when it comes again."""

    channel: str
    webhook_id: str
    topic: str
    outcome: str
    order_id: str | None
    received_at: datetime
    detail: str | None = None


@dataclass(frozen=True)
class ChannelOrderRecord:
    """A channel's last picture of one of its orders, as Ordermesh applied it.

    `source_updated_at` is when the order last changed on the channel (older deliveries are stale), `state`
    the canonical picture that later changes are compared with, `details` what Ordermesh's order has no
    field for.
    """

    channel: str
    external_id: str
    order_id: str
    source_updated_at: datetime | None
    state: dict[str, Any]
    details: dict[str, Any]
    updated_at: datetime


class Channels(Protocol):
    def add(self, record: ChannelRecord) -> None:
        """Store a new channel instance; DuplicateKey when the channel exists."""
        ...

    def get(self, channel: str) -> ChannelRecord | None: ...
    def save(self, record: ChannelRecord) -> None:
        """Store a channel's changed secret and settings."""
        ...

    def page(self, *, after: str | None, limit: int) -> Page:
        """Channels by name."""
        ...


class WebhookDeliveries(Protocol):
    def add(self, record: WebhookRecord) -> None:
        """Remember a processed delivery; DuplicateKey when (channel, webhook_id) is known."""
        ...

    def get(self, channel: str, webhook_id: str) -> WebhookRecord | None: ...
    def page(self, channel: str, *, after: str | None, limit: int) -> Page:
        """The channel's deliveries, newest first."""
        ...


class ChannelOrders(Protocol):
    def get(self, channel: str, external_id: str) -> ChannelOrderRecord | None: ...
    def put(self, record: ChannelOrderRecord) -> None:
        """Store the channel's view of the order, replacing the one stored before."""
        ...


@dataclass(frozen=True)
class ChannelPush:
    """One status update on its way to a channel; `id` orders the pushes of one (channel, order).

    `update` is the StatusUpdate's data (domain.channel_status); `reference` what the channel answered with
    (its fulfilment id, say); `last_error` why the latest attempt failed or why the push was skipped.
    """

    id: int
    channel: str
    order_id: str
    event_id: str
    event_type: str
    update: dict[str, Any]
    status: str  # domain.channel_status.PushStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    reference: str | None = None
    done_at: datetime | None = None
    leased_until: datetime | None = None


class ChannelPushes(Protocol):
    def add(self, pushes: Sequence[ChannelPush]) -> None:
        """Queue pushes in the order given (their ids are assigned here; the given ones are ignored)."""
        ...

    def due(self, now: datetime, *, limit: int) -> list[ChannelPush]:
        """Pushes to try now, oldest first: waiting (pending or failed) with next_attempt_at <= now, not leased
        beyond now, and first among the waiting pushes of their (channel, order). PostgreSQL locks them until
        the unit of work ends and skips rows another transaction holds."""
        ...

    def lease(self, push_ids: Sequence[int], until: datetime) -> None:
        """Hold pushes until a time: nobody else picks them up before then."""
        ...

    def get(self, push_id: int) -> ChannelPush | None: ...
    def save(self, push: ChannelPush) -> None:
        """Store a push's status, attempts, next attempt, last attempt and error, reference, done time, lease."""
        ...

    def page(self, channel: str, *, status: str | None, after: str | None, limit: int) -> Page:
        """The channel's pushes, newest first."""
        ...
