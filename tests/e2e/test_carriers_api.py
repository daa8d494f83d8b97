"""Carriers over HTTP: rate cards as data, rate shopping, and the tracking ingest."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from ordermesh.domain.access import Role
from ordermesh.domain.carriers.sample import SAMPLE_RATE_CARDS
from ordermesh.services.access import create_api_key
from ordermesh.services.context import AppContext
from tests.builders import CHICAGO, NEWARK, NYC, item, location, order_body, place, stock

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "carriers"
UPS = json.loads((FIXTURES / "ups_tracking.json").read_text())["updates"]
USPS = json.loads((FIXTURES / "easypost_usps_tracking.json").read_text())["updates"]
UPS_NUMBER = "1Z999AA10123456784"
USPS_NUMBER = "9400111899223344556677"


def key(ctx: AppContext, role: Role) -> dict[str, str]:
    _, plain = create_api_key(ctx, name=f"{role} key", role=role)
    return {"Authorization": f"Bearer {plain}"}


def shipped(client: TestClient, external_id: str, *parcels: tuple[str, str]) -> dict[str, Any]:
    """An order of one TEE per parcel from Newark to New York, shipped as (carrier, tracking number) parcels."""
    if not client.get("/v1/items/TEE").is_success:
        item(client, "TEE")
        location(client, "NWK", NEWARK)
        stock(client, "NWK", "TEE", 50)
    order = place(client, order_body(external_id, ("TEE", len(parcels)), to=NYC))
    fo = order["fulfillment_orders"][0]
    line_id = order["lines"][0]["id"]
    for carrier, number in parcels:
        body = {"carrier": carrier, "tracking_number": number, "lines": [{"line_id": line_id, "quantity": 1}]}
        response = client.post(f"/v1/fulfillment-orders/{fo['id']}/ship", json=body)
        assert response.status_code == 200, response.text
    return dict(client.get(f"/v1/fulfillment-orders/{fo['id']}").json())


def track(client: TestClient, carrier: str, *updates: dict[str, Any], **kwargs: Any) -> Any:
    body = updates[0] if len(updates) == 1 else {"updates": list(updates)}
    return client.post(f"/v1/carriers/{carrier}/tracking", json=body, **kwargs)


def feed_types(client: TestClient, prefix: str) -> list[str]:
    events = client.get("/v1/events", params={"limit": 500}).json()["data"]
    return [e["type"] for e in events if e["type"].startswith(prefix)]


# --- rate cards -----------------------------------------------------------------------------------------


def test_rate_cards_with_problems_are_refused_naming_each_path_and_nothing_is_stored(client: TestClient) -> None:
    document = copy.deepcopy(SAMPLE_RATE_CARDS)
    document["carriers"][1]["services"][0]["zones"][2]["max_km"] = 100
    document["carriers"][0]["services"][0]["residential_surcharge"] = "a lot"

    response = client.put("/v1/carriers/rate-cards", json=document)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = {e["path"]: e for e in response.json()["errors"]}
    assert errors["carriers[1].services[0].zones[2].max_km"]["msg"] == "must be greater than the previous zone's 480"
    assert errors["carriers[1].services[0].zones[2].max_km"]["loc"] == [
        "body", "carriers", 1, "services", 0, "zones", 2, "max_km",
    ]  # fmt: skip
    assert errors["carriers[0].services[0].residential_surcharge"]["msg"] == "must be a decimal amount, got 'a lot'"
    assert client.get("/v1/carriers/rate-cards").json()["built_in"] is True


def test_rate_cards_are_stored_as_audited_versions_in_json_or_yaml(client: TestClient) -> None:
    before = client.get("/v1/carriers/rate-cards").json()
    document = copy.deepcopy(SAMPLE_RATE_CARDS)

    first = client.put("/v1/carriers/rate-cards", json=document, params={"note": "2025 list"})
    document["carriers"][0]["services"][0]["fuel_surcharge_pct"] = 17.0
    second = client.put(
        "/v1/carriers/rate-cards", content=yaml.safe_dump(document), headers={"content-type": "application/yaml"}
    )

    assert (before["built_in"], before["version"]) == (True, None)
    assert (first.status_code, first.json()["version"], second.json()["version"]) == (200, 1, 2)
    current = client.get("/v1/carriers/rate-cards").json()
    assert current["document"]["carriers"][0]["services"][0]["fuel_surcharge_pct"] == 17.0
    assert client.get("/v1/carriers/rate-cards", params={"version": 1}).json()["note"] == "2025 list"
    assert client.get("/v1/carriers/rate-cards", params={"version": 9}).status_code == 404
    versions = client.get("/v1/carriers/rate-cards/versions").json()["data"]
    carriers = ["ups", "fedex", "usps", "dhl"]
    assert [(v["version"], v["carriers"]) for v in versions] == [(2, carriers), (1, carriers)]
    audit = client.get("/v1/audit", params={"entity": "rate_cards"}).json()["data"]
    assert [(a["action"], a["entity_id"]) for a in audit] == [("rate_cards.stored", "2"), ("rate_cards.stored", "1")]


def test_storing_rate_cards_takes_an_operator_or_admin(client: TestClient, ctx: AppContext) -> None:
    response = client.put("/v1/carriers/rate-cards", json=SAMPLE_RATE_CARDS, headers=key(ctx, Role.INTEGRATION))

    assert response.status_code == 403


def test_the_sourcing_fragment_is_one_card_per_service_level_with_surcharges_in(client: TestClient) -> None:
    body = client.get("/v1/carriers/rate-cards/sourcing").json()

    cards = {card["service_level"]: card for card in body["rate_cards"]}
    assert {"standard", "expedited", "*"} <= set(cards)
    assert cards["standard"]["weights"][0]["prices"][0] == round(10.20 * 1.1625, 2)  # UPS Ground, fuel included
    assert "max_km" not in cards["standard"]["zones"][-1]  # sourcing's last zone takes any distance


# --- rate shopping --------------------------------------------------------------------------------------


def test_a_quote_chooses_the_cheapest_service_that_meets_the_promise(client: TestClient) -> None:
    location(client, "NWK", NEWARK)
    chicago = {"postal_code": "60601", "country": "US", "lat": CHICAGO[0], "lon": CHICAGO[1]}
    wednesday_9am = "2025-03-05T14:00:00Z"
    body = {"from_location": "NWK", "ship_to": chicago, "packages": [{"weight_grams": 900}],
            "ready_at": wednesday_9am, "residential": True}  # fmt: skip

    relaxed = client.post("/v1/carriers/rates", json=body | {"promised_by": "2025-03-14"}).json()
    urgent = client.post("/v1/carriers/rates", json=body | {"promised_by": "2025-03-06"}).json()
    impossible = client.post("/v1/carriers/rates", json=body | {"promised_by": "2025-03-05"}).json()

    cheapest = min(relaxed["quotes"], key=lambda q: float(q["charges"]["total"]))
    assert relaxed["choice"] == cheapest and relaxed["late"] is False
    assert relaxed["rate_cards"] == {"version": None, "built_in": True}
    assert urgent["choice"]["delivery_date"] <= "2025-03-06" and urgent["late"] is False
    assert float(urgent["choice"]["charges"]["total"]) > float(cheapest["charges"]["total"])
    assert impossible["late"] is True and impossible["choice"]["days_late"] == 1  # next day is the fastest
    assert {u["carrier"] for u in relaxed["unavailable"]} == {"dhl"}


def test_a_quote_request_needs_one_origin_and_a_known_location(client: TestClient) -> None:
    to = {"postal_code": "60601", "country": "US"}

    neither = client.post("/v1/carriers/rates", json={"ship_to": to, "packages": [{"weight_grams": 100}]})
    unknown = client.post(
        "/v1/carriers/rates", json={"from_location": "NOPE", "ship_to": to, "packages": [{"weight_grams": 100}]}
    )

    assert neither.status_code == 422 and "from_location or ship_from" in neither.text
    assert unknown.status_code == 404 and "NOPE" in unknown.json()["detail"]


def test_a_fulfillment_order_is_quoted_from_its_location_with_its_units_weight(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 5)
    order = place(client, order_body("R-1", ("TEE", 3), to=CHICAGO, postal_code="60601"))
    fo_id = order["fulfillment_orders"][0]["id"]

    shop = client.get(f"/v1/fulfillment-orders/{fo_id}/rates", params={"service_level": "standard"}).json()

    assert {q["service"] for q in shop["quotes"]} == {"ground", "home_delivery", "ground_advantage"}
    assert {q["billable_grams"] for q in shop["quotes"]} == {1500}  # three 500 g units in one package
    assert shop["choice"]["charges"]["total"] == min(q["charges"]["total"] for q in shop["quotes"])
    assert client.get("/v1/fulfillment-orders/fo_nope/rates").status_code == 404


# --- tracking -------------------------------------------------------------------------------------------


def test_ups_events_move_the_shipment_to_delivered_and_deliver_the_fulfillment_order(client: TestClient) -> None:
    fo = shipped(client, "T-1", ("UPS", UPS_NUMBER))

    response = track(client, "ups", *UPS)

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results if r["changed"]] == ["in_transit", "out_for_delivery", "delivered"]
    assert results[-1]["fulfillment_order_status"] == "delivered"
    assert client.get(f"/v1/fulfillment-orders/{fo['id']}").json()["status"] == "delivered"
    assert client.get(f"/v1/orders/{fo['order_id']}").json()["status"] == "delivered"
    tracking = client.get(f"/v1/shipments/{fo['shipments'][0]['id']}/tracking").json()
    assert (tracking["status"], tracking["location"], len(tracking["events"])) == (
        "delivered", "New York NY 10016 US", 7,
    )  # fmt: skip
    assert feed_types(client, "ordermesh.shipment.") == [
        "ordermesh.shipment.in_transit", "ordermesh.shipment.out_for_delivery", "ordermesh.shipment.delivered",
    ]  # fmt: skip
    assert feed_types(client, "ordermesh.fulfillment_order.delivered") == ["ordermesh.fulfillment_order.delivered"]


def test_a_fulfillment_order_is_delivered_only_when_every_shipment_is(client: TestClient) -> None:
    fo = shipped(client, "T-2", ("UPS", "1ZAAA0000000000001"), ("UPS", "1ZAAA0000000000002"))
    delivered = {"status": "D", "event_time": "2025-03-04T14:22:00Z"}

    first = track(client, "ups", delivered | {"tracking_number": "1ZAAA0000000000001"}).json()["results"][0]
    second = track(client, "ups", delivered | {"tracking_number": "1ZAAA0000000000002"}).json()["results"][0]

    assert (first["status"], first["fulfillment_order_status"]) == ("delivered", "shipped")
    assert (second["status"], second["fulfillment_order_status"]) == ("delivered", "delivered")
    assert client.get(f"/v1/fulfillment-orders/{fo['id']}").json()["status"] == "delivered"


def test_the_same_event_twice_has_one_effect(client: TestClient) -> None:
    fo = shipped(client, "T-3", ("UPS", UPS_NUMBER))
    departed = UPS[3]

    first = track(client, "ups", departed).json()["results"][0]
    again = track(client, "ups", departed).json()["results"][0]

    assert (first["changed"], first["duplicate"]) == (True, False)
    assert (again["changed"], again["duplicate"], again["status"]) == (False, True, "in_transit")
    assert feed_types(client, "ordermesh.shipment.") == ["ordermesh.shipment.in_transit"]
    assert len(client.get(f"/v1/shipments/{fo['shipments'][0]['id']}/tracking").json()["events"]) == 1


def test_an_older_event_arriving_late_does_not_move_the_status_back(client: TestClient) -> None:
    fo = shipped(client, "T-4", ("UPS", UPS_NUMBER))
    track(client, "ups", UPS[-1])  # delivered

    late = track(client, "ups", UPS[5]).json()["results"][0]  # out for delivery, that morning

    assert (late["status"], late["changed"], late["duplicate"]) == ("delivered", False, False)
    tracking = client.get(f"/v1/shipments/{fo['shipments'][0]['id']}/tracking").json()
    assert tracking["status"] == "delivered"
    assert [e["changed_status"] for e in tracking["events"]] == [False, True]  # in event-time order


def test_an_unknown_tracking_number_is_404_naming_it_and_changes_nothing(client: TestClient) -> None:
    shipped(client, "T-5", ("UPS", UPS_NUMBER))

    response = track(client, "ups", UPS[6], UPS[6] | {"tracking_number": "1ZUNKNOWN"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "ups shipment with tracking number '1ZUNKNOWN' does not exist"
    assert feed_types(client, "ordermesh.shipment.") == []


def test_a_tracking_number_of_another_carrier_is_not_found(client: TestClient) -> None:
    shipped(client, "T-6", ("UPS", UPS_NUMBER))

    assert track(client, "fedex", {"tracking_number": UPS_NUMBER, "status": "DL",
                                   "event_time": "2025-03-04T14:22:00Z"}).status_code == 404  # fmt: skip


def test_an_unknown_carrier_status_is_422_naming_the_field(client: TestClient) -> None:
    shipped(client, "T-7", ("UPS", UPS_NUMBER))

    response = track(client, "ups", UPS[0], UPS[1] | {"status": "ZZ"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "updates", 1, "status"]
    assert "'ZZ' is not a ups status" in response.json()["detail"]


def test_a_malformed_update_is_422_naming_the_field(client: TestClient) -> None:
    response = track(client, "ups", {"tracking_number": UPS_NUMBER, "status": "D", "event_time": "yesterday"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "event_time"]


def test_an_easypost_failure_is_an_exception_operations_can_see(client: TestClient) -> None:
    fo = shipped(client, "T-8", ("USPS", USPS_NUMBER))

    response = track(client, "usps", *USPS)

    assert [r["status"] for r in response.json()["results"]] == [
        "label_created", "in_transit", "out_for_delivery", "exception",
    ]  # fmt: skip
    queue = client.get("/v1/carriers/tracking", params={"status": "exception"}).json()["data"]
    assert [(t["shipment_id"], t["exception_reason"]) for t in queue] == [
        (fo["shipments"][0]["id"], "delivery failure: address not found")
    ]
    event = next(
        e for e in client.get("/v1/events", params={"limit": 500}).json()["data"]
        if e["type"] == "ordermesh.shipment.exception"
    )  # fmt: skip
    assert event["data"]["carrier_status"] == "failure/address_not_found"
    assert client.get(f"/v1/fulfillment-orders/{fo['id']}").json()["status"] == "shipped"


@pytest.mark.parametrize(("role", "expected"), [(Role.VIEWER, 403), (Role.INTEGRATION, 200)])
def test_tracking_takes_a_key_that_may_fulfil(client: TestClient, ctx: AppContext, role: Role, expected: int) -> None:
    shipped(client, "T-9", ("UPS", UPS_NUMBER))

    response = track(client, "ups", UPS[3], headers=key(ctx, role))

    assert response.status_code == expected
    assert feed_types(client, "ordermesh.shipment.") == (["ordermesh.shipment.in_transit"] if expected == 200 else [])
