"""How fast does the sourcing sandbox replay past orders? (issue 3 item 6: 10,000 orders in under a minute)

Seeds a SQLite database with a network (warehouses and shipping stores across the US, some with a daily
order capacity), an item master, stock counted before the range, receipts during it, and past orders placed
over 27 days; then simulates all of them under a draft ("warehouses only") beside the active built-in default,
and prints the KPIs, orders/s and where the time went.

    .venv/bin/python benchmarks/sourcing/sandbox.py --orders 10000
    .venv/bin/python benchmarks/sourcing/sandbox.py --orders 1000 --profile   # cProfile, by cumulative time

Seeding goes through the repositories (no sourcing): orders are stored as captured and not yet sourced, which
is all a replay reads. Everything random comes from `random.Random(--seed)`.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import json
import pstats
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ordermesh.adapters.db.migrate import upgrade
from ordermesh.bootstrap import Runtime, build, simulation_runner
from ordermesh.config import Settings
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, Item, Location, LocationType, SourcingProfile
from ordermesh.domain.inventory import Movement, MovementKind
from ordermesh.domain.orders import Customer, Delivery, Order, OrderLine, PaymentStatus
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.services import simulation
from ordermesh.services.ports import UnitOfWork
from ordermesh.services.sourcing import create_rule_set

START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 27
# Rough bounding box of the contiguous US; destinations and locations are drawn inside it.
LAT, LON = (30.0, 47.5), (-122.0, -72.0)


def seed(runtime: Runtime, *, locations: int, skus: int, orders: int, rng: random.Random) -> None:
    ctx = runtime.context
    codes = [f"L{n:03d}" for n in range(locations)]
    warehouses = max(1, locations // 5)

    def network(uow: UnitOfWork) -> None:
        now = START - timedelta(days=30)
        for n in range(skus):
            uow.items.add(Item(f"SKU{n:05d}", f"Item {n}", rng.choice((150, 300, 500, 1200, 4000))), now)
        for index, code in enumerate(codes):
            kind = LocationType.WAREHOUSE if index < warehouses else LocationType.STORE
            profile = SourcingProfile(daily_order_capacity=rng.choice((None, 60, 150)) if kind == "store" else None)
            address = Address(line1="1 Main St", country="US", lat=rng.uniform(*LAT), lon=rng.uniform(*LON))
            uow.locations.add(Location(code, code, kind, address, frozenset({Capability.SHIP}), True, profile), now)

    def stock(uow: UnitOfWork) -> None:
        counted = START - timedelta(days=1)
        movements: list[Movement] = []
        for index, code in enumerate(codes):
            share = 0.8 if index < warehouses else 0.25
            for n in range(skus):
                if rng.random() < share:
                    sku = f"SKU{n:05d}"
                    units = rng.randint(1, 40 if index < warehouses else 8)
                    uow.stock.set_level(code, sku, on_hand=units, safety_stock=0, as_of=None, now=counted)
                    movements.append(Movement(code, sku, MovementKind.SNAPSHOT, units, 0, "count", None, counted))
        for _ in range(skus):  # receipts during the range
            code, sku = rng.choice(codes[:warehouses]), f"SKU{rng.randrange(skus):05d}"
            at = START + timedelta(seconds=rng.uniform(0, DAYS * 86400))
            change = uow.stock.adjust(code, sku, 20, at)
            if change is not None:
                movements.append(Movement(code, sku, MovementKind.ADJUSTMENT, 20, 0, "receipt", "PO", at))
        uow.stock.record(movements)

    ctx.transaction(network)
    ctx.transaction(stock)
    weights = [1 / (n + 1) ** 0.8 for n in range(skus)]  # a long tail of slow movers
    for first in range(0, orders, 1000):
        batch = [_order(n, skus, weights, rng) for n in range(first, min(orders, first + 1000))]
        ctx.transaction(lambda uow, batch=batch: [uow.orders.add(order) for order in batch])  # type: ignore[misc]


def _order(n: int, skus: int, weights: list[float], rng: random.Random) -> Order:
    placed = START + timedelta(seconds=rng.uniform(0, DAYS * 86400))
    chosen = sorted(set(rng.choices(range(skus), weights=weights, k=rng.choice((1, 1, 1, 2, 2, 3)))))
    lines = [
        OrderLine(f"line_{n}_{i}", None, f"SKU{sku:05d}", rng.choice((1, 1, 1, 2, 3)), Decimal("19.90"))
        for i, sku in enumerate(chosen)
    ]
    ship_to = Address(
        line1="5 Park Ave", country="US", postal_code="10016", lat=rng.uniform(*LAT), lon=rng.uniform(*LON)
    )
    level = rng.choice(("standard", "standard", "standard", "express"))
    return Order(
        id=f"ord_{n:07d}", channel="web", external_id=f"B-{n}", currency="USD", customer=Customer(),
        ship_to=ship_to, delivery=Delivery(service_level=level), lines=lines, shipping_total=Decimal("0"),
        tax_total=Decimal("0"), discount_total=Decimal("0"), payment_status=PaymentStatus.PAID, placed_at=placed,
        created_at=placed, updated_at=placed,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=50)
    parser.add_argument("--skus", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--db", type=Path, help="SQLite file to (re)use; default: a temporary one")
    parser.add_argument("--profile", action="store_true", help="Print a cProfile of the simulation (cumtime)")
    parser.add_argument("--json", type=Path, help="Write the run's result here")
    args = parser.parse_args()

    path = args.db or Path(tempfile.mkdtemp()) / "sandbox.db"
    fresh = not path.exists()
    url = f"sqlite:///{path}"
    upgrade(url)
    settings = Settings(database_url=url, embedded_worker=False)
    runtime = build(settings)
    try:
        if fresh:
            began = time.perf_counter()
            seed(runtime, locations=args.locations, skus=args.skus, orders=args.orders, rng=random.Random(args.seed))
            print(f"seeded {path} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        draft = copy.deepcopy(DEFAULT_RULE_SET) | {"name": "warehouses-only"}
        draft["default"]["locations"]["types"] = ["warehouse"]
        draft_id = create_rule_set(runtime.context, SYSTEM, draft, note="sandbox benchmark").id
        spec = simulation.SimulationSpec(START, START + timedelta(days=DAYS), draft_id=draft_id)
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 10 or done == total:
                last[0] = time.perf_counter()
                print(f"  {done:,}/{total:,} plans", file=sys.stderr)

        profiler = cProfile.Profile() if args.profile else None
        began = time.perf_counter()
        if profiler:
            profiler.enable()
        # As `ordermesh simulate` runs it: in this thread, its heartbeat kept by the runner's.
        runner = simulation_runner(runtime.context, settings, "bench")
        try:
            run = runner.run_here(SYSTEM, spec, progress=progress)
        finally:
            runner.close()
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - began
    finally:
        runtime.close()
    assert run.result is not None, run.error
    result = run.result
    replayed = result["orders_replayed"]
    draft_s, active_s = result["draft"]["elapsed_seconds"], result["active"]["elapsed_seconds"]
    print(
        f"{replayed:,} orders x 2 rule sets in {elapsed:.1f} s: {replayed / elapsed:,.0f} orders/s "
        f"({2 * replayed / elapsed:,.0f} plans/s); loading {elapsed - draft_s - active_s:.1f} s, "
        f"draft {draft_s:.1f} s, active {active_s:.1f} s"
    )
    for key in ("cost", "split_rate", "mean_distance_km", "on_time_rate", "store_unit_share", "unfillable_units"):
        print(f"  {key:18} draft {result['draft'][key]!s:40} active {result['active'][key]!s:40}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
