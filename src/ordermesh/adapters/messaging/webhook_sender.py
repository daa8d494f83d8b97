"""Send webhook deliveries over HTTP: the event's CloudEvents JSON, POSTed with Standard Webhooks headers."""

from __future__ import annotations

import time

import httpx

from ordermesh import __version__
from ordermesh.adapters.messaging.cloudevents import cloud_event_json
from ordermesh.adapters.messaging.webhook_signing import signed_headers
from ordermesh.adapters.outbound import outbound_client
from ordermesh.services.webhook_dispatch import SendResult, WebhookRequest

USER_AGENT = f"Ordermesh-Webhooks/{__version__}"


class HttpWebhookSender:
    """One connection pool shared by the dispatcher's threads; redirects are not followed (a 3xx fails), and
    receivers inside the network are refused unless `allow_private`."""

    def __init__(self, *, timeout_seconds: float, connections: int, allow_private: bool = False) -> None:
        self.client = outbound_client(
            timeout_seconds=timeout_seconds,
            allow_private=allow_private,
            connections=connections,
            headers={"User-Agent": USER_AGENT},
        )

    def send(self, request: WebhookRequest) -> SendResult:
        body = cloud_event_json(request.event)
        stamp = int(request.sent_at.timestamp())
        headers = {
            "Content-Type": "application/json",
            **signed_headers([request.secret], request.event.id, stamp, body),
        }
        started = time.monotonic()
        try:
            answer = self.client.post(request.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return SendResult(None, "timed out", _ms_since(started))
        except httpx.HTTPError as exc:
            return SendResult(None, f"{type(exc).__name__}: {exc}", _ms_since(started))
        return SendResult(answer.status_code, None, _ms_since(started))

    def close(self) -> None:
        self.client.close()


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
