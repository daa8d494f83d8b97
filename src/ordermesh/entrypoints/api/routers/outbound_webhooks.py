"""/v1/webhooks: subscriptions to events, signed the Standard Webhooks way (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ordermesh.entrypoints.api.schemas.common import PageOut
from ordermesh.entrypoints.api.schemas.outbound_webhooks import (
    DeliveryOut,
    ReplayIn,
    ReplayOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from ordermesh.entrypoints.api.security import Administrator, Ctx
from ordermesh.services import webhook_subscriptions as subscriptions

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post("", status_code=201)
def create_subscription(body: SubscriptionIn, ctx: Ctx, actor: Administrator, response: Response) -> SubscriptionOut:
    """Subscribe a URL to event types; the answer holds the signing secret, shown this once."""
    record = subscriptions.create_subscription(ctx, command=body.command(), actor=actor)
    response.headers["Location"] = f"/v1/webhooks/{record.id}"
    return SubscriptionOut.of(record, with_secret=True)


@router.get("")
def list_subscriptions(
    ctx: Ctx, _: Administrator, after: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> PageOut[SubscriptionOut]:
    """Subscriptions, by id (without secrets)."""
    page = subscriptions.list_subscriptions(ctx, after=after, limit=limit)
    return PageOut[SubscriptionOut](data=[SubscriptionOut.of(r) for r in page.rows], next_cursor=page.next_cursor)


@router.get("/{subscription_id}")
def get_subscription(subscription_id: str, ctx: Ctx, _: Administrator) -> SubscriptionOut:
    return SubscriptionOut.of(subscriptions.get_subscription(ctx, subscription_id))


@router.patch("/{subscription_id}")
def change_subscription(
    subscription_id: str, body: SubscriptionPatch, ctx: Ctx, actor: Administrator
) -> SubscriptionOut:
    """Change the url, event types, description or active flag; `rotate_secret` answers with the new secret."""
    record = subscriptions.change_subscription(ctx, subscription_id=subscription_id, change=body.change(), actor=actor)
    return SubscriptionOut.of(record, with_secret=body.rotate_secret)


@router.delete("/{subscription_id}", status_code=204)
def delete_subscription(subscription_id: str, ctx: Ctx, actor: Administrator) -> Response:
    """Delete the subscription with its deliveries and their log (to pause it, PATCH `active: false`)."""
    subscriptions.delete_subscription(ctx, subscription_id=subscription_id, actor=actor)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries")
def deliveries(
    subscription_id: str,
    ctx: Ctx,
    _: Administrator,
    status: str | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[DeliveryOut]:
    """The delivery log, newest first: each event's status and its latest attempts (time, status code or
    error, duration). Filter with `status` (pending, failed, delivered, dead)."""
    page = subscriptions.delivery_log(ctx, subscription_id=subscription_id, status=status, after=after, limit=limit)
    return PageOut[DeliveryOut](data=[DeliveryOut.of(r) for r in page.rows], next_cursor=page.next_cursor)


@router.post("/{subscription_id}/replay", status_code=202)
def replay(subscription_id: str, body: ReplayIn, ctx: Ctx, actor: Administrator) -> ReplayOut:
    """Send events again that this subscription was sent before: `{"event_id"}` or `{"from", "to"}`
    (from <= time < to). New deliveries are queued, due now; the old ones stay in the log."""
    queued = subscriptions.replay(
        ctx, subscription_id=subscription_id, event_id=body.event_id, start=body.start, end=body.end, actor=actor
    )
    return ReplayOut(queued=queued)
