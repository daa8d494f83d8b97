"""The channel connector port: how a sales channel's webhooks reach Ordermesh's use cases.

A connector (one per channel kind: Shopify, WooCommerce, ...) lives in `ordermesh.adapters.channels` and
does three things for an inbound request, in this order: read the delivery's topic and id from its headers,
verify its signature over the raw body (before anything parses it), and map the payload to Ordermesh's
terms — the channel's whole current picture of one order (`ChannelOrder`), whose `command` is the canonical
`CaptureOrder`. The use cases in `services/webhooks.py` decide what to do with that picture: capture it,
reconcile an order Ordermesh already holds with it, or cancel.

Status going back to the channel (shipments with tracking, pickups, cancellations) is the other half: a
`ChannelStatusClient` per kind takes one `StatusUpdate` (domain.channel_status) and makes the channel's own
API calls. `services/channel_push.py` queues the updates from committed events and retries them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from ordermesh.domain.channel_status import StatusUpdate
from ordermesh.domain.errors import DomainError
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.commands import CaptureOrder


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
    """Inbound half of a channel kind's adapter; `credential_names` are what its status client needs."""

    kind: str
    credential_names: tuple[str, ...]

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


class PushOutcome(StrEnum):
    DONE = "done"  # the channel has the update (or had it already)
    RETRY = "retry"  # not now: unreachable, throttled, a server error
    REFUSED = "refused"  # the channel said no (bad credentials, unknown order, invalid): retrying will not help
    SKIPPED = "skipped"  # the channel has no way to take this update (a partial cancellation, say)


@dataclass(frozen=True)
class PushResult:
    """How a push went: `detail` says why in words; `reference` is the channel's id for what it created;
    `retry_after` the seconds the channel asked to wait (a 429's Retry-After)."""

    outcome: PushOutcome
    detail: str | None = None
    reference: str | None = None
    retry_after: float | None = None


class ChannelStatusClient(Protocol):
    """Outbound half of a channel kind's adapter: tell the channel what happened to one of its orders."""

    kind: str

    def push(self, channel: ChannelRecord, update: StatusUpdate) -> PushResult:
        """Make the channel's API calls for one update; a channel's failure is returned, never raised.

        Called at least once per update: a client checks what the channel already has before it creates
        anything (a fulfilment with the same tracking number, an order already cancelled).
        """
        ...
