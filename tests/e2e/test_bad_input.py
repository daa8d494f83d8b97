"""Bad input gets a clear 4xx problem+json naming what is wrong, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import NEWARK, item, location, order_body, stock

PROBLEM = "application/problem+json"


@pytest.fixture
def network(client: TestClient) -> TestClient:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 10)
    return client


def _nothing_written(client: TestClient) -> None:
    assert client.get("/v1/orders").json()["data"] == []
    assert client.get("/v1/inventory/NWK/TEE").json()["reserved"] == 0
    types = {e["type"] for e in client.get("/v1/events", params={"limit": 1000}).json()["data"]}
    assert "ordermesh.order.created" not in types


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    node = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return body


def test_malformed_json_is_400(network: TestClient) -> None:
    response = network.post("/v1/orders", content=b'{"channel": "web", ', headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/malformed-json"
    _nothing_written(network)


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda b: _without(b, "currency"), ["body", "currency"]),
    (lambda b: _without(b, "lines"), ["body", "lines"]),
    (lambda b: _without(b, "external_id"), ["body", "external_id"]),
    (lambda b: {**b, "lines": []}, ["body", "lines"]),
    (lambda b: {**b, "lines": [{**b["lines"][0], "quantity": -1}]}, ["body", "lines", 0, "quantity"]),
    (lambda b: {**b, "lines": [{**b["lines"][0], "quantity": 0}]}, ["body", "lines", 0, "quantity"]),
    (lambda b: {**b, "lines": [{**b["lines"][0], "quantity": "two"}]}, ["body", "lines", 0, "quantity"]),
    (lambda b: {**b, "lines": [{**b["lines"][0], "unit_price": 9.99}]}, ["body", "lines", 0, "unit_price"]),
    (lambda b: {**b, "lines": [{**b["lines"][0], "unit_price": "-1.00"}]}, ["body", "lines", 0, "unit_price"]),
    (lambda b: {**b, "lines": [{**b["lines"][0], "unit_price": "abc"}]}, ["body", "lines", 0, "unit_price"]),
    (lambda b: {**b, "currency": "XYZ"}, ["body", "currency"]),
    (lambda b: {**b, "currency": 840}, ["body", "currency"]),
    (lambda b: {**b, "payment_status": "maybe"}, ["body", "payment_status"]),
    (lambda b: {**b, "placed_at": "2026-11-20T10:00:00"}, ["body", "placed_at"]),
    (lambda b: {**b, "ship_to": {**b["ship_to"], "lat": 123.0}}, ["body", "ship_to", "lat"]),
    (lambda b: {**b, "ship_to": {**b["ship_to"], "country": "USA"}}, ["body", "ship_to", "country"]),
    (lambda b: {**b, "delivery": {"method": "teleport"}}, ["body", "delivery", "method"]),
    (lambda b: {**b, "unexpected": True}, ["body", "unexpected"]),
    (lambda b: {**b, "lines": "TEE"}, ["body", "lines"]),
])
def test_an_invalid_order_is_422_naming_the_field(network: TestClient, mutate: Any, field: list[Any]) -> None:
    response = network.post("/v1/orders", json=mutate(order_body("BAD-1", ("TEE", 1))))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422
    assert [e["loc"][: len(field)] for e in problem["errors"]].count(field) >= 1, problem
    _nothing_written(network)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda b: {**b, "currency": "JPY"}, "has more decimals than JPY allows"),
    (lambda b: _without(b, "ship_to"), "ship_to is required"),
    (lambda b: {**b, "delivery": {"method": "pickup"}}, "pickup_location is required"),
])
def test_inconsistent_orders_are_422_with_a_readable_reason(network: TestClient, mutate: Any, message: str) -> None:
    response = network.post("/v1/orders", json=mutate(order_body("BAD-2", ("TEE", 1))))

    assert response.status_code == 422
    assert message in response.text
    _nothing_written(network)


def test_a_five_megabyte_body_is_413(network: TestClient) -> None:
    body = order_body("BIG-1", ("TEE", 1))
    body["customer"]["name"] = "x" * (5 * 1024 * 1024)

    response = network.post("/v1/orders", json=body)

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    _nothing_written(network)


def test_a_chunked_body_without_length_is_limited_too(network: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(6):
            yield b" " * (1024 * 1024)

    response = network.post("/v1/orders", content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413
    _nothing_written(network)


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/items", {"sku": "", "name": "x", "weight_grams": 1}, ["body", "sku"]),
    ("/v1/items", {"sku": "A", "name": "x", "weight_grams": -5}, ["body", "weight_grams"]),
    ("/v1/locations", {"code": "X", "name": "x", "type": "moon", "address": {}, "capabilities": ["ship"]},
     ["body", "type"]),
    ("/v1/locations", {"code": "X", "name": "x", "type": "store", "address": {}, "capabilities": ["fly"]},
     ["body", "capabilities", 0]),
    ("/v1/inventory/adjustments", {"adjustments": [{"location": "NWK", "sku": "TEE", "delta": "+3",
                                                    "reason": "r"}]}, ["body", "adjustments", 0, "delta"]),
])
def test_invalid_catalogue_and_inventory_input_is_422(
    network: TestClient, path: str, body: dict[str, Any], field: list[Any]
) -> None:
    response = network.post(path, json=body)

    assert response.status_code == 422, response.text
    assert field in [e["loc"] for e in response.json()["errors"]]


def test_negative_on_hand_is_422_and_changes_nothing(network: TestClient) -> None:
    response = network.put("/v1/inventory/NWK/TEE", json={"on_hand": -3})

    assert response.status_code == 422
    assert network.get("/v1/inventory/NWK/TEE").json()["on_hand"] == 10


def test_stock_for_an_unknown_location_is_422_naming_it(network: TestClient) -> None:
    response = network.put("/v1/inventory/MOON/TEE", json={"on_hand": 3})

    assert response.status_code == 422
    assert "unknown location 'MOON'" in response.json()["detail"]


def test_duplicates_and_unknown_ids_are_clear(network: TestClient) -> None:
    again = network.post("/v1/items", json={"sku": "TEE", "name": "Tee", "weight_grams": 100})
    missing = network.get("/v1/orders/ord_missing")
    no_route = network.get("/v1/nothing-here")
    bad_cursor = network.get("/v1/orders", params={"after": "!!!"})

    assert (again.status_code, again.json()["type"]) == (409, "/problems/already-exists")
    assert (missing.status_code, missing.json()["detail"]) == (404, "order 'ord_missing' does not exist")
    assert no_route.status_code == 404
    assert no_route.headers["content-type"] == PROBLEM
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["errors"][0]["loc"] == ["query", "after"]
    for path in ("/v1/audit", "/v1/inventory/movements", "/v1/events"):
        foreign = network.get(path, params={"after": "YWJj"})  # base64 of "abc": decodes, but is not ours
        assert foreign.status_code == 422, path
