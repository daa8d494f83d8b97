"""HMAC-SHA256 webhook signatures, as Shopify and WooCommerce make them: base64 of the digest of the raw body."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def sign(body: bytes, secret: str) -> str:
    """The base64 HMAC-SHA256 of the body under the secret (what the channel puts in its signature header)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signed_with(body: bytes, secret: str, signature: str | None) -> bool:
    """Tell whether a signature header was made from these exact bytes with the secret, in constant time."""
    if not signature:
        return False
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, given)


def body_digest(body: bytes) -> str:
    """A de-duplication id for channels whose deliveries carry no stable id of their own."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
