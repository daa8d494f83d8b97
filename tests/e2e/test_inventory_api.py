"""Stock levels, adjustments, snapshots, the movement ledger and availability over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.builders import CHICAGO, LOS_ANGELES, NEWARK, item, location, order_body, place, stock


def test_put_sets_on_hand_and_safety_stock_absolutely(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)

    client.put("/v1/inventory/NWK/TEE", json={"on_hand": 12, "safety_stock": 2})
    level = client.put("/v1/inventory/NWK/TEE", json={"on_hand": 9}).json()

    assert (level["on_hand"], level["safety_stock"], level["reserved"], level["available"]) == (9, 2, 0, 7)
    assert level["applied"] is True


def test_a_count_older_than_the_last_one_applied_changes_nothing(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    client.put("/v1/inventory/NWK/TEE", json={"on_hand": 20, "as_of": "2026-11-20T10:00:00Z"})

    stale = client.put("/v1/inventory/NWK/TEE", json={"on_hand": 5, "as_of": "2026-11-20T09:00:00Z"}).json()
    replay = client.put("/v1/inventory/NWK/TEE", json={"on_hand": 20, "as_of": "2026-11-20T10:00:00Z"}).json()

    assert (stale["applied"], stale["on_hand"]) == (False, 20)
    assert (replay["applied"], replay["on_hand"]) == (True, 20)
    snapshots = [m for m in client.get("/v1/inventory/NWK/TEE/movements").json()["data"] if m["kind"] == "snapshot"]
    assert [m["on_hand_delta"] for m in snapshots] == [20, 0]


def test_a_snapshot_is_applied_whole_and_skips_stale_rows(client: TestClient) -> None:
    item(client, "TEE")
    item(client, "MUG")
    location(client, "NWK", NEWARK)
    client.put("/v1/inventory/NWK/MUG", json={"on_hand": 3, "as_of": "2026-11-21T00:00:00Z"})

    response = client.post("/v1/inventory/snapshots", json={"as_of": "2026-11-20T00:00:00Z", "counts": [
        {"location": "NWK", "sku": "TEE", "on_hand": 7}, {"location": "NWK", "sku": "MUG", "on_hand": 99}]})

    assert response.json() == {"applied": 1, "skipped_stale": 1}
    assert client.get("/v1/inventory/NWK/TEE").json()["on_hand"] == 7
    assert client.get("/v1/inventory/NWK/MUG").json()["on_hand"] == 3


def test_a_snapshot_naming_an_unknown_sku_writes_nothing(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)

    response = client.post("/v1/inventory/snapshots", json={"as_of": "2026-11-20T00:00:00Z", "counts": [
        {"location": "NWK", "sku": "TEE", "on_hand": 7}, {"location": "NWK", "sku": "NOPE", "on_hand": 1}]})

    assert response.status_code == 422
    assert "unknown SKU 'NOPE'" in response.json()["detail"]
    assert client.get("/v1/inventory/NWK/TEE").status_code == 404


def test_adjustments_apply_all_or_nothing(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    location(client, "CHI", CHICAGO)
    stock(client, "NWK", "TEE", 5)
    stock(client, "CHI", "TEE", 1)

    refused = client.post("/v1/inventory/adjustments", json={"adjustments": [
        {"location": "NWK", "sku": "TEE", "delta": 4, "reason": "receipt"},
        {"location": "CHI", "sku": "TEE", "delta": -2, "reason": "damaged"}]})
    accepted = client.post("/v1/inventory/adjustments", json={"reference": "PO-1", "adjustments": [
        {"location": "NWK", "sku": "TEE", "delta": 4, "reason": "receipt"}]})

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "adjustments", 1, "delta"]
    assert accepted.status_code == 200
    assert client.get("/v1/inventory/NWK/TEE").json()["on_hand"] == 9
    assert client.get("/v1/inventory/CHI/TEE").json()["on_hand"] == 1
    receipts = client.get("/v1/inventory/movements", params={"sku": "TEE", "location": "NWK"}).json()["data"]
    assert [(m["kind"], m["on_hand_delta"], m["reference"]) for m in receipts][-1] == ("adjustment", 4, "PO-1")


def test_the_ledger_records_reservation_shipment_and_release(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 5)
    order = place(client, order_body("M-1", ("TEE", 2)))
    fo_id = order["fulfillment_orders"][0]["id"]
    line_id = order["lines"][0]["id"]
    client.post(f"/v1/fulfillment-orders/{fo_id}/ship",
                json={"carrier": "UPS", "tracking_number": "1Z", "lines": [{"line_id": line_id, "quantity": 1}]})
    client.post(f"/v1/orders/{order['id']}/cancel", json={"lines": [{"line_id": line_id, "quantity": 1}]})

    moves = client.get("/v1/inventory/NWK/TEE/movements").json()["data"]

    assert [(m["kind"], m["on_hand_delta"], m["reserved_delta"]) for m in moves] == [
        ("snapshot", 5, 0), ("reservation", 0, 2), ("shipment", -1, -1), ("release", 0, -1)]
    level = client.get("/v1/inventory/NWK/TEE").json()
    assert level["on_hand"] == sum(m["on_hand_delta"] for m in moves)
    assert level["reserved"] == sum(m["reserved_delta"] for m in moves)


def test_availability_sums_shipping_locations_nearest_first(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    location(client, "LA", LOS_ANGELES)
    location(client, "RET", CHICAGO, type="returns_center", capabilities=("returns",))
    stock(client, "NWK", "TEE", 5, safety_stock=1)
    stock(client, "LA", "TEE", 3)
    stock(client, "RET", "TEE", 40)
    place(client, order_body("AV-1", ("TEE", 1)))

    found = client.get("/v1/availability", params={"sku": ["TEE", "NONE"], "country": "US",
                                                   "postal_code": "90012"}).json()

    tee, none = found
    assert (tee["sku"], tee["available"]) == ("TEE", 3 + 3)
    assert [loc["location"] for loc in tee["locations"]] == ["LA", "NWK"]
    assert tee["locations"][0]["distance_km"] < 10
    assert (none["available"], none["locations"]) == (0, [])


def test_bulk_stock_listing_pages_through_every_row(client: TestClient) -> None:
    location(client, "NWK", NEWARK)
    for n in range(5):
        item(client, f"SKU-{n}")
        stock(client, "NWK", f"SKU-{n}", n + 1)

    first = client.get("/v1/inventory", params={"location": "NWK", "limit": 3}).json()
    rest = client.get("/v1/inventory", params={"location": "NWK", "limit": 3, "after": first["next_cursor"]}).json()

    assert [row["on_hand"] for row in first["data"] + rest["data"]] == [1, 2, 3, 4, 5]
    assert rest["next_cursor"] is None
