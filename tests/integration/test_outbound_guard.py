"""Outbound calls refuse addresses inside the network unless allowed: webhook receivers and channel APIs alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ordermesh.adapters.channels.http_push import push_http_client
from ordermesh.adapters.channels.woocommerce_push import WooCommerceStatusClient
from ordermesh.adapters.messaging.webhook_sender import HttpWebhookSender
from ordermesh.adapters.outbound import blocked_reason
from ordermesh.domain.channel_status import PushedLine, StatusUpdate, UpdateKind
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.connectors import PushOutcome
from ordermesh.services.ports import StoredEvent
from ordermesh.services.webhook_dispatch import WebhookRequest
from tests.fake_shops import WOO_KEY, WOO_SECRET, FakeWooCommerce, serving

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.10", "169.254.169.254", "100.64.0.1", "::1", "fd00::1"]
)
def test_hosts_inside_the_network_are_refused(host: str) -> None:
    reason = blocked_reason(host, 443)

    assert reason is not None
    assert "inside the network" in reason


@pytest.mark.parametrize("host", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_global_addresses_are_allowed(host: str) -> None:
    assert blocked_reason(host, 443) is None


def test_a_channel_api_on_loopback_is_refused_unless_allowed() -> None:
    fake = FakeWooCommerce()
    fake.add_order("727")
    update = StatusUpdate(
        UpdateKind.CANCELLATION, "ord_1", "727", "evt_1", (PushedLine("5", "X", 1),), whole_order=True
    )
    with serving(fake) as url:
        credentials = {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET}
        channel = ChannelRecord("woocommerce:s", "woocommerce", "s", {"api_base_url": url}, T0, T0, credentials)
        with (
            push_http_client(timeout_seconds=5) as guarded,
            push_http_client(timeout_seconds=5, allow_private=True) as open_,
        ):
            refused = WooCommerceStatusClient(guarded).push(channel, update)
            assert fake.requests == []
            allowed = WooCommerceStatusClient(open_).push(channel, update)

    assert refused.outcome == PushOutcome.REFUSED
    assert "inside the network" in (refused.detail or "")
    assert allowed.outcome == PushOutcome.DONE
    assert fake.orders["727"].status == "cancelled"


def test_a_webhook_receiver_on_loopback_is_refused_unless_allowed() -> None:
    fake = FakeWooCommerce()  # any local server: it records whatever reaches it
    event = StoredEvent("evt_1", "c1", "ordermesh.order.created", "/test", "ord_1", T0, {"order_id": "ord_1"})
    with serving(fake) as url:
        request = WebhookRequest(f"{url}/hooks", SECRET, event, T0)
        guarded = HttpWebhookSender(timeout_seconds=5, connections=1)
        try:
            result = guarded.send(request)
        finally:
            guarded.close()
        allowed = HttpWebhookSender(timeout_seconds=5, connections=1, allow_private=True)
        try:
            reached = allowed.send(request)
        finally:
            allowed.close()

    assert result.status_code is None
    assert "inside the network" in (result.error or "")
    assert reached.status_code == 401  # the fake answered: the request got through
    assert len(fake.requests) == 1
