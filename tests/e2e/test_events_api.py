"""The CloudEvents feed: every change, in commit order, resumable from a cursor."""

from __future__ import annotations

import jsonschema
from fastapi.testclient import TestClient

from tests.builders import NEWARK, item, location, order_body, place, stock


def test_every_state_change_is_a_cloudevent_in_the_feed(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 5)
    order = place(client, order_body("E-1", ("TEE", 2)))
    fo_id = order["fulfillment_orders"][0]["id"]
    client.post(f"/v1/fulfillment-orders/{fo_id}/ship", json={"carrier": "UPS", "tracking_number": "1Z"})

    events = client.get("/v1/events", params={"limit": 1000}).json()["data"]

    assert [e["type"] for e in events] == [
        "ordermesh.item.created", "ordermesh.location.created", "ordermesh.inventory.changed",
        "ordermesh.order.created", "ordermesh.fulfillment_order.created", "ordermesh.order.allocated",
        "ordermesh.fulfillment_order.shipped"]
    shipped = events[-1]
    assert shipped["specversion"] == "1.0"
    assert shipped["subject"] == fo_id
    assert shipped["data"]["tracking_number"] == "1Z"
    assert len({e["id"] for e in events}) == len(events)


def test_the_cursor_resumes_after_the_last_event_seen(client: TestClient) -> None:
    item(client, "TEE")
    first_page = client.get("/v1/events").json()
    assert len(first_page["data"]) == 1

    item(client, "MUG")
    item(client, "CAP")
    nothing_new = client.get("/v1/events", params={"after": first_page["next_cursor"], "limit": 1}).json()
    rest = client.get("/v1/events", params={"after": nothing_new["next_cursor"]}).json()

    assert [e["subject"] for e in nothing_new["data"]] == ["MUG"]
    assert [e["subject"] for e in rest["data"]] == ["CAP"]
    empty = client.get("/v1/events", params={"after": rest["next_cursor"]}).json()
    assert (empty["data"], empty["next_cursor"]) == ([], rest["next_cursor"])


def test_openapi_and_health_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    assert spec["openapi"].startswith("3.1")
    assert "/v1/orders" in spec["paths"]
    assert client.get("/healthz").json()["status"] == "ok"


def test_the_catalogue_lists_every_event_type_with_the_schema_its_feed_events_fit(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 5)
    place(client, order_body("E-2", ("TEE", 1)))

    kinds = {k["type"]: k for k in client.get("/v1/events/catalog").json()["events"]}
    feed = client.get("/v1/events", params={"limit": 1000}).json()["data"]

    assert "ordermesh.fulfillment_order.shipped" in kinds
    assert kinds["ordermesh.order.created"]["subject"] == "the order id"
    for event in feed:
        jsonschema.validate(event["data"], kinds[event["type"]]["data_schema"])
