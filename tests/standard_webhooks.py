"""A receiver's check of a Standard Webhooks signature, written from the specification, not from Ordermesh's code."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """True when any `v1,` signature in `webhook-signature` is the HMAC of `{id}.{timestamp}.{body}`."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1) for s in headers["webhook-signature"].split(" ")]
    return any(version == "v1" and hmac.compare_digest(sig, expected) for version, sig in offered)
