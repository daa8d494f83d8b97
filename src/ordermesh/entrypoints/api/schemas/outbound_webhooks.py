"""Webhook subscriptions on the wire: in (url, event types, optional secret), out (the secret only once)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from ordermesh.domain.outbound_webhooks import WAITING
from ordermesh.entrypoints.api.schemas.common import Input
from ordermesh.services.webhook_ports import DeliveryAttempt, OutboundDelivery, Subscription
from ordermesh.services.webhook_subscriptions import ChangeSubscription, CreateSubscription

Url = Annotated[str, Field(min_length=1, max_length=2000, examples=["https://example.com/hooks/ordermesh"])]
EventTypes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]],
    Field(
        min_length=1,
        max_length=100,
        description="Exact event types, `<prefix>.*` (e.g. `ordermesh.order.*`) or `*` for every event",
        examples=[["ordermesh.order.*", "ordermesh.fulfillment_order.shipped"]],
    ),
]
Secret = Annotated[
    str,
    Field(
        max_length=200,
        description="`whsec_` + base64 of 24 to 64 random bytes; leave it out to have one generated",
    ),
]


class SubscriptionIn(Input):
    url: Url
    event_types: EventTypes
    secret: Secret | None = None
    active: bool = True
    description: str | None = Field(default=None, max_length=500)

    def command(self) -> CreateSubscription:
        return CreateSubscription(self.url, self.event_types, self.secret, self.active, self.description)


class SubscriptionPatch(Input):
    url: Url | None = None
    event_types: EventTypes | None = None
    active: bool | None = None
    description: str | None = Field(default=None, max_length=500)
    rotate_secret: bool = Field(default=False, description="Replace the secret (with `secret`, or a new one)")
    secret: Secret | None = None

    def change(self) -> ChangeSubscription:
        return ChangeSubscription(
            self.url, self.event_types, self.active, self.description, self.rotate_secret, self.secret
        )


class SubscriptionOut(BaseModel):
    id: str
    url: str
    event_types: list[str]
    active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime
    secret: str | None = Field(default=None, description="Only in the answer that created or rotated it")

    @classmethod
    def of(cls, record: Subscription, *, with_secret: bool = False) -> SubscriptionOut:
        return cls(
            id=record.id,
            url=record.url,
            event_types=list(record.event_types),
            active=record.active,
            description=record.description,
            created_at=record.created_at,
            updated_at=record.updated_at,
            secret=record.secret if with_secret else None,
        )


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptOut:
        return cls(at=attempt.at, status_code=attempt.status_code, error=attempt.error, duration_ms=attempt.duration_ms)


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    subject: str
    event_time: datetime
    status: str = Field(description="pending, failed (tried again at next_attempt_at), delivered or dead")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    log: list[AttemptOut] = Field(description="The latest attempts (up to 20), oldest first")

    @classmethod
    def of(cls, delivery: OutboundDelivery) -> DeliveryOut:
        waiting = delivery.status in WAITING
        return cls(
            id=delivery.id,
            event_id=delivery.event.id,
            event_type=delivery.event.type,
            subject=delivery.event.subject,
            event_time=delivery.event.time,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if waiting else None,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
            log=[AttemptOut.of(a) for a in delivery.log],
        )


class ReplayIn(Input):
    """Either one event (`event_id`) or every event with `from` <= time < `to`."""

    event_id: str | None = Field(default=None, max_length=40)
    start: AwareDatetime | None = Field(default=None, alias="from")
    end: AwareDatetime | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.event_id is None) == (self.start is None and self.end is None):
            raise ValueError("give either event_id or a time range (from, to)")
        return self


class ReplayOut(BaseModel):
    queued: int = Field(description="Deliveries queued, due now")
