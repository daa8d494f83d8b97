"""Small builders for pure-domain tests: each one shows the data a test cares about and defaults the rest.

Order lines are numbered L1, L2, ... in the order they are given; fulfilment orders created through
`sourced` are numbered FO-1, FO-2, ... in the order the order creates them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ordermesh.domain.catalog import Address
from ordermesh.domain.fulfillment import FulfillmentLine, FulfillmentOrder, FulfillmentStatus, Shipment
from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.orders import (
    Allocation,
    Customer,
    Delivery,
    DeliveryMethod,
    Order,
    OrderLine,
    PaymentStatus,
)
from ordermesh.domain.sourcing import Candidate, LineDemand, SourcingRequest

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)

NYC = GeoPoint(40.7128, -74.0060)
NEWARK = GeoPoint(40.7357, -74.1724)
CHICAGO = GeoPoint(41.8781, -87.6298)
LOS_ANGELES = GeoPoint(34.0522, -118.2437)


# -- orders --------------------------------------------------------------------------------------


def line(
    sku: str = "TEE", quantity: int = 1, *, allocated: int = 0, backordered: int = 0, shipped: int = 0,
    delivered: int = 0, cancelled: int = 0, exception: str | None = None,
) -> OrderLine:
    """An order line whose unallocated bucket holds whatever the other buckets leave over."""
    unallocated = quantity - allocated - backordered - shipped - delivered - cancelled
    assert unallocated >= 0, "the buckets given exceed the line's quantity"
    return OrderLine(
        "L?", None, sku, quantity, Decimal("10.00"), unallocated=unallocated, allocated=allocated,
        backordered=backordered, shipped=shipped, delivered=delivered, cancelled=cancelled, exception=exception,
    )


def order(
    *lines: OrderLine | tuple[str, int], pickup_at: str | None = None, hold: str | None = None,
    order_id: str = "O-1",
) -> Order:
    """An order for the given lines (("TEE", 2) or line(...)), shipped to New York unless picked up."""
    built = [item if isinstance(item, OrderLine) else line(*item) for item in lines or [("TEE", 1)]]
    for number, order_line in enumerate(built, start=1):
        order_line.id = f"L{number}"
    delivery = Delivery(DeliveryMethod.PICKUP, pickup_at) if pickup_at else Delivery(DeliveryMethod.SHIP)
    ship_to = None if pickup_at else Address(city="New York", country="US", lat=NYC.lat, lon=NYC.lon)
    return Order(
        id=order_id, channel="web", external_id=f"ext-{order_id}", currency="USD", customer=Customer(),
        ship_to=ship_to, delivery=delivery, lines=built, shipping_total=Decimal("0"), tax_total=Decimal("0"),
        discount_total=Decimal("0"), payment_status=PaymentStatus.PAID, placed_at=NOW, created_at=NOW,
        updated_at=NOW, hold_reason=hold,
    )


def sourced(target: Order, *allocations: tuple[str, str, int], now: datetime = NOW) -> list[FulfillmentOrder]:
    """Apply (line id, location, quantity) allocations to the order, numbering new fulfilment orders."""
    return target.apply_sourcing(
        [Allocation(line_id, location, quantity) for line_id, location, quantity in allocations],
        new_fo_id=lambda: f"FO-{len(target.fulfillment_orders) + 1}",
        now=now,
    )


def shipment(fo_id: str = "FO-1", *, at: datetime = LATER, shipment_id: str = "SHP-1") -> Shipment:
    return Shipment(shipment_id, fo_id, "ups", "1Z999", {}, at)


def event_types(target: Order) -> list[str]:
    return [event.type for event in target.events]


def buckets(target: Order) -> dict[str, dict[str, int]]:
    return {order_line.id: order_line.buckets() for order_line in target.lines}


# -- fulfilment orders ---------------------------------------------------------------------------


def fulfillment_order(
    *lines: tuple[str, int], status: FulfillmentStatus = FulfillmentStatus.OPEN, location: str = "WH",
    fo_id: str = "FO-1",
) -> FulfillmentOrder:
    """A fulfilment order holding (sku, quantity) for order lines L1, L2, ..., nothing shipped yet."""
    fulfillment_lines = [
        FulfillmentLine(f"L{number}", sku, quantity)
        for number, (sku, quantity) in enumerate(lines or [("TEE", 2)], start=1)
    ]
    return FulfillmentOrder(fo_id, "O-1", location, status, fulfillment_lines, NOW, NOW)


# -- sourcing ------------------------------------------------------------------------------------


def candidate(code: str, at: GeoPoint | None = None, **available: int) -> Candidate:
    """A location with its available units per SKU, e.g. candidate("CHI", CHICAGO, TEE=3)."""
    return Candidate(code, at, dict(available))


def demand(
    *lines: tuple[str, int], to: GeoPoint | None = NYC, pickup_at: str | None = None,
    excluded: Iterable[str] = (),
) -> SourcingRequest:
    """A sourcing request for (sku, quantity) lines L1, L2, ...; a pickup request when pickup_at is set."""
    return SourcingRequest(
        order_id="O-1",
        lines=tuple(LineDemand(f"L{number}", sku, quantity) for number, (sku, quantity) in enumerate(lines, 1)),
        method=DeliveryMethod.PICKUP if pickup_at else DeliveryMethod.SHIP,
        destination=None if pickup_at else to,
        pickup_location=pickup_at,
        excluded=frozenset(excluded),
    )
