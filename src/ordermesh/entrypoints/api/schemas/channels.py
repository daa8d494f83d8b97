"""Channels on the wire: a channel instance in (with its secret), out (never with it); webhook outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AnyHttpUrl, BaseModel, Field, model_validator

from ordermesh.entrypoints.api.schemas.common import Code, Input
from ordermesh.services.channel_ports import ChannelOrderRecord, ChannelPush, ChannelRecord, WebhookRecord
from ordermesh.services.channels import AddChannel, public_view
from ordermesh.services.webhooks import WebhookOutcome

# `<kind>:<instance>`, the instance being the shop's or site's host name: it is a path segment of the webhook URL.
CHANNEL_PATTERN = r"^[a-z][a-z0-9_]*:[a-z0-9]([a-z0-9\-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9\-]*[a-z0-9])?)*$"
ChannelName = Annotated[str, Field(max_length=200, pattern=CHANNEL_PATTERN, examples=["shopify:acme.myshopify.com"])]
Secret = Annotated[
    str,
    Field(
        min_length=8,
        max_length=500,
        description="The secret the channel signs webhooks with (Shopify: the app's client secret; "
        "WooCommerce: the webhook's secret). Stored to verify signatures; never returned.",
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Credentials = Annotated[
    dict[Annotated[str, Field(max_length=50)], Annotated[str, Field(min_length=1, max_length=500)]],
    Field(
        max_length=5,
        description="What the channel's API takes for status pushes (Shopify: access_token; WooCommerce: "
        "consumer_key and consumer_secret of a read/write REST API key). Stored; never returned. {}: no pushes.",
        examples=[{"access_token": "shpat_..."}],
    ),
]


class ChannelSettingsIn(Input):
    pickup_locations: dict[Name, Code] = Field(
        default_factory=dict,
        max_length=500,
        description="The channel's pickup point (name or id, as its orders name it) -> an Ordermesh location code",
    )
    service_levels: dict[Name, Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=dict,
        max_length=500,
        description="The channel's shipping method (code, method id or title) -> an Ordermesh service level",
    )
    api_base_url: AnyHttpUrl | None = Field(
        default=None, description="Where the channel's API answers (default: https:// and the shop's or site's domain)"
    )
    api_version: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")] | None = Field(
        default=None, description="Shopify Admin API version (default 2025-01)", examples=["2025-01"]
    )
    push: bool = Field(default=True, description="Push shipments and cancellations to the channel (with credentials)")
    notify_customer: bool = Field(default=True, description="Let the channel email the customer about a push")
    cancel_refund: bool = Field(default=True, description="Shopify: refund the payment when Ordermesh cancels")
    cancel_restock: bool = Field(default=False, description="Shopify: restock Shopify's inventory on a cancellation")

    def stored(self) -> dict[str, Any]:
        """The settings to store: the name mappings, and the push settings that were given (the others default)."""
        given = self.model_dump(exclude_unset=True, mode="json")
        return {"pickup_locations": self.pickup_locations, "service_levels": self.service_levels, **given}


class ChannelIn(Input):
    channel: ChannelName
    kind: str = Field(max_length=30, description="The connector: shopify or woocommerce", examples=["shopify"])
    webhook_secret: Secret
    settings: ChannelSettingsIn = Field(default_factory=ChannelSettingsIn)
    api_credentials: Credentials = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _lower_case_channel(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("channel"), str):
            return {**data, "channel": data["channel"].strip().lower()}
        return data

    @model_validator(mode="after")
    def _kind_names_the_channel(self) -> Self:
        if not self.channel.startswith(f"{self.kind}:"):
            raise ValueError(f"a {self.kind} channel is named '{self.kind}:<shop or site domain>'")
        return self

    def command(self) -> AddChannel:
        return AddChannel(self.channel, self.kind, self.webhook_secret, self.settings.stored(), self.api_credentials)


class ChannelPatch(Input):
    webhook_secret: Secret | None = Field(default=None, description="A new secret (rotation)")
    settings: ChannelSettingsIn | None = Field(default=None, description="Replaces the settings as a whole")
    api_credentials: Credentials | None = Field(default=None, description="Replaces the API credentials ({}: none)")


class ChannelOut(BaseModel):
    channel: str
    kind: str
    settings: dict[str, Any]
    webhook_path: str = Field(description="Where the channel sends its webhooks, under this server's base URL")
    api_credentials: list[str] = Field(description="The names of the API credentials that are set (never values)")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: ChannelRecord) -> ChannelOut:
        return cls(**public_view(record), created_at=record.created_at, updated_at=record.updated_at)


class WebhookOut(BaseModel):
    outcome: str = Field(
        description="created, updated, held (a change needs review), cancelled, unchanged, stale, ignored, "
        "duplicate (this delivery was processed before) or ping"
    )
    order_id: str | None
    detail: str | None

    @classmethod
    def of(cls, outcome: WebhookOutcome) -> WebhookOut:
        return cls(outcome=outcome.outcome, order_id=outcome.order_id, detail=outcome.detail)


class DeliveryOut(BaseModel):
    webhook_id: str
    topic: str
    outcome: str
    order_id: str | None
    detail: str | None
    received_at: datetime

    @classmethod
    def of(cls, record: WebhookRecord) -> DeliveryOut:
        return cls(
            webhook_id=record.webhook_id,
            topic=record.topic,
            outcome=record.outcome,
            order_id=record.order_id,
            detail=record.detail,
            received_at=record.received_at,
        )


class ChannelOrderOut(BaseModel):
    channel: str
    external_id: str
    order_id: str
    source_updated_at: datetime | None = Field(description="When the order last changed on the channel")
    details: dict[str, Any] = Field(description="What the channel said that the order has no field for")
    updated_at: datetime

    @classmethod
    def of(cls, record: ChannelOrderRecord) -> ChannelOrderOut:
        return cls(
            channel=record.channel,
            external_id=record.external_id,
            order_id=record.order_id,
            source_updated_at=record.source_updated_at,
            details=record.details,
            updated_at=record.updated_at,
        )


class PushOut(BaseModel):
    id: int
    order_id: str
    event_id: str
    event_type: str
    update: dict[str, Any] = Field(description="What the channel is told: kind, lines in its ids, tracking, ...")
    status: str = Field(description="pending, failed (tried again later), done, dead (a person looks), skipped")
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_error: str | None = Field(description="Why the last attempt failed, the push was skipped, or a note")
    reference: str | None = Field(description="The channel's id for what the push created (its fulfilment id)")
    done_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, push: ChannelPush) -> PushOut:
        return cls(
            id=push.id,
            order_id=push.order_id,
            event_id=push.event_id,
            event_type=push.event_type,
            update=push.update,
            status=push.status,
            attempts=push.attempts,
            next_attempt_at=push.next_attempt_at,
            last_attempt_at=push.last_attempt_at,
            last_error=push.last_error,
            reference=push.reference,
            done_at=push.done_at,
            created_at=push.created_at,
        )
