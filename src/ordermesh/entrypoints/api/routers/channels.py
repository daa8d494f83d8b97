"""/v1/channels: configure channel instances (admin), and the webhooks they send (signed, no API key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from ordermesh.domain.channel_status import PushStatus
from ordermesh.domain.errors import NotFound
from ordermesh.entrypoints.api.schemas.channels import (
    ChannelIn,
    ChannelOrderOut,
    ChannelOut,
    ChannelPatch,
    DeliveryOut,
    PushOut,
    WebhookOut,
)
from ordermesh.entrypoints.api.schemas.common import PageOut
from ordermesh.entrypoints.api.security import Administrator, Ctx
from ordermesh.services import channel_push, channels
from ordermesh.services.connectors import InboundRequest
from ordermesh.services.webhooks import CREATED, WebhookOutcome, receive_webhook

router = APIRouter(prefix="/v1/channels", tags=["channels"])
webhooks = APIRouter(prefix="/v1/channels", tags=["channel webhooks"])


@router.post("", status_code=201)
def add_channel(body: ChannelIn, ctx: Ctx, actor: Administrator, response: Response) -> ChannelOut:
    """Configure a channel instance and the secret its webhooks are signed with (never returned)."""
    record = channels.add_channel(ctx, command=body.command(), actor=actor)
    response.headers["Location"] = f"/v1/channels/{record.channel}"
    return ChannelOut.of(record)


@router.get("")
def list_channels(
    ctx: Ctx, _: Administrator, after: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> PageOut[ChannelOut]:
    """Configured channel instances, by name."""
    page = channels.list_channels(ctx, after=after, limit=limit)
    return PageOut[ChannelOut](data=[ChannelOut.of(r) for r in page.rows], next_cursor=page.next_cursor)


@router.get("/{channel}")
def get_channel(channel: str, ctx: Ctx, _: Administrator) -> ChannelOut:
    return ChannelOut.of(channels.get_channel(ctx, channel))


@router.patch("/{channel}")
def update_channel(channel: str, body: ChannelPatch, ctx: Ctx, actor: Administrator) -> ChannelOut:
    """Rotate the webhook secret or the API credentials and/or replace the settings."""
    settings = body.settings.stored() if body.settings is not None else None
    record = channels.update_channel(
        ctx,
        channel=channel,
        webhook_secret=body.webhook_secret,
        settings=settings,
        api_credentials=body.api_credentials,
        actor=actor,
    )
    return ChannelOut.of(record)


@router.get("/{channel}/pushes")
def pushes(
    channel: str,
    ctx: Ctx,
    _: Administrator,
    status: PushStatus | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[PushOut]:
    """Status updates pushed (or to push) to the channel, newest first: shipments, pickups, cancellations."""
    page = channel_push.list_pushes(ctx, channel, status=status.value if status else None, after=after, limit=limit)
    return PageOut[PushOut](data=[PushOut.of(p) for p in page.rows], next_cursor=page.next_cursor)


@router.post("/{channel}/pushes/{push_id}/retry")
def retry_push(channel: str, push_id: int, ctx: Ctx, actor: Administrator) -> PushOut:
    """Send a dead or failed push again now (after fixing the channel's credentials, say)."""
    return PushOut.of(channel_push.retry_push(ctx, channel=channel, push_id=push_id, actor=actor))


@router.get("/{channel}/webhooks")
def deliveries(
    channel: str,
    ctx: Ctx,
    _: Administrator,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[DeliveryOut]:
    """The channel's processed webhook deliveries, newest first, with what each did."""
    channels.get_channel(ctx, channel)
    page = ctx.read(lambda uow: uow.webhooks.page(channel, after=after, limit=limit))
    return PageOut[DeliveryOut](data=[DeliveryOut.of(r) for r in page.rows], next_cursor=page.next_cursor)


@router.get("/{channel}/orders/{external_id}")
def channel_order(channel: str, external_id: str, ctx: Ctx, _: Administrator) -> ChannelOrderOut:
    """The channel's last picture of one of its orders: what it said that the order has no field for."""
    record = ctx.read(lambda uow: uow.channel_orders.get(channel, external_id))
    if record is None:
        raise NotFound("channel order", f"{channel}/{external_id}")
    return ChannelOrderOut.of(record)


# -- inbound webhooks: authenticated by their signature over the raw body, not by an API key ----------------


async def _inbound(request: Request) -> InboundRequest:
    """The request as the channel signed it: the body's exact bytes, header names in lower case."""
    return InboundRequest({k.lower(): v for k, v in request.headers.items()}, await request.body())


Inbound = Annotated[InboundRequest, Depends(_inbound)]
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "Processed (or processed before: `duplicate`), or nothing to do"},
    401: {"description": "The signature header is missing or does not match the body"},
    404: {"description": "No such channel is configured"},
}


@webhooks.post(
    "/shopify/{shop}/webhooks", status_code=200, responses={201: {"description": "Order captured"}, **_ANSWERS}
)
def shopify_webhook(shop: str, inbound: Inbound, ctx: Ctx, response: Response) -> WebhookOut:
    """Shopify `orders/create`, `orders/updated`, `orders/paid`, `orders/cancelled` (header `X-Shopify-Topic`),
    signed with `X-Shopify-Hmac-Sha256`, de-duplicated on `X-Shopify-Webhook-Id`."""
    return _answer(receive_webhook(ctx, kind="shopify", instance=shop, request=inbound), response)


@webhooks.post(
    "/woocommerce/{site}/webhooks", status_code=200, responses={201: {"description": "Order captured"}, **_ANSWERS}
)
def woocommerce_webhook(site: str, inbound: Inbound, ctx: Ctx, response: Response) -> WebhookOut:
    """WooCommerce `order.created`, `order.updated`, `order.restored`, `order.deleted` (header
    `X-WC-Webhook-Topic`), signed with `X-WC-Webhook-Signature`."""
    return _answer(receive_webhook(ctx, kind="woocommerce", instance=site, request=inbound), response)


def _answer(outcome: WebhookOutcome, response: Response) -> WebhookOut:
    if outcome.outcome == CREATED:
        response.status_code = 201
        response.headers["Location"] = f"/v1/orders/{outcome.order_id}"
    return WebhookOut.of(outcome)
