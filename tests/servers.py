"""Run `ordermesh serve` as child processes, for tests that need real processes (and real crashes)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ADMIN_KEY
from tests.pg import free_port

READY_SECONDS = 60.0
STOP_SECONDS = 10.0


@dataclass
class Server:
    """One `ordermesh serve` process group listening on `url`, logging to `log`."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL the server and every process it started, as a crash would."""
        self._signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        """Ask the server to shut down; kill it if it does not within STOP_SECONDS.

        Raises RuntimeError, with the server's log, if it had already exited: nobody asked it to.
        """
        if self.process.poll() is not None:
            raise RuntimeError(f"the server at {self.url} died with {self.process.returncode}:\n{self.log_text()}")
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def wait_until_ready(self, timeout: float = READY_SECONDS) -> None:
        """Poll /healthz until it answers 200. Raises RuntimeError, with the server's log, if it never does."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=2.0) as probe:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_text()}")
                try:
                    if probe.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"the server was not ready within {timeout} s:\n{self.log_text()}")

    def client(self, timeout: float = 60.0) -> httpx.Client:
        """An HTTP client for this server, authenticated as the bootstrap admin; close it when done."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _signal(self, signum: int) -> None:
        if self.process.poll() is None:
            with suppress(ProcessLookupError):  # it died between poll() and killpg()
                os.killpg(self.process.pid, signum)


def start_server(database_url: str, directory: Path, *, workers: int = 1) -> Server:
    """Start `ordermesh serve` on a free port in its own process group; do not wait for it to be ready."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = directory / f"server-{port}.log"
    env = {
        **os.environ,
        "ORDERMESH_DATABASE_URL": database_url,
        "ORDERMESH_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "ORDERMESH_EMBEDDED_WORKER": "false",
        "ORDERMESH_LOG_LEVEL": "warning",
    }
    with log.open("ab") as output:
        process = subprocess.Popen(
            [_ordermesh(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            cwd=directory,  # away from any .env file in the working tree
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill() reaches uvicorn's workers too
        )
    return Server(f"http://127.0.0.1:{port}", process, log)


@contextmanager
def serving(database_url: str, directory: Path, *, count: int = 1, workers: int = 1) -> Iterator[list[Server]]:
    """Start `count` servers on one database at once, wait until all are ready, and stop them afterwards."""
    with ExitStack() as stack:
        servers = []
        for _ in range(count):
            server = start_server(database_url, directory, workers=workers)
            stack.callback(server.stop)
            servers.append(server)
        for server in servers:
            server.wait_until_ready()
        yield servers


@contextmanager
def clients(servers: list[Server]) -> Iterator[list[httpx.Client]]:
    """One authenticated client per server, closed afterwards."""
    with ExitStack() as stack:
        yield [stack.enter_context(server.client()) for server in servers]


def _ordermesh() -> str:
    beside_python = Path(sys.executable).with_name("ordermesh")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("ordermesh")
    if found is None:
        raise RuntimeError("the `ordermesh` command is not installed (pip install -e .)")
    return found
