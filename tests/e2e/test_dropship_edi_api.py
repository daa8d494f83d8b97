"""Drop-ship vendors over X12: released work goes out as an 850; the vendor's 855 accepts it or gives rejected
lines back to be sourced elsewhere; its 856 ships it with tracking; its 810 is recorded against the purchase order
and price or quantity differences are listed for a person."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordermesh.adapters.edi.directory import DirectoryTransport
from ordermesh.domain.edi import (
    ControlNumbers,
    Delimiters,
    TradingIdentity,
    TransactionSet,
    X12Version,
    envelope,
    read_interchange,
    write_interchange,
)
from ordermesh.domain.edi.invoice import Invoice, InvoiceLine, invoice_set
from ordermesh.domain.edi.parties import Carrier
from ordermesh.domain.edi.products import ProductIds
from ordermesh.domain.edi.purchase_order import PurchaseOrderLine, read_purchase_order
from ordermesh.domain.edi.purchase_order_ack import (
    AcknowledgedLine,
    LineStatus,
    PurchaseOrderAcknowledgement,
    purchase_order_ack_set,
)
from ordermesh.domain.edi.ship_notice import Pack, ShipNotice, ShippedItem, ship_notice_set
from ordermesh.services.context import AppContext
from ordermesh.services.edi_exchange import PartnerExchange
from tests.builders import CHICAGO, NEWARK, item, location, order_body, place, stock

VENDOR = TradingIdentity("12", "8005551234", "GLOBEX")
ORDERMESH = TradingIdentity("ZZ", "ORDERMESH", "ORDERMESH")


@pytest.fixture
def vendor(client: TestClient, ctx: AppContext, tmp_path: Path) -> dict[str, Any]:
    """A drop-ship vendor (Globex) with an order sourced to it (it alone had stock), and a Chicago warehouse that
    has received stock since (where rejected work goes)."""
    item(client, "LAMP", cost="31.50")
    item(client, "SHADE")
    location(client, "GLOBEX", NEWARK, type="dropship_vendor")
    location(client, "CHI", CHICAGO)
    stock(client, "GLOBEX", "LAMP", 100)
    stock(client, "GLOBEX", "SHADE", 100)
    body = {
        "name": "Globex Lighting", "kind": "dropship_vendor", "protocol": "x12", "locations": ["GLOBEX"],
        "x12": {"partner": {"qualifier": "12", "id": "8005551234", "application_code": "GLOBEX"},
                "ours": {"qualifier": "ZZ", "id": "ORDERMESH", "application_code": "ORDERMESH"}, "version": "5010"},
        "transport": {"kind": "directory", "inbound": str(tmp_path / "in"), "outbound": str(tmp_path / "out")},
    }  # fmt: skip
    assert client.post("/v1/partners", json=body).status_code == 201
    order = place(client, order_body("D-1", ("LAMP", 2), ("SHADE", 1)))
    (fo,) = order["fulfillment_orders"]
    assert fo["location"] == "GLOBEX"
    stock(client, "CHI", "LAMP", 5)
    stock(client, "CHI", "SHADE", 5)
    PartnerExchange(ctx, {"directory": DirectoryTransport()}, release_delay=timedelta(0), every_seconds=0).run_round()
    (sent,) = (tmp_path / "out").glob("850_*.x12")
    return {"order": order, "fo": fo, "850": sent}


def from_vendor(ts: TransactionSet, number: int) -> str:
    made = envelope(
        [ts], sender=VENDOR, receiver=ORDERMESH, numbers=ControlNumbers(number, number, number),
        version=X12Version.V5010, prepared_at=datetime(2026, 11, 27, 17, 0), delimiters=Delimiters(),
    )  # fmt: skip
    return write_interchange(made, line_break="\n")


def inbound(client: TestClient, text: str) -> Any:
    return client.post("/v1/edi/inbound", content=text.encode(), headers={"content-type": "application/edi-x12"})


def acknowledgement(fo_id: str, *statuses: tuple[str, str, int, str]) -> TransactionSet:
    lines = tuple(
        AcknowledgedLine(PurchaseOrderLine(n, ProductIds(sku), qty, Decimal("31.50")), (LineStatus(status, qty),))
        for n, sku, qty, status in statuses
    )
    return purchase_order_ack_set(PurchaseOrderAcknowledgement(fo_id, date(2026, 11, 27), "AC", lines))


def test_released_drop_ship_work_goes_out_as_an_850_priced_at_the_items_cost(vendor: dict[str, Any]) -> None:
    interchange = read_interchange(vendor["850"].read_text())
    purchase_order = read_purchase_order(interchange.groups[0].sets[0])

    assert interchange.all_problems == ()
    assert interchange.receiver_id == "8005551234" and interchange.version == X12Version.V5010
    assert purchase_order.po_number == vendor["fo"]["id"]
    assert [(x.product.sku, x.quantity, x.unit_price) for x in purchase_order.lines] == [
        ("LAMP", 2, Decimal("31.50")),  # the item's cost
        ("SHADE", 1, Decimal("10.00")),  # no cost attribute: the order's price
    ]
    assert purchase_order.ship_to.name == "Ada Lovelace"


def test_an_855_accepting_every_line_accepts_the_fulfilment_order(client: TestClient, vendor: dict[str, Any]) -> None:
    fo_id = vendor["fo"]["id"]
    ack = acknowledgement(fo_id, ("1", "LAMP", 2, "IA"), ("2", "SHADE", 1, "IA"))

    response = inbound(client, from_vendor(ack, 11))

    assert response.status_code == 200, response.text
    assert client.get(f"/v1/fulfillment-orders/{fo_id}").json()["status"] == "accepted"


def test_an_855_rejecting_a_line_keeps_the_rest_with_the_vendor_and_sources_that_line_elsewhere(
    client: TestClient, vendor: dict[str, Any]
) -> None:
    fo_id = vendor["fo"]["id"]
    ack = acknowledgement(fo_id, ("1", "LAMP", 2, "IA"), ("2", "SHADE", 1, "IR"))

    response = inbound(client, from_vendor(ack, 12))

    assert response.status_code == 200, response.text
    kept = client.get(f"/v1/fulfillment-orders/{fo_id}").json()
    assert kept["status"] == "accepted"
    assert [(x["sku"], x["quantity"]) for x in kept["lines"]] == [("LAMP", 2), ("SHADE", 0)]
    order = client.get(f"/v1/orders/{vendor['order']['id']}").json()
    elsewhere = [fo for fo in order["fulfillment_orders"] if fo["id"] != fo_id]
    assert [(fo["location"], fo["status"]) for fo in elsewhere] == [("GLOBEX", "rejected"), ("CHI", "open")]
    assert [(x["sku"], x["quantity"]) for x in elsewhere[1]["lines"]] == [("SHADE", 1)]
    assert client.get("/v1/inventory/GLOBEX/SHADE").json()["reserved"] == 0
    assert client.get("/v1/inventory/GLOBEX/LAMP").json()["reserved"] == 2
    (document,) = response.json()["documents"]
    full = client.get(f"/v1/edi/documents/{document['id']}").json()
    assert full["parsed"]["rejected"] == {"SHADE": 1}


def test_an_855_rejecting_every_line_gives_all_the_work_back(client: TestClient, vendor: dict[str, Any]) -> None:
    fo_id = vendor["fo"]["id"]
    ack = acknowledgement(fo_id, ("1", "LAMP", 2, "IR"), ("2", "SHADE", 1, "IR"))

    assert inbound(client, from_vendor(ack, 13)).status_code == 200

    assert client.get(f"/v1/fulfillment-orders/{fo_id}").json()["status"] == "rejected"
    order = client.get(f"/v1/orders/{vendor['order']['id']}").json()
    assert [fo["location"] for fo in order["fulfillment_orders"] if fo["id"] != fo_id] == ["CHI"]


def test_an_856_ships_it_and_an_810_is_recorded_with_its_differences(
    client: TestClient, vendor: dict[str, Any]
) -> None:
    fo_id = vendor["fo"]["id"]
    items = (ShippedItem("1", ProductIds("LAMP"), 2, 2), ShippedItem("2", ProductIds("SHADE"), 1, 1))
    notice = ShipNotice(
        "ASN-7781", datetime(2026, 11, 27, 16, 40), fo_id, (Pack("1Z999AA10123456784", items),),
        carrier=Carrier("UPSN", "GROUND"),
    )  # fmt: skip
    fair = Invoice("INV-1001", date(2026, 11, 28), fo_id,
                   (InvoiceLine("1", ProductIds("LAMP"), 2, Decimal("31.50")),
                    InvoiceLine("2", ProductIds("SHADE"), 1, Decimal("10.00"))), Decimal("73.00"))  # fmt: skip
    greedy = Invoice("INV-1002", date(2026, 11, 28), fo_id,
                     (InvoiceLine("1", ProductIds("LAMP"), 3, Decimal("33.00")),), Decimal("99.00"))  # fmt: skip

    shipped = inbound(client, from_vendor(ship_notice_set(notice), 21))
    invoiced = inbound(client, from_vendor(invoice_set(fair), 22))
    disputed = inbound(client, from_vendor(invoice_set(greedy), 23))

    assert shipped.status_code == 200, shipped.text
    fo = client.get(f"/v1/fulfillment-orders/{fo_id}").json()
    assert fo["status"] == "shipped"
    assert invoiced.json()["documents"][0]["status"] == "applied"
    (document,) = disputed.json()["documents"]
    assert document["status"] == "disputed"
    assert [(e["segment"], e["element"]) for e in document["errors"]] == [("IT1", 4), ("IT1", 2)]
    assert "invoiced 33.00 a unit, ordered at 31.50" in document["errors"][0]["message"]
    listed = client.get("/v1/edi/documents", params={"status": "disputed"}).json()["data"]
    assert [d["reference"] for d in listed] == ["INV-1002"]


def test_an_810_for_a_purchase_order_never_sent_is_not_applied(client: TestClient, vendor: dict[str, Any]) -> None:
    stray = Invoice("INV-9", date(2026, 11, 28), "fo_UNKNOWN", (InvoiceLine("1", ProductIds("LAMP"), 1, Decimal("1")),),
                    Decimal("1"))  # fmt: skip

    response = inbound(client, from_vendor(invoice_set(stray), 31))

    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["segment"], error["element"]) == ("BIG", 4)
    assert "fo_UNKNOWN" in error["message"]
