"""Start and stop a throw-away PostgreSQL cluster on a free loopback port (for tests and benchmarks)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find_bin(name: str) -> str:
    """Find a PostgreSQL server binary: the newest /usr/lib/postgresql/*/bin first, then PATH."""
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]),
                            reverse=True):
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def database_url(self, name: str) -> str:
        return f"{self.url}/{name}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run([find_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d",
                              database, "-v", "ON_ERROR_STOP=1", "-Atc", sql], check=True, capture_output=True,
                             text=True)
        return out.stdout

    def stop(self) -> None:
        _as_postgres([find_bin("pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop"],
                     check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


def _as_postgres(cmd: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    # initdb refuses to run as root, so a root session runs the server as the postgres user.
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def start_cluster(*, durable: bool = False, max_connections: int = 200) -> PgCluster:
    """initdb + pg_ctl start on 127.0.0.1; `durable=False` turns fsync off (fine for throw-away data)."""
    directory = Path(tempfile.mkdtemp(prefix="ordermesh-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    _as_postgres([find_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C", "--no-sync"])
    port = free_port()
    options = [f"-p {port}", "-c listen_addresses=127.0.0.1", f"-k {directory}",
               f"-c max_connections={max_connections}", "-c shared_buffers=256MB"]
    if not durable:
        options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    result = _as_postgres([find_bin("pg_ctl"), "-D", str(data), "-o", " ".join(options), "-l",
                           str(directory / "server.log"), "-w", "-t", "60", "start"], check=False)
    if result.returncode != 0:
        log = (directory / "server.log").read_text() if (directory / "server.log").exists() else ""
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{log}")
    return PgCluster(directory, port)


def _has_c_utf8() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return False
    return any(line.lower() in ("c.utf8", "c.utf-8") for line in out.splitlines())
