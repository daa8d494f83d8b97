"""Outbox-to-NATS publish throughput: how fast the relay empties a full outbox into JetStream.

Captures one real order through the use cases, then fills the outbox with N events shaped like that order's
events (order.created, fulfillment_order.created, order.allocated, each with its own subject), written through
the outbox repository in transactions of 2,000. It then starts a local nats-server (JetStream, file storage,
from tests/nats_server.py) and runs the relay exactly as the worker does, `relay_once` with the publishers that
`bootstrap.build` makes from ORDERMESH_NATS_URL, until the feed is drained, and reports:

- events/s over the whole drain (first batch included: it connects and creates the stream),
- per-batch latency (one `relay_once`: claim the position, read 200 events, publish them and await every
  JetStream ack, move the position, commit) and the publish part of it,
- CPU seconds used by this process and by nats-server,
- a check that the stream holds exactly N events and JetStream dropped no duplicate.

    python benchmarks/nats_publish.py [--events 50000] [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.builders import NEWARK, capture_command  # noqa: E402
from tests.nats_server import NatsServer, find_nats_server, start_nats, stream_messages  # noqa: E402
from tests.pg import start_cluster  # noqa: E402

from ordermesh.adapters.db.migrate import upgrade  # noqa: E402
from ordermesh.adapters.messaging.nats import NatsEventPublisher  # noqa: E402
from ordermesh.bootstrap import build  # noqa: E402
from ordermesh.config import Settings  # noqa: E402
from ordermesh.domain.access import SYSTEM  # noqa: E402
from ordermesh.domain.catalog import Address, Capability, LocationType  # noqa: E402
from ordermesh.domain.events import Event  # noqa: E402
from ordermesh.services import catalog, inventory, orders  # noqa: E402
from ordermesh.services.commands import CreateItem, CreateLocation, SetStock  # noqa: E402
from ordermesh.services.context import AppContext  # noqa: E402
from ordermesh.services.ports import StoredEvent, UnitOfWork  # noqa: E402
from ordermesh.services.relay import EventPublisher, relay_once  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
FILL_CHUNK = 2_000
ORDER_EVENT_TYPES = ("ordermesh.order.created", "ordermesh.fulfillment_order.created", "ordermesh.order.allocated")


class TimedPublisher:
    """Wraps a publisher and keeps how long each batch took to publish."""

    def __init__(self, inner: EventPublisher) -> None:
        self.inner = inner
        self.seconds: list[float] = []

    def publish(self, events: Sequence[StoredEvent]) -> None:
        started = time.perf_counter()
        self.inner.publish(events)
        self.seconds.append(time.perf_counter() - started)


@dataclass
class Result:
    backend: str
    events: int
    seconds: float
    events_per_second: float
    batches: int
    batch_ms_p50: float
    batch_ms_p90: float
    batch_ms_p99: float
    batch_ms_max: float
    publish_ms_p50: float
    publish_ms_p99: float
    publish_share: float
    first_batch_ms: float
    cpu_seconds_relay: float
    cpu_seconds_nats_server: float
    stream_messages: int
    duplicates_dropped: int


def seed_templates(ctx: AppContext) -> list[StoredEvent]:
    """Capture one order through the use cases and return its events, the shape every filled event copies."""
    catalog.create_item(ctx, command=CreateItem("TEE", "Tee", 200), actor=SYSTEM)
    newark = Address(line1="1 Dock Rd", city="Newark", postal_code="07102", country="US", lat=NEWARK[0], lon=NEWARK[1])
    catalog.create_location(
        ctx, command=CreateLocation("NWK", "Newark", LocationType.WAREHOUSE, newark, frozenset({Capability.SHIP})),
        actor=SYSTEM,
    )
    inventory.set_stock(ctx, command=SetStock("NWK", "TEE", 1_000_000), actor=SYSTEM)
    orders.capture_order(ctx, command=capture_command("B-1", ("TEE", 2, "19.99")), actor=SYSTEM)
    rows = ctx.read(lambda uow: uow.outbox.feed(after=None, limit=100)).rows
    return [event for event in rows if event.type in ORDER_EVENT_TYPES]


def fill_outbox(ctx: AppContext, templates: Sequence[StoredEvent], count: int) -> None:
    """Write `count` events like the templates (distinct subjects) through the outbox repository."""
    for start in range(0, count, FILL_CHUNK):
        chunk = [
            Event(templates[n % len(templates)].type, f"ord_bench_{n // len(templates):07d}",
                  templates[n % len(templates)].data)
            for n in range(start, min(count, start + FILL_CHUNK))
        ]

        def write(uow: UnitOfWork, chunk: list[Event] = chunk) -> None:
            uow.outbox.add(chunk, ctx.clock.now())

        ctx.transaction(write)


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@contextmanager
def database(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{directory / 'ordermesh.db'}"
        upgrade(url)
        yield url
        return
    cluster = start_cluster(durable=True)
    try:
        cluster.psql("CREATE DATABASE ordermesh")
        upgrade(cluster.database_url("ordermesh"))
        yield cluster.database_url("ordermesh")
    finally:
        cluster.stop()


def drain(database_url: str, nats: NatsServer, backend: str) -> Result:
    runtime = build(Settings(database_url=database_url, nats_url=nats.url, embedded_worker=False))
    [nats_publisher] = [p for p in runtime.publishers if isinstance(p, NatsEventPublisher)]
    timed = TimedPublisher(nats_publisher)
    batch_seconds: list[float] = []
    relayed = 0
    assert nats.process is not None
    cpu_nats, cpu_own = process_cpu_seconds(nats.process.pid), own_cpu_seconds()
    started = time.perf_counter()
    try:
        while True:
            batch_started = time.perf_counter()
            count = relay_once(runtime.context, [timed])
            if not count:
                break
            batch_seconds.append(time.perf_counter() - batch_started)
            relayed += count
        seconds = time.perf_counter() - started
        cpu_nats, cpu_own = process_cpu_seconds(nats.process.pid) - cpu_nats, own_cpu_seconds() - cpu_own
    finally:
        runtime.close()
    steady = batch_seconds[1:] or batch_seconds
    publish = timed.seconds[1:] or timed.seconds
    return Result(
        backend=backend,
        events=relayed,
        seconds=round(seconds, 3),
        events_per_second=round(relayed / seconds, 1),
        batches=len(batch_seconds),
        batch_ms_p50=round(1000 * statistics.median(steady), 2),
        batch_ms_p90=round(1000 * percentile(steady, 0.90), 2),
        batch_ms_p99=round(1000 * percentile(steady, 0.99), 2),
        batch_ms_max=round(1000 * max(steady), 2),
        publish_ms_p50=round(1000 * statistics.median(publish), 2),
        publish_ms_p99=round(1000 * percentile(publish, 0.99), 2),
        publish_share=round(sum(publish) / sum(steady), 3),
        first_batch_ms=round(1000 * batch_seconds[0], 2),
        cpu_seconds_relay=round(cpu_own, 2),
        cpu_seconds_nats_server=round(cpu_nats, 2),
        stream_messages=stream_messages(nats.url),
        duplicates_dropped=nats_publisher.stats.duplicates,
    )


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    server = subprocess.run([find_nats_server(), "--version"], capture_output=True, text=True, check=False)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": f"{os.cpu_count()} x {cpu}",
        "loadavg_at_start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "python": platform.python_version(),
        "nats_server": server.stdout.strip(),
        "nats_py": metadata.version("nats-py"),
        "sqlalchemy": metadata.version("sqlalchemy"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    about = machine()
    with tempfile.TemporaryDirectory(prefix="ordermesh-nats-bench-") as tmp:
        directory = Path(tmp)
        with database(args.backend, directory) as url:
            runtime = build(Settings(database_url=url, embedded_worker=False))
            try:
                templates = seed_templates(runtime.context)
                fill_started = time.perf_counter()
                fill_outbox(runtime.context, templates, args.events)
                fill_seconds = time.perf_counter() - fill_started
            finally:
                runtime.close()
            nats = start_nats(directory / "nats")
            try:
                result = drain(url, nats, args.backend)
            finally:
                nats.remove()
    expected = args.events + len(templates) + 3  # the seed's item, location and stock events come first
    print(json.dumps(about, indent=2))
    print(f"filled {args.events} events in {fill_seconds:.1f} s")
    print(json.dumps(asdict(result), indent=2))
    OUT.mkdir(exist_ok=True)
    (OUT / f"nats_publish-{args.backend}.json").write_text(json.dumps({"machine": about, "result": asdict(result)},
                                                                        indent=2))
    if result.stream_messages != expected or result.events != expected or result.duplicates_dropped:
        raise SystemExit(f"expected {expected} events in the stream, once each: {result}")


if __name__ == "__main__":
    main()
