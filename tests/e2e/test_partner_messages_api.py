"""API-native warehouses over JSON: released work goes out as a JSON shipping order; shipment, inventory and
receipt messages come back to /v1/partners/{id}/messages and apply by the same rules as X12, once each."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordermesh.adapters.edi.directory import DirectoryTransport
from ordermesh.services.context import AppContext
from ordermesh.services.edi_exchange import PartnerExchange
from tests.builders import NEWARK, item, location, order_body, place, stock


@pytest.fixture
def wms(client: TestClient, ctx: AppContext, tmp_path: Path) -> dict[str, Any]:
    """A JSON WMS running the Newark warehouse, an order released to it, and its shipping order file."""
    for sku in ("TEE", "MUG"):
        item(client, sku)
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 20)
    stock(client, "NWK", "MUG", 5)
    body = {"name": "Cloud WMS", "kind": "3pl", "protocol": "json", "locations": ["NWK"],
            "transport": {"kind": "directory", "inbound": str(tmp_path / "in"), "outbound": str(tmp_path / "out")}}
    created = client.post("/v1/partners", json=body)
    assert created.status_code == 201, created.text
    order = place(client, order_body("J-1", ("TEE", 2), ("MUG", 1)))
    PartnerExchange(ctx, {"directory": DirectoryTransport()}, release_delay=timedelta(0), every_seconds=0).run_round()
    (file,) = (tmp_path / "out").glob("*.json")
    return {"partner": created.json(), "order": order, "fo": order["fulfillment_orders"][0], "file": file}


def send(client: TestClient, wms: dict[str, Any], message: dict[str, Any]) -> Any:
    return client.post(f"/v1/partners/{wms['partner']['id']}/messages", json=message)


def shipment(fo_id: str, message_id: str = "msg-1", **changes: Any) -> dict[str, Any]:
    body = {
        "type": "shipment", "message_id": message_id, "fulfillment_order_id": fo_id, "shipment_id": "S-1",
        "shipped_on": "2026-11-27", "carrier": "UPSN", "tracking_numbers": ["1Z999AA10123456784"],
        "lines": [{"sku": "TEE", "quantity": 2}, {"sku": "MUG", "quantity": 1}],
    }  # fmt: skip
    return body | changes


def test_released_work_goes_out_as_a_json_shipping_order(wms: dict[str, Any]) -> None:
    document = json.loads(wms["file"].read_text())

    assert document["type"] == "shipping_order"
    assert document["document_number"] == wms["fo"]["id"]
    assert [(x["sku"], x["quantity"]) for x in document["lines"]] == [("TEE", 2), ("MUG", 1)]
    assert document["ship_to"]["name"] == "Ada Lovelace"


def test_a_shipment_message_ships_once_however_often_it_comes(client: TestClient, wms: dict[str, Any]) -> None:
    first = send(client, wms, shipment(wms["fo"]["id"]))
    again = send(client, wms, shipment(wms["fo"]["id"]))
    renamed = send(client, wms, shipment(wms["fo"]["id"], message_id="msg-2"))  # same shipment id, new message

    assert first.status_code == 200, first.text
    assert (first.json()["type"], first.json()["status"]) == ("json:shipment", "applied")
    assert again.status_code == 200 and again.headers["ordermesh-repeated"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert renamed.json()["status"] == "duplicate"
    assert client.get(f"/v1/fulfillment-orders/{wms['fo']['id']}").json()["status"] == "shipped"
    assert client.get("/v1/inventory/NWK/TEE").json()["on_hand"] == 18


def test_a_message_that_cannot_be_applied_is_422_naming_the_field_and_applies_nothing(
    client: TestClient, wms: dict[str, Any]
) -> None:
    unknown = send(client, wms, shipment("fo_NOPE", message_id="msg-3"))
    too_many = send(client, wms, shipment(wms["fo"]["id"], message_id="msg-4", lines=[{"sku": "MUG", "quantity": 4}]))
    malformed = send(client, wms, {"type": "shipment", "message_id": "m", "lines": []})

    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "fulfillment_order_id"
    assert too_many.status_code == 422, too_many.text
    assert malformed.status_code == 422 and "fulfillment_order_id" in malformed.text
    assert client.get(f"/v1/fulfillment-orders/{wms['fo']['id']}").json()["status"] == "open"
    failed = client.get("/v1/edi/documents", params={"status": "failed"}).json()["data"]
    assert sorted(d["type"] for d in failed) == ["json:shipment", "json:shipment"]


def test_inventory_and_receipt_messages_set_and_add_stock(client: TestClient, wms: dict[str, Any]) -> None:
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    counts = {"type": "inventory", "message_id": "inv-1", "location": "NWK", "as_of": later,
              "items": [{"sku": "TEE", "on_hand": 50}]}  # fmt: skip
    receipt = {"type": "receipt", "message_id": "rcv-1", "receipt_id": "R-77", "location": "NWK",
               "received_on": "2026-11-27", "lines": [{"sku": "MUG", "quantity": 6}]}  # fmt: skip
    naive = counts | {"message_id": "inv-2", "as_of": "2026-11-27T10:00:00"}

    assert send(client, wms, counts).status_code == 200
    assert send(client, wms, receipt).status_code == 200
    assert send(client, wms, receipt | {"message_id": "rcv-2"}).json()["status"] == "duplicate"
    assert send(client, wms, naive).status_code == 422  # a time without its zone is refused

    assert client.get("/v1/inventory/NWK/TEE").json()["on_hand"] == 50
    assert client.get("/v1/inventory/NWK/MUG").json()["on_hand"] == 11


def test_an_x12_partner_or_an_unknown_one_gets_no_json_messages(client: TestClient, wms: dict[str, Any]) -> None:
    unknown = client.post("/v1/partners/ptn_NOPE/messages", json=shipment(wms["fo"]["id"]))

    assert unknown.status_code == 404
