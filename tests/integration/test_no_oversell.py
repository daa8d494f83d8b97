"""No oversell (ARCHITECTURE 3.1): however many orders race for the last units, each unit is promised once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ordermesh.bootstrap import Runtime
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.domain.orders import Order
from ordermesh.services import queries
from ordermesh.services.catalog import create_item, create_location
from ordermesh.services.commands import CaptureOrder, CreateItem, CreateLocation, SetStock
from ordermesh.services.context import AppContext
from ordermesh.services.inventory import set_stock
from ordermesh.services.orders import capture_order
from ordermesh.services.ports import OrderFilter
from tests.builders import NEWARK, capture_command, item, location, order_body, stock
from tests.servers import clients, serving

UNITS = 50
ORDERS = 200


class HeadroomWatch:
    """Sample on_hand - reserved - safety_stock while orders race, remembering the lowest value seen."""

    def __init__(self, read: Callable[[], tuple[int, int, int]]) -> None:
        self.read = read
        self.lowest: int | None = None
        self.samples = 0
        self._error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="headroom-watch")

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                on_hand, reserved, safety_stock = self.read()
                headroom = on_hand - reserved - safety_stock
                self.lowest = headroom if self.lowest is None else min(self.lowest, headroom)
                self.samples += 1
                self._stop.wait(0.005)
        except Exception as exc:  # reported by running(), in the test's own thread
            self._error = exc

    @contextmanager
    def running(self) -> Iterator[HeadroomWatch]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
        if self._error is not None:
            raise self._error


# -- in-process: threads sharing one runtime ----------------------------------------------------


def _network_with_one_sku(ctx: AppContext, units: int) -> None:
    create_item(ctx, command=CreateItem("TEE", "Tee", 500), actor=SYSTEM)
    newark = Address(line1="1 Main St", city="Newark", country="US", lat=NEWARK[0], lon=NEWARK[1])
    create_location(
        ctx,
        command=CreateLocation("NWK", "Newark", LocationType.WAREHOUSE, newark, frozenset({Capability.SHIP})),
        actor=SYSTEM,
    )
    set_stock(ctx, command=SetStock("NWK", "TEE", units), actor=SYSTEM)


def _one_tee(external_id: str) -> CaptureOrder:
    return capture_command(external_id, ("TEE", 1, "10.00"))


def _stored_orders(ctx: AppContext) -> list[Order]:
    found: list[Order] = []
    cursor: str | None = None
    while True:
        page = queries.list_orders(ctx, OrderFilter(channel="web"), after=cursor, limit=200)
        found += page.rows
        cursor = page.next_cursor
        if cursor is None:
            return found


def _units(orders: list[Order], bucket: str) -> int:
    return sum(getattr(line, bucket) for order in orders for line in order.lines)


def test_threads_capturing_through_the_service_layer_promise_each_unit_once(runtime: Runtime) -> None:
    ctx = runtime.context
    _network_with_one_sku(ctx, units=UNITS)

    def level() -> tuple[int, int, int]:
        row = queries.get_stock(ctx, "NWK", "TEE")
        return row.on_hand, row.reserved, row.safety_stock

    def capture(n: int) -> tuple[Order, bool]:
        return capture_order(ctx, command=_one_tee(f"T-{n}"), actor=SYSTEM)

    with HeadroomWatch(level).running() as watch, ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(capture, range(ORDERS)))

    assert all(created for _, created in results)
    answered = [order for order, _ in results]
    assert _units(answered, "allocated") == UNITS
    assert _units(answered, "backordered") == ORDERS - UNITS
    stored = _stored_orders(ctx)
    assert len(stored) == ORDERS
    assert _units(stored, "allocated") == UNITS
    assert _units(stored, "backordered") == ORDERS - UNITS
    assert Counter(order.status.value for order in stored) == {"allocated": UNITS, "backordered": ORDERS - UNITS}
    final = queries.get_stock(ctx, "NWK", "TEE")
    assert (final.on_hand, final.reserved, final.available) == (UNITS, UNITS, 0)
    assert watch.samples > 0
    assert watch.lowest is not None and watch.lowest >= 0


# -- across processes: three servers on one database, many HTTP clients ---------------------------


def _all_orders(api: httpx.Client, channel: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"channel": channel, "limit": 200}
    while True:
        response = api.get("/v1/orders", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["data"]
        if page["next_cursor"] is None:
            return found
        params["after"] = page["next_cursor"]


def _quantity(orders: list[dict[str, Any]], bucket: str) -> int:
    return sum(line["quantities"][bucket] for order in orders for line in order["lines"])


@pytest.mark.slow
def test_orders_racing_through_three_server_processes_promise_each_unit_once(database_url: str, tmp_path: Path) -> None:
    with serving(database_url, tmp_path, count=3) as servers, clients(servers) as apis:
        item(apis[0], "TEE")  # the builders need only an httpx client
        location(apis[0], "NWK", NEWARK)
        stock(apis[0], "NWK", "TEE", UNITS)

        def level() -> tuple[int, int, int]:
            row = apis[0].get("/v1/inventory/NWK/TEE").json()
            return row["on_hand"], row["reserved"], row["safety_stock"]

        def post(n: int) -> httpx.Response:
            return apis[n % len(apis)].post("/v1/orders", json=order_body(f"P-{n}", ("TEE", 1)))

        with HeadroomWatch(level).running() as watch, ThreadPoolExecutor(max_workers=12) as pool:
            responses = list(pool.map(post, range(ORDERS)))

        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: ORDERS}, [r.text for r in responses if r.status_code != 201][:3]
        answered = [r.json() for r in responses]
        assert _quantity(answered, "allocated") == UNITS
        assert _quantity(answered, "backordered") == ORDERS - UNITS
        stored = _all_orders(apis[1], "web")
        assert len(stored) == ORDERS
        assert _quantity(stored, "allocated") == UNITS
        assert _quantity(stored, "backordered") == ORDERS - UNITS
        assert Counter(order["status"] for order in stored) == {"allocated": UNITS, "backordered": ORDERS - UNITS}
        final = apis[2].get("/v1/inventory/NWK/TEE").json()
        assert (final["on_hand"], final["reserved"], final["available"]) == (UNITS, UNITS, 0)
        assert watch.samples > 0
        assert watch.lowest is not None and watch.lowest >= 0
