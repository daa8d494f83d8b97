"""The HTTP side of status pushes: one client per worker, and what a channel's answer means for a push."""

from __future__ import annotations

from typing import Any

import httpx

from ordermesh import __version__
from ordermesh.adapters.outbound import BlockedAddress, outbound_client
from ordermesh.services.channel_ports import ChannelRecord
from ordermesh.services.connectors import PushOutcome, PushResult

USER_AGENT = f"Ordermesh/{__version__}"
DEFAULT_RETRY_AFTER = 2.0  # seconds, when a channel throttles without saying for how long
BODY_CHARS = 300


class PushStopped(Exception):
    """A call's answer ended the push early; `result` says how (retry later, or refused)."""

    def __init__(self, result: PushResult) -> None:
        super().__init__(result.detail)
        self.result = result


def push_http_client(*, timeout_seconds: float, allow_private: bool = False) -> httpx.Client:
    """The client every push goes through: bounded time, no redirects (a moved API is an answer to read), and
    APIs inside the network refused unless `allow_private`."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    return outbound_client(timeout_seconds=timeout_seconds, allow_private=allow_private, headers=headers)


def api_base(channel: ChannelRecord) -> str:
    """Where the channel's API lives: `settings.api_base_url`, else https:// and the shop's or site's domain."""
    configured = channel.settings.get("api_base_url")
    if configured:
        return str(configured).rstrip("/")
    return "https://" + channel.channel.partition(":")[2]


def call(http: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Make one call; return a 2xx answer. Raises PushStopped: RETRY when the channel is unreachable, times
    out, throttles (429, with its Retry-After) or fails (5xx); REFUSED for any other answer (4xx, 3xx)."""
    try:
        response = http.request(method, url, **kwargs)
    except BlockedAddress as exc:
        raise PushStopped(PushResult(PushOutcome.REFUSED, f"{method} {url}: {exc}")) from None
    except httpx.TimeoutException:
        raise PushStopped(PushResult(PushOutcome.RETRY, f"{method} {url}: timed out")) from None
    except httpx.HTTPError as exc:
        raise PushStopped(PushResult(PushOutcome.RETRY, f"{method} {url}: {type(exc).__name__}: {exc}")) from None
    if 200 <= response.status_code < 300:
        return response
    said = f"{method} {url}: HTTP {response.status_code} {response.text[:BODY_CHARS]}".strip()
    if response.status_code == 429:
        raise PushStopped(PushResult(PushOutcome.RETRY, said, retry_after=_retry_after(response)))
    if response.status_code >= 500:
        raise PushStopped(PushResult(PushOutcome.RETRY, said))
    raise PushStopped(PushResult(PushOutcome.REFUSED, said))


def json_body(response: httpx.Response) -> Any:
    """The answer's JSON. Raises PushStopped (RETRY) when it is not JSON: a proxy's error page, say."""
    try:
        return response.json()
    except ValueError:
        detail = f"{response.request.method} {response.request.url}: not JSON: {response.text[:BODY_CHARS]}"
        raise PushStopped(PushResult(PushOutcome.RETRY, detail)) from None


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", DEFAULT_RETRY_AFTER)))
    except ValueError:  # an HTTP date: rare for APIs; wait the default
        return DEFAULT_RETRY_AFTER
