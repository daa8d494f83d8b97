"""Decision speed of the sourcing engine in memory: orders of 1 to 10 lines over 50 and 500 candidate locations.

Each decision is a full `SourcingEngine.plan` under the built-in default rule set, explanation and runner-up
included, on a synthetic US network (locations spread over the lower 48). Two networks:

- `retail`: one location in ten is a warehouse carrying 95% of the SKUs in depth, one in ten a 3PL carrying
  60%, the rest stores carrying 30% a few units deep — most orders fit one warehouse, some split;
- `sparse`: every location carries a random third of the SKUs, so most multi-line orders must split over
  several locations (a set-cover problem: the hard case for the exact search).

Reports decisions/s and latency percentiles per setup, and per order size (1, 2-3, 4-6 and 7-10 lines:
decisions/s there is one over the mean latency of those orders).

    .venv/bin/python benchmarks/sourcing/decisions.py --candidates 50,500 --orders 2000 --networks retail,sparse
        [--lines 1-3] [--processes 2]

`--processes N` splits the orders over N processes planning at once (decisions/s of the whole machine; the
latencies stay those of one decision).
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

from ordermesh.domain.geo import GeoPoint
from ordermesh.domain.orders import DeliveryMethod
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.domain.sourcing.engine import SourcingEngine
from ordermesh.domain.sourcing.model import Candidate, LineDemand, SourcingRequest
from ordermesh.domain.sourcing.rule_document import parse_rule_set

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TYPES = ("warehouse",) * 3 + ("store",) * 6 + ("3pl",)


def network(rng: random.Random, size: int, skus: list[str], kind: str = "retail") -> list[Candidate]:
    """`size` locations of the given kind of network (see the module docstring)."""
    found = []
    for index in range(size):
        point = GeoPoint(rng.uniform(26.0, 48.0), rng.uniform(-122.0, -71.0))
        if kind == "sparse":
            location_type = rng.choice(TYPES)
            stocked = rng.sample(skus, k=len(skus) // 3)
            available = {sku: rng.randint(1, 12) for sku in stocked}
        else:
            location_type = "warehouse" if index % 10 == 0 else "3pl" if index % 10 == 1 else "store"
            share, depth = {"warehouse": (0.95, 200), "3pl": (0.6, 50), "store": (0.3, 4)}[location_type]
            stocked = rng.sample(skus, k=int(len(skus) * share))
            available = {sku: rng.randint(1, depth) for sku in stocked}
        code = f"L{index:04}"
        found.append(Candidate(code, point, available, type=location_type, timezone="America/New_York"))
    return found


def order(rng: random.Random, number: int, skus: list[str], sizes: tuple[int, int] = (1, 10)) -> SourcingRequest:
    size = rng.randint(*sizes)
    lines = tuple(
        LineDemand(f"l{i}", sku, rng.randint(1, 3), unit_price=rng.uniform(5, 80), weight_grams=rng.randint(100, 1500))
        for i, sku in enumerate(rng.sample(skus, k=size))
    )
    destination = GeoPoint(rng.uniform(26.0, 48.0), rng.uniform(-122.0, -71.0))
    return SourcingRequest(
        f"ord_{number}", lines, DeliveryMethod.SHIP, destination, country="US", placed_at=NOW, now=NOW
    )


def run(
    candidates: int,
    orders: int,
    seed: int,
    explain: bool,
    kind: str,
    sizes: tuple[int, int] = (1, 10),
    *,
    share: int = 0,
    of: int = 1,
) -> dict[str, Any]:
    """Plan the orders (every `of`-th from `share`, when `of` processes split them)."""
    rng = random.Random(seed)
    skus = [f"SKU{i:04}" for i in range(200)]
    places = network(rng, candidates, skus, kind)
    requests = [order(rng, n, skus, sizes) for n in range(orders)]
    engine = SourcingEngine(parse_rule_set(DEFAULT_RULE_SET), explain=explain)
    for request in requests[:20]:  # warm up (imports, solver instance)
        engine.plan(request, [c for c in places if any(c.available.get(s, 0) for s in request.skus)])
    latencies: list[float] = []
    by_size: dict[str, list[float]] = {}
    methods: dict[str, int] = {}
    started = time.perf_counter()
    for request in requests[share::of]:
        t0 = time.perf_counter()
        # the database hands the engine only locations holding at least one of the order's SKUs
        usable = [c for c in places if any(c.available.get(s, 0) for s in request.skus)]
        plan = engine.plan(request, usable)
        latencies.append(time.perf_counter() - t0)
        by_size.setdefault(_bucket(len(request.lines)), []).append(latencies[-1])
        if plan.explanation is not None:
            method = plan.explanation["chosen"]["method"]
            methods[method] = methods.get(method, 0) + 1
    elapsed = time.perf_counter() - started
    return {
        **_summary(candidates, len(latencies), elapsed, latencies, methods, by_size),
        "elapsed": elapsed,
        "latencies": latencies,
        "methods": methods,
        "by_size": by_size,
    }


def _summary(
    candidates: int,
    orders: int,
    elapsed: float,
    latencies: list[float],
    methods: dict[str, int],
    by_size: dict[str, list[float]],
) -> dict[str, Any]:
    latencies.sort()
    return {
        "candidates": candidates,
        "orders": orders,
        "per_second": orders / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        **{f"method_{k}": v for k, v in sorted(methods.items())},
        **{f"size_{k}": v for k, v in sorted(by_size.items())},
    }


SIZES = ("1", "2-3", "4-6", "7-10")


def run_in_processes(processes: int, *args: Any) -> dict[str, Any]:
    """The same orders split over `processes` processes planning at once: decisions/s of the whole machine."""
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.starmap(_slice, [(*args, processes, share) for share in range(processes)])
    latencies = [x for part in parts for x in part[1]]
    methods: dict[str, int] = {}
    by_size: dict[str, list[float]] = {}
    for _, _, part_methods, part_sizes in parts:
        for key, count in part_methods.items():
            methods[key] = methods.get(key, 0) + count
        for key, values in part_sizes.items():
            by_size.setdefault(key, []).extend(values)
    return _summary(args[0], len(latencies), max(part[0] for part in parts), latencies, methods, by_size)


def _slice(
    candidates: int, orders: int, seed: int, explain: bool, kind: str, sizes: tuple[int, int], of: int, share: int
) -> tuple[float, list[float], dict[str, int], dict[str, list[float]]]:
    r = run(candidates, orders, seed, explain, kind, sizes, share=share, of=of)
    return r["elapsed"], r["latencies"], r["methods"], r["by_size"]


def _bucket(lines: int) -> str:
    return "1" if lines == 1 else "2-3" if lines <= 3 else "4-6" if lines <= 6 else "7-10"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", default="50,500")
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--networks", default="retail,sparse")
    parser.add_argument("--no-explain", action="store_true", help="skip explanations and the runner-up")
    parser.add_argument("--lines", default="1-10", help="order sizes drawn uniformly, e.g. 1-3")
    parser.add_argument("--processes", type=int, default=1, help="split the orders over processes planning at once")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, {platform.machine()}, seed {args.seed}, lines {args.lines}, "
        f"{args.processes} process(es)",
        file=sys.stderr,
    )
    print("| network | candidates | orders | decisions/s | p50 ms | p99 ms | max ms | plans by method |", end="")
    print("".join(f" {size} lines: /s, p99 ms |" for size in SIZES))
    print("|---|---|---|---|---|---|---|---|" + "---|" * len(SIZES))
    for kind in args.networks.split(","):
        for size in (int(v) for v in args.candidates.split(",")):
            sizes = (int(args.lines.split("-")[0]), int(args.lines.split("-")[-1]))
            if args.processes > 1:
                r = run_in_processes(args.processes, size, args.orders, args.seed, not args.no_explain, kind, sizes)
            else:
                r = run(size, args.orders, args.seed, not args.no_explain, kind, sizes)
            methods = ", ".join(f"{k[7:]} {int(v)}" for k, v in r.items() if k.startswith("method_"))
            print(
                f"| {kind} | {size} | {args.orders} | {r['per_second']:.0f} | {r['p50_ms']:.2f} | "
                f"{r['p99_ms']:.2f} | {r['max_ms']:.1f} | {methods} |"
                + "".join(
                    f" {len(v) / sum(v):.0f}, {_percentile(v, 0.99) * 1000:.1f} |"
                    if (v := r.get(f"size_{size}"))
                    else " - |"
                    for size in SIZES
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
