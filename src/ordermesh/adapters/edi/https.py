"""The HTTPS transport: an outbound document is POSTed to the partner's `transport.url`.

The request carries `Authorization: Bearer <the partner's token secret>`, the content type of the document
(an ERP document in the partner's format, a JSON message, or X12), and `Idempotency-Key: <the document's
number>`, so a partner that got a document whose answer was lost recognises it when it comes again. A 2xx
answer delivers the document; anything else (an error status, a redirect, a timeout, a refused address) is
returned as the failure and the document is tried again on a later round. Inbound documents arrive at the API
(`POST /v1/edi/inbound`, `/v1/partners/{id}/messages`, `/v1/partners/{id}/acknowledgements`): nothing is polled.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ordermesh.adapters.outbound import outbound_client
from ordermesh.domain.erp import CONTENT_TYPES, ErpDocumentType
from ordermesh.services.partner_ports import EdiDocument, PartnerRecord

ERROR_CHARS = 300
ERP_TYPES = frozenset(t.value for t in ErpDocumentType)


def content_type(record: PartnerRecord, document: EdiDocument) -> str:
    if document.type in ERP_TYPES:
        return CONTENT_TYPES[record.partner.transport.document_format]
    if document.type.startswith("json:"):
        return "application/json"
    return "application/edi-x12"


class HttpsTransport:
    """One connection per delivery: a round sends a few documents per partner, and nothing stays open between
    rounds."""

    def __init__(self, *, timeout_seconds: float, allow_private: bool) -> None:
        self.timeout_seconds = timeout_seconds
        self.allow_private = allow_private

    def deliver(self, record: PartnerRecord, document: EdiDocument) -> str | None:
        url = record.partner.transport.url
        if not url:
            return "the partner's transport has no url"
        token = record.secrets.get("token")
        if not token:
            return "the partner has no 'token' secret to authorise the request with"
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": content_type(record, document),
            "Idempotency-Key": document.dedupe_key,
        }
        try:
            with outbound_client(timeout_seconds=self.timeout_seconds, allow_private=self.allow_private) as http:
                response = http.post(url, content=document.raw.encode("utf-8"), headers=headers)
        except httpx.HTTPError as exc:
            return f"POST {url}: {exc or type(exc).__name__}"
        if response.is_success:
            return None
        return f"POST {url}: HTTP {response.status_code} {response.text[:ERROR_CHARS]}".rstrip()

    def poll(self, record: PartnerRecord, receive: Callable[[str], object]) -> int:
        """HTTPS partners send their documents to the API: there is nothing to fetch."""
        return 0
