"""The exception queue over the API: a partner document that cannot be applied, and a reconciliation
discrepancy, each become one open exception with its evidence (raised again: more occurrences, not more rows);
a person resolves one saying how; a document that applies when sent again resolves its own."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ordermesh.domain.edi.inventory_advice import InventoryAdvice, StockItem, inventory_advice_set
from ordermesh.domain.edi.shipping_advice import ShippedLine, ShippingAdvice, shipping_advice_set
from tests.builders import CHICAGO, location, order_body, place, stock
from tests.e2e.test_edi_api import advice, dirs, from_warehouse, inbound, network, partner_body  # noqa: F401


def open_exceptions(client: TestClient, **filters: str) -> list[dict[str, Any]]:
    response = client.get("/v1/exceptions", params=filters)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_a_document_not_applied_is_one_open_exception_until_a_person_resolves_it(
    client: TestClient,
    network: dict[str, Any],  # noqa: F811 (the fixture)
) -> None:
    text = from_warehouse(advice(network["fo"], fo_id="fo_NOPE"))

    assert inbound(client, text).status_code == 422
    assert inbound(client, text).status_code == 422  # the same document again: still not applicable

    (exception,) = open_exceptions(client, kind="partner_document")
    assert exception["occurrences"] == 2
    assert exception["evidence"]["errors"][0]["segment"] == "W06"
    assert "fo_NOPE" in exception["summary"]
    resolved = client.post(f"/v1/exceptions/{exception['id']}/resolve", json={"resolution": "asked Acme to resend"})
    again = client.post(f"/v1/exceptions/{exception['id']}/resolve", json={"resolution": "twice"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution"] == "asked Acme to resend"
    assert again.status_code == 409
    assert open_exceptions(client) == []
    feed = client.get("/v1/events", params={"limit": 1000}).json()["data"]
    assert [e["type"] for e in feed if e["type"].startswith("ordermesh.exception.")] == [
        "ordermesh.exception.raised",
        "ordermesh.exception.resolved",
    ]


def test_a_document_that_applies_when_sent_again_resolves_its_exception(
    client: TestClient,
    network: dict[str, Any],  # noqa: F811 (the fixture)
    dirs: tuple[Path, Path],  # noqa: F811 (the fixture)
) -> None:
    location(client, "CHI", CHICAGO)
    stock(client, "CHI", "TEE", 5)
    stock(client, "NWK", "TEE", 0)
    elsewhere = place(client, order_body("W-2", ("TEE", 1)))["fulfillment_orders"][0]
    assert elsewhere["location"] == "CHI"
    shipped = shipping_advice_set(
        ShippingAdvice(elsewhere["id"], date(2026, 11, 27), (ShippedLine(1, "TEE", 1),), "S-9")
    )
    text = from_warehouse(shipped, interchange=901)
    assert inbound(client, text).status_code == 422  # Chicago is not the partner's
    (exception,) = open_exceptions(client)

    partner = network["partner"]
    widened = client.patch(
        f"/v1/partners/{partner['id']}", json={"profile": partner_body(dirs, locations=["NWK", "CHI"])}
    )
    assert widened.status_code == 200, widened.text
    assert inbound(client, text).status_code == 200

    assert open_exceptions(client) == []
    done = client.get(f"/v1/exceptions/{exception['id']}").json()
    assert done["status"] == "resolved" and "applied when received again" in done["resolution"]


def test_a_reconciliation_discrepancy_stays_one_exception_across_runs(
    client: TestClient,
    network: dict[str, Any],  # noqa: F811 (the fixture)
) -> None:
    time.sleep(1.1)
    counted_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    counts = inventory_advice_set(InventoryAdvice("INV-3", counted_at, (StockItem("TEE", on_hand=12),)))
    assert inbound(client, from_warehouse(counts, interchange=902)).status_code == 200

    for _ in range(2):
        assert client.post("/v1/reconciliation/runs", json={"checks": ["inventory"]}).status_code == 201

    (exception,) = open_exceptions(client, kind="reconciliation")
    assert (exception["subject"], exception["occurrences"]) == ("NWK/TEE", 2)
    assert exception["evidence"]["difference"] == "-8"
