"""Bulk import over HTTP: good orders captured, bad ones reported by row, nothing captured twice."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.builders import NEWARK, item, location, stock

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "orders.csv"


def _network(client: TestClient) -> None:
    item(client, "TEE")
    item(client, "MUG")
    location(client, "NWK", NEWARK, capabilities=("ship", "pickup"))
    stock(client, "NWK", "TEE", 50)
    stock(client, "NWK", "MUG", 50)


def _import(client: TestClient, body: str, media_type: str = "text/csv") -> dict[str, object]:
    response = client.post("/v1/orders/imports", content=body.encode(), headers={"Content-Type": media_type})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_good_orders_are_captured_and_bad_ones_reported_with_their_rows(client: TestClient) -> None:
    _network(client)

    report = _import(client, FIXTURE.read_text())

    assert (report["imported"], report["already_present"]) == (2, 0)
    rejected = {r["where"]: r["reason"] for r in report["rejected"]}  # type: ignore[attr-defined]
    assert set(rejected) == {"row 5", "rows 6-7", "row 8"}
    assert "quantity" in rejected["row 5"]
    first = client.get("/v1/orders", params={"channel": "web", "external_id": "IMP-1001"}).json()["data"][0]
    assert [line["sku"] for line in first["lines"]] == ["TEE", "MUG"]
    assert first["status"] == "allocated"


def test_sending_the_same_file_again_captures_nothing_twice(client: TestClient) -> None:
    _network(client)
    _import(client, FIXTURE.read_text())

    again = _import(client, FIXTURE.read_text())

    assert (again["imported"], again["already_present"]) == (0, 2)
    listed = client.get("/v1/orders", params={"channel": "web", "limit": 200}).json()["data"]
    assert sorted(o["external_id"] for o in listed) == ["IMP-1001", "IMP-1002"]


def test_json_lines_import_like_the_capture_api(client: TestClient) -> None:
    _network(client)
    body = {
        "channel": "web",
        "external_id": "J-1",
        "currency": "USD",
        "delivery": {"method": "pickup", "pickup_location": "NOWHERE"},
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "15.00"}],
    }
    good = {**body, "external_id": "J-2", "delivery": {"method": "pickup", "pickup_location": "NWK"}}

    report = _import(client, json.dumps(body) + "\n" + json.dumps(good) + "\n", "application/x-ndjson")

    assert (report["imported"], report["rejected"]) == (2, [])
    statuses = {o["external_id"]: o["status"] for o in client.get("/v1/orders").json()["data"]}
    assert statuses == {"J-1": "exception", "J-2": "allocated"}  # an unknown store: captured, in exception


def test_an_unreadable_file_or_media_type_is_a_problem_and_imports_nothing(client: TestClient) -> None:
    _network(client)

    wrong_type = client.post("/v1/orders/imports", content=b"x", headers={"Content-Type": "application/pdf"})
    bad_header = client.post("/v1/orders/imports", content=b"channel,colour\nweb,red\n",
                             headers={"Content-Type": "text/csv"})

    assert wrong_type.status_code == 422 and "Content-Type" in wrong_type.json()["detail"]
    assert bad_header.status_code == 422 and "unknown column 'colour'" in bad_header.json()["detail"]
    assert bad_header.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/orders").json()["data"] == []
