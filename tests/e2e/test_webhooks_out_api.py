"""Webhooks out over HTTP: a real receiver that is down for a while gets every event afterwards, signed, in order."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordermesh.config import Settings
from ordermesh.domain.access import Role
from ordermesh.entrypoints.api.app import create_app
from ordermesh.services.access import create_api_key
from ordermesh.services.context import AppContext
from tests.builders import NEWARK, item, location, order_body, place, stock
from tests.conftest import ADMIN_KEY
from tests.standard_webhooks import verify

WANTED = ["ordermesh.order.*", "ordermesh.fulfillment_order.*"]


@dataclass
class Receiver:
    """A local HTTP endpoint that answers 503 while `down`, then 200; it keeps every request it accepted."""

    url: str = ""
    down: threading.Event = field(default_factory=threading.Event)
    accepted: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(body) for _, body in self.accepted]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                if state.down.is_set():
                    state.refused += 1
                    status = 503
                else:
                    state.accepted.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def working_client(settings: Settings) -> Iterator[TestClient]:
    """An admin client on an app whose embedded worker sends webhooks, retrying fast."""
    fast = settings.model_copy(
        update={
            "embedded_worker": True,
            "webhook_backoff_base_seconds": 0.05,
            "webhook_backoff_cap_seconds": 0.4,
            "webhook_timeout_seconds": 5,
            "reoptimise_every_seconds": 0,
        }
    )
    with TestClient(create_app(fast), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        yield client


def wait_for(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def by_subject(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for event in events:
        seen.setdefault(event["subject"], []).append(event["id"])
    return seen


def test_a_receiver_that_was_down_gets_every_event_afterwards_signed_and_in_order_per_order(
    working_client: TestClient, receiver: Receiver
) -> None:
    client = working_client
    created = client.post("/v1/webhooks", json={"url": receiver.url, "event_types": WANTED})
    assert created.status_code == 201, created.text
    subscription = created.json()
    receiver.down.set()
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 20)
    orders = [place(client, order_body(f"W-{n}", ("TEE", 1))) for n in range(3)]
    client.post(f"/v1/orders/{orders[0]['id']}/cancel", json={})
    fo_id = orders[1]["fulfillment_orders"][0]["id"]
    client.post(f"/v1/fulfillment-orders/{fo_id}/ship", json={"carrier": "UPS", "tracking_number": "1Z"})

    wait_for(lambda: receiver.refused >= 3)
    receiver.down.clear()
    feed = client.get("/v1/events", params={"limit": 1000}).json()["data"]
    expected = [e for e in feed if e["type"].startswith(("ordermesh.order.", "ordermesh.fulfillment_order."))]
    wait_for(lambda: {e["id"] for e in receiver.events()} >= {e["id"] for e in expected})

    received = receiver.events()
    assert by_subject(received) == by_subject(expected)
    # The same CloudEvents JSON as the feed, each event once (different orders' events may interleave differently)
    assert sorted(received, key=lambda e: e["id"]) == sorted(expected, key=lambda e: e["id"])
    for headers, body in receiver.accepted:
        assert headers["content-type"] == "application/json"
        assert headers["webhook-id"] == json.loads(body)["id"]
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 120
        assert verify(subscription["secret"], headers, body)
    log = client.get(f"/v1/webhooks/{subscription['id']}/deliveries", params={"limit": 200}).json()["data"]
    assert {d["status"] for d in log} == {"delivered"}
    retried = [d for d in log if d["attempts"] > 1]
    assert retried, "some deliveries were refused first"
    assert all(a["status_code"] == 503 for d in retried for a in d["log"][:-1])
    assert all(d["log"][-1]["status_code"] == 200 for d in log)


def test_subscriptions_are_managed_over_http_and_the_secret_is_shown_only_when_made(
    client: TestClient, receiver: Receiver
) -> None:
    created = client.post("/v1/webhooks", json={"url": receiver.url, "event_types": ["*"], "description": "erp"})
    sub_id = created.json()["id"]

    shown = client.get(f"/v1/webhooks/{sub_id}").json()
    rotated = client.patch(f"/v1/webhooks/{sub_id}", json={"rotate_secret": True, "active": False}).json()
    listed = client.get("/v1/webhooks").json()["data"]
    deleted = client.delete(f"/v1/webhooks/{sub_id}")

    assert created.json()["secret"].startswith("whsec_")
    assert shown["secret"] is None
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created.json()["secret"]
    assert rotated["active"] is False
    assert [s["id"] for s in listed] == [sub_id]
    assert deleted.status_code == 204
    assert client.get(f"/v1/webhooks/{sub_id}").status_code == 404
    audit = client.get("/v1/audit", params={"entity": "webhook"}).json()["data"]
    assert [a["action"] for a in audit] == ["webhook.delete", "webhook.update", "webhook.create"]
    assert "whsec_" not in json.dumps(audit)


def test_a_subscription_refuses_a_non_http_url_and_an_unknown_event_type_naming_the_field(
    client: TestClient,
) -> None:
    bad_url = client.post("/v1/webhooks", json={"url": "ftp://example.com/x", "event_types": ["*"]})
    bad_type = client.post("/v1/webhooks", json={"url": "https://example.com", "event_types": ["ordermesh.ordr.*"]})

    assert bad_url.status_code == 422
    assert bad_url.headers["content-type"] == "application/problem+json"
    assert bad_url.json()["errors"][0]["loc"] == ["body", "url"]
    assert bad_type.status_code == 422
    assert bad_type.json()["errors"][0]["loc"] == ["body", "event_types", 0]


def test_only_admins_manage_webhooks(client: TestClient, ctx: AppContext) -> None:
    _, operator_key = create_api_key(ctx, name="operator key", role=Role.OPERATOR)

    answer = client.get("/v1/webhooks", headers={"Authorization": f"Bearer {operator_key}"})

    assert answer.status_code == 403
