"""Holds, cancellation and fulfilment over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.builders import CHICAGO, NEWARK, NYC, allocations, item, location, order_body, place, stock


def _network(client: TestClient, units: int = 10) -> None:
    item(client, "TEE")
    item(client, "MUG")
    location(client, "NWK", NEWARK)
    location(client, "CHI", CHICAGO)
    for code in ("NWK", "CHI"):
        stock(client, code, "TEE", units)
        stock(client, code, "MUG", units)


def _level(client: TestClient, location_code: str, sku: str) -> dict[str, Any]:
    return dict(client.get(f"/v1/inventory/{location_code}/{sku}").json())


def test_an_unpaid_order_is_held_and_sourced_when_released(client: TestClient) -> None:
    _network(client)

    held = place(client, order_body("H-1", ("TEE", 2), payment_status="pending"))
    assert (held["status"], held["hold_reason"]) == ("on_hold", "payment_pending")
    assert held["fulfillment_orders"] == []
    assert _level(client, "NWK", "TEE")["reserved"] == 0

    released = client.post(f"/v1/orders/{held['id']}/release").json()

    assert released["status"] == "allocated"
    assert allocations(released) == {"TEE": [("NWK", 2)]}


def test_releasing_an_order_without_a_hold_is_a_conflict(client: TestClient) -> None:
    _network(client)
    order = place(client, order_body("H-2", ("TEE", 1)))

    response = client.post(f"/v1/orders/{order['id']}/release")

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


def test_a_held_order_cannot_be_shipped(client: TestClient) -> None:
    _network(client)
    order = place(client, order_body("H-3", ("TEE", 1)))
    client.post(f"/v1/orders/{order['id']}/hold", json={"reason": "fraud review"})
    fo_id = order["fulfillment_orders"][0]["id"]

    response = client.post(f"/v1/fulfillment-orders/{fo_id}/ship", json={"carrier": "UPS", "tracking_number": "1Z"})

    assert response.status_code == 409
    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "on_hold"


def test_cancelling_the_whole_order_releases_its_reservations(client: TestClient) -> None:
    _network(client)
    order = place(client, order_body("C-1", ("TEE", 2), ("MUG", 1)))

    cancelled = client.post(f"/v1/orders/{order['id']}/cancel").json()

    assert cancelled["status"] == "cancelled"
    assert [fo["status"] for fo in cancelled["fulfillment_orders"]] == ["cancelled"]
    assert _level(client, "NWK", "TEE")["reserved"] == 0
    assert _level(client, "NWK", "MUG")["reserved"] == 0


def test_cancelling_some_units_of_a_line_keeps_the_rest(client: TestClient) -> None:
    _network(client)
    order = place(client, order_body("C-2", ("TEE", 3)))
    line_id = order["lines"][0]["id"]

    response = client.post(f"/v1/orders/{order['id']}/cancel", json={"lines": [{"line_id": line_id, "quantity": 2}]})

    line = response.json()["lines"][0]
    assert (line["quantities"]["cancelled"], line["quantities"]["allocated"]) == (2, 1)
    assert response.json()["status"] == "allocated"
    assert _level(client, "NWK", "TEE")["reserved"] == 1


def test_cancelling_shipped_units_is_refused_and_changes_nothing(client: TestClient) -> None:
    _network(client)
    order = place(client, order_body("C-3", ("TEE", 2)))
    line_id = order["lines"][0]["id"]
    fo_id = order["fulfillment_orders"][0]["id"]
    client.post(f"/v1/fulfillment-orders/{fo_id}/ship",
                json={"carrier": "UPS", "tracking_number": "1Z1", "lines": [{"line_id": line_id, "quantity": 1}]})

    whole = client.post(f"/v1/orders/{order['id']}/cancel")
    too_many = client.post(f"/v1/orders/{order['id']}/cancel", json={"lines": [{"line_id": line_id, "quantity": 2}]})

    assert (whole.status_code, too_many.status_code) == (409, 409)
    assert too_many.json()["errors"][0]["msg"] == "asked 2, at most 1"
    line = client.get(f"/v1/orders/{order['id']}").json()["lines"][0]
    buckets = line["quantities"]
    assert (buckets["shipped"], buckets["allocated"], buckets["cancelled"]) == (1, 1, 0)


def test_cancelled_units_go_to_the_oldest_backorder(client: TestClient) -> None:
    _network(client, units=1)
    first = place(client, order_body("C-4", ("TEE", 2)))  # takes NWK's and CHI's only units
    waiting = place(client, order_body("C-5", ("TEE", 1)))
    assert waiting["status"] == "backordered"

    client.post(f"/v1/orders/{first['id']}/cancel")

    assert client.get(f"/v1/orders/{waiting['id']}").json()["status"] == "allocated"


def test_a_rejected_fulfilment_order_is_sourced_elsewhere_and_never_back_there(client: TestClient) -> None:
    _network(client)
    order = place(client, order_body("R-1", ("TEE", 1), to=NYC))
    fo_id = order["fulfillment_orders"][0]["id"]
    assert order["fulfillment_orders"][0]["location"] == "NWK"

    rejected = client.post(f"/v1/fulfillment-orders/{fo_id}/reject", json={"reason": "damaged stock"})

    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "damaged stock")
    refreshed = client.get(f"/v1/orders/{order['id']}").json()
    assert allocations(refreshed) == {"TEE": [("CHI", 1)]}
    assert _level(client, "NWK", "TEE")["reserved"] == 0
    chi_fo = next(fo for fo in refreshed["fulfillment_orders"] if fo["location"] == "CHI")
    client.post(f"/v1/fulfillment-orders/{chi_fo['id']}/reject", json={"reason": "closed"})
    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "backordered"


def test_partial_then_full_shipment_lowers_on_hand_and_reserved_together(client: TestClient) -> None:
    _network(client)
    order = place(client, order_body("F-1", ("TEE", 3)))
    fo_id = order["fulfillment_orders"][0]["id"]
    line_id = order["lines"][0]["id"]
    assert client.post(f"/v1/fulfillment-orders/{fo_id}/accept").json()["status"] == "accepted"

    partial = client.post(f"/v1/fulfillment-orders/{fo_id}/ship",
                          json={"carrier": "UPS", "tracking_number": "1Z1", "lines": [{"line_id": line_id,
                                                                                       "quantity": 1}]})
    assert partial.json()["status"] == "partially_shipped"
    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "partially_shipped"
    assert (_level(client, "NWK", "TEE")["on_hand"], _level(client, "NWK", "TEE")["reserved"]) == (9, 2)

    rest = client.post(f"/v1/fulfillment-orders/{fo_id}/ship", json={"carrier": "UPS", "tracking_number": "1Z2"})

    assert rest.json()["status"] == "shipped"
    assert [s["tracking_number"] for s in rest.json()["shipments"]] == ["1Z1", "1Z2"]
    assert (_level(client, "NWK", "TEE")["on_hand"], _level(client, "NWK", "TEE")["reserved"]) == (7, 0)
    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "shipped"
    assert client.post(f"/v1/fulfillment-orders/{fo_id}/deliver").json()["status"] == "delivered"
    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "delivered"


def test_shipping_more_than_is_open_is_refused(client: TestClient) -> None:
    _network(client)
    order = place(client, order_body("F-2", ("TEE", 1)))
    fo_id = order["fulfillment_orders"][0]["id"]
    line_id = order["lines"][0]["id"]

    response = client.post(f"/v1/fulfillment-orders/{fo_id}/ship", json={
        "carrier": "UPS", "tracking_number": "1Z", "lines": [{"line_id": line_id, "quantity": 2}]})

    assert response.status_code == 409
    assert _level(client, "NWK", "TEE")["on_hand"] == 10


def test_illegal_fulfilment_transitions_are_409_problems(client: TestClient) -> None:
    _network(client)
    order = place(client, order_body("F-3", ("TEE", 1)))
    fo_id = order["fulfillment_orders"][0]["id"]

    deliver_unshipped = client.post(f"/v1/fulfillment-orders/{fo_id}/deliver")
    pickup_a_ship_order = client.post(f"/v1/fulfillment-orders/{fo_id}/ready-for-pickup")
    client.post(f"/v1/fulfillment-orders/{fo_id}/ship", json={"carrier": "UPS", "tracking_number": "1Z"})
    accept_shipped = client.post(f"/v1/fulfillment-orders/{fo_id}/accept")
    reject_shipped = client.post(f"/v1/fulfillment-orders/{fo_id}/reject", json={"reason": "late"})

    for response in (deliver_unshipped, pickup_a_ship_order, accept_shipped, reject_shipped):
        assert response.status_code == 409, response.text
        assert response.json()["type"] == "/problems/illegal-transition"


def test_a_pickup_order_is_made_ready_and_picked_up(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "STORE", NYC, type="store", capabilities=("ship", "pickup"))
    stock(client, "STORE", "TEE", 4)
    order = place(client, order_body("P-2", ("TEE", 2), pickup_at="STORE"))
    fo_id = order["fulfillment_orders"][0]["id"]

    ready = client.post(f"/v1/fulfillment-orders/{fo_id}/ready-for-pickup")
    assert ready.json()["status"] == "ready_for_pickup"
    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "ready_for_pickup"

    picked = client.post(f"/v1/fulfillment-orders/{fo_id}/picked-up")

    assert picked.json()["status"] == "picked_up"
    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "delivered"
    level = _level(client, "STORE", "TEE")
    assert (level["on_hand"], level["reserved"]) == (2, 0)


def test_fulfilment_orders_are_listed_by_location_and_status(client: TestClient) -> None:
    _network(client)
    place(client, order_body("FL-1", ("TEE", 1)))
    second = place(client, order_body("FL-2", ("MUG", 1)))
    client.post(f"/v1/fulfillment-orders/{second['fulfillment_orders'][0]['id']}/accept")

    open_at_nwk = client.get("/v1/fulfillment-orders", params={"location": "NWK", "status": "open"}).json()["data"]
    for_order = client.get("/v1/fulfillment-orders", params={"order_id": second["id"]}).json()["data"]

    assert [fo["lines"][0]["sku"] for fo in open_at_nwk] == ["TEE"]
    assert [fo["status"] for fo in for_order] == ["accepted"]
    unknown = client.get("/v1/fulfillment-orders/fo_nope")
    assert unknown.status_code == 404


def test_units_freed_by_a_cancel_first_serve_the_same_orders_waiting_line(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 2)
    body = order_body("C-6", ("TEE", 2), ("TEE", 1))  # two lines of one SKU: the second waits
    order = place(client, body)
    first_line, second_line = order["lines"]
    assert second_line["quantities"]["backordered"] == 1

    response = client.post(f"/v1/orders/{order['id']}/cancel",
                           json={"lines": [{"line_id": first_line["id"], "quantity": 1}]})

    lines = response.json()["lines"]
    assert (lines[0]["quantities"]["allocated"], lines[0]["quantities"]["cancelled"]) == (1, 1)
    assert (lines[1]["quantities"]["allocated"], lines[1]["quantities"]["backordered"]) == (1, 0)
    assert response.json()["status"] == "allocated"
    assert _level(client, "NWK", "TEE")["reserved"] == 2
    stored = client.get(f"/v1/orders/{order['id']}").json()
    assert stored["lines"] == lines
