"""Trading partners and EDI over the API: a released fulfilment order goes out as a 940 through the partner's
directory; the warehouse's 945 ships it (once, however often it comes), its 846 sets counts, its 944 adds
receipts, its 997 accepts our 940; what cannot be read or applied is logged, named and answered 422."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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
    segment,
    write_interchange,
)
from ordermesh.domain.edi.inventory_advice import InventoryAdvice, StockItem, inventory_advice_set
from ordermesh.domain.edi.parties import Carrier
from ordermesh.domain.edi.shipping_advice import ShippedLine, ShippingAdvice, shipping_advice_set
from ordermesh.domain.edi.shipping_order import read_shipping_order
from ordermesh.domain.edi.stock_receipt import ReceivedLine, StockReceiptAdvice, stock_receipt_set
from ordermesh.services.context import AppContext
from ordermesh.services.edi_exchange import PartnerExchange
from tests.builders import NEWARK, item, location, order_body, place, stock

WAREHOUSE = TradingIdentity("ZZ", "ACMEWMS", "ACMEWMS")
ORDERMESH = TradingIdentity("ZZ", "ORDERMESH", "ORDERMESH")
PARTNER_DELIMITERS = Delimiters("*", "~", ">", None)  # 4010, as the warehouse writes


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    inbound, outbound = tmp_path / "from-wms", tmp_path / "to-wms"
    inbound.mkdir()
    outbound.mkdir()
    return inbound, outbound


def partner_body(dirs: tuple[Path, Path], **changes: Any) -> dict[str, Any]:
    inbound, outbound = dirs
    body = {
        "name": "Acme WMS",
        "kind": "wms",
        "protocol": "x12",
        "x12": {
            "partner": {"qualifier": "ZZ", "id": "ACMEWMS", "application_code": "ACMEWMS"},
            "ours": {"qualifier": "ZZ", "id": "ORDERMESH", "application_code": "ORDERMESH"},
            "version": "4010",
            "delimiters": {"element": "*", "segment": "~", "component": ">", "repetition": None},
            "line_break": "\n",
        },
        "transport": {"kind": "directory", "inbound": str(inbound), "outbound": str(outbound)},
        "locations": ["NWK"],
    }
    return body | changes


@pytest.fixture
def network(client: TestClient, dirs: tuple[Path, Path]) -> dict[str, Any]:
    """A Newark warehouse run by an X12 WMS partner, stocked with two SKUs; one order sourced there."""
    for sku in ("TEE", "MUG"):
        item(client, sku)
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 20)
    stock(client, "NWK", "MUG", 5)
    created = client.post("/v1/partners", json=partner_body(dirs))
    assert created.status_code == 201, created.text
    order = place(client, order_body("W-1", ("TEE", 2), ("MUG", 1)))
    return {"partner": created.json(), "order": order, "fo": order["fulfillment_orders"][0]}


def from_warehouse(ts: TransactionSet, *, interchange: int = 501, sender: TradingIdentity = WAREHOUSE) -> str:
    numbers = ControlNumbers(interchange, interchange, interchange)
    made = envelope(
        [ts], sender=sender, receiver=ORDERMESH, numbers=numbers, version=X12Version.V4010,
        prepared_at=datetime(2026, 11, 27, 15, 30), delimiters=PARTNER_DELIMITERS,
    )  # fmt: skip
    return write_interchange(made, line_break="\r\n")


def advice(
    fo: dict[str, Any], *, shipment: str = "SHP-88231", fo_id: str | None = None, mugs: int = 1
) -> TransactionSet:
    lines = (ShippedLine(1, "TEE", 2, ordered=2), ShippedLine(2, "MUG", mugs, ordered=1))
    return shipping_advice_set(
        ShippingAdvice(
            fulfillment_order_id=fo_id or fo["id"], shipped_on=date(2026, 11, 27), lines=lines, shipment_id=shipment,
            carrier=Carrier("UPSN", "1Z999AA10123456784"),
        )
    )  # fmt: skip


def exchange(ctx: AppContext) -> PartnerExchange:
    return PartnerExchange(ctx, {"directory": DirectoryTransport()}, release_delay=timedelta(0), every_seconds=0)


def inbound(client: TestClient, text: str) -> Any:
    return client.post(
        "/v1/edi/inbound", content=text.encode("latin-1"), headers={"content-type": "application/edi-x12"}
    )


def documents(client: TestClient, **filters: str) -> list[dict[str, Any]]:
    response = client.get("/v1/edi/documents", params={"limit": 200, **filters})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_a_partner_is_configured_and_its_secrets_are_never_returned(
    client: TestClient, dirs: tuple[Path, Path]
) -> None:
    location(client, "NWK", NEWARK)
    host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    sftp = {"kind": "sftp", "host": "sftp.acme.example", "username": "ordermesh", "inbound": "/out", "outbound": "/in",
            "host_key": host_key}  # fmt: skip
    no_host_key = {k: v for k, v in sftp.items() if k != "host_key"}

    created = client.post("/v1/partners", json=partner_body(dirs, transport=sftp, secrets={"password": "hunter22"}))
    again = client.post("/v1/partners", json=partner_body(dirs, name="Twin", locations=[]))
    rival = client.post("/v1/partners", json=partner_body(dirs, name="Rival", x12=None, protocol="json"))
    no_secret = client.post("/v1/partners", json=partner_body(dirs, transport=sftp, locations=[]))
    unknown_location = client.post("/v1/partners", json=partner_body(dirs, locations=["NOPE"]))
    unverifiable = client.post(
        "/v1/partners", json=partner_body(dirs, transport=no_host_key, locations=[], secrets={"password": "x"})
    )
    bad_delimiters = client.post(
        "/v1/partners",
        json=partner_body(dirs, x12={**partner_body(dirs)["x12"], "delimiters": {"element": "*", "segment": "*"}}),
    )

    assert created.status_code == 201, created.text
    assert created.json()["secrets"] == ["password"]
    assert "hunter22" not in created.text + client.get(f"/v1/partners/{created.json()['id']}").text
    assert again.status_code == 409  # the X12 identity ZZ:ACMEWMS is taken
    assert rival.status_code == 422 and "location 'NWK' is served by partner" in rival.text
    assert no_secret.status_code == 422 and "secrets" in no_secret.text
    assert unknown_location.status_code == 422 and "location 'NOPE' does not exist" in unknown_location.text
    assert unverifiable.status_code == 422 and "host_key" in unverifiable.text
    assert bad_delimiters.status_code == 422 and "delimiters" in bad_delimiters.text


def test_released_work_goes_out_as_a_940_through_the_partners_directory_once(
    client: TestClient, ctx: AppContext, network: dict[str, Any], dirs: tuple[Path, Path]
) -> None:
    exchange(ctx).run_round()
    exchange(ctx).run_round()

    (file,) = sorted(dirs[1].glob("*.x12"))
    interchange = read_interchange(file.read_text(encoding="latin-1"))
    assert interchange.all_problems == ()
    assert (interchange.sender_id, interchange.receiver_id, interchange.control_number) == ("ORDERMESH", "ACMEWMS", 1)
    shipping_order = read_shipping_order(interchange.groups[0].sets[0])
    assert shipping_order.fulfillment_order_id == network["fo"]["id"]
    assert [(x.sku, x.quantity) for x in shipping_order.lines] == [("TEE", 2), ("MUG", 1)]
    assert shipping_order.ship_to.name == "Ada Lovelace"
    assert shipping_order.carrier is not None and shipping_order.carrier.service == "standard"  # W66 routing
    (sent,) = documents(client, direction="out", type="940")
    assert (sent["status"], sent["fulfillment_order_id"], sent["control_number"]) == (
        "sent",
        network["fo"]["id"],
        "1:0001",
    )


def test_a_945_ships_the_fulfilment_order_once_and_is_answered_with_a_997(
    client: TestClient, network: dict[str, Any]
) -> None:
    text = from_warehouse(advice(network["fo"]))

    first = inbound(client, text)
    resent = inbound(client, from_warehouse(advice(network["fo"]), interchange=502))  # same set, new envelope

    assert first.status_code == 200, first.text
    (document,) = first.json()["documents"]
    assert (document["type"], document["status"], document["reference"]) == ("945", "applied", "SHP-88231")
    fo = client.get(f"/v1/fulfillment-orders/{network['fo']['id']}").json()
    assert fo["status"] == "shipped"
    assert client.get("/v1/inventory/NWK/TEE").json()["on_hand"] == 18
    (ack,) = first.json()["acknowledgements"]
    assert "AK5*A" in ack["raw"] and "AK9*A*1*1*1" in ack["raw"]
    assert resent.status_code == 200, resent.text
    assert resent.json()["repeated"] == [document["id"]]
    assert client.get("/v1/inventory/NWK/TEE").json()["on_hand"] == 18  # shipped once


def test_a_945_for_an_unknown_fulfilment_order_is_logged_failed_naming_w0602_and_applies_nothing(
    client: TestClient, network: dict[str, Any]
) -> None:
    response = inbound(client, from_warehouse(advice(network["fo"], fo_id="fo_NOPE")))

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/problems/edi-document-not-applied"
    (error,) = problem["errors"]
    assert (error["segment"], error["element"]) == ("W06", 2)
    assert "fo_NOPE" in error["message"]
    (failed,) = documents(client, status="failed")
    assert failed["id"] == problem["documents"][0]
    full = client.get(f"/v1/edi/documents/{failed['id']}").json()
    assert full["raw"].startswith("ISA*") and full["errors"] == [
        {k: v for k, v in error.items() if k not in ("document", "type")}
    ]
    assert client.get(f"/v1/fulfillment-orders/{network['fo']['id']}").json()["status"] == "open"


def test_a_945_shipping_more_than_was_ordered_applies_nothing(client: TestClient, network: dict[str, Any]) -> None:
    response = inbound(client, from_warehouse(advice(network["fo"], mugs=3)))

    assert response.status_code == 422, response.text
    assert client.get(f"/v1/fulfillment-orders/{network['fo']['id']}").json()["status"] == "open"
    assert client.get("/v1/inventory/NWK/TEE").json()["on_hand"] == 20


def test_a_miscounted_set_is_rejected_with_a_997_r(client: TestClient, network: dict[str, Any]) -> None:
    text = from_warehouse(advice(network["fo"])).replace("SE*", "SE*9", 1)

    response = inbound(client, text)

    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["segment"] == "SE" and "segments" in error["message"]
    (ack,) = documents(client, direction="out", type="997")
    assert "AK5*R" in client.get(f"/v1/edi/documents/{ack['id']}").json()["raw"]
    assert client.get(f"/v1/fulfillment-orders/{network['fo']['id']}").json()["status"] == "open"


def test_an_unknown_sender_or_no_interchange_is_422_and_logged(client: TestClient, network: dict[str, Any]) -> None:
    stranger = inbound(client, from_warehouse(advice(network["fo"]), sender=TradingIdentity("ZZ", "NOBODY", "NOBODY")))
    garbage = inbound(client, "hello, this is not X12")

    assert stranger.status_code == 422
    assert stranger.json()["errors"][0]["segment"] == "ISA" and stranger.json()["errors"][0]["element"] == 6
    assert "ZZ:NOBODY" in stranger.json()["detail"]
    assert garbage.status_code == 422
    assert len(documents(client, status="rejected")) == 2


def test_an_846_sets_counts_a_stale_one_is_skipped_and_a_944_adds_received_units(
    client: TestClient, network: dict[str, Any]
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)  # the warehouse's clock (UTC, the location's zone)
    items = (StockItem("TEE", on_hand=40), StockItem("MUG", on_hand=7))
    counts = inventory_advice_set(InventoryAdvice("INV-2", now + timedelta(minutes=5), items))
    stale = inventory_advice_set(InventoryAdvice("INV-1", now - timedelta(days=1), (StockItem("TEE", on_hand=3),)))
    receipt = stock_receipt_set(StockReceiptAdvice("RCV-1", date(2026, 11, 27), (ReceivedLine("MUG", 12),)))

    counted = inbound(client, from_warehouse(counts, interchange=601))
    old = inbound(client, from_warehouse(stale, interchange=602))
    received = inbound(client, from_warehouse(receipt, interchange=603))
    received_again = inbound(client, from_warehouse(receipt, interchange=604))

    assert counted.status_code == 200, counted.text
    assert old.status_code == 200, old.text
    (stale_document,) = old.json()["documents"]
    assert client.get(f"/v1/edi/documents/{stale_document['id']}").json()["parsed"]["skipped_as_stale"] == 1
    assert received.status_code == 200, received.text
    assert received_again.json()["repeated"] == [received.json()["documents"][0]["id"]]
    assert client.get("/v1/inventory/NWK/TEE").json()["on_hand"] == 40
    assert client.get("/v1/inventory/NWK/MUG").json()["on_hand"] == 19


def test_the_partners_997_marks_our_940_accepted(client: TestClient, ctx: AppContext, network: dict[str, Any]) -> None:
    exchange(ctx).run_round()
    (sent,) = documents(client, direction="out", type="940")
    group, set_number = sent["control_number"].split(":")
    ack = TransactionSet(
        "997",
        (
            segment("AK1", "OW", group),
            segment("AK2", "940", set_number),
            segment("AK5", "A"),
            segment("AK9", "A", "1", "1", "1"),
        ),
    )

    response = inbound(client, from_warehouse(ack, interchange=701))

    assert response.status_code == 200, response.text
    assert response.json()["acknowledgements"] == []  # a 997 is never answered
    accepted = client.get(f"/v1/edi/documents/{sent['id']}").json()
    assert accepted["status"] == "accepted"
    assert accepted["acknowledgement_id"] == response.json()["documents"][0]["id"]


def test_a_945_left_in_the_inbound_directory_is_taken_in_by_the_worker(
    client: TestClient, ctx: AppContext, network: dict[str, Any], dirs: tuple[Path, Path]
) -> None:
    (dirs[0] / "945_0001.edi").write_text(from_warehouse(advice(network["fo"])), encoding="latin-1")
    (dirs[0] / "945_0002.edi").write_text(
        from_warehouse(advice(network["fo"], fo_id="fo_NOPE", shipment="SHP-99999"), interchange=9), encoding="latin-1"
    )

    exchange(ctx).run_round()

    assert client.get(f"/v1/fulfillment-orders/{network['fo']['id']}").json()["status"] == "shipped"
    assert sorted(p.name for p in (dirs[0] / "processed").iterdir()) == ["945_0001.edi", "945_0002.edi"]
    assert [d["status"] for d in documents(client, direction="in", type="945")] == ["failed", "applied"]
    assert len(list(dirs[1].glob("997_*.x12"))) == 2  # each answered through the outbound directory
