"""Builders for the EDI transport tests: a partner record around a transport, and an outbound document."""

from __future__ import annotations

from datetime import UTC, datetime

from ordermesh.domain.edi import TradingIdentity
from ordermesh.domain.partners import Partner, PartnerKind, PartnerProtocol, Transport, X12Settings
from ordermesh.services.partner_ports import EdiDocument, PartnerRecord
from tests.sftp_server import SftpServer

T0 = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)


def record(transport: Transport, **secrets: str) -> PartnerRecord:
    x12 = X12Settings(TradingIdentity("ZZ", "ACMEWMS", "ACMEWMS"), TradingIdentity("ZZ", "ORDERMESH", "ORDERMESH"))
    partner = Partner("ptn_1", "Acme WMS", PartnerKind.WMS, PartnerProtocol.X12, x12, transport, ("NWK",), True, T0, T0)
    return PartnerRecord(partner, dict(secrets))


def sftp_transport(
    server: SftpServer, *, inbound: str = "/from-wms", outbound: str = "/to-wms", **changes: object
) -> Transport:
    settings: dict[str, object] = {
        "kind": "sftp", "inbound": inbound, "outbound": outbound, "host": "127.0.0.1", "port": server.port,
        "username": server.username, "host_key": server.host_key,
    }  # fmt: skip
    return Transport.of(settings | changes)


def document(number: int = 1, *, raw: str = "ISA*00*~") -> EdiDocument:
    return EdiDocument(
        id=f"edi_{number:04d}", partner_id="ptn_1", direction="out", type="940", status="pending",
        dedupe_key=f"k{number}", raw=raw, created_at=T0, updated_at=T0, control_number=f"{number}:{number:04d}",
    )  # fmt: skip
