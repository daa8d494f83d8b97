"""The real clock and id factory, and the name this process goes by."""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UlidIds:
    """Ids such as `ord_01JD3V...`: a prefix and a ULID, so they sort by creation time.

    Within one process the ids are strictly increasing, also within the same millisecond
    (the random part is incremented, as the ULID specification's monotonic mode does).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def _next(self) -> int:
        candidate = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
        with self._lock:
            if candidate >> 80 <= self._last >> 80:
                candidate = self._last + 1
            self._last = candidate
        return candidate

    def __call__(self, prefix: str) -> str:
        value = self._next()
        chars = []
        for _ in range(26):
            chars.append(_CROCKFORD[value & 31])
            value >>= 5
        return f"{prefix}_{''.join(reversed(chars))}"


def process_name(role: str) -> str:
    """Who holds a job here: role, host and process id, and a random tag (a restarted container's process
    often gets the same host name and pid)."""
    return f"{role}@{socket.gethostname()[:120]}:{os.getpid()}/{os.urandom(3).hex()}"
