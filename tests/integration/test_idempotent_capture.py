"""Idempotent capture (ARCHITECTURE 3.3): an order retried many times at once is captured exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from threading import Barrier
from typing import Any, TypeVar

import httpx
import pytest

from ordermesh.bootstrap import Runtime
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.domain.orders import Customer, Delivery
from ordermesh.services import queries
from ordermesh.services.catalog import create_item, create_location
from ordermesh.services.commands import CaptureOrder, CreateItem, CreateLocation, NewLine, SetStock
from ordermesh.services.inventory import set_stock
from ordermesh.services.orders import capture_order
from ordermesh.services.ports import OrderFilter
from tests.builders import NEWARK, NYC, item, location, order_body, stock
from tests.servers import clients, serving

T = TypeVar("T")
RETRIES = 20


def _all_at_once(times: int, send: Callable[[int], T]) -> list[T]:
    """Call send(0..times-1) from `times` threads released together, so the calls really overlap."""
    start = Barrier(times)

    def go(n: int) -> T:
        start.wait()
        return send(n)

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(go, range(times)))


def _orders_for(api: httpx.Client, external_id: str) -> list[dict[str, Any]]:
    response = api.get("/v1/orders", params={"channel": "web", "external_id": external_id})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def _reserved(api: httpx.Client) -> int:
    return int(api.get("/v1/inventory/NWK/TEE").json()["reserved"])


def test_one_order_captured_twenty_times_at_once_in_process_is_recorded_once(runtime: Runtime) -> None:
    ctx = runtime.context
    create_item(ctx, command=CreateItem("TEE", "Tee", 500), actor=SYSTEM)
    newark = Address(line1="1 Main St", city="Newark", country="US", lat=NEWARK[0], lon=NEWARK[1])
    create_location(
        ctx,
        command=CreateLocation("NWK", "Newark", LocationType.WAREHOUSE, newark, frozenset({Capability.SHIP})),
        actor=SYSTEM,
    )
    set_stock(ctx, command=SetStock("NWK", "TEE", 10), actor=SYSTEM)
    command = CaptureOrder(
        channel="web",
        external_id="DUP-1",
        currency="USD",
        customer=Customer(email="ada@example.com"),
        ship_to=Address(line1="5 Park Ave", city="New York", country="US", lat=NYC[0], lon=NYC[1]),
        delivery=Delivery(),
        lines=(NewLine("DUP-1-1", "TEE", 2, Decimal("10.00")),),
    )

    results = _all_at_once(RETRIES, lambda _: capture_order(ctx, command=command, actor=SYSTEM))

    assert sorted(created for _, created in results) == [False] * (RETRIES - 1) + [True]
    assert len({order.id for order, _ in results}) == 1
    stored = queries.list_orders(ctx, OrderFilter(channel="web", external_id="DUP-1"), after=None, limit=10).rows
    assert [order.id for order in stored] == [results[0][0].id]
    assert queries.get_stock(ctx, "NWK", "TEE").reserved == 2


@pytest.mark.slow
def test_one_order_posted_twenty_times_at_once_to_two_servers_is_captured_once(
    database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path, count=2) as servers, clients(servers) as apis:
        item(apis[0], "TEE")  # the builders need only an httpx client
        location(apis[0], "NWK", NEWARK)
        stock(apis[0], "NWK", "TEE", 10)
        body = order_body("DUP-2", ("TEE", 2))

        responses = _all_at_once(RETRIES, lambda n: apis[n % 2].post("/v1/orders", json=body))

        assert Counter(r.status_code for r in responses) == {201: 1, 200: RETRIES - 1}, [r.text for r in responses]
        ids = {r.json()["id"] for r in responses}
        assert len(ids) == 1
        assert [order["id"] for order in _orders_for(apis[1], "DUP-2")] == list(ids)
        assert _reserved(apis[0]) == 2


@pytest.mark.slow
def test_one_idempotency_key_posted_twenty_times_at_once_captures_once_and_refuses_another_body(
    database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path, count=2) as servers, clients(servers) as apis:
        item(apis[0], "TEE")
        location(apis[0], "NWK", NEWARK)
        stock(apis[0], "NWK", "TEE", 10)
        key = {"Idempotency-Key": "checkout-7f3a"}
        body = order_body("KEY-1", ("TEE", 2))

        responses = _all_at_once(RETRIES, lambda n: apis[n % 2].post("/v1/orders", json=body, headers=key))
        reused = apis[1].post("/v1/orders", json=order_body("KEY-2", ("TEE", 3)), headers=key)

        assert Counter(r.status_code for r in responses) == {201: 1, 200: RETRIES - 1}, [r.text for r in responses]
        ids = {r.json()["id"] for r in responses}
        assert len(ids) == 1
        assert [order["id"] for order in _orders_for(apis[0], "KEY-1")] == list(ids)
        assert reused.status_code == 422, reused.text
        assert reused.headers["content-type"].startswith("application/problem+json")
        assert reused.json()["type"] == "/problems/idempotency-key-reused"
        assert _orders_for(apis[0], "KEY-2") == []
        assert _reserved(apis[1]) == 2


@pytest.mark.slow
def test_two_bodies_racing_for_one_idempotency_key_capture_one_order_and_refuse_the_other(
    database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path, count=2) as servers, clients(servers) as apis:
        item(apis[0], "TEE")
        location(apis[0], "NWK", NEWARK)
        stock(apis[0], "NWK", "TEE", 10)
        key = {"Idempotency-Key": "checkout-9b1c"}
        bodies = [order_body("RACE-A", ("TEE", 1)), order_body("RACE-B", ("TEE", 1))]

        responses = _all_at_once(
            RETRIES, lambda n: apis[n // 2 % 2].post("/v1/orders", json=bodies[n % 2], headers=key)
        )

        winners = [r for r in responses if r.status_code in (200, 201)]
        losers = [r for r in responses if r.status_code == 422]
        assert len(winners) + len(losers) == RETRIES, [r.text for r in responses]
        assert [r.status_code for r in winners].count(201) == 1
        assert len({r.json()["external_id"] for r in winners}) == 1
        assert {r.json()["type"] for r in losers} == {"/problems/idempotency-key-reused"}
        assert len(_orders_for(apis[0], "RACE-A")) + len(_orders_for(apis[0], "RACE-B")) == 1
        assert _reserved(apis[1]) == 1
