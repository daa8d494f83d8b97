"""Capturing and sourcing orders over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.builders import CHICAGO, LOS_ANGELES, NEWARK, NYC, allocations, item, location, order_body, place, stock


def test_ships_from_the_nearest_location_that_has_every_line(client: TestClient) -> None:
    item(client, "TEE")
    item(client, "MUG")
    location(client, "LA", LOS_ANGELES)
    location(client, "CHI", CHICAGO)
    location(client, "NWK", NEWARK)
    for code in ("LA", "CHI"):
        stock(client, code, "TEE", 10)
        stock(client, code, "MUG", 10)
    stock(client, "NWK", "TEE", 10)  # nearest, but cannot ship the mug

    order = place(client, order_body("A-1", ("TEE", 2), ("MUG", 1), to=NYC))

    assert order["status"] == "allocated"
    assert allocations(order) == {"TEE": [("CHI", 2)], "MUG": [("CHI", 1)]}
    assert [fo["location"] for fo in order["fulfillment_orders"]] == ["CHI"]


def test_replaying_an_order_returns_the_same_order_with_200(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 10)
    body = order_body("A-2", ("TEE", 1))

    first = place(client, body)
    again = place(client, body, expect=200)

    assert again["id"] == first["id"]
    assert client.get("/v1/inventory/NWK/TEE").json()["reserved"] == 1
