"""The channel connector port: how a sales channel's webhooks reach Ordermesh's use cases.

A connector (one per channel kind: Shopify, WooCommerce, ...) lives in `ordermesh.adapters.channels` and
does three things for an inbound request, in this order: read the delivery's topic and id from its headers,
verify its signature over the raw body (before anything parses it), and map the payload to Ordermesh's
terms — the channel's whole current picture of one order (`ChannelOrder`), whose `command` is the canonical
`CaptureOrder`. The use cases in `services/webhooks.py` decide what to do with that picture: capture it,
reconcile an order Ordermesh already holds with it, or cancel.

Status going back to the channel (fulfilments, tracking, cancellations) is the other half of a connector.
It will be a second port, `ChannelStatusPush` below, driven by the outbox relay as an `EventPublisher`:
the relay already delivers every committed event at least once, in commit order, so a publisher that
turns `ordermesh.fulfillment_order.shipped` into the channel's fulfilment call needs nothing new here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from ordermesh.domain.errors import DomainError
from ordermesh.services.commands import CaptureOrder
from ordermesh.services.ports import ChannelRecord, StoredEvent


class InvalidSignature(DomainError):
    """A webhook's signature is missing or was not made with the channel's secret."""

    title = "Invalid webhook signature"


class MalformedPayload(DomainError):
    """A webhook's body is not the JSON document its channel sends (fields that are wrong: InvalidInput)."""

    title = "Malformed webhook payload"


@dataclass(frozen=True)
class InboundRequest:
    """A webhook request as it arrived: header names in lower case, the body as the raw bytes that were signed."""

    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Intent(StrEnum):
    """What a delivery's topic asks of Ordermesh."""

    CREATE = "create"  # a new order: capture it
    UPDATE = "update"  # an order changed: reconcile (capture it if Ordermesh never saw it)
    CANCEL = "cancel"  # an order was cancelled or deleted
    PING = "ping"  # the channel checks the URL when the webhook is set up; nothing to verify or do
    IGNORE = "ignore"  # a topic Ordermesh does not act on


@dataclass(frozen=True)
class WebhookDelivery:
    """The topic and de-duplication id of a delivery, read from its headers (and the body's hash) only."""

    webhook_id: str
    topic: str
    intent: Intent


@dataclass(frozen=True)
class ChannelOrder:
    """A channel's whole current picture of one order, in Ordermesh's terms.

    `command` is the canonical order (None only when the payload carries no order, as a deletion's does);
    its lines are the units Ordermesh fulfils, each with the channel's line id as `external_id`. `details`
    keep, as JSON, what the canonical order has no field for (note and note attributes, tags, discount
    codes, tax and shipping lines, per-line weights and properties, lines Ordermesh does not fulfil).
    `ignored` says why the order is nothing for Ordermesh (a checkout draft, nothing to ship).
    """

    external_id: str
    command: CaptureOrder | None
    updated_at: datetime | None = None
    cancelled: bool = False
    cancel_reason: str | None = None
    ignored: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class ChannelConnector(Protocol):
    """Inbound half of a channel kind's adapter."""

    kind: str

    def delivery(self, request: InboundRequest) -> WebhookDelivery:
        """Read the topic and the delivery id from the headers (never from the parsed body)."""
        ...

    def verify(self, request: InboundRequest, secret: str) -> bool:
        """Tell whether the raw body was signed with the secret (a constant-time comparison)."""
        ...

    def read_order(self, request: InboundRequest, channel: ChannelRecord) -> ChannelOrder:
        """Map a verified payload to the channel's picture of the order.

        Raises MalformedPayload when the body is not a JSON object, InvalidInput naming the field
        (`line_items[2].price`) when a field cannot be mapped.
        """
        ...


class ChannelStatusPush(Protocol):
    """Outbound half (not built yet): tell the channel what happened to its orders, from committed events."""

    def publish(self, events: Sequence[StoredEvent]) -> None:
        """Push fulfilments, tracking numbers and cancellations of this channel's orders (at least once)."""
        ...
