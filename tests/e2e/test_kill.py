"""A server killed mid-burst (ARCHITECTURE 3.1-3.3): no accepted order is lost, no reservation leaks."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import CHICAGO, NEWARK, item, location, order_body, stock
from tests.servers import Server, serving, start_server

SKUS = ("TEE", "MUG", "CAP")
LOCATIONS = {"NWK": NEWARK, "CHI": CHICAGO}
UNITS_PER_ROW = 15
ORDERS = 160
KILL_AFTER = 40  # answered orders


def _order(n: int) -> dict[str, Any]:
    """Order n: one or two SKUs, one to three units each, so stock runs out part way through the burst."""
    lines = [(SKUS[n % 3], 1 + n % 3)]
    if n % 2:
        lines.append((SKUS[(n + 1) % 3], 1 + n % 2))
    return order_body(f"K-{n}", *lines)


class Burst:
    """Post distinct orders from many threads and remember each answer; the server may die under it."""

    def __init__(self, api: httpx.Client, *, enough: int) -> None:
        self.api = api
        self.answers: dict[int, httpx.Response] = {}
        self.unanswered: list[int] = []
        self.answered_enough = threading.Event()
        self._enough = enough
        self._lock = threading.Lock()

    def post(self, n: int) -> None:
        try:
            response = self.api.post("/v1/orders", json=_order(n))
        except httpx.TransportError:
            with self._lock:
                self.unanswered.append(n)
            return
        with self._lock:
            self.answers[n] = response
            if len(self.answers) >= self._enough:
                self.answered_enough.set()


def _orders_for(api: httpx.Client, external_id: str) -> list[dict[str, Any]]:
    response = api.get("/v1/orders", params={"channel": "web", "external_id": external_id})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def _sourcing(order: dict[str, Any]) -> list[tuple[str, dict[str, int], list[tuple[str, int]]]]:
    """Each line's quantities and allocations, in an order that does not depend on how they were read."""
    return [
        (line["id"], line["quantities"], sorted((a["location"], a["quantity"]) for a in line["allocations"]))
        for line in order["lines"]
    ]


def _all_orders(api: httpx.Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"channel": "web", "limit": 200}
    while True:
        page = api.get("/v1/orders", params=params).json()
        found += page["data"]
        if page["next_cursor"] is None:
            return found
        params["after"] = page["next_cursor"]


def _allocated_per_stock_row(orders: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    allocated: dict[tuple[str, str], int] = defaultdict(int)
    for order in orders:
        for line in order["lines"]:
            for allocation in line["allocations"]:
                allocated[(allocation["location"], line["sku"])] += allocation["quantity"]
    return {row: allocated[row] for row in _stock_rows()}


def _stock_levels(api: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    return {(code, sku): api.get(f"/v1/inventory/{code}/{sku}").json() for code, sku in _stock_rows()}


def _stock_rows() -> list[tuple[str, str]]:
    return [(code, sku) for code in sorted(LOCATIONS) for sku in SKUS]


def _stocked_network(api: httpx.Client) -> None:
    for sku in SKUS:
        item(api, sku)  # the builders need only an httpx client
    for code, point in LOCATIONS.items():
        location(api, code, point)
        for sku in SKUS:
            stock(api, code, sku, UNITS_PER_ROW)


def _burst_until_killed(server: Server) -> Burst:
    """Fire ORDERS distinct orders at the server and SIGKILL it once KILL_AFTER have been answered."""
    with server.client(timeout=30.0) as api:
        burst = Burst(api, enough=KILL_AFTER)
        with ThreadPoolExecutor(max_workers=16) as pool:
            for n in range(ORDERS):
                pool.submit(burst.post, n)
            burst.answered_enough.wait(timeout=30.0)
            server.kill()
    return burst


def _crash_mid_burst(database_url: str, directory: Path) -> Burst:
    server = start_server(database_url, directory)
    try:
        server.wait_until_ready()
        with server.client() as api:
            _stocked_network(api)
        return _burst_until_killed(server)
    finally:
        server.kill()


@pytest.mark.slow
def test_a_server_killed_mid_burst_keeps_every_accepted_order_and_leaks_no_reservation(
    database_url: str, tmp_path: Path
) -> None:
    burst = _crash_mid_burst(database_url, tmp_path / "crashed")

    with serving(database_url, tmp_path / "restarted") as (again,), again.client() as api:
        accepted = {n: r.json() for n, r in burst.answers.items() if r.is_success}
        stored = {n: _orders_for(api, f"K-{n}") for n in accepted}
        orders = _all_orders(api)
        levels = _stock_levels(api)

    assert Counter(r.status_code for r in burst.answers.values()) == {201: len(burst.answers)}
    assert len(accepted) >= KILL_AFTER
    assert burst.unanswered, "the server finished the burst before it was killed"
    assert {n: [o["id"] for o in stored[n]] for n in accepted} == {n: [accepted[n]["id"]] for n in accepted}
    assert {n: _sourcing(stored[n][0]) for n in accepted} == {n: _sourcing(accepted[n]) for n in accepted}
    assert len(orders) <= ORDERS
    assert {row: level["reserved"] for row, level in levels.items()} == _allocated_per_stock_row(orders)
    assert all(level["reserved"] <= level["on_hand"] - level["safety_stock"] for level in levels.values())
    assert sum(level["reserved"] for level in levels.values()) > 0


@pytest.mark.slow
def test_clients_retrying_after_the_crash_get_every_order_captured_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    burst = _crash_mid_burst(database_url, tmp_path / "crashed")

    with serving(database_url, tmp_path / "restarted") as (again,), again.client() as api:
        retried = {n: api.post("/v1/orders", json=_order(n)) for n in sorted(burst.unanswered)}
        replayed = {n: api.post("/v1/orders", json=_order(n)) for n in sorted(burst.answers)}
        orders = _all_orders(api)
        levels = _stock_levels(api)

    assert retried, "the server finished the burst before it was killed"
    assert {r.status_code for r in retried.values()} <= {200, 201}, [r.text for r in retried.values()][:3]
    assert {r.status_code for r in replayed.values()} == {200}
    assert {n: r.json()["id"] for n, r in replayed.items()} == {n: r.json()["id"] for n, r in burst.answers.items()}
    assert sorted(order["external_id"] for order in orders) == sorted(f"K-{n}" for n in range(ORDERS))
    assert {row: level["reserved"] for row, level in levels.items()} == _allocated_per_stock_row(orders)
    assert all(level["reserved"] <= level["on_hand"] - level["safety_stock"] for level in levels.values())
