"""Reconciliation over the API: a warehouse's count against what Ordermesh had at that moment, drop-ship invoices
against their purchase orders, each discrepancy with its evidence; the report as JSON and as CSV."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ordermesh.domain.edi.inventory_advice import InventoryAdvice, StockItem, inventory_advice_set
from ordermesh.domain.edi.invoice import Invoice, InvoiceLine, invoice_set
from ordermesh.domain.edi.products import ProductIds
from ordermesh.domain.edi.ship_notice import Pack, ShipNotice, ShippedItem, ship_notice_set
from ordermesh.services.context import AppContext
from tests.e2e.test_dropship_edi_api import from_vendor, vendor  # noqa: F401 (the fixture)
from tests.e2e.test_edi_api import dirs, from_warehouse, inbound, network  # noqa: F401 (the fixtures)
from tests.e2e.test_erp_handoff_api import add_erp, directory, order, round_of, ship  # noqa: F401 (order: a fixture)


def reconcile(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/reconciliation/runs", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_warehouse_count_is_compared_with_what_ordermesh_had_when_it_counted(
    client: TestClient,
    network: dict[str, Any],  # noqa: F811 (the fixture)
) -> None:
    time.sleep(1.1)  # the count is taken after the stock was recorded (to the second, as X12 times go)
    counted_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    counts = inventory_advice_set(
        InventoryAdvice("INV-9", counted_at, (StockItem("TEE", on_hand=17), StockItem("MUG", on_hand=5)))
    )
    assert inbound(client, from_warehouse(counts, interchange=801)).status_code == 200

    strict = reconcile(client, checks=["inventory"])
    lenient = reconcile(client, checks=["inventory"], tolerances={"units": 3})

    assert strict["status"] == "done"
    (gap,) = strict["discrepancies"]
    assert (gap["subject"], gap["expected"], gap["actual"], gap["difference"]) == ("NWK/TEE", "20", "17", "-3")
    assert gap["evidence"]["as_of"].startswith(counted_at.isoformat())
    assert strict["summary"]["inventory"]["skus_compared"] == 2
    assert lenient["discrepancies"] == []
    assert client.get("/v1/inventory/NWK/TEE").json()["on_hand"] == 17  # the count itself was applied


def test_vendor_invoices_are_compared_with_what_was_shipped_at_the_po_price(
    client: TestClient,
    vendor: dict[str, Any],  # noqa: F811 (the fixture)
) -> None:
    fo_id = vendor["fo"]["id"]
    items = (ShippedItem("1", ProductIds("LAMP"), 2, 2), ShippedItem("2", ProductIds("SHADE"), 1, 1))
    notice = ShipNotice("ASN-1", datetime(2026, 11, 27, 16, 0), fo_id, (Pack("1Z1", items),))
    assert client.post("/v1/edi/inbound", content=from_vendor(ship_notice_set(notice), 41)).status_code == 200

    nothing_yet = reconcile(client, checks=["vendor_invoices"], tolerances={"invoice_grace_days": 0})
    over = Invoice("INV-5", date(2026, 11, 28), fo_id,
                   (InvoiceLine("1", ProductIds("LAMP"), 2, Decimal("33.00")),
                    InvoiceLine("2", ProductIds("SHADE"), 1, Decimal("10.00"))), Decimal("76.00"))  # fmt: skip
    assert client.post("/v1/edi/inbound", content=from_vendor(invoice_set(over), 42)).status_code == 200
    invoiced = reconcile(client, checks=["vendor_invoices"])
    report = client.get(f"/v1/reconciliation/runs/{invoiced['id']}", params={"format": "csv"})

    (missing,) = nothing_yet["discrepancies"]
    assert (missing["subject"], missing["expected"], missing["detail"]) == (
        fo_id,
        "73.00",
        "shipped but not invoiced within the grace period",
    )
    amounts, disputed = invoiced["discrepancies"]
    assert (amounts["expected"], amounts["actual"], amounts["difference"]) == ("73.00", "76.00", "3.00")
    assert "invoice INV-5 disputed" in disputed["detail"]
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [(r["check"], r["subject"], r["difference"]) for r in rows] == [
        ("vendor_invoices", fo_id, "3.00"),
        ("vendor_invoices", fo_id, ""),  # the disputed invoice: its differences are in the detail
    ]
    listed = client.get("/v1/reconciliation/runs").json()["data"]
    assert [r["id"] for r in listed] == [invoiced["id"], nothing_yet["id"]]


def test_bad_requests_are_named(client: TestClient) -> None:
    unknown_check = client.post("/v1/reconciliation/runs", json={"checks": ["taxes"]})
    negative = client.post("/v1/reconciliation/runs", json={"tolerances": {"units": -1}})
    missing = client.get("/v1/reconciliation/runs/rec_NOPE")

    assert unknown_check.status_code == 422 and "checks" in unknown_check.text
    assert negative.status_code == 422 and "units" in negative.text
    assert missing.status_code == 404


def test_shipments_are_checked_against_the_invoices_handed_to_the_erp_and_its_acknowledgements(
    client: TestClient,
    ctx: AppContext,
    order: dict[str, Any],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    partner = add_erp(client, "Ledger", directory(tmp_path, "erp", "json"))
    ship(client, order, "1Z1", "TEE", 1)
    ship(client, order, "1Z2", "TEE", 1)
    round_of(ctx)  # two invoices written and delivered
    invoices = sorted(p.stem for p in (tmp_path / "erp" / "out").glob("INV-*.json"))
    accepted = {"document_number": invoices[0], "status": "accepted", "erp_reference": "FI-1"}
    refused = {"document_number": invoices[1], "status": "rejected", "message": "customer account blocked"}
    assert client.post(f"/v1/partners/{partner}/acknowledgements", json=accepted).status_code == 200
    assert client.post(f"/v1/partners/{partner}/acknowledgements", json=refused).status_code == 200
    ship(client, order, "1Z3", "MUG", 1)  # no worker round after it: not handed over yet

    run = reconcile(client, checks=["erp"], tolerances={"invoice_grace_days": 0})

    assert run["summary"]["erp"]["shipments_checked"] == 3
    details = sorted(d["detail"] for d in run["discrepancies"])
    assert details == [
        "Ledger: no invoice was handed over for the shipment",
        f"Ledger: the ERP refused invoice {invoices[1]}: customer account blocked",
    ]
