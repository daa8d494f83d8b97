"""Where does one order capture spend its time? cProfile and per-statement SQL timing, in process.

Seeds the same network as benchmarks/intake.py through the service layer (no HTTP), then
captures orders one after another with `ordermesh.services.orders.capture_order`, the use case
behind `POST /v1/orders`, and reports:

- wall time per order, and how much of it the database calls took (as the client sees them),
- SQL statements per order, grouped by statement, with count and time,
- the heaviest Python functions (cProfile, by own time and by cumulative time),
- the cost of the API layer around the use case: request validation, the response model.

    python benchmarks/profile_capture.py [--backend postgres|sqlite] [--orders 2000] [--skus 2000]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from intake import ROOT, Network, OrderFactory, build_network
from ordermesh.adapters.db.migrate import upgrade
from ordermesh.bootstrap import Runtime, build
from ordermesh.config import Settings
from ordermesh.domain.access import SYSTEM
from ordermesh.domain.catalog import Address, Capability, LocationType
from ordermesh.entrypoints.api.schemas.orders import OrderIn, OrderOut
from ordermesh.services import catalog, inventory, orders
from ordermesh.services.commands import CaptureOrder, CreateItem, CreateLocation, SetStock


@dataclass
class SqlStats:
    """Time and count per statement, measured around the driver's execute."""

    count: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    recording: bool = False

    def attach(self, engine: Engine) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def before(conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
            context._bench_started = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
            if self.recording:
                key = _statement_key(statement)
                self.count[key] += 1
                self.seconds[key] += time.perf_counter() - context._bench_started

        @event.listens_for(engine, "commit")
        def commit(conn: Any) -> None:
            if self.recording:
                self.count["COMMIT"] += 1

    def report(self, orders: int, top: int = 25) -> str:
        total = sum(self.seconds.values())
        lines = [f"{sum(self.count.values()) / orders:.1f} statements per order (COMMIT included), "
                 f"{1000 * total / orders:.2f} ms of execute time per order (COMMIT not timed)",
                 "  per order: count   ms   statement"]
        for key in sorted(self.seconds, key=lambda k: -self.seconds[k])[:top]:
            lines.append(f"  {self.count[key] / orders:9.2f} {1000 * self.seconds[key] / orders:6.3f}   {key}")
        return "\n".join(lines)


def _statement_key(statement: str) -> str:
    text = re.sub(r"\s+", " ", statement).strip()
    text = re.sub(r"\(__\[POSTCOMPILE_\w+\]\)", "(...)", text)
    text = re.sub(r"VALUES \(.*", "VALUES (...)", text)
    return text[:150]


# -- setup --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file or a durable PostgreSQL cluster's database."""
    from tests.pg import start_cluster  # importable once `intake` has put the repository on sys.path

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ordermesh-profile-") as directory:
            url = f"sqlite:///{directory}/profile.db"
            upgrade(url)
            yield url
        return
    cluster = start_cluster(durable=True)
    try:
        cluster.psql("CREATE DATABASE profile")
        url = cluster.database_url("profile")
        upgrade(url)
        yield url
    finally:
        cluster.stop()


def seed(runtime: Runtime, network: Network) -> None:
    ctx = runtime.context
    for loc in network.locations:
        command = CreateLocation(loc["code"], loc["name"], LocationType(loc["type"]), Address(**loc["address"]),
                                 frozenset(Capability(c) for c in loc["capabilities"]))
        catalog.create_location(ctx, command=command, actor=SYSTEM)
    for sku in network.skus:
        catalog.create_item(ctx, command=CreateItem(sku, f"Bench item {sku}", 500, {}), actor=SYSTEM)
    now = datetime.now(UTC)
    counts = [SetStock(s["location"], s["sku"], s["on_hand"], None, now, "snapshot") for s in network.stock]
    for start in range(0, len(counts), 5000):
        inventory.snapshot(ctx, counts=counts[start:start + 5000], actor=SYSTEM)


def commands(network: Network, count: int, run: str) -> tuple[list[bytes], list[CaptureOrder]]:
    """Request bodies as the intake benchmark sends them, and the commands the API makes of them."""
    factory = OrderFactory(network, run, 0)
    bodies = [factory.next() for _ in range(count)]
    return bodies, [OrderIn.model_validate_json(body).command() for body in bodies]


# -- measuring ----------------------------------------------------------------------------------------


def capture_all(runtime: Runtime, batch: Sequence[CaptureOrder]) -> list[Any]:
    return [orders.capture_order(runtime.context, command=c, actor=SYSTEM)[0] for c in batch]


def profile_captures(runtime: Runtime, batch: Sequence[CaptureOrder], sql: SqlStats) -> tuple[float, str]:
    """Capture every command under cProfile; return the seconds per order and the profile's top."""
    profiler = cProfile.Profile()
    sql.recording = True
    started = time.perf_counter()
    profiler.enable()
    capture_all(runtime, batch)
    profiler.disable()
    elapsed = time.perf_counter() - started
    sql.recording = False
    return elapsed / len(batch), _top(profiler)


def _top(profiler: cProfile.Profile, lines: int = 30) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(r"ordermesh|sqlalchemy/engine|psycopg", lines)
    return "\n".join(line for line in out.getvalue().splitlines() if line.strip())


def api_layer_costs(runtime: Runtime, bodies: Sequence[bytes], captured: Sequence[Any]) -> dict[str, float]:
    """Milliseconds per order for the work the API does around the use case."""
    outs = [OrderOut.of(order) for order in captured]

    def per_order(action: Callable[[], object]) -> float:
        started = time.perf_counter()
        action()
        return round(1000 * (time.perf_counter() - started) / len(bodies), 3)

    return {
        "validate request (OrderIn.model_validate_json + command)":
            per_order(lambda: [OrderIn.model_validate_json(b).command() for b in bodies]),
        "build response model (OrderOut.of)": per_order(lambda: [OrderOut.of(o) for o in captured]),
        "serialize response (model_dump_json)": per_order(lambda: [o.model_dump_json() for o in outs]),
        "re-validate response (OrderOut.model_validate)":
            per_order(lambda: [OrderOut.model_validate(o.model_dump()) for o in outs]),
    }


def explain_relay(runtime: Runtime) -> str:
    """EXPLAIN of the relay's read (the event feed after a position) once the outbox has history."""
    from sqlalchemy import text

    from ordermesh.services.relay import RELAY_BATCH

    engine = runtime.engines[0]
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        total = conn.scalar(text("SELECT count(*) FROM outbox"))
        middle = conn.execute(text("SELECT txid, id FROM outbox ORDER BY txid, id LIMIT 1 OFFSET :n"),
                              {"n": (total or 0) // 2}).first()
        txid, last_id = (middle.txid, middle.id) if middle else (0, 0)
        horizon = " AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint" if postgres else ""
        sql = (f"SELECT * FROM outbox WHERE (txid, id) > ({txid}, {last_id}){horizon} "
               f"ORDER BY txid, id LIMIT {RELAY_BATCH}")
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        plan = [" ".join(str(v) for v in row) for row in conn.execute(text(prefix + sql))]
        conn.rollback()
    return "\n".join([f"outbox: {total} events; the relay reads from the middle", sql, *plan])


def timed_captures(runtime: Runtime, batch: Sequence[CaptureOrder]) -> float:
    started = time.perf_counter()
    capture_all(runtime, batch)
    return (time.perf_counter() - started) / len(batch)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile order capture in process.")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--skus", type=int, default=2000)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args(argv)
    network = build_network(50, args.skus)
    with database(args.backend) as url:
        runtime = build(Settings(database_url=url, embedded_worker=False, bootstrap_admin_key=None))
        try:
            text = run(runtime, network, args.orders, args.backend)
        finally:
            runtime.close()
    args.output.mkdir(parents=True, exist_ok=True)
    target = args.output / f"profile_capture-{args.backend}.txt"
    target.write_text(text + "\n")
    print(text, f"\nwritten to {target}", sep="\n")
    return 0


def run(runtime: Runtime, network: Network, count: int, backend: str) -> str:
    from ordermesh.services.relay import relay_once

    seed(runtime, network)
    while relay_once(runtime.context, []):  # publish the seeding's events, as the embedded worker would
        pass
    sql = SqlStats()
    for engine in runtime.engines:
        sql.attach(engine)
    warm_bodies, warm = commands(network, 200, "warm")
    capture_all(runtime, warm)
    plain = timed_captures(runtime, commands(network, count, "plain")[1])
    batch = commands(network, count, "profiled")[1]
    per_order, top = profile_captures(runtime, batch, sql)
    api = api_layer_costs(runtime, warm_bodies, capture_all(runtime, commands(network, 200, "api")[1]))
    lines = [f"backend {backend}: {count} orders captured one at a time, in process (no HTTP)",
             f"capture_order: {1000 * plain:.2f} ms per order without profiler "
             f"({1 / plain:.0f} orders/s on one thread); {1000 * per_order:.2f} ms under cProfile",
             "", "SQL:", sql.report(count), "", "API layer around the use case (ms per order):"]
    lines += [f"  {ms:7.3f}  {name}" for name, ms in api.items()]
    lines += ["", "The relay's poll with this outbox:", explain_relay(runtime)]
    lines += ["", "cProfile:", top]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
