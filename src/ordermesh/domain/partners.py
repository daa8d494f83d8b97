"""Trading partners: the warehouses, 3PLs, drop-ship vendors and ERPs Ordermesh exchanges documents with.

A partner speaks X12 (its identities in the envelope, its version, the delimiters it wants) or JSON, and its
documents travel through a transport: a directory pair (a mounted share, or what an SFTP gateway syncs), an
SFTP server, or HTTPS. It serves locations: a fulfilment order at one of them goes to the partner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ordermesh.domain.edi import Delimiters, TradingIdentity, Usage, X12Version
from ordermesh.domain.erp.formats import DocumentFormat


class PartnerKind(StrEnum):
    WMS = "wms"
    THIRD_PARTY_LOGISTICS = "3pl"
    DROPSHIP_VENDOR = "dropship_vendor"
    ERP = "erp"


class PartnerProtocol(StrEnum):
    X12 = "x12"
    JSON = "json"


class TransportKind(StrEnum):
    DIRECTORY = "directory"  # inbound files are read from one directory, outbound written to another
    SFTP = "sftp"
    HTTPS = "https"  # outbound documents are POSTed; inbound ones arrive at the API


@dataclass(frozen=True)
class X12Settings:
    """How the envelope names both sides, and how documents to the partner are written."""

    partner: TradingIdentity
    ours: TradingIdentity
    version: X12Version = X12Version.V4010
    delimiters: Delimiters = field(default_factory=Delimiters)
    line_break: str = ""
    usage: Usage = Usage.PRODUCTION
    ack_requested: bool = True

    @property
    def identity(self) -> str:
        """The partner's ISA qualifier and id, as inbound interchanges name their sender (`ZZ:ACMEWMS`)."""
        return identity_key(self.partner.qualifier, self.partner.id)

    def data(self) -> dict[str, Any]:
        return {
            "partner": _identity_data(self.partner),
            "ours": _identity_data(self.ours),
            "version": self.version.value,
            "delimiters": {
                "element": self.delimiters.element,
                "segment": self.delimiters.segment,
                "component": self.delimiters.component,
                "repetition": self.delimiters.repetition,
            },
            "line_break": self.line_break,
            "usage": self.usage.value,
            "ack_requested": self.ack_requested,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> X12Settings:
        delimiters = data.get("delimiters") or {}
        return cls(
            partner=_identity(data["partner"]),
            ours=_identity(data["ours"]),
            version=X12Version(data.get("version", X12Version.V4010.value)),
            delimiters=Delimiters(
                delimiters.get("element", "*"),
                delimiters.get("segment", "~"),
                delimiters.get("component", ">"),
                delimiters.get("repetition", "^"),
            ),
            line_break=data.get("line_break", ""),
            usage=Usage(data.get("usage", Usage.PRODUCTION.value)),
            ack_requested=bool(data.get("ack_requested", True)),
        )


def identity_key(qualifier: str, identifier: str) -> str:
    """One partner identity as text: the ISA qualifier and the id, without the id's padding."""
    return f"{qualifier.strip()}:{identifier.strip()}".upper()


@dataclass(frozen=True)
class Transport:
    """Where documents travel: `inbound` and `outbound` are directories (local, or on the SFTP server)."""

    kind: TransportKind
    inbound: str | None = None
    outbound: str | None = None
    host: str | None = None
    port: int | None = None
    username: str | None = None
    url: str | None = None
    host_key: str | None = None  # sftp: the server's OpenSSH public key line; without it no server is trusted
    document_format: DocumentFormat = DocumentFormat.JSON  # erp: invoices, credit memos, journals as JSON or CSV

    def data(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "inbound": self.inbound,
            "outbound": self.outbound,
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "url": self.url,
            "host_key": self.host_key,
            "document_format": self.document_format.value,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Transport:
        return cls(
            TransportKind(data["kind"]),
            data.get("inbound"),
            data.get("outbound"),
            data.get("host"),
            data.get("port"),
            data.get("username"),
            data.get("url"),
            data.get("host_key"),
            DocumentFormat(data.get("document_format") or DocumentFormat.JSON.value),
        )


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    kind: PartnerKind
    protocol: PartnerProtocol
    x12: X12Settings | None
    transport: Transport
    locations: tuple[str, ...]
    active: bool
    created_at: datetime
    updated_at: datetime

    def serves(self, location: str) -> bool:
        return self.active and location in self.locations


def _identity_data(identity: TradingIdentity) -> dict[str, str]:
    return {"qualifier": identity.qualifier, "id": identity.id, "application_code": identity.application_code}


def _identity(data: Mapping[str, Any]) -> TradingIdentity:
    return TradingIdentity(data["qualifier"], data["id"], data["application_code"])


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class DocumentStatus(StrEnum):
    APPLIED = "applied"  # in: its effect is recorded (a shipment, counts, receipts, acknowledged documents)
    DUPLICATE = "duplicate"  # in: names something another document applied already (the same shipment id)
    DISPUTED = "disputed"  # in: recorded, but its figures differ from ours (an invoice's prices): a person looks
    REJECTED = "rejected"  # in: unreadable, or its envelope or content is invalid (answered with a 997 R)
    FAILED = "failed"  # in: read, but cannot be applied (unknown order, location not served, ...)
    PENDING = "pending"  # out: written, waiting for the transport
    SENT = "sent"  # out: delivered to the partner's transport
    ACCEPTED = "accepted"  # out: the partner's 997 accepted it
    REFUSED = "refused"  # out: the partner's 997 rejected it
