"""Status pushes to channels as use cases on the fakes: queued once per event, in the channel's line ids, in order
per order, retried with backoff, dead-lettered, sent again by hand; channels without credentials get none."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from ordermesh.domain.access import SYSTEM
from ordermesh.domain.channel_status import StatusUpdate, UpdateKind
from ordermesh.domain.errors import IllegalTransition, InvalidInput, NotFound
from ordermesh.domain.exception_queue import OpsException
from ordermesh.domain.outbound_webhooks import RetryPolicy
from ordermesh.services import channels, fulfillment, orders
from ordermesh.services.channel_ports import ChannelPush, ChannelRecord
from ordermesh.services.channel_push import PushSettings, enqueue_pushes, list_pushes, push_due, retry_push
from ordermesh.services.commands import ShipFulfillment
from ordermesh.services.connectors import PushOutcome, PushResult
from ordermesh.services.context import AppContext
from tests.fakes import FakeClock
from tests.unit.test_channel_webhooks import from_shopify, shop_network, shop_orders, the_order
from tests.webhooks import SHOP, shopify

CHANNEL = f"shopify:{SHOP}"
ORDER = "820982911946154508"
TOKEN = {"access_token": "shpat_0123456789abcdef"}
SETTINGS = PushSettings(retry=RetryPolicy(max_attempts=4, base=timedelta(seconds=10), cap=timedelta(minutes=5)))


@dataclass
class Shop:
    """A scripted status client: answers with `answers` in turn (then DONE), keeps every update it was given."""

    kind: str = "shopify"
    answers: list[PushResult] = field(default_factory=list)
    received: list[StatusUpdate] = field(default_factory=list)

    def push(self, channel: ChannelRecord, update: StatusUpdate) -> PushResult:
        self.received.append(update)
        return self.answers.pop(0) if self.answers else PushResult(PushOutcome.DONE, None, reference="gid://x/1")


def network(credentials: dict[str, str] | None = None) -> AppContext:
    ctx = shop_network()
    channels.update_channel(
        ctx, channel=CHANNEL, webhook_secret=None, settings=None, api_credentials=credentials or TOKEN, actor=SYSTEM
    )
    return ctx


def ship_everything(ctx: AppContext, tracking: str = "1Z999AA10123456784", *, external_id: str = ORDER) -> str:
    [order] = [o for o in shop_orders(ctx) if o.external_id == external_id]
    (fo,) = order.fulfillment_orders
    fulfillment.ship(ctx, fo_id=fo.id, command=ShipFulfillment("UPS", tracking), actor=SYSTEM)
    return order.id


def pushes(ctx: AppContext, status: str | None = None) -> list[ChannelPush]:
    return list(reversed(list_pushes(ctx, CHANNEL, status=status, after=None, limit=100).rows))


def run(ctx: AppContext, shop: Shop) -> int:
    return push_due(ctx, {"shopify": shop}, SETTINGS, jitter=lambda: 1.0)


def open_exceptions(ctx: AppContext) -> list[OpsException]:
    return list(ctx.read(lambda uow: uow.exceptions.page(status="open", kind=None, after=None, limit=50)).rows)


def later(ctx: AppContext, seconds: float) -> None:
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(seconds=seconds))


def test_a_shipment_is_pushed_once_in_the_channels_line_ids_with_its_tracking() -> None:
    ctx = network()
    from_shopify(ctx, shopify())
    order_id = ship_everything(ctx)
    shop = Shop()

    run(ctx, shop)
    run(ctx, shop)

    (update,) = shop.received
    assert update.kind == UpdateKind.SHIPMENT
    assert update.external_order_id == "820982911946154508"
    assert [(x.external_id, x.sku, x.quantity) for x in update.lines] == [
        ("866550311766439020", "IPOD2008PINK", 2),
        ("866550311766439021", "CABLE-LTG-1M", 1),
        ("866550311766439022", "GIFTBOX-S", 1),
    ]
    assert (update.carrier, update.tracking_number, update.order_complete) == ("UPS", "1Z999AA10123456784", True)
    (push,) = pushes(ctx)
    assert (push.order_id, push.status, push.attempts, push.reference) == (order_id, "done", 1, "gid://x/1")


def test_a_channel_without_credentials_or_with_pushes_off_gets_no_push() -> None:
    ctx = shop_network()
    from_shopify(ctx, shopify())
    ship_everything(ctx)
    shop = Shop()

    run(ctx, shop)
    channels.update_channel(
        ctx, channel=CHANNEL, webhook_secret=None, settings={"push": False}, api_credentials=TOKEN, actor=SYSTEM
    )
    from_shopify(ctx, shopify() | {"id": 820982911946154999, "name": "#1002"}, webhook_id="w-2")
    ship_everything(ctx, external_id="820982911946154999")
    run(ctx, shop)

    assert shop.received == []
    assert pushes(ctx) == []


def test_an_orders_updates_go_in_order_and_wait_for_a_failing_one() -> None:
    ctx = network()
    from_shopify(ctx, shopify())
    order = the_order(ctx)
    (fo,) = order.fulfillment_orders
    first = {order.lines[0].id: 1}
    fulfillment.ship(ctx, fo_id=fo.id, command=ShipFulfillment("UPS", "1ZFIRST", first), actor=SYSTEM)
    rest = {line.id: line.quantity - first.get(line.id, 0) for line in order.lines}
    orders.cancel_order(ctx, order_id=order.id, lines=rest, reason="out of stock", actor=SYSTEM)
    shop = Shop(answers=[PushResult(PushOutcome.RETRY, "HTTP 503")])

    run(ctx, shop)  # the shipment fails; the cancellation waits behind it
    later(ctx, 5)
    run(ctx, shop)
    assert [u.kind for u in shop.received] == [UpdateKind.SHIPMENT]
    later(ctx, 10)
    run(ctx, shop)
    run(ctx, shop)

    assert [u.kind for u in shop.received] == [UpdateKind.SHIPMENT, UpdateKind.SHIPMENT, UpdateKind.CANCELLATION]
    shipment, cancellation = pushes(ctx)
    assert (shipment.status, shipment.attempts, cancellation.status) == ("done", 2, "done")
    assert cancellation.update["whole_order"] is False  # one unit had shipped
    assert [x["quantity"] for x in cancellation.update["lines"]] == [1, 1, 1]
    assert cancellation.update["reason"] == "out of stock"
    assert shop.received[0].order_complete  # as the order stood when queued: the rest was cancelled by then


def test_failures_back_off_then_die_and_a_refusal_dies_at_once() -> None:
    ctx = network()
    from_shopify(ctx, shopify())
    ship_everything(ctx)
    shop = Shop(answers=[PushResult(PushOutcome.RETRY, "timed out", retry_after=60)] * 4)

    run(ctx, shop)
    (push,) = pushes(ctx)
    assert push.status == "failed"
    assert push.next_attempt_at == ctx.clock.now() + timedelta(seconds=60)  # the channel's Retry-After, above 10 s
    for _ in range(3):
        later(ctx, 600)
        run(ctx, shop)
    (push,) = pushes(ctx, "dead")
    assert (push.attempts, push.last_error) == (4, "timed out")

    refused = network()
    from_shopify(refused, shopify())
    ship_everything(refused)
    run(refused, Shop(answers=[PushResult(PushOutcome.REFUSED, "HTTP 401 invalid token")]))
    (dead,) = pushes(refused, "dead")
    assert (dead.attempts, dead.last_error) == (1, "HTTP 401 invalid token")
    (exception,) = open_exceptions(refused)
    assert exception.kind == "channel_push" and "HTTP 401 invalid token" in exception.summary
    assert open_exceptions(ctx)[0].evidence["attempts"] == 4  # given up after its attempts, too


def test_a_dead_push_is_sent_again_by_hand_and_a_done_one_is_not() -> None:
    ctx = network()
    from_shopify(ctx, shopify())
    ship_everything(ctx)
    shop = Shop(answers=[PushResult(PushOutcome.REFUSED, "HTTP 401")])
    run(ctx, shop)
    (dead,) = pushes(ctx)

    again = retry_push(ctx, channel=CHANNEL, push_id=dead.id, actor=SYSTEM)
    run(ctx, shop)

    assert (again.status, again.attempts) == ("pending", 0)
    (done,) = pushes(ctx)
    assert done.status == "done"
    assert len(shop.received) == 2
    assert open_exceptions(ctx) == []  # taken when sent again: its exception is resolved
    with pytest.raises(IllegalTransition):
        retry_push(ctx, channel=CHANNEL, push_id=dead.id, actor=SYSTEM)
    with pytest.raises(NotFound):
        retry_push(ctx, channel="woocommerce:shop.example.com", push_id=dead.id, actor=SYSTEM)


def test_a_partial_cancellation_is_queued_and_a_skip_is_kept_with_its_reason() -> None:
    ctx = network()
    from_shopify(ctx, shopify())
    order = the_order(ctx)
    orders.cancel_order(ctx, order_id=order.id, lines={order.lines[2].id: 1}, reason="customer asked", actor=SYSTEM)
    shop = Shop(answers=[PushResult(PushOutcome.SKIPPED, "Shopify cancels whole orders only")])

    run(ctx, shop)

    (update,) = shop.received
    assert (update.whole_order, [x.external_id for x in update.lines]) == (False, ["866550311766439022"])
    (push,) = pushes(ctx)
    assert (push.status, push.last_error) == ("skipped", "Shopify cancels whole orders only")


def test_events_before_the_channel_took_pushes_are_not_pushed_later() -> None:
    ctx = shop_network()
    from_shopify(ctx, shopify())
    ship_everything(ctx)
    enqueue_pushes(ctx, {"shopify": Shop()})  # read past the shipment while the channel had no credentials
    channels.update_channel(
        ctx, channel=CHANNEL, webhook_secret=None, settings=None, api_credentials=TOKEN, actor=SYSTEM
    )
    shop = Shop()

    run(ctx, shop)

    assert shop.received == []


def test_credentials_must_be_the_ones_the_kind_takes() -> None:
    ctx = shop_network()

    with pytest.raises(InvalidInput, match="takes no credential 'password'"):
        channels.update_channel(
            ctx, channel=CHANNEL, webhook_secret=None, settings=None, api_credentials={"password": "x"}, actor=SYSTEM
        )
    with pytest.raises(InvalidInput, match="need 'consumer_secret'"):
        channels.update_channel(
            ctx,
            channel="woocommerce:shop.example.com",
            webhook_secret=None,
            settings=None,
            api_credentials={"consumer_key": "ck_1"},
            actor=SYSTEM,
        )
    view = channels.public_view(channels.get_channel(network(), CHANNEL))
    assert view["api_credentials"] == ["access_token"]
    assert "shpat" not in str(view)
