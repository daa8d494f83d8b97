"""Trading partners and EDI documents on the wire: a partner in (with its secrets), out (never with them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

from ordermesh.domain.edi import Delimiters, TradingIdentity, Usage, X12Version
from ordermesh.domain.erp import DocumentFormat
from ordermesh.domain.partners import PartnerKind, PartnerProtocol, Transport, TransportKind, X12Settings
from ordermesh.entrypoints.api.schemas.common import Code, Input
from ordermesh.services.partner_ports import EdiDocument, PartnerRecord
from ordermesh.services.partners import PartnerDraft, public_view

Qualifier = Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$", examples=["ZZ", "01", "12"])]
IsaId = Annotated[str, Field(min_length=1, max_length=15, pattern=r"^[A-Za-z0-9 .\-]+$")]
GsCode = Annotated[str, Field(min_length=2, max_length=15, pattern=r"^[A-Za-z0-9 .\-]+$")]
Separator = Annotated[str, Field(min_length=1, max_length=1)]


class IdentityIn(Input):
    qualifier: Qualifier = Field(description="ISA05/ISA07 interchange id qualifier")
    id: IsaId = Field(description="ISA06/ISA08 interchange id (at most 15 characters)")
    application_code: GsCode = Field(description="GS02/GS03 application sender's or receiver's code")


class DelimitersIn(Input):
    element: Separator = "*"
    segment: Separator = "~"
    component: Separator = ">"
    repetition: Separator | None = Field(default="^", description="5010 repetition separator (ISA11)")


class X12In(Input):
    partner: IdentityIn = Field(description="How the partner is named in the envelope (its inbound ISA sender)")
    ours: IdentityIn = Field(description="How Ordermesh is named in the envelope")
    version: Literal["4010", "5010"] = "4010"
    delimiters: DelimitersIn = Field(default_factory=DelimitersIn, description="For documents to the partner")
    line_break: Literal["", "\n", "\r\n"] = Field(default="", description="Between outbound segments")
    usage: Literal["P", "T"] = Field(default="P", description="ISA15: production or test")
    ack_requested: bool = Field(default=True, description="ISA14: ask for a TA1")

    def settings(self) -> X12Settings:
        d = self.delimiters
        try:
            delimiters = Delimiters(d.element, d.segment, d.component, d.repetition)
        except ValueError as exc:
            raise ValueError(f"delimiters: {exc}") from None
        return X12Settings(
            TradingIdentity(self.partner.qualifier, self.partner.id, self.partner.application_code),
            TradingIdentity(self.ours.qualifier, self.ours.id, self.ours.application_code),
            X12Version.V4010 if self.version == "4010" else X12Version.V5010,
            delimiters,
            self.line_break,
            Usage(self.usage),
            self.ack_requested,
        )


class TransportIn(Input):
    kind: TransportKind
    inbound: str | None = Field(default=None, max_length=500, description="Directory inbound files are read from")
    outbound: str | None = Field(default=None, max_length=500, description="Directory outbound files are written to")
    host: str | None = Field(default=None, max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)
    username: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    host_key: str | None = Field(
        default=None,
        max_length=5000,
        pattern=r"^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/]+=*( [^\r\n]*)?$",
        description="sftp: the server's public key, as an OpenSSH line ('ssh-ed25519 AAAA...'); a server is never "
        "trusted without it",
        examples=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK9HqZl1JqZv+jVcc4sJ4B6BRSSxQb9G9vdO3y3TXMMw"],
    )
    document_format: DocumentFormat = Field(
        default=DocumentFormat.JSON, description="erp: invoices, credit memos and journals as json or csv"
    )

    def transport(self) -> Transport:
        return Transport(
            self.kind, self.inbound, self.outbound, self.host, self.port, self.username, self.url, self.host_key,
            self.document_format,
        )  # fmt: skip


class PartnerIn(Input):
    name: str = Field(min_length=1, max_length=200)
    kind: PartnerKind
    protocol: PartnerProtocol
    x12: X12In | None = None
    transport: TransportIn
    locations: list[Code] = Field(default_factory=list, max_length=1000, description="Location codes it serves")
    active: bool = True
    secrets: dict[Annotated[str, Field(max_length=50)], Annotated[str, Field(min_length=1, max_length=5000)]] = Field(
        default_factory=dict,
        max_length=5,
        description="sftp: password or private_key; https: token. Stored, never returned.",
    )

    @model_validator(mode="after")
    def _x12_for_x12(self) -> Self:
        if self.protocol == PartnerProtocol.X12 and self.x12 is None:
            raise ValueError("an x12 partner needs its x12 settings")
        if len(set(self.locations)) != len(self.locations):
            raise ValueError("a location is listed twice")
        if self.x12 is not None:
            self.x12.settings()  # delimiters that cannot work are refused here
        return self

    def draft(self) -> PartnerDraft:
        x12 = self.x12.settings() if self.x12 is not None else None
        return PartnerDraft(
            self.name, self.kind, self.protocol, x12, self.transport.transport(), tuple(self.locations), self.active
        )


class PartnerPatch(Input):
    profile: PartnerIn | None = Field(default=None, description="Replaces the profile as a whole")
    secrets: dict[str, str] | None = Field(default=None, description="Replaces the secrets ({}: none)")


class PartnerOut(BaseModel):
    id: str
    name: str
    kind: str
    protocol: str
    x12: dict[str, Any] | None
    transport: dict[str, Any]
    locations: list[str]
    active: bool
    secrets: list[str] = Field(description="The names of the secrets that are set (never values)")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: PartnerRecord) -> PartnerOut:
        return cls(**public_view(record), created_at=record.partner.created_at, updated_at=record.partner.updated_at)


class DocumentOut(BaseModel):
    id: str
    partner_id: str | None
    direction: str
    type: str
    status: str = Field(description="in: applied, duplicate, rejected, failed; out: pending, sent, accepted, refused")
    control_number: str | None = Field(description="GS06:ST02")
    reference: str | None
    order_id: str | None
    fulfillment_order_id: str | None
    errors: list[dict[str, Any]] = Field(description="segment, position, element, code, message")
    acknowledgement_id: str | None
    created_at: datetime
    updated_at: datetime
    parsed: dict[str, Any] | None = None
    raw: str | None = None

    @classmethod
    def of(cls, document: EdiDocument, *, full: bool = False) -> DocumentOut:
        return cls(
            id=document.id,
            partner_id=document.partner_id,
            direction=document.direction,
            type=document.type,
            status=document.status,
            control_number=document.control_number,
            reference=document.reference,
            order_id=document.order_id,
            fulfillment_order_id=document.fulfillment_order_id,
            errors=list(document.errors),
            acknowledgement_id=document.acknowledgement_id,
            created_at=document.created_at,
            updated_at=document.updated_at,
            parsed=document.parsed if full else None,
            raw=document.raw if full else None,
        )


class InboundOut(BaseModel):
    documents: list[DocumentOut]
    acknowledgements: list[DocumentOut] = Field(description="The 997s answering the groups (raw text included)")
    repeated: list[str] = Field(description="Documents received before and not applied again")
