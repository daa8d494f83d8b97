"""API keys and roles on every route, and the audit trail of mutating calls."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ordermesh.domain.access import Role
from ordermesh.services.access import create_api_key
from ordermesh.services.context import AppContext
from tests.builders import NEWARK, item, location, order_body, place, stock


def _key(ctx: AppContext, role: Role) -> dict[str, str]:
    _, plain = create_api_key(ctx, name=f"{role} key", role=role)
    return {"Authorization": f"Bearer {plain}"}


# Channels' webhooks are authenticated by their signature instead (tests/e2e/test_channels_api.py).
SIGNED_WEBHOOKS = [
    ("POST", "/v1/channels/shopify/{shop}/webhooks"),
    ("POST", "/v1/channels/woocommerce/{site}/webhooks"),
]


def test_every_v1_route_requires_an_api_key(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    routes = [(method.upper(), path) for path, methods in paths.items() if path.startswith("/v1") for method in methods
              if (method.upper(), path) not in SIGNED_WEBHOOKS]
    assert len(routes) > 20
    for method, path in routes:
        response = client.request(method, path.replace("{", "").replace("}", ""), headers={"Authorization": ""})
        assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"


def test_channel_webhooks_need_no_api_key_but_a_signature(client: TestClient) -> None:
    client.post("/v1/channels", json={"channel": "shopify:a.myshopify.com", "kind": "shopify",
                                      "webhook_secret": "s3cret-s3cret"})
    client.post("/v1/channels", json={"channel": "woocommerce:a.example.com", "kind": "woocommerce",
                                      "webhook_secret": "s3cret-s3cret"})

    unsigned = [client.post(path.replace("{shop}", "a.myshopify.com").replace("{site}", "a.example.com"),
                            content=b"{}", headers={"Authorization": ""}) for _, path in SIGNED_WEBHOOKS]

    assert [(r.status_code, r.json()["type"]) for r in unsigned] == [(401, "/problems/invalid-signature")] * 2


def test_an_unknown_key_is_401(client: TestClient) -> None:
    response = client.get("/v1/orders", headers={"Authorization": "Bearer om_not_a_real_key"})

    assert response.status_code == 401
    assert response.json()["detail"] == "the API key is unknown or revoked"


@pytest.mark.parametrize(("role", "may_capture", "may_cancel", "may_stock", "may_audit"), [
    (Role.VIEWER, False, False, False, False),
    (Role.INTEGRATION, True, False, True, False),
    (Role.OPERATOR, True, True, True, False),
    (Role.ADMIN, True, True, True, True),
])
def test_roles_grant_what_they_say(
    client: TestClient, ctx: AppContext, role: Role, may_capture: bool, may_cancel: bool, may_stock: bool,
    may_audit: bool,
) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 5)
    existing = place(client, order_body("R-0", ("TEE", 1)))
    headers = _key(ctx, role)

    capture = client.post("/v1/orders", json=order_body("R-1", ("TEE", 1)), headers=headers)
    cancel = client.post(f"/v1/orders/{existing['id']}/cancel", headers=headers)
    count = client.put("/v1/inventory/NWK/TEE", json={"on_hand": 6}, headers=headers)
    audit = client.get("/v1/audit", headers=headers)
    read = client.get(f"/v1/orders/{existing['id']}", headers=headers)

    assert read.status_code == 200
    assert capture.status_code == (201 if may_capture else 403)
    assert cancel.status_code == (200 if may_cancel else 403)
    assert count.status_code == (200 if may_stock else 403)
    assert audit.status_code == (200 if may_audit else 403)


def test_a_refused_call_writes_nothing(client: TestClient, ctx: AppContext) -> None:
    item(client, "TEE")
    viewer = _key(ctx, Role.VIEWER)

    client.post("/v1/items", json={"sku": "MUG", "name": "Mug", "weight_grams": 300}, headers=viewer)

    assert client.get("/v1/items/MUG").status_code == 404


def test_every_mutating_call_leaves_an_audit_record_with_before_and_after(client: TestClient, ctx: AppContext) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 5)
    operator = _key(ctx, Role.OPERATOR)
    order = place(client, order_body("AU-1", ("TEE", 1)))
    client.post(f"/v1/orders/{order['id']}/hold", json={"reason": "fraud review"}, headers=operator)

    entries = client.get("/v1/audit", params={"entity": "order", "entity_id": order["id"]}).json()["data"]

    hold, capture = entries
    assert (capture["action"], capture["actor_name"], capture["before"]) == ("order.capture", "bootstrap admin", None)
    assert capture["after"]["status"] == "allocated"
    assert (hold["action"], hold["actor_name"]) == ("order.hold", "operator key")
    assert (hold["before"]["status"], hold["after"]["status"]) == ("allocated", "on_hold")
    actions = {e["action"] for e in client.get("/v1/audit", params={"limit": 500}).json()["data"]}
    assert {"item.create", "location.create", "inventory.set", "order.capture", "order.hold"} <= actions
