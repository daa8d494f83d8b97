"""Order intake benchmark: `POST /v1/orders` over real HTTP against a real Ordermesh server.

What is measured
    The throughput (orders/s, 2xx answers only) and the latency (p50/p90/p99, ms, as seen by
    the client) of capturing 3-line orders through the public API. Every request goes through
    the whole stack: uvicorn -> FastAPI validation -> API key check -> capture_order (idempotency
    lookup, SKU check, sourcing query, conditional stock reservations, order/lines/fulfilment
    order inserts, outbox events, audit record) -> commit -> JSON response. The embedded worker
    relays the outbox in every server process during the measurement, as in production.

How
    For each backend (SQLite file, PostgreSQL cluster with fsync on) one database is migrated by
    starting `ordermesh serve`, then seeded: 50 locations over the API, 10,000 SKUs through the
    service layer (one transaction per SKU, as the API would do it, but without HTTP), stock via
    POST /v1/inventory/snapshots. The outbox is drained, the server stopped, and each measured
    configuration (server process count) runs on its own copy of that seeded database, so every
    configuration starts from the same data. C concurrent clients (asyncio + uvloop, one
    keep-alive HTTP/1.1 connection each, a minimal client written on asyncio streams) send
    orders for a warm-up, then for a fixed duration (or a fixed number of orders). The CPU
    time of the server processes, of PostgreSQL and of the client over the measured window is
    reported too, so a client-bound run would show. On PostgreSQL, pgbench runs on the same
    cluster afterwards as a reference for what this machine's PostgreSQL can do.

    python benchmarks/intake.py [--backends sqlite,postgres] [--clients 32] [--duration 20]
                                [--workers 2] [--output benchmarks/out/intake.json]

All traffic stays on 127.0.0.1; servers, clusters and temporary files are removed on exit,
also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import orjson
import zipcodes

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.pg import PgCluster, find_bin, free_port, start_cluster  # noqa: E402

import profiling  # noqa: E402  (benchmarks/profiling.py, beside this file)

HOST = "127.0.0.1"
ADMIN_KEY = "om_bench_admin_key_0123456789abcdef"
CHANNEL = "bench"
SEED = 20240601
TIMEOUT_STATUS = -1  # pseudo status codes for requests that got no HTTP answer
CONNECTION_STATUS = -2
DEFAULT_WORKERS = {"sqlite": (1, 2), "postgres": (2, 3)}
WAREHOUSE_SHARE = 0.5  # of the SKUs stocked by each warehouse
STORE_SHARE = 0.05  # ... and by each store


# -- options ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    backends: tuple[str, ...]
    clients: int
    duration: float
    warmup: float
    orders: int | None
    workers: tuple[int, ...] | None
    output: Path
    locations: int
    skus: int
    pgbench_seconds: int
    quiet_wait: float
    py_spy: bool

    def workers_for(self, backend: str) -> tuple[int, ...]:
        return self.workers or DEFAULT_WORKERS[backend]


def _int_list(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backends", default="sqlite,postgres", help="comma list of sqlite, postgres")
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds (after the warm-up)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds, not measured")
    parser.add_argument("--orders", type=int, default=None, help="measure this many orders instead of a duration")
    parser.add_argument("--workers", type=_int_list, default=None,
                        help="server process counts, comma list (default: sqlite 1,2; postgres 2,3)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "out" / "intake.json")
    parser.add_argument("--locations", type=int, default=50)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--pgbench-seconds", type=int, default=15, help="0 skips pgbench")
    parser.add_argument("--quiet-wait", type=float, default=120.0,
                        help="wait at most this long for an idle machine before each measured run")
    parser.add_argument("--py-spy", action="store_true",
                        help="sample the server processes with py-spy over the measured window (slows them a bit)")
    args = parser.parse_args(argv)
    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    unknown = set(backends) - set(DEFAULT_WORKERS)
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if args.clients < 1 or args.duration <= 0 or (args.orders is not None and args.orders < 1):
        parser.error("--clients, --duration and --orders must be positive")
    return Options(backends, args.clients, args.duration, args.warmup, args.orders, args.workers,
                   args.output, args.locations, args.skus, args.pgbench_seconds, args.quiet_wait,
                   args.py_spy)


# -- a minimal keep-alive HTTP/1.1 client ----------------------------------------------------------


class HttpConnection:
    """One persistent HTTP/1.1 connection to 127.0.0.1: just enough protocol for a JSON API."""

    def __init__(self, port: int, *, timeout: float, key: str = ADMIN_KEY) -> None:
        self.port = port
        self.timeout = timeout
        self.auth = f"Authorization: Bearer {key}\r\n"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """Send one request and return (status, body); the connection is dropped after any failure."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(self._head(method, path, body), body or b"")
        except BaseException:
            self.close()
            raise

    def _head(self, method: str, path: str, body: bytes | None) -> bytes:
        length = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body is not None else ""
        return f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n{self.auth}{length}\r\n".encode()

    async def _exchange(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        if self._writer is None or self._reader is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self.port)
        reader, writer = self._reader, self._writer
        writer.write(head + body)
        await writer.drain()
        status, headers = _parse_head(await reader.readuntil(b"\r\n\r\n"))
        payload = await _read_body(reader, headers)
        delimited = "content-length" in headers or headers.get("transfer-encoding", "").lower() == "chunked"
        if not delimited or headers.get("connection", "").lower() == "close":
            self.close()
        return status, payload

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


def _parse_head(raw: bytes) -> tuple[int, dict[str, str]]:
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> bytes:
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() != "chunked":
        return await reader.read()
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return b"".join(chunks)
        chunks.append((await reader.readexactly(size + 2))[:-2])


async def call(port: int, method: str, path: str, body: Any = None, *, timeout: float = 600) -> tuple[int, Any]:
    """One request on a fresh connection, JSON in and out (for setup, not for measuring)."""
    connection = HttpConnection(port, timeout=timeout)
    try:
        status, payload = await connection.request(method, path, None if body is None else orjson.dumps(body))
    finally:
        connection.close()
    return status, orjson.loads(payload) if payload else None


# -- the data: a network of locations, an item master, stock, and customers to ship to ------------


@dataclass(frozen=True)
class Place:
    postal_code: str
    city: str
    region: str
    lat: float
    lon: float


def us_places() -> list[Place]:
    """Active standard ZIP codes of the contiguous US, from the `zipcodes` package's bundled data."""
    places = []
    for z in zipcodes.list_all():  # type: ignore[no-untyped-call]
        if not z["active"] or z["zip_code_type"] != "STANDARD" or not z["lat"] or not z["long"]:
            continue
        lat, lon = float(z["lat"]), float(z["long"])
        if 24.0 <= lat <= 49.5 and -125.0 <= lon <= -66.5:
            places.append(Place(z["zip_code"], z["city"], z["state"], lat, lon))
    return places


@dataclass(frozen=True)
class Network:
    locations: list[dict[str, Any]]
    skus: list[str]
    stock: list[dict[str, Any]]
    places: list[Place]


def build_network(location_count: int = 50, sku_count: int = 10_000) -> Network:
    """Warehouses and stores spread over the US, one in five a warehouse.

    A warehouse stocks half of the SKUs, a store one in twenty, so most orders can ship complete
    from one warehouse and the rest are split.
    """
    rng = random.Random(SEED)
    places = us_places()
    locations = []
    for index, place in enumerate(rng.sample(places, location_count)):
        warehouse = index % 5 == 0
        code = f"{'WH' if warehouse else 'ST'}-{index + 1:03d}"
        locations.append({
            "code": code, "name": f"{place.city} {'DC' if warehouse else 'store'}",
            "type": "warehouse" if warehouse else "store",
            "capabilities": ["ship"] if warehouse else ["ship", "pickup"],
            "address": {"line1": "1 Bench Way", "city": place.city, "region": place.region,
                        "postal_code": place.postal_code, "country": "US", "lat": place.lat, "lon": place.lon},
        })
    skus = [f"BENCH-{n:05d}" for n in range(1, sku_count + 1)]
    stock = [{"location": loc["code"], "sku": sku, "on_hand": rng.randint(20, 60)}
             for loc in locations for sku in skus
             if rng.random() < (WAREHOUSE_SHARE if loc["type"] == "warehouse" else STORE_SHARE)]
    return Network(locations, skus, stock, places)


class OrderFactory:
    """3-line orders for random SKUs to random US ZIP codes, each with a unique external id."""

    def __init__(self, network: Network, run: str, client: int) -> None:
        self.skus = network.skus
        self.places = network.places
        self.rng = random.Random(f"{SEED}-{run}-{client}")
        self.prefix = f"{run}-c{client}-"
        self.count = 0

    def next(self) -> bytes:
        self.count += 1
        place = self.rng.choice(self.places)
        return orjson.dumps({
            "channel": CHANNEL, "external_id": f"{self.prefix}{self.count}", "currency": "USD",
            "customer": {"email": f"buyer{self.count}@example.com"},
            "ship_to": {"line1": "2 Main St", "city": place.city, "region": place.region,
                        "postal_code": place.postal_code, "country": "US", "lat": place.lat, "lon": place.lon},
            "lines": [{"sku": sku, "quantity": self.rng.randint(1, 2), "unit_price": "12.50"}
                      for sku in self.rng.sample(self.skus, 3)],
        })


# -- backends: one seeded database, and a fresh copy of it per measured configuration ------------


class Backend(Protocol):
    name: str
    workdir: Path

    def seed_url(self) -> str: ...

    def copy(self, label: str) -> str: ...

    def drop(self, url: str) -> None: ...

    def settle(self) -> None: ...

    def sessions(self, url: str) -> int | None: ...

    def version(self) -> str: ...

    def close(self) -> None: ...


class SqliteBackend:
    name = "sqlite"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.seed_file = workdir / "seed.db"

    def seed_url(self) -> str:
        return f"sqlite:///{self.seed_file}"

    def copy(self, label: str) -> str:
        target = self.workdir / f"{label}.db"
        with contextlib.closing(sqlite3.connect(self.seed_file)) as src, \
                contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)

    def settle(self) -> None:
        _sync()

    def sessions(self, url: str) -> int | None:
        return None

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def close(self) -> None:
        pass


class PostgresBackend:
    name = "postgres"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.cluster: PgCluster = start_cluster(durable=True)
        self.cluster.psql("CREATE DATABASE om_seed")

    def seed_url(self) -> str:
        return self.cluster.database_url("om_seed")

    def copy(self, label: str) -> str:
        self.cluster.psql(f"CREATE DATABASE {label} TEMPLATE om_seed")
        self.cluster.psql("VACUUM ANALYZE", database=label)
        return self.cluster.database_url(label)

    def drop(self, url: str) -> None:
        self.cluster.psql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def settle(self) -> None:
        self.cluster.psql("CHECKPOINT")
        _sync()

    def sessions(self, url: str) -> int | None:
        """Connections opened to the database so far (pg_stat_database.sessions)."""
        name = url.rsplit("/", 1)[1]
        return int(self.cluster.psql(f"SELECT sessions FROM pg_stat_database WHERE datname = '{name}'"))

    def version(self) -> str:
        return self.cluster.psql("SHOW server_version").strip()

    def close(self) -> None:
        self.cluster.stop()


def _sync() -> None:
    os.sync()
    time.sleep(1.0)


def open_backend(name: str, workdir: Path) -> Backend:
    directory = workdir / name
    directory.mkdir()
    if name == "sqlite":
        return SqliteBackend(directory)
    return PostgresBackend(directory)


# -- the server under test ----------------------------------------------------------------------------


def ordermesh_executable() -> str:
    for candidate in (Path(sys.executable).parent / "ordermesh", ROOT / ".venv" / "bin" / "ordermesh"):
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("the ordermesh command is not installed (make setup)")


class Server:
    """`ordermesh serve` in its own process group, stopped (with every worker) by stop()."""

    def __init__(self, url: str, workers: int, logdir: Path) -> None:
        self.url = url
        self.workers = workers
        self.port = free_port()
        self.log = logdir / f"server-{self.port}.log"
        env = {**os.environ, "ORDERMESH_DATABASE_URL": url, "ORDERMESH_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
               "ORDERMESH_EMBEDDED_WORKER": "true", "ORDERMESH_LOG_LEVEL": "warning"}
        command = [ordermesh_executable(), "serve", "--host", HOST, "--port", str(self.port), "--workers",
                   str(workers)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, cwd=logdir, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log.read_text()}")
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, TimeoutError):
                healthy = asyncio.run(call(self.port, "GET", "/healthz", timeout=2))[0] == 200
                if healthy and self.process.poll() is None:  # ours answered, not a squatter on the port
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the server did not become healthy in {timeout:.0f}s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
        _wait_group_gone(self.process.pid)


def _wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


@contextlib.contextmanager
def serving(url: str, workers: int, logdir: Path) -> Iterator[Server]:
    """A healthy server for the body; on failure its exit code and log tail are printed."""
    server = Server(url, workers, logdir)
    try:
        server.wait_healthy()
        yield server
    except BaseException:
        code = server.process.poll()
        tail = server.log.read_text(errors="replace").splitlines()[-30:] if server.log.exists() else []
        print(f"server on port {server.port} ({'exited with ' + str(code) if code is not None else 'running'})"
              f", log tail:", *tail, sep="\n    ", file=sys.stderr, flush=True)
        raise
    finally:
        server.stop()


# -- seeding -----------------------------------------------------------------------------------------


def seed(backend: Backend, network: Network, output_dir: Path) -> dict[str, float]:
    """Migrate and fill the backend's seed database; return how long each step took."""
    timings: dict[str, float] = {}
    url = backend.seed_url()
    with serving(url, 1, backend.workdir) as server:
        log = server.log
        timings["locations_s"] = _timed(lambda: asyncio.run(_post_locations(server.port, network)))
        timings["items_s"] = _timed(lambda: _create_items(url, network.skus))
        timings["stock_s"] = _timed(lambda: asyncio.run(_post_snapshots(server.port, network.stock)))
    timings["drain_outbox_s"] = _timed(lambda: _drain_outbox(url))
    shutil.copyfile(log, output_dir / f"intake-{backend.name}-seed.log")
    return timings


def _timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return round(time.perf_counter() - started, 2)


async def _post_locations(port: int, network: Network) -> None:
    for location in network.locations:
        status, body = await call(port, "POST", "/v1/locations", location)
        if status != 201:
            raise RuntimeError(f"POST /v1/locations answered {status}: {body}")


def _create_items(url: str, skus: Sequence[str]) -> None:
    """The item master through the service layer: one create_item transaction per SKU."""
    from ordermesh.bootstrap import build
    from ordermesh.config import Settings
    from ordermesh.domain.access import SYSTEM
    from ordermesh.services import catalog
    from ordermesh.services.commands import CreateItem

    runtime = build(Settings(database_url=url, embedded_worker=False, bootstrap_admin_key=None))
    try:
        for number, sku in enumerate(skus):
            command = CreateItem(sku, f"Bench item {sku}", 100 + number % 4000, {})
            catalog.create_item(runtime.context, command=command, actor=SYSTEM)
    finally:
        runtime.close()


async def _post_snapshots(port: int, stock: Sequence[Mapping[str, Any]], batch: int = 5000) -> None:
    as_of = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for start in range(0, len(stock), batch):
        body = {"as_of": as_of, "counts": list(stock[start:start + batch])}
        status, answer = await call(port, "POST", "/v1/inventory/snapshots", body)
        if status != 200 or answer["applied"] != len(body["counts"]):
            raise RuntimeError(f"POST /v1/inventory/snapshots answered {status}: {answer}")


def _drain_outbox(url: str) -> None:
    """Relay the seeding's events, so the measured runs do not start with a backlog to publish."""
    from ordermesh.bootstrap import build
    from ordermesh.config import Settings
    from ordermesh.services.relay import relay_once

    runtime = build(Settings(database_url=url, embedded_worker=False, bootstrap_admin_key=None))
    try:
        while relay_once(runtime.context, []):
            pass
    finally:
        runtime.close()


# -- load ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """When to stop sending: a deadline, or a number of measured orders after the warm-up."""

    measure_from: int
    measure_until: int | None
    orders: int | None
    started: int = 0

    def go_on(self, now: int) -> bool:
        """May a request starting at `now` (perf_counter_ns) be sent?"""
        if self.measure_until is not None:
            return now < self.measure_until
        if now < self.measure_from:
            return True
        self.started += 1
        return self.started <= (self.orders or 0)


# (start ns, end ns, HTTP status or pseudo status, order status or "")
Sample = tuple[int, int, int, str]


async def _client(port: int, factory: OrderFactory, plan: Plan, samples: list[Sample]) -> None:
    connection = HttpConnection(port, timeout=60.0)
    try:
        while True:
            body = factory.next()
            started = time.perf_counter_ns()
            if not plan.go_on(started):
                break
            try:
                status, payload = await connection.request("POST", "/v1/orders", body)
            except TimeoutError:
                status, payload = TIMEOUT_STATUS, b""
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status, payload = CONNECTION_STATUS, b""
                await asyncio.sleep(0.05)
            samples.append((started, time.perf_counter_ns(), status, _order_status(payload, status)))
    finally:
        connection.close()


def _order_status(payload: bytes, status: int) -> str:
    """The order's status: the first "status" of an OrderOut body (fulfilment orders come later)."""
    if not 200 <= status < 300:
        return ""
    start = payload.find(b'"status":"')
    if start < 0:
        return ""
    start += len(b'"status":"')
    return payload[start:payload.find(b'"', start)].decode()


async def generate_load(port: int, network: Network, options: Options, run: str) -> tuple[list[Sample], Plan]:
    loop_start = time.perf_counter_ns()
    measure_from = loop_start + int(options.warmup * 1e9)
    until = None if options.orders else measure_from + int(options.duration * 1e9)
    plan = Plan(measure_from, until, options.orders)
    samples: list[Sample] = []
    await asyncio.gather(*(_client(port, OrderFactory(network, run, c), plan, samples)
                           for c in range(options.clients)))
    return samples, plan


def run_load(port: int, network: Network, options: Options, run: str) -> tuple[list[Sample], Plan]:
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(generate_load(port, network, options, run))
    except ImportError:
        return asyncio.run(generate_load(port, network, options, run))


# -- CPU accounting over the measured window ---------------------------------------------------------


def process_cpu(server_group: int) -> dict[int, tuple[str, float]]:
    """CPU seconds so far of every process, by pid, labelled server (its process group), postgres or other."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        pid = int(text.split(" ", 1)[0])
        label = "server" if int(rest[2]) == server_group else "postgres" if comm.startswith("postgres") \
            else "client" if pid == os.getpid() else "other"
        # utime + stime, plus cutime + cstime: children that ended and were reaped (PostgreSQL backends of
        # closed connections, say) are counted in their parent.
        found[pid] = (label, sum(int(v) for v in rest[11:15]) / tick)
    return found


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting for I/O) since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuMark:
    processes: dict[int, tuple[str, float]]
    machine: float

    @classmethod
    def now(cls, server_group: int) -> CpuMark:
        return cls(process_cpu(server_group), machine_busy_seconds())

    def until(self, later: CpuMark) -> dict[str, float]:
        """CPU seconds per label between the two marks (processes that ended in between are not counted)."""
        used: dict[str, float] = defaultdict(float)
        for pid, (label, seconds) in later.processes.items():
            used[label] += seconds - self.processes.get(pid, (label, 0.0))[1]
        used["machine"] = later.machine - self.machine
        # Everything else on the machine; the per-process figure would take in whole reaped process trees.
        used["other"] = max(0.0, used["machine"] - used["server"] - used["postgres"] - used["client"])
        return {k: used.get(k, 0.0) for k in ("server", "postgres", "client", "other", "machine")}


def wait_until_quiet(*, max_cores: float = 0.25, patience: float = 120.0) -> float:
    """Wait (at most `patience` s) for the machine to be nearly idle; return the busy cores seen last."""
    deadline = time.monotonic() + patience
    while True:
        before = machine_busy_seconds()
        time.sleep(1.0)
        busy = machine_busy_seconds() - before
        if busy <= max_cores or time.monotonic() > deadline:
            return round(busy, 2)


# -- results ------------------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def _status_name(status: int) -> str:
    return {TIMEOUT_STATUS: "timeout", CONNECTION_STATUS: "connection"}.get(status, str(status))


def summarize(samples: Sequence[Sample], plan: Plan) -> dict[str, Any]:
    measured = [s for s in samples if s[0] >= plan.measure_from
                and (plan.measure_until is None or s[1] <= plan.measure_until)]
    end = plan.measure_until or max((s[1] for s in measured), default=plan.measure_from)
    window = max((end - plan.measure_from) / 1e9, 1e-9)
    ok = sorted((s[1] - s[0]) / 1e6 for s in measured if 200 <= s[2] < 300)
    errors = Counter(_status_name(s[2]) for s in measured if not 200 <= s[2] < 300)
    return {
        "window_s": round(window, 3),
        "requests": len(measured),
        "orders_ok": len(ok),
        "orders_per_s": round(len(ok) / window, 1),
        "latency_ms": {name: round(percentile(ok, p), 1) for name, p in
                       (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
        "errors": dict(sorted(errors.items())),
        "order_status": dict(Counter(s[3] for s in measured if s[3]).most_common()),
        "warmup_requests": sum(1 for s in samples if s[0] < plan.measure_from),
    }


def measure(backend: Backend, network: Network, options: Options, workers: int) -> dict[str, Any]:
    """Serve a fresh copy of the seeded database with this many processes and load it."""
    label = f"om_w{workers}"
    url = backend.copy(label)
    try:
        backend.settle()
        idle = wait_until_quiet(patience=options.quiet_wait)
        with serving(url, workers, backend.workdir) as server:
            sessions_before = backend.sessions(url)
            samples, plan, cpu = _load_with_cpu(server, network, options, f"{backend.name}-w{workers}")
            sessions_after = backend.sessions(url)
        result = summarize(samples, plan)
        if sessions_before is not None and sessions_after is not None:
            result["db_connections_opened"] = sessions_after - sessions_before
        result["cpu_cores"] = {k: round(v / result["window_s"], 2) for k, v in cpu.items()}
        result["server_log"] = _keep_log(server, options.output.parent / f"intake-{backend.name}-w{workers}.log")
    finally:
        backend.drop(url)
    return {"backend": backend.name, "workers": workers, "clients": options.clients,
            "busy_cores_before": idle, **result}


def _keep_log(server: Server, target: Path) -> str:
    """Copy the server's log beside the results; echo its tail when it has anything to say."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(server.log, target)
    lines = target.read_text(errors="replace").splitlines()
    noteworthy = [line for line in lines if "Traceback" in line or "ERROR" in line or "Error" in line]
    if noteworthy:
        print(f"  server log {target} has {len(noteworthy)} error line(s); its tail:", *lines[-25:],
              sep="\n    ", flush=True)
    return str(target)


class Sampler:
    """py-spy over the server's processes, from start() until stop(); folded stacks to `output`.

    The sampled processes are paused for each sample, which costs them some throughput: a
    profiled run's figures are not the benchmark's figures.
    """

    def __init__(self, pid: int, output: Path) -> None:
        self.pid = pid
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        executable = shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
        if executable is None:
            raise RuntimeError("--py-spy needs py-spy: .venv/bin/pip install py-spy")
        self.output.parent.mkdir(parents=True, exist_ok=True)
        # --gil: only the thread holding the GIL is sampled, so the samples are the servers' Python CPU time.
        self.process = subprocess.Popen([executable, "record", "--pid", str(self.pid), "--subprocesses", "--gil",
                                         "--rate", "100", "--format", "raw", "--output", str(self.output)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self) -> str:
        """Stop sampling and return the summary of what was sampled."""
        if self.process is None:
            return "py-spy was not started"
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if not self.output.exists():
            return f"py-spy wrote nothing: {self.process.stderr.read().decode() if self.process.stderr else ''}"
        with self.output.open() as lines:
            return profiling.report(profiling.read_folded(lines), top=25)


def _load_with_cpu(server: Server, network: Network, options: Options,
                   run: str) -> tuple[list[Sample], Plan, dict[str, float]]:
    """Run the load; also return the CPU seconds spent in the measured window, per process group."""
    group = server.process.pid
    marks: list[CpuMark] = []
    sampler = Sampler(group, options.output.parent / f"intake-{run}.folded") if options.py_spy else None

    def measuring() -> None:
        marks.append(CpuMark.now(group))
        if sampler:
            sampler.start()

    timer = threading.Timer(options.warmup, measuring)
    timer.daemon = True
    timer.start()
    try:
        samples, plan = run_load(server.port, network, options, run)
    finally:
        timer.cancel()
        if sampler:
            summary = sampler.stop()
            sampler.output.with_suffix(".txt").write_text(summary + "\n")
            print(f"  py-spy profile of the server ({sampler.output}):", *summary.splitlines()[:40],
                  sep="\n    ", flush=True)
    end = CpuMark.now(group)
    return samples, plan, (marks[0] if marks else end).until(end)


# -- pgbench ------------------------------------------------------------------------------------------


def run_pgbench(cluster: PgCluster, seconds: int) -> dict[str, Any]:
    """pgbench -i -s 10, then select-only and TPC-B-like runs with 8 clients, 2 threads."""
    cluster.psql("CREATE DATABASE pgbench")
    base = [find_bin("pgbench"), "-h", HOST, "-p", str(cluster.port), "-U", "postgres"]
    subprocess.run([*base, "-i", "-s", "10", "-q", "pgbench"], check=True, capture_output=True, timeout=600)
    cluster.psql("CHECKPOINT")
    result: dict[str, Any] = {"scale": 10, "clients": 8, "threads": 2, "duration_s": seconds}
    for name, extra in (("select_only", ["-S"]), ("tpcb_like", [])):
        out = subprocess.run([*base, "-c", "8", "-j", "2", "-T", str(seconds), *extra, "pgbench"], check=True,
                             capture_output=True, text=True, timeout=seconds + 300).stdout
        result[name] = _pgbench_figures(out)
    cluster.psql("DROP DATABASE pgbench")
    return result


def _pgbench_figures(output: str) -> dict[str, float]:
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    return {"tps": float(tps.group(1)) if tps else math.nan,
            "latency_avg_ms": float(latency.group(1)) if latency else math.nan}


# -- report -------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    versions = {name: _version(name) for name in ("uvicorn", "fastapi", "sqlalchemy", "psycopg", "pydantic")}
    return {
        "nproc": os.cpu_count(), "cpu_model": model.group(1).strip() if model else "unknown",
        "ram_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "python": platform.python_version(), "platform": platform.platform(), "packages": versions,
    }


def source_state() -> dict[str, str]:
    """A digest of src/ (the code measured, which git may not have committed yet) and its newest change."""
    import hashlib

    files = sorted((ROOT / "src").rglob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    newest = max((p.stat().st_mtime for p in files), default=0.0)
    return {"src_sha256": digest.hexdigest()[:16],
            "src_newest_change": datetime.fromtimestamp(newest, UTC).isoformat(timespec="seconds")}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def table(runs: Sequence[Mapping[str, Any]]) -> str:
    header = ("| backend | server processes | clients | orders/s | p50 ms | p90 ms | p99 ms | max ms "
              "| errors | order statuses | CPU cores: server / postgres / client / other / machine |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for r in runs:
        lat, cpu = r["latency_ms"], r["cpu_cores"]
        errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "0"
        statuses = ", ".join(f"{k} {v}" for k, v in r["order_status"].items())
        lines.append(f"| {r['backend']} | {r['workers']} | {r['clients']} | {r['orders_per_s']} | {lat['p50']} "
                     f"| {lat['p90']} | {lat['p99']} | {lat['max']} | {errors} | {statuses} "
                     f"| {cpu['server']} / {cpu['postgres']} / {cpu['client']} / {cpu['other']} / "
                     f"{cpu['machine']} |")
    return "\n".join(lines)


def pgbench_table(figures: Mapping[str, Any]) -> str:
    lines = ["| pgbench (scale 10, -c 8 -j 2) | tps | latency avg ms |", "|---|---|---|"]
    for name, label in (("select_only", f"-S (select only), {figures['duration_s']} s"),
                        ("tpcb_like", f"TPC-B-like (default), {figures['duration_s']} s")):
        lines.append(f"| {label} | {figures[name]['tps']:.0f} | {figures[name]['latency_avg_ms']:.3f} |")
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------------------


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_backend(name: str, workdir: Path, network: Network, options: Options, report: dict[str, Any]) -> None:
    backend = open_backend(name, workdir)
    try:
        report["versions"][name] = backend.version()
        print(f"[{name}] seeding {len(network.locations)} locations, {len(network.skus)} SKUs, "
              f"{len(network.stock)} stock rows ...", flush=True)
        options.output.parent.mkdir(parents=True, exist_ok=True)
        report["seed"][name] = seed(backend, network, options.output.parent)
        print(f"[{name}] seeded: {report['seed'][name]}", flush=True)
        for workers in options.workers_for(name):
            print(f"[{name}] {workers} server process(es), {options.clients} clients ...", flush=True)
            result = measure(backend, network, options, workers)
            report["runs"].append(result)
            print(table([result]).splitlines()[-1], flush=True)
        if isinstance(backend, PostgresBackend) and options.pgbench_seconds > 0:
            print(f"[{name}] pgbench ...", flush=True)
            report["pgbench"] = run_pgbench(backend.cluster, options.pgbench_seconds)
    finally:
        backend.close()


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    network = build_network(options.locations, options.skus)
    report: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/intake.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "code": source_state(),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        "versions": {}, "seed": {}, "runs": [], "pgbench": None,
    }
    workdir = Path(tempfile.mkdtemp(prefix="ordermesh-bench-"))
    try:
        for name in options.backends:
            run_backend(name, workdir, network, options, report)
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")
    print("\n" + table(report["runs"]))
    if report["pgbench"]:
        print("\n" + pgbench_table(report["pgbench"]))
    print(f"\nwritten to {options.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
