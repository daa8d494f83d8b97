"""Small builders that make the arranged data visible in each test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from ordermesh.domain.catalog import Address
from ordermesh.domain.orders import Customer, Delivery
from ordermesh.services.commands import CaptureOrder, NewLine

NYC = (40.7128, -74.0060)
NEWARK = (40.7357, -74.1724)
CHICAGO = (41.8781, -87.6298)
LOS_ANGELES = (34.0522, -118.2437)


def item(client: TestClient, sku: str, **attributes: Any) -> dict[str, Any]:
    response = client.post("/v1/items", json={"sku": sku, "name": f"Item {sku}", "weight_grams": 500,
                                              "attributes": attributes})
    assert response.status_code == 201, response.text
    return dict(response.json())


def location(
    client: TestClient, code: str, at: tuple[float, float] = NYC, *, type: str = "warehouse",
    capabilities: tuple[str, ...] = ("ship",), country: str = "US",
) -> dict[str, Any]:
    body = {"code": code, "name": f"Location {code}", "type": type, "capabilities": list(capabilities),
            "address": {"line1": "1 Main St", "city": "Somewhere", "country": country, "lat": at[0], "lon": at[1]}}
    response = client.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def stock(client: TestClient, location_code: str, sku: str, on_hand: int, safety_stock: int | None = None) -> None:
    body: dict[str, Any] = {"on_hand": on_hand}
    if safety_stock is not None:
        body["safety_stock"] = safety_stock
    response = client.put(f"/v1/inventory/{location_code}/{sku}", json=body)
    assert response.status_code == 200, response.text


def order_body(
    external_id: str, *lines: tuple[str, int], to: tuple[float, float] | None = NYC, channel: str = "web",
    payment_status: str = "paid", pickup_at: str | None = None, postal_code: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": channel, "external_id": external_id, "currency": "USD",
        "customer": {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+1 212 555 0100"},
        "lines": [{"external_id": f"{external_id}-{i}", "sku": sku, "quantity": qty, "unit_price": "10.00"}
                  for i, (sku, qty) in enumerate(lines, start=1)],
        "shipping_total": "5.00", "tax_total": "1.20", "discount_total": "0.00",
        "payment_status": payment_status,
    }
    if pickup_at:
        body["delivery"] = {"method": "pickup", "pickup_location": pickup_at}
    else:
        ship_to: dict[str, Any] = {"name": "Ada Lovelace", "line1": "5 Park Ave", "city": "New York",
                                   "region": "NY", "postal_code": postal_code or "10016", "country": "US"}
        if to is not None:
            ship_to |= {"lat": to[0], "lon": to[1]}
        body["ship_to"] = ship_to
        body["delivery"] = {"method": "ship", "service_level": "standard"}
    return body


def place(client: TestClient, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
    response = client.post("/v1/orders", json=body)
    assert response.status_code == expect, response.text
    return dict(response.json())


def allocations(order: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    """{sku: [(location, quantity), ...]} read from an order response."""
    return {line["sku"]: [(a["location"], a["quantity"]) for a in line["allocations"]] for line in order["lines"]}


def capture_command(external_id: str, *lines: tuple[str, int, str]) -> CaptureOrder:
    """A paid web order shipping to New York, for the service layer: (sku, quantity, unit price) per line."""
    ship_to = Address(line1="5 Park Ave", city="New York", postal_code="10016", country="US", lat=NYC[0], lon=NYC[1])
    return CaptureOrder(
        channel="web",
        external_id=external_id,
        currency="USD",
        customer=Customer(email="ada@example.com"),
        ship_to=ship_to,
        delivery=Delivery(),
        lines=tuple(
            NewLine(f"{external_id}-{n}", sku, quantity, Decimal(price))
            for n, (sku, quantity, price) in enumerate(lines, start=1)
        ),
    )
