"""Standard Webhooks signatures (https://www.standardwebhooks.com): the headers a receiver verifies.

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the signature is the base64 HMAC-SHA256 of it
under the secret's key bytes (the base64 after `whsec_`), sent as `v1,<signature>` (several, space-separated,
while a secret is rotated).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from ordermesh.domain.outbound_webhooks import SECRET_PREFIX


def signing_key(secret: str) -> bytes:
    """The key bytes of a `whsec_...` secret. Raises ValueError when it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a signing secret starts with '{SECRET_PREFIX}'")
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of the message under the secret."""
    content = b"%s.%d.%s" % (msg_id.encode(), timestamp, body)
    digest = hmac.new(signing_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every given secret (the new one first)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body) for s in secrets),
    }
