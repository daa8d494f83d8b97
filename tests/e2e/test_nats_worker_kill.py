"""`ordermesh worker` killed (SIGKILL) while it relays to NATS, then started again: each event reaches the
consumer exactly once, wherever the kill landed (before, during or after a batch's publish)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ordermesh.bootstrap import build
from ordermesh.config import Settings
from ordermesh.domain.events import Event
from ordermesh.services.ports import UnitOfWork
from tests.nats_server import NatsServer, consume, start_nats, stream_messages

EVENTS = 20_000
KILL_AFTER = 2_000  # events in the stream
DRAIN_SECONDS = 120.0


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = start_nats(tmp_path / "nats")
    try:
        yield server
    finally:
        server.remove()


def start_worker(database_url: str, nats_url: str, directory: Path) -> subprocess.Popen[bytes]:
    """`ordermesh worker` relaying to NATS, in its own process group, logging to directory/worker.log."""
    env = {**os.environ, "ORDERMESH_DATABASE_URL": database_url, "ORDERMESH_NATS_URL": nats_url,
           "ORDERMESH_LOG_LEVEL": "warning", "ORDERMESH_REOPTIMISE_EVERY_SECONDS": "0"}
    with (directory / "worker.log").open("ab") as log:
        return subprocess.Popen([str(Path(sys.executable).with_name("ordermesh")), "worker"], cwd=directory, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(condition: Callable[[], bool], what: str, worker: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + DRAIN_SECONDS
    while not condition():
        if worker.poll() is not None:
            raise AssertionError(f"the worker exited with {worker.returncode}:\n{log.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {DRAIN_SECONDS} s:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)


def fill_outbox(database_url: str) -> list[str]:
    """EVENTS committed events in the outbox (through the repository); return their ids in commit order."""
    runtime = build(Settings(database_url=database_url, embedded_worker=False))
    try:
        def write(uow: UnitOfWork) -> None:
            events = [Event("ordermesh.item.created", f"SKU-{n:05d}", {"sku": f"SKU-{n:05d}"}) for n in range(EVENTS)]
            uow.outbox.add(events, runtime.context.clock.now())

        runtime.context.transaction(write)
        return [e.id for e in runtime.context.read(lambda uow: uow.outbox.feed(after=None, limit=EVENTS)).rows]
    finally:
        runtime.close()


@pytest.mark.slow
def test_a_worker_killed_mid_relay_and_started_again_delivers_every_event_exactly_once(
    database_url: str, nats_server: NatsServer, tmp_path: Path
) -> None:
    ids = fill_outbox(database_url)
    log = tmp_path / "worker.log"

    first = start_worker(database_url, nats_server.url, tmp_path)
    try:
        wait_for(lambda: stream_messages(nats_server.url) >= KILL_AFTER, "the first events", first, log)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    in_stream_at_the_kill = stream_messages(nats_server.url)

    second = start_worker(database_url, nats_server.url, tmp_path)
    try:
        wait_for(lambda: stream_messages(nats_server.url) >= EVENTS, "the whole outbox", second, log)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0, log.read_text(errors="replace")

    received = consume(nats_server.url)
    assert len(ids) == EVENTS
    assert in_stream_at_the_kill < EVENTS  # the kill landed mid-way
    assert [message.headers["Nats-Msg-Id"] if message.headers else None for message in received] == ids
