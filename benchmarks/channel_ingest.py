"""Channel ingest benchmark: Shopify `orders/create` webhooks over real HTTP, every signature checked.

What is measured
    Orders captured per second (201 answers) through `POST /v1/channels/shopify/{shop}/webhooks`, and the
    latency a client sees (p50/p90/p99, ms), for webhooks as Shopify sends them: an Admin REST `Order`
    (about 7 KB of JSON: 3 line items, 64-bit ids, tax lines, a discount code, a shipping line, a shipping
    address with coordinates, a customer) with `X-Shopify-Hmac-Sha256`, `X-Shopify-Topic` and a unique
    `X-Shopify-Webhook-Id`. Each request goes through: the raw body read, one read of the channel and of the
    delivery id, the HMAC-SHA256 check over the raw bytes, JSON parsing and mapping, then `capture_order`
    (plan, conditional reservations, order, events, audit) with the delivery record and the channel's picture
    of the order in the same transaction. No API key is involved. With `--redeliveries R`, that share of the
    requests re-sends an earlier webhook (same id, same body), as Shopify does after a timeout; those are
    answered 200 `duplicate` and counted apart.

How
    The network, seeding, backends and server handling of benchmarks/intake.py are reused: one database per
    backend is migrated and seeded over the API and the service layer (50 locations, 2,000 SKUs by default),
    the channel `shopify:bench.myshopify.com` is configured, and each measured configuration runs on its own
    copy. C concurrent clients (asyncio, one keep-alive connection each) sign and send webhooks for a warm-up,
    then for a fixed duration. The CPU time of the server, PostgreSQL and the client over the window is
    reported, and the orders in the database are counted afterwards against the 201 answers.

    python benchmarks/channel_ingest.py [--backends sqlite,postgres] [--clients 12] [--duration 20]
                                        [--workers 1] [--redeliveries 0.0]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import hashlib
import hmac
import json
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import intake  # benchmarks/intake.py, beside this file: network, seeding, backends, server, CPU accounting
from intake import ROOT, Backend, CpuMark, Network, Server, percentile

SHOP = "bench.myshopify.com"
CHANNEL = f"shopify:{SHOP}"
SECRET = "shpss_bench_0123456789abcdef0123456789abcdef"
PATH = f"/v1/channels/shopify/{SHOP}/webhooks"
TEMPLATE = ROOT / "tests" / "fixtures" / "channels" / "shopify" / "orders_create_paid_multi_line.json"
FIRST_ORDER_ID = 820982911946154508  # beyond 2^53, as Shopify's are


@dataclass(frozen=True)
class Options:
    backends: tuple[str, ...]
    clients: int
    duration: float
    warmup: float
    workers: tuple[int, ...]
    redeliveries: float
    locations: int
    skus: int
    quiet_wait: float
    output: Path


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backends", default="sqlite,postgres", help="comma list of sqlite, postgres")
    parser.add_argument("--clients", type=int, default=12, help="concurrent HTTP clients")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds (after the warm-up)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds, not measured")
    parser.add_argument("--workers", default="1", help="server process counts, comma list")
    parser.add_argument("--redeliveries", type=float, default=0.0, help="share of requests re-sending a webhook")
    parser.add_argument("--locations", type=int, default=50)
    parser.add_argument("--skus", type=int, default=2000)
    parser.add_argument("--quiet-wait", type=float, default=60.0, help="wait at most this long for an idle machine")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "out" / "channel_ingest.json")
    args = parser.parse_args(argv)
    return Options(tuple(b.strip() for b in args.backends.split(",") if b.strip()), args.clients, args.duration,
                   args.warmup, tuple(int(w) for w in args.workers.split(",")), args.redeliveries, args.locations,
                   args.skus, args.quiet_wait, args.output)


# -- webhooks as Shopify sends them -------------------------------------------------------------------


class WebhookFactory:
    """Signed `orders/create` deliveries: the fixture order with new ids, 3 random SKUs and a random US address."""

    def __init__(self, network: Network, client: int, redeliveries: float) -> None:
        self.template = json.loads(TEMPLATE.read_text())
        self.network = network
        self.rng = random.Random(f"{intake.SEED}-webhooks-{client}")
        self.next_id = FIRST_ORDER_ID + client * 10**9
        self.redeliveries = redeliveries
        self.sent: list[tuple[bytes, bytes]] = []

    def next(self) -> tuple[bytes, bytes]:
        """(HTTP head, body) of the next request."""
        if self.sent and self.rng.random() < self.redeliveries:
            return self.rng.choice(self.sent)
        self.next_id += 1
        body = json.dumps(self._order(self.next_id), separators=(",", ":")).encode()
        signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {intake.HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Shopify-Topic: orders/create\r\nX-Shopify-Hmac-Sha256: {signature}\r\n"
            f"X-Shopify-Shop-Domain: {SHOP}\r\nX-Shopify-API-Version: 2024-04\r\n"
            f"X-Shopify-Webhook-Id: {uuid.UUID(int=self.rng.getrandbits(128), version=4)}\r\n\r\n"
        ).encode()
        if self.redeliveries:
            self.sent.append((head, body))
        return head, body

    def _order(self, order_id: int) -> dict[str, Any]:
        order = copy.deepcopy(self.template)
        place = self.rng.choice(self.network.places)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        order.update(id=order_id, name=f"#B{order_id % 10**7}", created_at=now, processed_at=now, updated_at=now)
        for number, (item, sku) in enumerate(zip(order["line_items"], self.rng.sample(self.network.skus, 3),
                                                 strict=True)):
            item.update(id=order_id * 10 + number, sku=sku, quantity=self.rng.randint(1, 2))
            item["current_quantity"] = item["quantity"]
        order["shipping_address"].update(city=place.city, province_code=place.region, zip=place.postal_code,
                                         latitude=place.lat, longitude=place.lon)
        return order


class Connection(intake.HttpConnection):
    """intake's minimal keep-alive client, sending a prepared head and body."""

    async def send(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(head, body)
        except BaseException:
            self.close()
            raise


# (start ns, end ns, HTTP status or pseudo status, outcome)
Sample = tuple[int, int, int, str]


async def _client(port: int, factory: WebhookFactory, plan: intake.Plan, samples: list[Sample]) -> None:
    connection = Connection(port, timeout=60.0)
    try:
        while True:
            head, body = factory.next()
            started = time.perf_counter_ns()
            if not plan.go_on(started):
                break
            outcome = ""
            try:
                status, payload = await connection.send(head, body)
                if 200 <= status < 300:
                    outcome = json.loads(payload)["outcome"]
            except TimeoutError:
                status = intake.TIMEOUT_STATUS
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status = intake.CONNECTION_STATUS
                await asyncio.sleep(0.05)
            samples.append((started, time.perf_counter_ns(), status, outcome))
    finally:
        connection.close()


async def _load(port: int, network: Network, options: Options) -> tuple[list[Sample], intake.Plan]:
    measure_from = time.perf_counter_ns() + int(options.warmup * 1e9)
    plan = intake.Plan(measure_from, measure_from + int(options.duration * 1e9), None)
    samples: list[Sample] = []
    factories = [WebhookFactory(network, c, options.redeliveries) for c in range(options.clients)]
    await asyncio.gather(*(_client(port, factory, plan, samples) for factory in factories))
    return samples, plan


def run_load(server: Server, network: Network, options: Options) -> tuple[list[Sample], intake.Plan, dict[str, float]]:
    group = server.process.pid
    marks: list[CpuMark] = []
    timer = threading.Timer(options.warmup, lambda: marks.append(CpuMark.now(group)))
    timer.daemon = True
    timer.start()
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            samples, plan = runner.run(_load(server.port, network, options))
    finally:
        timer.cancel()
    end = CpuMark.now(group)
    return samples, plan, (marks[0] if marks else end).until(end)


def summarize(samples: Sequence[Sample], plan: intake.Plan) -> dict[str, Any]:
    assert plan.measure_until is not None
    measured = [s for s in samples if s[0] >= plan.measure_from and s[1] <= plan.measure_until]
    window = (plan.measure_until - plan.measure_from) / 1e9
    ok = sorted((s[1] - s[0]) / 1e6 for s in measured if 200 <= s[2] < 300)
    outcomes = Counter(s[3] for s in measured if s[3])
    errors = Counter(str(s[2]) for s in measured if not 200 <= s[2] < 300)
    return {
        "window_s": round(window, 3),
        "requests": len(measured),
        "orders_per_s": round(outcomes["created"] / window, 1),
        "deliveries_per_s": round(len(ok) / window, 1),
        "outcomes": dict(outcomes),
        "latency_ms": {name: round(percentile(ok, p), 1) for name, p in
                       (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
        "errors": dict(errors),
        "answered_201": sum(1 for s in samples if s[2] == 201),
    }


# -- seeding and measuring ----------------------------------------------------------------------------


def configure_channel(url: str) -> None:
    from ordermesh.bootstrap import build
    from ordermesh.config import Settings
    from ordermesh.domain.access import SYSTEM
    from ordermesh.services import channels

    runtime = build(Settings(database_url=url, embedded_worker=False, bootstrap_admin_key=None))
    try:
        command = channels.AddChannel(CHANNEL, "shopify", SECRET, {"service_levels": {"Standard": "standard"}})
        channels.add_channel(runtime.context, command=command, actor=SYSTEM)
    finally:
        runtime.close()


def orders_in(url: str) -> int:
    from sqlalchemy import func, select

    from ordermesh.adapters.db.engine import build_engine
    from ordermesh.adapters.db.tables import orders

    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(orders).where(orders.c.channel == CHANNEL)) or 0)
    finally:
        engine.dispose()


def measure(backend: Backend, network: Network, options: Options, workers: int) -> dict[str, Any]:
    url = backend.copy(f"om_ingest_w{workers}")
    try:
        backend.settle()
        idle = intake.wait_until_quiet(patience=options.quiet_wait)
        with intake.serving(url, workers, backend.workdir) as server:
            samples, plan, cpu = run_load(server, network, options)
        result = summarize(samples, plan)
        result["orders_in_database"] = orders_in(url)
        result["cpu_cores"] = {k: round(v / result["window_s"], 2) for k, v in cpu.items()}
    finally:
        backend.drop(url)
    return {"backend": backend.name, "workers": workers, "clients": options.clients,
            "redeliveries": options.redeliveries, "busy_cores_before": idle, **result}


def table(runs: Sequence[dict[str, Any]]) -> str:
    header = ("| backend | server processes | clients | orders/s | deliveries/s | p50 ms | p90 ms | p99 ms | max ms "
              "| outcomes | errors | orders in db / 201s | CPU cores: server / postgres / client / other |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for r in runs:
        lat, cpu = r["latency_ms"], r["cpu_cores"]
        outcomes = ", ".join(f"{k} {v}" for k, v in r["outcomes"].items())
        errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "0"
        lines.append(f"| {r['backend']} | {r['workers']} | {r['clients']} | {r['orders_per_s']} "
                     f"| {r['deliveries_per_s']} | {lat['p50']} | {lat['p90']} | {lat['p99']} | {lat['max']} "
                     f"| {outcomes} | {errors} | {r['orders_in_database']} / {r['answered_201']} "
                     f"| {cpu['server']} / {cpu['postgres']} / {cpu['client']} / {cpu['other']} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, intake._interrupt)
    network = intake.build_network(options.locations, options.skus)
    report: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/channel_ingest.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": intake.machine(),
        "code": intake.source_state(), "options": {k: str(v) for k, v in asdict(options).items()}, "runs": [],
    }
    workdir = Path(tempfile.mkdtemp(prefix="ordermesh-ingest-"))
    options.output.parent.mkdir(parents=True, exist_ok=True)
    try:
        for name in options.backends:
            backend = intake.open_backend(name, workdir)
            try:
                print(f"[{name}] seeding {len(network.locations)} locations, {len(network.skus)} SKUs ...", flush=True)
                intake.seed(backend, network, options.output.parent)
                configure_channel(backend.seed_url())
                for workers in options.workers:
                    print(f"[{name}] {workers} server process(es), {options.clients} clients ...", flush=True)
                    result = measure(backend, network, options, workers)
                    report["runs"].append(result)
                    print(table([result]).splitlines()[-1], flush=True)
            finally:
                backend.close()
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")
    print("\n" + table(report["runs"]) + f"\n\nwritten to {options.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
