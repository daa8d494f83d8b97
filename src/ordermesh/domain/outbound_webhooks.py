"""Outbound webhooks: which events a subscription wants, when a failed delivery is tried again, its secret.

Pure rules; the service layer passes in time, randomness (jitter, secret bytes) and the stored records.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from ordermesh.domain.events import EVENT_TYPES

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
ANY_EVENT = "*"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not tried yet, or being tried
    FAILED = "failed"  # tried and refused; tried again at next_attempt_at
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # refused max_attempts times: no more tries (replay sends it again)


WAITING = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how far apart a refused delivery is tried again."""

    max_attempts: int = 12
    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(hours=1)

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """Wait before the next try after `attempts` failed ones: min(cap, base * 2^(attempts-1)) * jitter.

        `jitter` is drawn from [0.5, 1.5) by the caller, so receivers that failed together do not all come
        back at the same instant. Raises ValueError for a jitter outside that range or attempts below 1.
        """
        if not 0.5 <= jitter <= 1.5:
            raise ValueError(f"jitter {jitter} is outside [0.5, 1.5]")
        if attempts < 1:
            raise ValueError("the delay follows a failed attempt: attempts >= 1")
        seconds = min(self.cap.total_seconds(), self.base.total_seconds() * 2.0 ** min(attempts - 1, 1000))
        return timedelta(seconds=seconds * jitter)

    def is_dead(self, attempts: int) -> bool:
        """True when a delivery refused `attempts` times gets no further try."""
        return attempts >= self.max_attempts


def matches(patterns: Sequence[str], event_type: str) -> bool:
    """True when an event type is one of the patterns: an exact type, `*`, or `<prefix>.*` (any type below)."""
    for pattern in patterns:
        if pattern in (ANY_EVENT, event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def event_type_problem(pattern: str) -> str | None:
    """Why a subscription's event type is not valid (None when it is): it must name a known type or cover one."""
    if pattern == ANY_EVENT or pattern in EVENT_TYPES:
        return None
    if pattern.endswith(".*") and "*" not in pattern[:-2]:
        if any(known.startswith(pattern[:-1]) for known in EVENT_TYPES):
            return None
        return f"'{pattern}' matches no event type"
    return f"unknown event type '{pattern}' (an exact type from the catalogue, '<prefix>.*' or '*')"


def new_secret(random_bytes: bytes) -> str:
    """A Standard Webhooks secret, `whsec_` + base64 of the key bytes. Raises ValueError for fewer than 24."""
    if len(random_bytes) < SECRET_BYTES:
        raise ValueError(f"a signing key has at least {SECRET_BYTES} bytes")
    return SECRET_PREFIX + base64.b64encode(random_bytes).decode()


def secret_problem(secret: str) -> str | None:
    """Why a given secret cannot sign (None when it can): `whsec_` + base64 of 24 to 64 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        return f"must start with '{SECRET_PREFIX}'"
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError:
        return "must be base64 after the prefix"
    if not SECRET_BYTES <= len(key) <= 64:
        return f"must hold {SECRET_BYTES} to 64 key bytes"
    return None
