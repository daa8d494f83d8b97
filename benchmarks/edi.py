"""EDI benchmark: X12 parse throughput in memory, and 945 shipping advices applied on a real database.

What is measured
    1. Parsing. `read_interchange` (delimiter detection, segment split, envelope checks: ISA/IEA, GS/GE,
       ST/SE counts and control numbers) over a corpus of interchanges as warehouses send them: 945 shipping
       advices (1, 5 or 20 sets per interchange, 1-6 lines each with package tracking and our line ids),
       846 inventory advices (one set of 200-2,000 LIN items, each with two QTY) and 940 shipping orders
       (5 or 20 sets, 1-8 lines with descriptions); 4010 and 5010, six delimiter sets (element, segment,
       component, repetition: `*~>`, `*~:^`, `~*:^`, `~}>`, `|~>^`, and the non-printing 0x1D 0x1C 0x1F),
       with no line break, LF or CR/LF after each segment; about a third of the segments of each kind.
       Reported in segments/s (ISA to IEA, every segment counted) and interchanges/s, best of N passes.
       Then reading and mapping: the same corpus read and each set turned into Ordermesh's terms
       (`read_shipping_advice(...).confirmation()`, `read_inventory_advice(...).snapshots(...)`,
       `read_shipping_order(...)`).
    2. Applying 945s. `ordermesh.services.edi_inbound.receive_x12`, the pipeline behind `POST /v1/edi/inbound`
       and the partner directories, on a SQLite file and on a durable PostgreSQL cluster: a warehouse location,
       an item master, stock, an X12 WMS partner serving the warehouse (`add_partner`), and orders captured
       through `capture_order` (1-4 lines each, all sourced at the warehouse). Each fulfilment order then gets
       one 945 (in its own interchange, the partner's identity as ISA sender) shipping it complete: half with
       one client, half with several client threads. Reported: shipments/s, latency per interchange
       (p50/p90/p99/max, and the median of the first and last tenth sent, where a cost growing with the log
       shows), CPU cores used by the benchmark process, by PostgreSQL and by everything else on the machine.
       Then every 945 is sent again in a new envelope: the de-duplication path (`repeated`).
       Afterwards the database must show every fulfilment order shipped, with exactly one shipment, and stock
       on hand and reserved down by exactly the shipped units; anything else fails the run.

    python benchmarks/edi.py [--parts parse,apply] [--backends sqlite,postgres] [--segments 300000] [--runs 5]
                             [--orders 4000] [--clients 4] [--json benchmarks/out/edi.json]

Everything runs in this process; the PostgreSQL cluster and temporary files are removed on exit.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import intake  # benchmarks/intake.py, beside this file: machine and source description, percentiles
from intake import ROOT, percentile
from ordermesh.domain.catalog import Address
from ordermesh.domain.edi import (
    ControlNumbers,
    Delimiters,
    Interchange,
    TradingIdentity,
    TransactionSet,
    X12Version,
    envelope,
    read_interchange,
    write_interchange,
)
from ordermesh.domain.edi.inventory_advice import (
    InventoryAdvice,
    StockItem,
    inventory_advice_set,
    read_inventory_advice,
)
from ordermesh.domain.edi.parties import Carrier, Party, Reference
from ordermesh.domain.edi.shipping_advice import (
    ShippedLine,
    ShippingAdvice,
    read_shipping_advice,
    shipping_advice_set,
)
from ordermesh.domain.edi.shipping_order import (
    ShippingOrderLine,
    WarehouseShippingOrder,
    read_shipping_order,
    shipping_order_set,
)

SEED = 20261127
WAREHOUSE = TradingIdentity("ZZ", "ACMEWMS", "ACMEWMS")
ORDERMESH = TradingIdentity("ZZ", "ORDERMESH", "ORDERMESH")
PREPARED_AT = datetime(2026, 11, 27, 15, 30)
SHIPPED_ON = date(2026, 11, 27)
LOCATION = "WH-EDI"
ON_HAND = 1_000_000  # per SKU: no order ever waits for stock
CITIES = [("Newark", "NJ", "07102"), ("Chicago", "IL", "60601"), ("Austin", "TX", "78701"),
          ("Portland", "OR", "97201"), ("Denver", "CO", "80202"), ("Atlanta", "GA", "30303")]
CARRIERS = [("UPSN", "GROUND"), ("FDEG", "HOME DELIVERY"), ("USPS", "PRIORITY"), ("ONTR", "GROUND")]


@dataclass(frozen=True)
class WireFormat:
    """How a partner writes: version, delimiters, and what follows each segment terminator."""

    name: str
    version: X12Version
    delimiters: Delimiters
    line_break: str


WIRE_FORMATS = (
    WireFormat("4010 *~> no newline", X12Version.V4010, Delimiters("*", "~", ">", None), ""),
    WireFormat("4010 *~> LF", X12Version.V4010, Delimiters("*", "~", ">", None), "\n"),
    WireFormat("5010 *~:^ CRLF", X12Version.V5010, Delimiters("*", "~", ":", "^"), "\r\n"),
    WireFormat("5010 ~*:^ no newline", X12Version.V5010, Delimiters("~", "*", ":", "^"), ""),
    WireFormat("4010 ~}> LF", X12Version.V4010, Delimiters("~", "}", ">", None), "\n"),
    WireFormat("5010 |~>^ CRLF", X12Version.V5010, Delimiters("|", "~", ">", "^"), "\r\n"),
    WireFormat("4010 0x1D/0x1C/0x1F", X12Version.V4010, Delimiters("\x1d", "\x1c", "\x1f", None), ""),
)
PARTNER_FORMAT = WIRE_FORMATS[1]  # how the benchmark's WMS writes its 945s


@dataclass(frozen=True)
class Options:
    parts: tuple[str, ...]
    backends: tuple[str, ...]
    segments: int
    runs: int
    orders: int
    clients: int
    skus: int
    quiet_wait: float
    output: Path


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--parts", default="parse,apply", help="comma list of parse, apply")
    parser.add_argument("--backends", default="sqlite,postgres", help="comma list of sqlite, postgres (apply)")
    parser.add_argument("--segments", type=int, default=300_000, help="segments in the parse corpus (at least)")
    parser.add_argument("--runs", type=int, default=5, help="parse passes; the best is reported")
    parser.add_argument("--orders", type=int, default=4000,
                        help="orders per backend, one fulfilment order and one 945 each; half are sent by one "
                             "client, half by --clients")
    parser.add_argument("--clients", type=int, default=4, help="client threads for the concurrent half")
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--quiet-wait", type=float, default=20.0,
                        help="before each measurement, wait at most this long for a nearly idle machine")
    parser.add_argument("--json", dest="output", type=Path, default=ROOT / "benchmarks" / "out" / "edi.json",
                        help="where the raw results go")
    args = parser.parse_args(argv)
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    if set(parts) - {"parse", "apply"} or set(backends) - {"sqlite", "postgres"}:
        parser.error("--parts takes parse and apply, --backends sqlite and postgres")
    if min(args.segments, args.runs, args.clients, args.skus) < 1 or args.orders < 2:
        parser.error("--segments, --runs, --clients and --skus must be positive, --orders at least 2")
    return Options(parts, backends, args.segments, args.runs, args.orders, args.clients, args.skus,
                   args.quiet_wait, args.output)


# -- documents as warehouses send them ----------------------------------------------------------------


class Documents:
    """Realistic 945, 846 and 940 sets with made-up but well-formed identifiers, reproducible from a seed."""

    def __init__(self, seed: int | str) -> None:
        self.rng = random.Random(seed)
        self.count = 0

    def _id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count:08d}{self.rng.randrange(16**6):06X}"

    def _address(self) -> Address:
        city, region, postal = self.rng.choice(CITIES)
        return Address(line1=f"{self.rng.randint(1, 9999)} Main St", line2="Suite 200" if self.rng.random() < 0.3
                       else None, city=city, region=region, postal_code=postal, country="US")

    def shipping_advice(self, fo_id: str | None = None, lines: Sequence[tuple[str, int, str]] = ()) -> ShippingAdvice:
        """A complete shipment of a fulfilment order: (sku, units, order line id) per line, random when none."""
        if not lines:
            lines = [(f"SKU-{self.rng.randrange(10_000):05d}", self.rng.randint(1, 4), self._id("ol_"))
                     for _ in range(self.rng.randint(1, 6))]
        scac, service = self.rng.choice(CARRIERS)
        shipped = tuple(ShippedLine(n, sku, units, ordered=units, difference=0, order_line_id=line_id,
                                    package_tracking=f"1Z{self.rng.randrange(10**16):016d}")
                        for n, (sku, units, line_id) in enumerate(lines, start=1))
        return ShippingAdvice(
            fulfillment_order_id=fo_id or self._id("fo_"), shipped_on=SHIPPED_ON, lines=shipped,
            shipment_id=self._id("SHP"), order_external_id=f"#{self.rng.randrange(10**7)}",
            ship_to=Party("Ada Lovelace", address=self._address()),
            ship_from=Party("Acme Newark DC", LOCATION, address=self._address()),
            references=(Reference("BM", self._id("BOL")), Reference("CN", shipped[0].package_tracking or "")),
            carrier=Carrier(scac, service), total_weight=Decimal(self.rng.randint(5, 400)) / 10,
        )

    def inventory_advice(self, items: int) -> InventoryAdvice:
        stock = tuple(StockItem(f"SKU-{n:05d}", on_hand=self.rng.randint(0, 500), available=self.rng.randint(0, 400),
                                upc=f"{self.rng.randrange(10**12):012d}") for n in range(items))
        return InventoryAdvice(self._id("INV"), datetime(2026, 11, 27, 6, 0), stock, Party("Acme Newark DC", LOCATION))

    def shipping_order(self) -> WarehouseShippingOrder:
        lines = tuple(ShippingOrderLine(n, f"SKU-{self.rng.randrange(10_000):05d}", self.rng.randint(1, 4),
                                        order_line_id=self._id("ol_"), description="Organic cotton tee, navy, M")
                      for n in range(1, self.rng.randint(1, 8) + 1))
        scac, service = self.rng.choice(CARRIERS)
        return WarehouseShippingOrder(
            fulfillment_order_id=self._id("fo_"), order_external_id=f"#{self.rng.randrange(10**7)}",
            ship_to=Party("Ada Lovelace", address=self._address()), lines=lines,
            ship_from=Party("Acme Newark DC", LOCATION), references=(Reference("CO", self._id("CO")),),
            requested_ship_date=SHIPPED_ON, deliver_by=date(2026, 12, 2), carrier=Carrier(scac, service),
        )


def enveloped(sets: Sequence[TransactionSet], wire: WireFormat, control: int, *,
              sender: TradingIdentity = WAREHOUSE, receiver: TradingIdentity = ORDERMESH) -> Interchange:
    numbers = ControlNumbers(control, control, 1, len(sets))
    return envelope(sets, sender=sender, receiver=receiver, numbers=numbers, version=wire.version,
                    prepared_at=PREPARED_AT, delimiters=wire.delimiters)


def segment_count(interchange: Interchange) -> int:
    """Every segment of the interchange, ISA and IEA included."""
    return 2 + sum(2 + sum(ts.segment_count for ts in group.sets) for group in interchange.groups)


# -- part 1: parsing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One interchange of the parse corpus."""

    kind: str  # 945, 846, 940
    wire: str
    text: str
    segments: int
    sets: int


def parse_corpus(target_segments: int) -> list[Sample]:
    """About a third of `target_segments` of each kind, the interchanges rotating over the wire formats."""
    documents = Documents(SEED)
    rng = random.Random(SEED)
    corpus: list[Sample] = []
    control = 0
    for kind in ("945", "846", "940"):
        total = 0
        while total < target_segments / 3:
            wire = WIRE_FORMATS[control % len(WIRE_FORMATS)]
            control += 1
            if kind == "945":
                sets = [shipping_advice_set(documents.shipping_advice()) for _ in range(rng.choice((1, 5, 20)))]
            elif kind == "846":
                sets = [inventory_advice_set(documents.inventory_advice(rng.choice((200, 500, 2000))))]
            else:
                sets = [shipping_order_set(documents.shipping_order()) for _ in range(rng.choice((5, 20)))]
            interchange = enveloped(sets, wire, control)
            text = write_interchange(interchange, line_break=wire.line_break)
            corpus.append(Sample(kind, wire.name, text, segment_count(interchange), len(sets)))
            total += corpus[-1].segments
    return corpus


def check_corpus(corpus: Sequence[Sample]) -> None:
    """Every interchange reads back without a problem, with the segments and sets it was written with."""
    for sample in corpus:
        interchange = read_interchange(sample.text)
        if interchange.all_problems or segment_count(interchange) != sample.segments:
            raise SystemExit(f"the parser disagrees with the writer on a {sample.kind} ({sample.wire}): "
                             f"{interchange.all_problems[:3]}, {segment_count(interchange)} != {sample.segments}")
        mapped = sum(1 for _ in mapped_sets(interchange))
        if mapped != sample.sets:
            raise SystemExit(f"{mapped} of {sample.sets} sets mapped in a {sample.kind}")


def mapped_sets(interchange: Interchange) -> Iterator[object]:
    """Each set of an interchange in Ordermesh's terms, as the inbound pipeline maps it."""
    for group in interchange.groups:
        for ts in group.sets:
            if ts.code == "945":
                yield read_shipping_advice(ts).confirmation()
            elif ts.code == "846":
                yield read_inventory_advice(ts).snapshots(zone=UTC, default_location=LOCATION)
            else:
                yield read_shipping_order(ts)


def read_only(texts: Sequence[str]) -> None:
    for text in texts:
        read_interchange(text)


def read_and_map(texts: Sequence[str]) -> None:
    for text in texts:
        for _ in mapped_sets(read_interchange(text)):
            pass


def best_of(runs: int, work: Callable[[], None]) -> tuple[float, list[float]]:
    """The fastest of `runs` timed calls (a collection before each, none forced during)."""
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times), times


def rates(samples: Sequence[Sample], seconds: float) -> dict[str, Any]:
    segments = sum(s.segments for s in samples)
    return {
        "interchanges": len(samples), "sets": sum(s.sets for s in samples), "segments": segments,
        "megabytes": round(sum(len(s.text) for s in samples) / 1e6, 2), "best_s": round(seconds, 4),
        "segments_per_s": round(segments / seconds), "interchanges_per_s": round(len(samples) / seconds, 1),
        "sets_per_s": round(sum(s.sets for s in samples) / seconds, 1),
    }


def run_parse(options: Options) -> dict[str, Any]:
    started = time.perf_counter()
    corpus = parse_corpus(options.segments)
    built = time.perf_counter() - started
    check_corpus(corpus)
    print(f"[parse] corpus: {len(corpus)} interchanges, {sum(s.segments for s in corpus):,} segments, "
          f"{sum(len(s.text) for s in corpus) / 1e6:.1f} MB (built in {built:.1f} s)", flush=True)
    result: dict[str, Any] = {"busy_cores_before": intake.wait_until_quiet(patience=options.quiet_wait),
                              "read": {}, "read_and_map": {}, "by_wire_format": {}}
    groups = {"all": list(corpus), **{k: [s for s in corpus if s.kind == k] for k in ("945", "846", "940")}}
    for name, samples in groups.items():
        texts = [s.text for s in samples]
        best, times = best_of(options.runs, partial(read_only, texts))
        result["read"][name] = {**rates(samples, best), "runs_s": [round(t, 3) for t in times]}
        best, times = best_of(options.runs, partial(read_and_map, texts))
        result["read_and_map"][name] = {**rates(samples, best), "runs_s": [round(t, 3) for t in times]}
        print(f"[parse] {name}: read {result['read'][name]['segments_per_s']:,} segments/s, read and map "
              f"{result['read_and_map'][name]['segments_per_s']:,} segments/s", flush=True)
    for wire in WIRE_FORMATS:
        samples = [s for s in corpus if s.wire == wire.name]
        texts = [s.text for s in samples]
        best, _ = best_of(options.runs, partial(read_only, texts))
        result["by_wire_format"][wire.name] = rates(samples, best)
    return result


# -- part 2: applying 945s on a database ------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    url: str
    version: str
    postmaster: int | None = None  # PostgreSQL's server process, whose backends' CPU is counted


@contextmanager
def database(backend: str, workdir: Path) -> Iterator[Database]:
    """A fresh, migrated database: a SQLite file, or a database of a durable PostgreSQL cluster of its own."""
    import sqlite3

    from tests.pg import start_cluster

    from ordermesh.adapters.db.migrate import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'edi.db'}"
        upgrade(url)
        yield Database(url, f"SQLite {sqlite3.sqlite_version}")
        return
    cluster = start_cluster(durable=True)
    try:
        cluster.psql("CREATE DATABASE om_edi")
        url = cluster.database_url("om_edi")
        upgrade(url)
        postmaster = int((cluster.directory / "data" / "postmaster.pid").read_text().split()[0])
        yield Database(url, "PostgreSQL " + cluster.psql("SHOW server_version").strip(), postmaster)
    finally:
        cluster.stop()


def cpu_seconds(postmaster: int | None) -> dict[str, float]:
    """CPU seconds so far: this process, our PostgreSQL cluster (server and backends), the whole machine."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"benchmark": 0.0, "postgres": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        pid, rest = int(text.split(" ", 1)[0]), text[text.rindex(")") + 2:].split()
        label = "benchmark" if pid == os.getpid() else \
            "postgres" if postmaster is not None and postmaster in (pid, int(rest[1])) else None
        if label:  # utime + stime, plus children reaped (the backends of closed connections)
            used[label] += sum(int(v) for v in rest[11:15]) / tick
    return {**used, "machine": intake.machine_busy_seconds()}


@dataclass(frozen=True)
class Shipment945:
    """A fulfilment order to ship and the units per SKU its 945 ships."""

    fo_id: str
    lines: tuple[tuple[str, int, str], ...]  # (sku, units, order line id)


def seed(ctx: Any, skus: Sequence[str], partner_dir: Path) -> None:
    """A warehouse with every SKU in stock, served by an X12 WMS partner."""
    from ordermesh.domain.access import SYSTEM
    from ordermesh.domain.catalog import Capability, LocationType
    from ordermesh.domain.partners import PartnerKind, PartnerProtocol, Transport, TransportKind, X12Settings
    from ordermesh.services import catalog, inventory, partners
    from ordermesh.services.commands import CreateItem, CreateLocation, SetStock

    address = Address(line1="1 Port St", city="Newark", region="NJ", postal_code="07114", country="US",
                      lat=40.7357, lon=-74.1724)
    catalog.create_location(ctx, command=CreateLocation(LOCATION, "Acme Newark DC", LocationType.WAREHOUSE, address,
                                                        frozenset({Capability.SHIP})), actor=SYSTEM)
    for number, sku in enumerate(skus):
        catalog.create_item(ctx, command=CreateItem(sku, f"Item {sku}", 200 + number % 900, {}), actor=SYSTEM)
    now = datetime.now(UTC)
    inventory.snapshot(ctx, counts=[SetStock(LOCATION, sku, ON_HAND, None, now, "count") for sku in skus],
                       actor=SYSTEM)
    settings = X12Settings(partner=WAREHOUSE, ours=ORDERMESH, version=PARTNER_FORMAT.version,
                           delimiters=PARTNER_FORMAT.delimiters, line_break=PARTNER_FORMAT.line_break)
    draft = partners.PartnerDraft("Acme WMS", PartnerKind.WMS, PartnerProtocol.X12, settings,
                                  Transport(TransportKind.DIRECTORY, str(partner_dir / "in"), str(partner_dir / "out")),
                                  (LOCATION,))
    partners.add_partner(ctx, draft=draft, secrets={}, actor=SYSTEM)


def capture_orders(ctx: Any, skus: Sequence[str], count: int) -> list[Shipment945]:
    """Orders of 1-4 lines through `capture_order`; each must be sourced whole at the warehouse."""
    from ordermesh.domain.access import SYSTEM
    from ordermesh.domain.orders import Customer, Delivery
    from ordermesh.services.commands import CaptureOrder, NewLine
    from ordermesh.services.orders import capture_order

    rng = random.Random(f"{SEED}-orders")
    ship_to = Address(name="Ada Lovelace", line1="5 Park Ave", city="New York", region="NY", postal_code="10016",
                      country="US", lat=40.7128, lon=-74.0060)
    shipments = []
    for number in range(count):
        external = f"EDI-{number:06d}"
        lines = tuple(NewLine(f"{external}-{n}", sku, rng.randint(1, 3), Decimal("19.90"))
                      for n, sku in enumerate(rng.sample(skus, rng.randint(1, 4)), start=1))
        command = CaptureOrder("web", external, "USD", Customer(email=f"buyer{number}@example.com"), ship_to,
                               Delivery(), lines)
        order, _ = capture_order(ctx, command=command, actor=SYSTEM)
        if len(order.fulfillment_orders) != 1 or order.fulfillment_orders[0].location != LOCATION:
            raise SystemExit(f"order {external} was not sourced whole at {LOCATION}: {order.fulfillment_orders}")
        fo = order.fulfillment_orders[0]
        shipments.append(Shipment945(fo.id, tuple((fl.sku, fl.quantity, fl.order_line_id) for fl in fo.lines)))
    return shipments


def interchanges_945(shipments: Sequence[Shipment945], first_control: int, seed: str) -> list[str]:
    """One interchange per fulfilment order, from the partner, in its format, shipping it complete."""
    documents = Documents(seed)
    return [write_interchange(enveloped([shipping_advice_set(documents.shipping_advice(s.fo_id, s.lines))],
                                        PARTNER_FORMAT, first_control + n), line_break=PARTNER_FORMAT.line_break)
            for n, s in enumerate(shipments)]


def resent(texts: Sequence[str], first_control: int) -> list[str]:
    """The same sets in new envelopes (new control numbers), as a warehouse re-sending its outbox would."""
    again = []
    for n, text in enumerate(texts):
        interchange = read_interchange(text)
        sets = [ts for group in interchange.groups for ts in group.sets]
        again.append(write_interchange(enveloped(sets, PARTNER_FORMAT, first_control + n),
                                       line_break=PARTNER_FORMAT.line_break))
    return again


def send_all(ctx: Any, texts: Sequence[str], clients: int, postmaster: int | None) -> dict[str, Any]:
    """Send every interchange through `receive_x12` from `clients` threads; time each and the whole.

    Also reported: the median latency of the first and the last tenth sent (a cost that grows with what is
    logged shows there), and the CPU cores used meanwhile by this process, PostgreSQL and everything else.
    """
    from ordermesh.domain.access import SYSTEM
    from ordermesh.services.edi_inbound import receive_x12

    latencies: list[tuple[float, float]] = []  # (started, ms)
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    lock = threading.Lock()

    def client(mine: Sequence[str]) -> None:
        for text in mine:
            started = time.perf_counter()
            try:
                result = receive_x12(ctx, text, actor=SYSTEM)
                outcome = "repeated" if result.repeated else ",".join(d.status for d in result.documents)
            except Exception as exc:  # counted; any error fails the run after this pass
                outcome = f"error: {type(exc).__name__}"
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append((started, elapsed * 1000))
                outcomes[outcome] += 1

    threads = [threading.Thread(target=client, args=(texts[c::clients],)) for c in range(clients)]
    cpu_before = cpu_seconds(postmaster)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = {k: v - cpu_before[k] for k, v in cpu_seconds(postmaster).items()}
    cpu["other"] = max(0.0, cpu["machine"] - cpu["benchmark"] - cpu["postgres"])
    ordered = sorted(ms for _, ms in latencies)
    by_start = [ms for _, ms in sorted(latencies)]
    tenth = max(1, len(by_start) // 10)
    return {
        "clients": clients, "interchanges": len(texts), "wall_s": round(wall, 3),
        "per_s": round(len(texts) / wall, 1),
        "latency_ms": {name: round(percentile(ordered, p), 2) for name, p in
                       (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
        "p50_first_tenth_ms": round(percentile(sorted(by_start[:tenth]), 50), 2),
        "p50_last_tenth_ms": round(percentile(sorted(by_start[-tenth:]), 50), 2),
        "cpu_cores": {k: round(v / wall, 2) for k, v in cpu.items()},
        # what one interchange costs, whatever else the machine does: less sensitive to load than the rate
        "cpu_ms_per_interchange": {k: round(1000 * cpu[k] / len(texts), 2) for k in ("benchmark", "postgres")},
        "outcomes": dict(outcomes), "errors": errors[:5],
    }


def stock_levels(url: str) -> dict[str, tuple[int, int]]:
    """(on hand, reserved) per SKU at the warehouse."""
    from sqlalchemy import select

    from ordermesh.adapters.db.engine import build_engine
    from ordermesh.adapters.db.tables import stock

    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(stock.c.sku, stock.c.on_hand, stock.c.reserved)
                                .where(stock.c.location_code == LOCATION))
            return {sku: (on_hand, reserved) for sku, on_hand, reserved in rows}
    finally:
        engine.dispose()


def shipped_state(url: str) -> tuple[Counter[str], dict[str, str], Counter[tuple[str, str, str]]]:
    """Shipments per fulfilment order, each fulfilment order's status, and EDI documents by (direction,
    type, status)."""
    from sqlalchemy import func, select

    from ordermesh.adapters.db.engine import build_engine
    from ordermesh.adapters.db.tables import edi_documents, fulfillment_orders, shipments

    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            per_fo = Counter({fo: int(n) for fo, n in conn.execute(
                select(shipments.c.fulfillment_order_id, func.count()).group_by(shipments.c.fulfillment_order_id))})
            status = {fo: s for fo, s in conn.execute(select(fulfillment_orders.c.id, fulfillment_orders.c.status))}
            docs = Counter({(d, t, s): int(n) for d, t, s, n in conn.execute(
                select(edi_documents.c.direction, edi_documents.c.type, edi_documents.c.status, func.count())
                .group_by(edi_documents.c.direction, edi_documents.c.type, edi_documents.c.status))})
            return per_fo, status, docs
    finally:
        engine.dispose()


def verify(url: str, shipments: Sequence[Shipment945], before: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """Fail unless every fulfilment order was shipped exactly once and stock moved by exactly the shipped units."""
    per_fo, status, docs = shipped_state(url)
    after = stock_levels(url)
    units: dict[str, int] = defaultdict(int)
    for s in shipments:
        for sku, quantity, _ in s.lines:
            units[sku] += quantity
    problems = []
    not_once = [s.fo_id for s in shipments if per_fo.get(s.fo_id) != 1]
    not_shipped = [s.fo_id for s in shipments if status.get(s.fo_id) != "shipped"]
    if not_once:
        problems.append(f"{len(not_once)} fulfilment orders without exactly one shipment, e.g. {not_once[:3]}")
    if not_shipped:
        problems.append(f"{len(not_shipped)} fulfilment orders not shipped, e.g. {not_shipped[:3]}")
    if sum(per_fo.values()) != len(shipments):
        problems.append(f"{sum(per_fo.values())} shipments in the database for {len(shipments)} fulfilment orders")
    for sku, (on_hand, reserved) in before.items():
        expected = (on_hand - units.get(sku, 0), reserved - units.get(sku, 0))
        if after.get(sku) != expected:
            problems.append(f"{sku}: on hand, reserved {after.get(sku)}, expected {expected}")
    if docs[("in", "945", "applied")] != len(shipments):
        problems.append(f"{docs[('in', '945', 'applied')]} 945s logged applied for {len(shipments)} sent")
    if problems:
        raise SystemExit("the database does not show the 945s applied exactly once:\n  " + "\n  ".join(problems[:20]))
    return {"fulfilment_orders_shipped_once": len(shipments), "units_shipped": sum(units.values()),
            "edi_documents": {"/".join(key): n for key, n in sorted(docs.items())}}


def run_apply(backend: str, options: Options, workdir: Path) -> dict[str, Any]:
    from ordermesh.bootstrap import build
    from ordermesh.config import Settings

    skus = [f"EDI-{n:05d}" for n in range(options.skus)]
    with database(backend, workdir) as db:
        settings = Settings(database_url=db.url, embedded_worker=False, bootstrap_admin_key=None,
                            db_pool_size=max(20, options.clients + 2))
        runtime = build(settings)
        try:
            ctx = runtime.context
            started = time.perf_counter()
            seed(ctx, skus, workdir)
            shipments = capture_orders(ctx, skus, options.orders)
            setup = time.perf_counter() - started
            print(f"[{backend}] {options.orders} orders captured, {len(skus)} SKUs ({setup:.1f} s)", flush=True)
            texts = interchanges_945(shipments, 1000, f"{SEED}-{backend}")
            again = resent(texts, 1000 + len(texts))
            half = len(texts) // 2
            plan = [("ship", 1, texts[:half]), ("ship", options.clients, texts[half:]),
                    ("resend", 1, again[:half]), ("resend", options.clients, again[half:])]
            before = stock_levels(db.url)
            runs: dict[str, Any] = {}
            checks = {}
            for step, clients, batch in plan:
                name = f"{step}, {clients} client{'s' if clients > 1 else ''}"
                idle = intake.wait_until_quiet(patience=options.quiet_wait)
                runs[name] = {"busy_cores_before": idle, **send_all(ctx, batch, clients, db.postmaster)}
                _report_run(backend, name, runs[name])
                _fail_on_errors(backend, name, runs[name], "applied" if step == "ship" else "repeated")
                if clients > 1:  # after each whole pass over the fulfilment orders
                    checks[f"after {step}"] = verify(db.url, shipments, before)
        finally:
            runtime.close()
    return {"backend": backend, "version": db.version, "setup_s": round(setup, 1), "orders": options.orders,
            "skus": len(skus), "lines_per_945": round(sum(len(s.lines) for s in shipments) / len(shipments), 2),
            "bytes_per_945": round(sum(len(t) for t in texts) / len(texts)), "runs": runs, "checks": checks}


def _report_run(backend: str, name: str, r: dict[str, Any]) -> None:
    lat = r["latency_ms"]
    print(f"[{backend}] {name}: {r['per_s']} interchanges/s, p50 {lat['p50']} ms, p99 {lat['p99']} ms, "
          f"{r['outcomes']}, CPU cores {r['cpu_cores']}", flush=True)


def _fail_on_errors(backend: str, name: str, r: dict[str, Any], expected: str) -> None:
    wrong = {k: v for k, v in r["outcomes"].items() if k != expected}
    if wrong or r["outcomes"].get(expected) != r["interchanges"]:
        raise SystemExit(f"[{backend}] {name}: every interchange should be {expected}, got {r['outcomes']}; "
                         f"first errors: {r['errors']}")


# -- report -------------------------------------------------------------------------------------------------


def parse_table(result: dict[str, Any]) -> str:
    lines = ["| corpus | interchanges | sets | segments | MB | read: segments/s | interchanges/s "
             "| read + map: segments/s | sets/s |", "|---|---|---|---|---|---|---|---|---|"]
    for name, read in result["read"].items():
        mapped = result["read_and_map"][name]
        lines.append(f"| {name} | {read['interchanges']} | {read['sets']} | {read['segments']:,} "
                     f"| {read['megabytes']} | {read['segments_per_s']:,} | {read['interchanges_per_s']:,} "
                     f"| {mapped['segments_per_s']:,} | {mapped['sets_per_s']:,} |")
    lines += ["", "| wire format | interchanges | segments | read: segments/s |", "|---|---|---|---|"]
    for name, read in result["by_wire_format"].items():
        lines.append(f"| {name} | {read['interchanges']} | {read['segments']:,} | {read['segments_per_s']:,} |")
    return "\n".join(lines)


def apply_table(results: Sequence[dict[str, Any]]) -> str:
    lines = ["| backend | run | clients | 945s | shipments/s | p50 ms | p90 ms | p99 ms | max ms "
             "| p50 first / last tenth ms | outcomes | CPU cores: benchmark / postgres / other "
             "| CPU ms per 945: benchmark / postgres |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        for name, r in result["runs"].items():
            lat, cpu = r["latency_ms"], r["cpu_cores"]
            outcomes = ", ".join(f"{k} {v}" for k, v in r["outcomes"].items())
            lines.append(f"| {result['backend']} | {name.split(',')[0]} | {r['clients']} | {r['interchanges']} "
                         f"| {r['per_s']} | {lat['p50']} | {lat['p90']} | {lat['p99']} | {lat['max']} "
                         f"| {r['p50_first_tenth_ms']} / {r['p50_last_tenth_ms']} | {outcomes} "
                         f"| {cpu['benchmark']} / {cpu['postgres']} / {cpu['other']} "
                         f"| {r['cpu_ms_per_interchange']['benchmark']} / {r['cpu_ms_per_interchange']['postgres']} |")
    return "\n".join(lines)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    report: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/edi.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": intake.machine(),
        "code": intake.source_state(), "options": {k: str(v) for k, v in asdict(options).items()},
        "load_average_before": Path("/proc/loadavg").read_text().split()[:3], "parse": None, "apply": [],
    }
    workdir = Path(tempfile.mkdtemp(prefix="ordermesh-edi-"))
    try:
        if "parse" in options.parts:
            report["parse"] = run_parse(options)
        if "apply" in options.parts:
            for backend in options.backends:
                directory = workdir / backend
                directory.mkdir()
                report["apply"].append(run_apply(backend, options, directory))
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["load_average_after"] = Path("/proc/loadavg").read_text().split()[:3]
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2) + "\n")
    if report["parse"]:
        print("\n" + parse_table(report["parse"]))
    if report["apply"]:
        print("\n" + apply_table(report["apply"]))
    print(f"\nwritten to {options.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
