"""The ERP handoff end to end: an order shipped twice is invoiced twice, as JSON and CSV files in the ERP partners'
directories, once however many rounds or workers run; a cancellation after a shipment is credited; HTTPS delivery
retries until the ERP takes the document; the ERP's acknowledgements mark what it booked."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordermesh.adapters.edi.directory import DirectoryTransport
from ordermesh.adapters.edi.https import HttpsTransport
from ordermesh.services.context import AppContext
from ordermesh.services.edi_exchange import PartnerExchange
from ordermesh.services.edi_outbound import deliver_pending
from ordermesh.services.erp_handoff import hand_off
from tests.builders import NEWARK, item, location, order_body, place, stock


def round_of(ctx: AppContext) -> None:
    """One worker round, by a freshly started exchange (as after a restart)."""
    exchange = PartnerExchange(ctx, {"directory": DirectoryTransport()}, release_delay=timedelta(0), every_seconds=0)
    exchange.run_round()


def add_erp(client: TestClient, name: str, transport: dict[str, Any], **secrets: str) -> str:
    body = {"name": name, "kind": "erp", "protocol": "json", "transport": transport, "secrets": secrets}
    created = client.post("/v1/partners", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["transport"]["document_format"] == transport.get("document_format", "json")
    return str(created.json()["id"])


def directory(tmp_path: Path, name: str, document_format: str) -> dict[str, Any]:
    return {"kind": "directory", "inbound": str(tmp_path / name / "in"), "outbound": str(tmp_path / name / "out"),
            "document_format": document_format}  # fmt: skip


@pytest.fixture
def order(client: TestClient) -> dict[str, Any]:
    """An order of 2 tees and a mug (10.00 each, tax 1.20, shipping 5.00) at the Newark warehouse."""
    for sku in ("TEE", "MUG"):
        item(client, sku)
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 20)
    stock(client, "NWK", "MUG", 5)
    return place(client, order_body("W-77", ("TEE", 2), ("MUG", 1)))


def ship(client: TestClient, order: dict[str, Any], tracking: str, sku: str | None = None, units: int = 0) -> None:
    lines = [{"line_id": x["id"], "quantity": units} for x in order["lines"] if x["sku"] == sku] if sku else None
    body = {"carrier": "UPS", "tracking_number": tracking, "lines": lines}
    response = client.post(f"/v1/fulfillment-orders/{order['fulfillment_orders'][0]['id']}/ship", json=body)
    assert response.status_code == 200, response.text


def test_two_shipments_become_two_invoices_in_json_and_csv_files_written_once(
    client: TestClient, ctx: AppContext, order: dict[str, Any], tmp_path: Path
) -> None:
    add_erp(client, "Ledger JSON", directory(tmp_path, "json", "json"))
    add_erp(client, "Ledger CSV", directory(tmp_path, "csv", "csv"))
    ship(client, order, "1Z1", "TEE", 1)
    ship(client, order, "1Z2")

    round_of(ctx)
    round_of(ctx)  # a second round, and a restarted worker, write nothing twice
    round_of(ctx)

    json_files = sorted((tmp_path / "json" / "out").iterdir())
    csv_files = sorted((tmp_path / "csv" / "out").iterdir())
    assert [p.suffix for p in json_files] == [".json", ".json"] and [p.suffix for p in csv_files] == [".csv", ".csv"]
    invoices = [json.loads(p.read_text()) for p in json_files]
    numbers = sorted(i["number"] for i in invoices)
    assert [p.stem for p in json_files] == numbers == sorted(p.stem for p in csv_files)
    assert all(n.startswith("INV-shp_") for n in numbers)
    assert {i["order"]["channel_order_number"] for i in invoices} == {"W-77"}
    assert sorted(len(i["lines"]) for i in invoices) == [1, 2]
    assert sum(Decimal(i["totals"]["tax"]) for i in invoices) == Decimal("1.20")
    assert sum(Decimal(i["totals"]["shipping"]) for i in invoices) == Decimal("5.00")
    assert sum(Decimal(i["totals"]["total"]) for i in invoices) == Decimal("36.20")
    rows = [row for p in csv_files for row in csv.DictReader(io.StringIO(p.read_text()))]
    assert sorted((r["sku"], r["quantity"]) for r in rows) == [("MUG", "1"), ("TEE", "1"), ("TEE", "1")]
    sent = client.get("/v1/edi/documents", params={"type": "invoice", "direction": "out"}).json()["data"]
    assert len(sent) == 4 and {d["status"] for d in sent} == {"sent"}


def test_a_cancellation_after_a_shipment_is_credited_in_a_memo(
    client: TestClient, ctx: AppContext, order: dict[str, Any], tmp_path: Path
) -> None:
    add_erp(client, "Ledger", directory(tmp_path, "erp", "json"))
    ship(client, order, "1Z1", "TEE", 2)
    mug = next(x["id"] for x in order["lines"] if x["sku"] == "MUG")
    cancelled = client.post(f"/v1/orders/{order['id']}/cancel",
                            json={"reason": "out of mugs", "lines": [{"line_id": mug, "quantity": 1}]})  # fmt: skip
    assert cancelled.status_code == 200, cancelled.text

    round_of(ctx)

    (memo_file,) = (tmp_path / "erp" / "out").glob("CM-*.json")
    (invoice_file,) = (tmp_path / "erp" / "out").glob("INV-*.json")
    memo, invoice = json.loads(memo_file.read_text()), json.loads(invoice_file.read_text())
    assert memo["credits_invoices"] == [invoice["number"]]
    assert [(x["sku"], x["quantity"], x["amount"]) for x in memo["lines"]] == [("MUG", 1, "10.00")]
    assert Decimal(invoice["totals"]["total"]) + Decimal(memo["totals"]["total"]) == Decimal("36.20")


def test_an_acknowledgement_marks_the_invoice_and_an_unknown_number_is_404(
    client: TestClient, ctx: AppContext, order: dict[str, Any], tmp_path: Path
) -> None:
    partner = add_erp(client, "Ledger", directory(tmp_path, "erp", "json"))
    ship(client, order, "1Z1")
    round_of(ctx)
    (file,) = (tmp_path / "erp" / "out").glob("INV-*.json")
    number = file.stem
    body = {"document_number": number, "status": "accepted", "erp_reference": "FI-4711"}

    first = client.post(f"/v1/partners/{partner}/acknowledgements", json=body)
    again = client.post(f"/v1/partners/{partner}/acknowledgements", json=body)
    unknown = client.post(f"/v1/partners/{partner}/acknowledgements", json=body | {"document_number": "INV-nope"})

    assert first.status_code == 200, first.text
    assert (first.json()["document"]["status"], first.json()["repeated"], again.json()["repeated"]) == (
        "accepted", False, True
    )  # fmt: skip
    ack = client.get(f"/v1/edi/documents/{first.json()['acknowledgement_id']}").json()
    assert (ack["type"], ack["reference"], ack["direction"]) == ("erp_acknowledgement", "FI-4711", "in")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert "INV-nope" in unknown.json()["detail"]
    assert client.post(f"/v1/partners/{partner}/acknowledgements", json={"status": "maybe"}).status_code == 422


@dataclass
class Receiver:
    """An ERP endpoint on loopback that answers 503 `failures` times, then 201; it keeps every request."""

    failures: int
    requests: list[tuple[dict[str, str], str, int]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(failures=2)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            status = 503 if state.failures > 0 else 201
            state.failures -= 1
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/erp/documents"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_https_delivery_is_retried_until_the_erp_takes_it_and_then_never_sent_again(
    client: TestClient, ctx: AppContext, order: dict[str, Any], receiver: Receiver
) -> None:
    add_erp(client, "Cloud ERP", {"kind": "https", "url": receiver.url, "document_format": "csv"}, token="s3cret")
    ship(client, order, "1Z1")
    (invoice,) = hand_off(ctx)
    https = HttpsTransport(timeout_seconds=5, allow_private=True)

    delivered = [deliver_pending(ctx, {"https": https}, retry_after=timedelta(0)) for _ in range(4)]

    assert delivered == [0, 0, 1, 0]
    assert [status for _, _, status in receiver.requests] == [503, 503, 201]
    headers, body, _ = receiver.requests[-1]
    assert headers["idempotency-key"] == invoice.dedupe_key and invoice.dedupe_key.startswith("INV-")
    assert headers["authorization"] == "Bearer s3cret"
    assert headers["content-type"].startswith("text/csv")
    assert body == invoice.raw and body.startswith("document_type,number")
    logged = client.get(f"/v1/edi/documents/{invoice.id}").json()
    assert logged["status"] == "sent" and logged["errors"] == []


def test_https_refuses_a_private_address_unless_allowed(
    client: TestClient, ctx: AppContext, order: dict[str, Any], receiver: Receiver
) -> None:
    add_erp(client, "Cloud ERP", {"kind": "https", "url": receiver.url}, token="s3cret")
    ship(client, order, "1Z1")
    (invoice,) = hand_off(ctx)

    delivered = deliver_pending(ctx, {"https": HttpsTransport(timeout_seconds=5, allow_private=False)})

    assert delivered == 0 and receiver.requests == []
    logged = client.get(f"/v1/edi/documents/{invoice.id}").json()
    assert logged["status"] == "pending" and "inside the network" in logged["errors"][0]["message"]
