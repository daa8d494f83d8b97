"""Commercial invoices over HTTP: JSON and PDF, what is missing, domestic shipments, who may ask."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from ordermesh.config import Settings
from ordermesh.domain.access import Role
from ordermesh.entrypoints.api.app import create_app
from ordermesh.entrypoints.api.routers.customs import JSON, PDF, preferred
from ordermesh.services.access import create_api_key
from tests.builders import NEWARK, item, location, order_body, place, stock
from tests.conftest import ADMIN_KEY

PARIS = {"name": "Zoé Martin", "line1": "5 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """An admin client of an API whose company is configured for customs."""
    configured = settings.model_copy(update={
        "company_name": "Acme Apparel Inc.", "company_tax_ids": "EORI=US123456789000, EIN=12-3456789",
        "company_signatory": "Grace Hopper", "customs_ddp_countries": "GB", "customs_package_weight_grams": 300,
    })
    with TestClient(create_app(configured), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as test_client:
        yield test_client


def _network(client: TestClient, **cap: Any) -> None:
    item(client, "TEE", hs_code="6109.10.00", country_of_origin="PT")
    item(client, "CAP", **({"hs_code": "6505.00", "country_of_origin": "CN"} | cap))
    location(client, "NWK", NEWARK, country="US")
    stock(client, "NWK", "TEE", 10)
    stock(client, "NWK", "CAP", 10)


def _order_to(client: TestClient, external_id: str, ship_to: dict[str, Any]) -> dict[str, Any]:
    body = order_body(external_id, ("TEE", 2), ("CAP", 1))
    body["ship_to"] = ship_to
    body["lines"][1]["unit_price"] = "12.49"
    return place(client, body)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_proforma_for_an_order_shipping_abroad_states_every_line_as_json_and_as_pdf(client: TestClient) -> None:
    _network(client)
    fo_id = _order_to(client, "X-1", PARIS)["fulfillment_orders"][0]["id"]
    path = f"/v1/fulfillment-orders/{fo_id}/commercial-invoice"

    answer = client.get(path)
    negotiated = client.get(path, headers={"Accept": "application/pdf"})
    by_path = client.get(f"{path}.pdf")

    assert answer.status_code == 200, answer.text
    invoice = answer.json()
    assert (invoice["number"], invoice["kind"], invoice["currency"]) == (f"PF-{fo_id}", "proforma", "USD")
    assert (invoice["incoterm"], invoice["incoterm_place"], invoice["reason"]) == ("DAP", "Paris, FR", "sale")
    assert [(line["sku"], line["hs_code"], line["country_of_origin"], line["quantity"], line["unit_value"],
             line["value"], line["net_weight_kg"]) for line in invoice["lines"]] == [
        ("TEE", "61091000", "PT", 2, "10.00", "20.00", "1.000"),
        ("CAP", "650500", "CN", 1, "12.49", "12.49", "0.500"),
    ]
    assert invoice["totals"] == {
        "goods_value": "32.49", "discount": "0.00", "shipping": "5.00", "insurance": "0.00", "declared_value": "37.49",
        "units": 3, "packages": 1, "net_weight_kg": "1.500", "gross_weight_kg": "1.800",
    }
    assert invoice["exporter"]["name"] == "Acme Apparel Inc."
    assert invoice["exporter"]["tax_ids"] == [{"scheme": "EORI", "value": "US123456789000"},
                                              {"scheme": "EIN", "value": "12-3456789"}]
    assert (invoice["importer"]["name"], invoice["importer"]["email"]) == ("Zoé Martin", "ada@example.com")
    assert invoice["signatory"] == "Grace Hopper"
    for pdf in (negotiated, by_path):
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == f'inline; filename="PF-{fo_id}.pdf"'
        text = _text(pdf.content)
        for expected in ("PRO FORMA INVOICE", "61091000", "650500", "12.49", "37.49 USD", "Acme Apparel Inc.",
                         "EORI: US123456789000", "DAP Paris, FR", "Grace Hopper"):
            assert expected in text, expected


def test_a_shipments_invoice_states_what_that_shipment_carried(client: TestClient) -> None:
    _network(client)
    order = _order_to(client, "X-2", PARIS)
    fo_id, tee_line = order["fulfillment_orders"][0]["id"], order["lines"][0]["id"]
    shipped = client.post(f"/v1/fulfillment-orders/{fo_id}/ship", json={
        "carrier": "DHL", "tracking_number": "JD0140", "lines": [{"line_id": tee_line, "quantity": 1}]}).json()
    shipment_id = shipped["shipments"][0]["id"]

    answer = client.get(f"/v1/fulfillment-orders/{fo_id}/shipments/{shipment_id}/commercial-invoice",
                        params={"reason": "gift", "packages": 2, "insurance": "3.50", "incoterm": "DDP"})

    assert answer.status_code == 200, answer.text
    invoice = answer.json()
    assert (invoice["number"], invoice["kind"], invoice["reason"], invoice["incoterm"]) == (
        f"CI-{shipment_id}", "commercial", "gift", "DDP")
    assert [(line["sku"], line["quantity"]) for line in invoice["lines"]] == [("TEE", 1)]
    assert (invoice["references"]["carrier"], invoice["references"]["tracking_number"]) == ("DHL", "JD0140")
    totals = invoice["totals"]
    assert (totals["goods_value"], totals["insurance"], totals["packages"], totals["gross_weight_kg"]) == (
        "10.00", "3.50", 2, "1.100")
    assert totals["shipping"] == "1.54"  # 5.00 x 10.00 / 32.49: this shipment's share of the order's goods


def test_a_destination_configured_for_ddp_is_shipped_duties_paid_and_a_weighed_gross_weight_is_kept(
    client: TestClient,
) -> None:
    _network(client)
    london = {"name": "Ada King", "line1": "10 Downing St", "city": "London", "postal_code": "SW1A 2AA",
              "country": "GB"}
    fo_id = _order_to(client, "X-3", london)["fulfillment_orders"][0]["id"]
    path = f"/v1/fulfillment-orders/{fo_id}/commercial-invoice"

    invoice = client.get(path, params={"gross_weight_kg": "2.25"}).json()

    assert (invoice["incoterm"], invoice["incoterm_place"]) == ("DDP", "London, GB")
    assert invoice["totals"]["gross_weight_kg"] == "2.250"  # as weighed, not net plus packaging


def test_an_item_without_an_hs_code_is_a_422_naming_the_line_and_nothing_is_issued(client: TestClient) -> None:
    _network(client, hs_code=None)
    fo_id = _order_to(client, "X-4", PARIS)["fulfillment_orders"][0]["id"]
    path = f"/v1/fulfillment-orders/{fo_id}/commercial-invoice"

    for answer in (client.get(path), client.get(f"{path}.pdf")):
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["type"] == "/problems/customs-data-missing"
        assert problem["errors"] == [{"loc": ["lines", 1, "hs_code"], "path": "lines[1].hs_code",
                                      "msg": "item 'CAP' has no HS code (attribute 'hs_code')"}]


def test_a_shipment_within_the_country_is_a_409_unless_an_invoice_is_forced(client: TestClient) -> None:
    _network(client)
    fo_id = place(client, order_body("X-5", ("TEE", 1)))["fulfillment_orders"][0]["id"]
    path = f"/v1/fulfillment-orders/{fo_id}/commercial-invoice"

    refused = client.get(path)
    forced = client.get(path, params={"force": "true"})

    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/customs-not-required"
    assert refused.json()["detail"].endswith("same country (US): customs needs no commercial invoice; "
                                             "ask with force=true to issue one anyway")
    assert forced.status_code == 200
    assert forced.json()["importer"]["address"]["country"] == "US"


def test_only_keys_that_may_fulfil_get_an_invoice(client: TestClient) -> None:
    _network(client)
    fo_id = _order_to(client, "X-6", PARIS)["fulfillment_orders"][0]["id"]
    ctx = client.app.state.context  # type: ignore[attr-defined]
    keys = {role: create_api_key(ctx, name=f"{role} key", role=role)[1] for role in (Role.VIEWER, Role.INTEGRATION)}

    def ask(role: Role, suffix: str = "") -> int:
        headers = {"Authorization": f"Bearer {keys[role]}"}
        return client.get(f"/v1/fulfillment-orders/{fo_id}/commercial-invoice{suffix}", headers=headers).status_code

    assert (ask(Role.VIEWER), ask(Role.VIEWER, ".pdf")) == (403, 403)
    assert (ask(Role.INTEGRATION), ask(Role.INTEGRATION, ".pdf")) == (200, 200)


def test_unknown_documents_bad_options_and_unacceptable_types_get_clear_answers(client: TestClient) -> None:
    _network(client)
    fo_id = _order_to(client, "X-7", PARIS)["fulfillment_orders"][0]["id"]
    path = f"/v1/fulfillment-orders/{fo_id}/commercial-invoice"

    unknown_fo = client.get("/v1/fulfillment-orders/fo_nope/commercial-invoice")
    unknown_shipment = client.get(f"/v1/fulfillment-orders/{fo_id}/shipments/shp_nope/commercial-invoice")
    bad_incoterm = client.get(path, params={"incoterm": "XYZ", "packages": 0})
    html_only = client.get(path, headers={"Accept": "text/html"})

    assert (unknown_fo.status_code, unknown_shipment.status_code) == (404, 404)
    assert bad_incoterm.status_code == 422
    assert [error["loc"] for error in bad_incoterm.json()["errors"]] == [["query", "incoterm"], ["query", "packages"]]
    assert html_only.status_code == 406


@pytest.mark.parametrize(("accept", "served"), [
    (None, JSON), ("*/*", JSON), ("application/json", JSON), ("application/pdf", PDF),
    ("application/pdf, */*;q=0.8", PDF), ("application/json;q=0.5, application/pdf", PDF),
    ("application/pdf;q=0.2, application/json", JSON), ("application/*", JSON), ("application/pdf, */*", PDF),
    ("text/html", None), ("application/pdf;q=0, text/html", None),
])
def test_the_accept_header_chooses_between_json_and_pdf(accept: str | None, served: str | None) -> None:
    assert preferred(accept) == served
