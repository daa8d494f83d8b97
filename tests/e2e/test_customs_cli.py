"""`ordermesh customs invoice`, run as a real subprocess against a SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

from pypdf import PdfReader

from ordermesh.adapters.db.migrate import upgrade
from ordermesh.bootstrap import build
from ordermesh.config import Settings
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.services import catalog, inventory, orders
from ordermesh.services.commands import CreateItem, CreateLocation, SetStock
from tests.builders import capture_command

ORDERMESH = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "ordermesh"
LYON = Address(name="Zoé Martin", line1="2 Quai Saint-Antoine", city="Lyon", postal_code="69002", country="FR")


def _fulfilment_order_to_lyon(url: str, *, hs_code: str | None) -> str:
    """A US warehouse, two items (the mug's HS code as given) and an order for both shipping to Lyon."""
    upgrade(url)
    runtime = build(Settings(database_url=url))
    try:
        ctx = runtime.context
        for sku, code in (("TEE", "6109.10"), ("MUG", hs_code)):
            attributes = {"country_of_origin": "PT"} | ({"hs_code": code} if code else {})
            catalog.create_item(ctx, command=CreateItem(sku, f"Item {sku}", 250, attributes), actor=SYSTEM)
        address = Address(line1="1 Dock Rd", city="Newark", country="US", lat=40.7357, lon=-74.1724)
        catalog.create_location(
            ctx, command=CreateLocation("NWK", "Newark DC", LocationType.WAREHOUSE, address,
                                        frozenset({Capability.SHIP})), actor=SYSTEM,
        )
        for sku in ("TEE", "MUG"):
            inventory.set_stock(ctx, command=SetStock("NWK", sku, 5), actor=SYSTEM)
        command = replace(capture_command("L-1", ("MUG", 2, "8.50"), ("TEE", 1, "19.99")), ship_to=LYON)
        order, _ = orders.capture_order(ctx, command=command, actor=SYSTEM)
    finally:
        runtime.close()
    return order.fulfillment_orders[0].id


def _customs(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ORDERMESH_DATABASE_URL": url, "ORDERMESH_COMPANY_NAME": "Acme Apparel Inc.",
           "ORDERMESH_COMPANY_TAX_IDS": "EORI=US123456789000"}
    return subprocess.run([str(ORDERMESH), "customs", "invoice", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_invoice_prints_as_json_and_is_written_as_pdf(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ordermesh.db'}"
    fo_id = _fulfilment_order_to_lyon(url, hs_code="6912.00")

    result = _customs(url, fo_id, "--pdf", "invoice.pdf", "--reason", "sample", "--gross-weight-kg", "0.9",
                      cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    invoice = json.loads(result.stdout)
    assert [(line["sku"], line["hs_code"], line["value"]) for line in invoice["lines"]] == [
        ("MUG", "691200", "17.00"), ("TEE", "610910", "19.99")]
    assert (invoice["exporter"]["name"], invoice["reason"], invoice["totals"]["goods_value"]) == (
        "Acme Apparel Inc.", "sample", "36.99")
    assert invoice["totals"]["gross_weight_kg"] == "0.900"
    text = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "invoice.pdf").pages)
    assert all(expected in text for expected in ("691200", "610910", "36.99 USD", "EORI: US123456789000", "Sample"))


def test_what_the_invoice_cannot_state_is_named_and_the_exit_status_is_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ordermesh.db'}"
    fo_id = _fulfilment_order_to_lyon(url, hs_code=None)

    result = _customs(url, fo_id, "--pdf", "invoice.pdf", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.strip() == "lines[0].hs_code: item 'MUG' has no HS code (attribute 'hs_code')"
    assert result.stdout == ""
    assert not (tmp_path / "invoice.pdf").exists()
