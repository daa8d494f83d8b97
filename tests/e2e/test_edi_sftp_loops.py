"""The EDI loops end to end over SFTP, against a real SFTP server on loopback, with the worker's exchange as the
composition root wires it: a warehouse takes our 940 from the server, answers with a 945 and a 997, and the order
ships; a drop-ship vendor takes our 850s, rejects a line of one (the work is sourced elsewhere), accepts the other,
ships it with an 856 and invoices it with an 810. The test plays the partner on the server's side, reading what we
wrote with our parsers and writing what the partner would with our mappers."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordermesh.bootstrap import build
from ordermesh.config import Settings
from ordermesh.domain.edi import (
    ControlNumbers,
    Delimiters,
    Interchange,
    TradingIdentity,
    TransactionSet,
    X12Version,
    envelope,
    read_interchange,
    write_interchange,
)
from ordermesh.domain.edi.acknowledgement import Verdict, acknowledge, acknowledgement_set, read_acknowledgement
from ordermesh.domain.edi.invoice import Invoice, InvoiceLine, invoice_set
from ordermesh.domain.edi.parties import Carrier
from ordermesh.domain.edi.purchase_order import PurchaseOrder, read_purchase_order
from ordermesh.domain.edi.purchase_order_ack import (
    AcknowledgedLine,
    LineStatus,
    PurchaseOrderAcknowledgement,
    purchase_order_ack_set,
)
from ordermesh.domain.edi.ship_notice import Pack, ShipNotice, ShippedItem, ship_notice_set
from ordermesh.domain.edi.shipping_advice import ShippedLine, ShippingAdvice, shipping_advice_set
from ordermesh.domain.edi.shipping_order import read_shipping_order
from ordermesh.services.edi_exchange import PartnerExchange
from tests.builders import CHICAGO, NEWARK, item, location, order_body, place, stock
from tests.sftp_server import SftpServer, sftp_server

ORDERMESH = TradingIdentity("ZZ", "ORDERMESH", "ORDERMESH")
WAREHOUSE = TradingIdentity("ZZ", "ACMEWMS", "ACMEWMS")
VENDOR = TradingIdentity("12", "8005551234", "GLOBEX")
_mtimes = itertools.count(1_800_000_000)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SftpServer]:
    with sftp_server(tmp_path / "sftp-root") as running:
        for folder in ("from-partner", "to-partner"):
            (running.root / folder).mkdir()
        yield running


@pytest.fixture
def exchange(settings: Settings) -> Iterator[PartnerExchange]:
    """The worker's exchange as the composition root builds it, releasing work at once."""
    runtime = build(settings.model_copy(update={"release_delay_seconds": 0.0}))
    try:
        assert runtime.partners is not None
        yield runtime.partners
    finally:
        runtime.close()


def sftp_partner(server: SftpServer, **profile: Any) -> dict[str, Any]:
    transport = {
        "kind": "sftp", "host": "127.0.0.1", "port": server.port, "username": server.username,
        "host_key": server.host_key, "inbound": "/from-partner", "outbound": "/to-partner",
    }  # fmt: skip
    return {"protocol": "x12", "transport": transport} | profile


def x12(partner: TradingIdentity, version: str) -> dict[str, Any]:
    def identity(x: TradingIdentity) -> dict[str, str]:
        return {"qualifier": x.qualifier, "id": x.id, "application_code": x.application_code}

    return {"partner": identity(partner), "ours": identity(ORDERMESH), "version": version, "line_break": "\n"}


def sent(server: SftpServer, code: str) -> list[Path]:
    """The documents of a type we delivered to the server, oldest first."""
    return sorted((server.root / "to-partner").glob(f"{code}_*.x12"), key=lambda p: p.stat().st_mtime_ns)


def read(path: Path) -> Interchange:
    interchange = read_interchange(path.read_text(encoding="latin-1"))
    assert interchange.all_problems == ()
    return interchange


def drop(server: SftpServer, name: str, text: str) -> None:
    """Leave a document in the server's inbound folder, as the partner uploads it (each one later than the last)."""
    path = server.root / "from-partner" / name
    path.write_text(text, encoding="latin-1")
    stamp = next(_mtimes)
    os.utime(path, (stamp, stamp))


def enveloped(ts: TransactionSet, *, sender: TradingIdentity, number: int, version: X12Version) -> str:
    made = envelope(
        [ts], sender=sender, receiver=ORDERMESH, numbers=ControlNumbers(number, number, number), version=version,
        prepared_at=datetime(2026, 11, 27, 15, 30),
        delimiters=Delimiters("*", "~", ">", None if version is X12Version.V4010 else "^"),
    )  # fmt: skip
    return write_interchange(made, line_break="\r\n")


def our_answer_to(server: SftpServer, group: int) -> Any:
    """Our 997 on the server answering the partner's group `group`."""
    for path in sent(server, "997"):
        ack = read_acknowledgement(read(path).groups[0].sets[0])
        if ack.group_control_number == group:
            return ack
    raise AssertionError(f"no 997 for group {group} among {[p.name for p in sent(server, '997')]}")


def documents(client: TestClient, **filters: str) -> list[dict[str, Any]]:
    response = client.get("/v1/edi/documents", params={"limit": 200, **filters})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def on_hand(client: TestClient, location_code: str, sku: str) -> int:
    return int(client.get(f"/v1/inventory/{location_code}/{sku}").json()["on_hand"])


def fulfilment_status(client: TestClient, fo_id: str) -> str:
    return str(client.get(f"/v1/fulfillment-orders/{fo_id}").json()["status"])


def test_the_warehouse_loop_940_out_945_and_997_back_over_sftp_then_invoiced_to_the_erp(
    client: TestClient, exchange: PartnerExchange, server: SftpServer, tmp_path: Path
) -> None:
    for sku in ("TEE", "MUG"):
        item(client, sku)
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 20)
    stock(client, "NWK", "MUG", 5)
    profile = sftp_partner(server, name="Acme WMS", kind="wms", x12=x12(WAREHOUSE, "4010"), locations=["NWK"])
    partner = client.post("/v1/partners", json=profile | {"secrets": {"password": server.password}})
    assert partner.status_code == 201, partner.text
    ledger = tmp_path / "erp"
    books = {"kind": "directory", "inbound": str(ledger / "in"), "outbound": str(ledger / "out")}
    erp = {"name": "Ledger", "kind": "erp", "protocol": "json", "transport": books}
    assert client.post("/v1/partners", json=erp).status_code == 201
    (fo,) = place(client, order_body("W-1", ("TEE", 2), ("MUG", 1)))["fulfillment_orders"]

    # Our round: the released fulfilment order goes out as a 940 and lands on the warehouse's server.
    exchange.run_round(force=True)
    (file_940,) = sent(server, "940")
    ours = read(file_940)
    shipping_order = read_shipping_order(ours.groups[0].sets[0])
    assert shipping_order.fulfillment_order_id == fo["id"]
    assert [(line.sku, line.quantity) for line in shipping_order.lines] == [("TEE", 2), ("MUG", 1)]

    # The warehouse answers our 940 with a 997 and ships it all with a 945.
    their_997 = acknowledgement_set(acknowledge(ours.groups[0]), X12Version.V4010)
    shipped = ShippingAdvice(
        fulfillment_order_id=shipping_order.fulfillment_order_id, shipped_on=date(2026, 11, 27),
        lines=tuple(ShippedLine(x.line_number, x.sku, x.quantity, ordered=x.quantity) for x in shipping_order.lines),
        shipment_id="SHP-88231", carrier=Carrier("UPSN", "1Z999AA10123456784"),
    )  # fmt: skip
    file_945 = enveloped(shipping_advice_set(shipped), sender=WAREHOUSE, number=501, version=X12Version.V4010)
    drop(server, "997_0001.edi", enveloped(their_997, sender=WAREHOUSE, number=500, version=X12Version.V4010))
    drop(server, "945_0001.edi", file_945)

    # Our next round takes both in: shipped, our 940 accepted, and our 997 for their 945 on the server.
    exchange.run_round(force=True)
    assert fulfilment_status(client, fo["id"]) == "shipped"
    assert (on_hand(client, "NWK", "TEE"), on_hand(client, "NWK", "MUG")) == (18, 4)
    (document_940,) = documents(client, direction="out", type="940")
    assert document_940["status"] == "accepted"
    (document_945,) = documents(client, direction="in", type="945")
    assert (document_945["status"], document_945["reference"]) == ("applied", "SHP-88231")
    answer = our_answer_to(server, 501)
    assert (answer.verdict, [(s.code, s.verdict) for s in answer.sets]) == (
        Verdict.ACCEPTED, [("945", Verdict.ACCEPTED)]
    )  # fmt: skip
    assert [d["status"] for d in documents(client, direction="out", type="997")] == ["sent"]
    # ... and the same round invoiced the shipment to the ERP.
    (invoice_file,) = (ledger / "out").glob("INV-*.json")
    invoice = json.loads(invoice_file.read_text())
    assert (invoice["document_type"], invoice["shipment"]["id"]) == ("invoice", document_945_shipment(client))
    assert sorted((x["sku"], x["quantity"]) for x in invoice["lines"]) == [("MUG", 1), ("TEE", 2)]
    assert sorted(p.name for p in (server.root / "from-partner").iterdir()) == ["processed"]
    assert sorted(p.name for p in (server.root / "from-partner" / "processed").iterdir()) == [
        "945_0001.edi", "997_0001.edi"
    ]  # fmt: skip

    # The warehouse uploads the same 945 again: nothing changes, nothing more is said.
    log_before, files_before = documents(client), sorted(p.name for p in (server.root / "to-partner").iterdir())
    drop(server, "945_0001.edi", file_945)
    exchange.run_round(force=True)
    assert documents(client) == log_before
    assert sorted(p.name for p in (server.root / "to-partner").iterdir()) == files_before
    assert (on_hand(client, "NWK", "TEE"), on_hand(client, "NWK", "MUG")) == (18, 4)
    assert fulfilment_status(client, fo["id"]) == "shipped"
    shown = client.get(f"/v1/partners/{partner.json()['id']}")
    assert shown.json()["transport"]["host_key"] == server.host_key and shown.json()["secrets"] == ["password"]
    assert server.password not in shown.text


def vendor_acknowledges(po: PurchaseOrder, *, rejecting: str | None = None) -> TransactionSet:
    lines = tuple(
        AcknowledgedLine(line, (LineStatus("IR" if line.product.sku == rejecting else "IA", line.quantity),))
        for line in po.lines
    )
    code = "RD" if rejecting else "AC"  # accepted with changes, or accepted
    return purchase_order_ack_set(PurchaseOrderAcknowledgement(po.po_number, date(2026, 11, 27), code, lines))


def from_vendor(ts: TransactionSet, number: int) -> str:
    return enveloped(ts, sender=VENDOR, number=number, version=X12Version.V5010)


def document_945_shipment(client: TestClient) -> str:
    """The shipment the warehouse's 945 made (the fulfilment order's only one)."""
    (fo,) = client.get("/v1/fulfillment-orders", params={"status": "shipped"}).json()["data"]
    return str(fo["shipments"][0]["id"])


def test_the_drop_ship_loop_850_855_856_810_over_sftp(
    client: TestClient, exchange: PartnerExchange, server: SftpServer
) -> None:
    item(client, "LAMP", cost="31.50")
    item(client, "SHADE")
    item(client, "BULB", cost="2.25")
    location(client, "GLOBEX", NEWARK, type="dropship_vendor")
    location(client, "CHI", CHICAGO)
    for sku in ("LAMP", "SHADE", "BULB"):
        stock(client, "GLOBEX", sku, 100)
    profile = sftp_partner(
        server, name="Globex Lighting", kind="dropship_vendor", x12=x12(VENDOR, "5010"), locations=["GLOBEX"]
    )
    created = client.post("/v1/partners", json=profile | {"secrets": {"private_key": server.client_key}})
    assert created.status_code == 201, created.text
    first = place(client, order_body("D-1", ("LAMP", 2), ("SHADE", 1)))
    (rejected_fo,) = first["fulfillment_orders"]
    assert rejected_fo["location"] == "GLOBEX"
    stock(client, "CHI", "LAMP", 5)  # Chicago has stock by the time the vendor answers
    stock(client, "CHI", "SHADE", 5)

    # The first order's 850 reaches the vendor, who cannot supply the shade.
    exchange.run_round(force=True)
    (file_850,) = sent(server, "850")
    first_po = read_purchase_order(read(file_850).groups[0].sets[0])
    assert first_po.po_number == rejected_fo["id"]
    assert [(x.product.sku, x.quantity, x.unit_price) for x in first_po.lines] == [
        ("LAMP", 2, Decimal("31.50")), ("SHADE", 1, Decimal("10.00"))
    ]  # fmt: skip
    rejection = from_vendor(vendor_acknowledges(first_po, rejecting="SHADE"), 11)
    drop(server, "855_11.x12", rejection)

    # Our round takes the 855 in: the vendor keeps the lamps, the shade it declined is sourced in Chicago.
    exchange.run_round(force=True)
    assert fulfilment_status(client, rejected_fo["id"]) == "accepted"
    order = client.get(f"/v1/orders/{first['id']}").json()
    elsewhere = [(fo["location"], fo["status"]) for fo in order["fulfillment_orders"] if fo["id"] != rejected_fo["id"]]
    assert elsewhere == [("GLOBEX", "rejected"), ("CHI", "open")]
    (document_855,) = documents(client, direction="in", type="855")
    assert client.get(f"/v1/edi/documents/{document_855['id']}").json()["parsed"]["rejected"] == {"SHADE": 1}
    assert our_answer_to(server, 11).verdict == Verdict.ACCEPTED
    assert len(sent(server, "850")) == 1  # Chicago is nobody's partner: no document for it

    # The same 855 uploaded again changes nothing.
    log_before = documents(client)
    drop(server, "855_11.x12", rejection)
    exchange.run_round(force=True)
    assert documents(client) == log_before
    assert len(client.get(f"/v1/orders/{first['id']}").json()["fulfillment_orders"]) == 3

    # A second order, of bulbs only the vendor has: its 850 is accepted whole, shipped, invoiced.
    second = place(client, order_body("D-2", ("BULB", 4)))
    (fo,) = second["fulfillment_orders"]
    assert fo["location"] == "GLOBEX"
    exchange.run_round(force=True)
    second_850 = read(sent(server, "850")[1])
    po = read_purchase_order(second_850.groups[0].sets[0])
    assert (po.po_number, [(x.product.sku, x.quantity, x.unit_price) for x in po.lines]) == (
        fo["id"], [("BULB", 4, Decimal("2.25"))]
    )  # fmt: skip
    their_997 = acknowledgement_set(acknowledge(second_850.groups[0]), X12Version.V5010)
    drop(server, "997_20.x12", from_vendor(their_997, 20))
    drop(server, "855_21.x12", from_vendor(vendor_acknowledges(po), 21))
    exchange.run_round(force=True)
    assert fulfilment_status(client, fo["id"]) == "accepted"

    items = tuple(ShippedItem(x.line_number, x.product, x.quantity, x.quantity) for x in po.lines)
    notice = ShipNotice(
        "ASN-7781", datetime(2026, 11, 27, 16, 40), po.po_number, (Pack("1Z999AA10123456784", items),),
        carrier=Carrier("UPSN", "GROUND"),
    )  # fmt: skip
    lines = tuple(InvoiceLine(x.line_number, x.product, x.quantity, x.unit_price) for x in po.lines)
    invoice = Invoice("INV-1001", date(2026, 11, 28), po.po_number, lines, Decimal("9.00"))
    drop(server, "856_22.x12", from_vendor(ship_notice_set(notice), 22))  # the 810 needs the shipment first:
    drop(server, "810_23.x12", from_vendor(invoice_set(invoice), 23))  # files are taken oldest first
    exchange.run_round(force=True)

    assert fulfilment_status(client, fo["id"]) == "shipped"
    assert on_hand(client, "GLOBEX", "BULB") == 96
    (document_810,) = documents(client, direction="in", type="810")
    assert (document_810["status"], document_810["reference"], document_810["fulfillment_order_id"]) == (
        "applied", "INV-1001", fo["id"]
    )  # fmt: skip
    (document_856,) = documents(client, direction="in", type="856")
    assert document_856["status"] == "applied"
    assert [(d["reference"], d["status"]) for d in documents(client, direction="out", type="850")] == [
        (fo["id"], "accepted"), (rejected_fo["id"], "sent")
    ]  # fmt: skip
    assert {our_answer_to(server, n).verdict for n in (21, 22, 23)} == {Verdict.ACCEPTED}
    assert sorted(p.name for p in (server.root / "from-partner").iterdir()) == ["processed"]


def test_a_host_key_that_is_no_openssh_public_key_line_is_refused(client: TestClient, server: SftpServer) -> None:
    location(client, "NWK", NEWARK)
    profile = sftp_partner(server, name="Acme WMS", kind="wms", x12=x12(WAREHOUSE, "4010"), locations=["NWK"])
    profile["transport"]["host_key"] = server.host_key.split(" ", 1)[1]  # the key without its type

    response = client.post("/v1/partners", json=profile | {"secrets": {"password": server.password}})

    assert response.status_code == 422 and "host_key" in response.text
