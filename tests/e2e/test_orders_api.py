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


def test_splits_over_as_few_locations_as_possible_when_none_has_everything(client: TestClient) -> None:
    for sku in ("TEE", "MUG", "CAP"):
        item(client, sku)
    location(client, "NWK", NEWARK)
    location(client, "CHI", CHICAGO)
    location(client, "LA", LOS_ANGELES)
    stock(client, "NWK", "TEE", 5)
    stock(client, "CHI", "MUG", 5)
    stock(client, "CHI", "CAP", 5)
    stock(client, "LA", "MUG", 5)

    order = place(client, order_body("S-1", ("TEE", 1), ("MUG", 1), ("CAP", 1), to=NYC))

    assert order["status"] == "allocated"
    assert allocations(order) == {"TEE": [("NWK", 1)], "MUG": [("CHI", 1)], "CAP": [("CHI", 1)]}
    assert sorted(fo["location"] for fo in order["fulfillment_orders"]) == ["CHI", "NWK"]


def test_units_nobody_has_are_backordered_and_allocated_when_stock_arrives(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 1)

    order = place(client, order_body("B-1", ("TEE", 3)))
    line = order["lines"][0]
    assert order["status"] == "partially_allocated"
    assert (line["quantities"]["allocated"], line["quantities"]["backordered"]) == (1, 2)

    stock(client, "NWK", "TEE", 10)

    refreshed = client.get(f"/v1/orders/{order['id']}").json()
    assert refreshed["status"] == "allocated"
    assert refreshed["lines"][0]["quantities"]["backordered"] == 0
    assert client.get("/v1/inventory/NWK/TEE").json()["reserved"] == 3


def test_backorders_are_filled_oldest_first(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    older = place(client, order_body("OLD", ("TEE", 1)))
    newer = place(client, order_body("NEW", ("TEE", 1)))
    assert older["status"] == newer["status"] == "backordered"

    stock(client, "NWK", "TEE", 1)

    assert client.get(f"/v1/orders/{older['id']}").json()["status"] == "allocated"
    assert client.get(f"/v1/orders/{newer['id']}").json()["status"] == "backordered"


def test_safety_stock_is_never_allocated(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 5, safety_stock=3)

    order = place(client, order_body("SS-1", ("TEE", 4)))

    assert order["lines"][0]["quantities"]["allocated"] == 2
    assert order["lines"][0]["quantities"]["backordered"] == 2
    level = client.get("/v1/inventory/NWK/TEE").json()
    assert (level["reserved"], level["available"]) == (2, 0)


def test_pickup_orders_reserve_only_at_the_pickup_store(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    location(client, "STORE", NYC, type="store", capabilities=("ship", "pickup"))
    stock(client, "NWK", "TEE", 50)
    stock(client, "STORE", "TEE", 1)

    order = place(client, order_body("P-1", ("TEE", 2), pickup_at="STORE"))

    assert allocations(order) == {"TEE": [("STORE", 1)]}
    assert order["lines"][0]["quantities"]["backordered"] == 1


def test_an_order_for_an_unknown_sku_is_accepted_as_an_exception(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 5)
    stock_body = order_body("U-1", ("TEE", 1), ("GHOST", 2))

    order = place(client, stock_body)

    assert order["status"] == "exception"
    ghost = next(line for line in order["lines"] if line["sku"] == "GHOST")
    assert ghost["exception"] == "unknown SKU 'GHOST'"
    assert allocations(order)["TEE"] == [("NWK", 1)]
    types = [e["type"] for e in client.get("/v1/events", params={"limit": 1000}).json()["data"]]
    assert "ordermesh.order.exception_raised" in types


def test_creating_the_missing_item_resolves_the_exception_and_sources_the_line(client: TestClient) -> None:
    location(client, "NWK", NEWARK)
    order = place(client, order_body("U-2", ("GHOST", 2)))
    assert order["status"] == "exception"

    item(client, "GHOST")
    stock(client, "NWK", "GHOST", 5)

    refreshed = client.get(f"/v1/orders/{order['id']}").json()
    assert refreshed["lines"][0]["exception"] is None
    assert refreshed["status"] == "allocated"


def test_orders_list_filters_by_channel_external_id_and_status_with_cursor_pages(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 3)
    ids = [place(client, order_body(f"L-{i}", ("TEE", 1), channel="pos"))["id"] for i in range(5)]

    first = client.get("/v1/orders", params={"channel": "pos", "limit": 2}).json()
    second = client.get("/v1/orders", params={"channel": "pos", "limit": 2, "after": first["next_cursor"]}).json()
    third = client.get("/v1/orders", params={"channel": "pos", "limit": 2, "after": second["next_cursor"]}).json()
    seen = [o["id"] for page in (first, second, third) for o in page["data"]]

    assert seen == list(reversed(ids))
    assert third["next_cursor"] is None
    backordered = client.get("/v1/orders", params={"status": "backordered"}).json()["data"]
    assert sorted(o["external_id"] for o in backordered) == ["L-3", "L-4"]
    by_key = client.get("/v1/orders", params={"channel": "pos", "external_id": "L-0"}).json()["data"]
    assert [o["id"] for o in by_key] == [ids[0]]


def test_the_same_idempotency_key_with_another_body_is_refused(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 3)
    key = {"Idempotency-Key": "retry-123"}

    first = client.post("/v1/orders", json=order_body("K-1", ("TEE", 1)), headers=key)
    replay = client.post("/v1/orders", json=order_body("K-1", ("TEE", 1)), headers=key)
    other = client.post("/v1/orders", json=order_body("K-2", ("TEE", 1)), headers=key)

    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json()["id"] == first.json()["id"]
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/orders", params={"external_id": "K-2"}).json()["data"] == []


def test_a_sku_unknown_to_one_order_is_known_to_the_next_once_created(client: TestClient) -> None:
    location(client, "NWK", NEWARK)
    first = place(client, order_body("U-3", ("LATE", 1)))
    item(client, "LATE")
    stock(client, "NWK", "LATE", 5)

    second = place(client, order_body("U-4", ("LATE", 1)))

    assert first["lines"][0]["exception"] == "unknown SKU 'LATE'"
    assert second["lines"][0]["exception"] is None
    assert second["status"] == "allocated"
