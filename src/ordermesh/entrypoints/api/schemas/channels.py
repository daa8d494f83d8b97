"""Channels on the wire: a channel instance in (with its secret), out (never with it); webhook outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, model_validator

from ordermesh.entrypoints.api.schemas.common import Code, Input
from ordermesh.services.channels import AddChannel, public_view
from ordermesh.services.ports import ChannelOrderRecord, ChannelRecord, WebhookRecord
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


class ChannelIn(Input):
    channel: ChannelName
    kind: str = Field(max_length=30, description="The connector: shopify or woocommerce", examples=["shopify"])
    webhook_secret: Secret
    settings: ChannelSettingsIn = Field(default_factory=ChannelSettingsIn)

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
        return AddChannel(self.channel, self.kind, self.webhook_secret, self.settings.model_dump())


class ChannelPatch(Input):
    webhook_secret: Secret | None = Field(default=None, description="A new secret (rotation)")
    settings: ChannelSettingsIn | None = Field(default=None, description="Replaces the settings as a whole")


class ChannelOut(BaseModel):
    channel: str
    kind: str
    settings: dict[str, Any]
    webhook_path: str = Field(description="Where the channel sends its webhooks, under this server's base URL")
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
