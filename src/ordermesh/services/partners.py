"""Trading partner profiles: who they are, how they speak, how documents travel, which locations they serve."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ordermesh.domain.access import Principal
from ordermesh.domain.errors import AlreadyExists, InvalidInput, NotFound
from ordermesh.domain.partners import (
    Partner,
    PartnerKind,
    PartnerProtocol,
    Transport,
    TransportKind,
    X12Settings,
)
from ordermesh.services.context import AppContext
from ordermesh.services.partner_ports import PartnerRecord
from ordermesh.services.ports import DuplicateKey, Page, UnitOfWork

# Partners that execute fulfilment at a location; one of them serves a location at a time.
FULFILLING = frozenset({PartnerKind.WMS, PartnerKind.THIRD_PARTY_LOGISTICS, PartnerKind.DROPSHIP_VENDOR})
SECRETS_BY_TRANSPORT = {
    TransportKind.DIRECTORY: frozenset(),
    TransportKind.SFTP: frozenset({"password", "private_key"}),
    TransportKind.HTTPS: frozenset({"token"}),
}


@dataclass(frozen=True)
class PartnerDraft:
    """A partner as configured (new, or replacing what is stored)."""

    name: str
    kind: PartnerKind
    protocol: PartnerProtocol
    x12: X12Settings | None
    transport: Transport
    locations: tuple[str, ...]
    active: bool = True


def public_view(record: PartnerRecord) -> dict[str, Any]:
    """What may be shown of a partner: everything but its secrets (their names say which are set)."""
    p = record.partner
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind.value,
        "protocol": p.protocol.value,
        "x12": p.x12.data() if p.x12 else None,
        "transport": p.transport.data(),
        "locations": list(p.locations),
        "active": p.active,
        "secrets": sorted(record.secrets),
    }


def add_partner(ctx: AppContext, *, draft: PartnerDraft, secrets: Mapping[str, str], actor: Principal) -> PartnerRecord:
    """Configure a partner. Raises InvalidInput naming the field, AlreadyExists for an X12 identity in use."""
    now = ctx.clock.now()
    partner = _partner(ctx.ids("ptn"), draft, now, now)
    record = PartnerRecord(partner, dict(secrets))

    def work(uow: UnitOfWork) -> PartnerRecord:
        _check(uow, record)
        uow.partners.add(record)
        _audit(uow, actor, "partner.create", None, record)
        return record

    try:
        return ctx.transaction(work)
    except DuplicateKey:
        raise _identity_taken(record) from None


def update_partner(
    ctx: AppContext,
    *,
    partner_id: str,
    draft: PartnerDraft | None,
    secrets: Mapping[str, str] | None,
    actor: Principal,
) -> PartnerRecord:
    """Replace a partner's profile and/or its secrets. Raises NotFound, InvalidInput, AlreadyExists."""

    def work(uow: UnitOfWork) -> PartnerRecord:
        stored = uow.partners.get(partner_id)
        if stored is None:
            raise NotFound("partner", partner_id)
        partner = stored.partner
        if draft is not None:
            partner = _partner(partner.id, draft, partner.created_at, partner.updated_at)
        changed = PartnerRecord(
            replace(partner, updated_at=ctx.clock.now()), dict(secrets) if secrets is not None else stored.secrets
        )
        _check(uow, changed)
        try:
            uow.partners.save(changed)
        except DuplicateKey:
            raise _identity_taken(changed) from None
        _audit(uow, actor, "partner.update", stored, changed)
        return changed

    return ctx.transaction(work)


def get_partner(ctx: AppContext, partner_id: str) -> PartnerRecord:
    record = ctx.read(lambda uow: uow.partners.get(partner_id))
    if record is None:
        raise NotFound("partner", partner_id)
    return record


def list_partners(ctx: AppContext, *, after: str | None, limit: int) -> Page:
    return ctx.read(lambda uow: uow.partners.page(after=after, limit=limit))


def partner_for_location(uow: UnitOfWork, location: str) -> PartnerRecord | None:
    """The active fulfilling partner that serves a location, if any."""
    return next(
        (r for r in uow.partners.all() if r.partner.kind in FULFILLING and r.partner.serves(location)),
        None,
    )


def _partner(partner_id: str, draft: PartnerDraft, created_at: datetime, updated_at: datetime) -> Partner:
    return Partner(
        partner_id,
        draft.name,
        draft.kind,
        draft.protocol,
        draft.x12,
        draft.transport,
        draft.locations,
        draft.active,
        created_at,
        updated_at,
    )


def _check(uow: UnitOfWork, record: PartnerRecord) -> None:
    partner = record.partner
    if partner.protocol == PartnerProtocol.X12 and partner.x12 is None:
        raise InvalidInput("an x12 partner needs its X12 settings", field=("x12",))
    _check_transport(partner.transport, record.secrets)
    for index, code in enumerate(partner.locations):
        if uow.locations.get(code) is None:
            raise InvalidInput(f"location '{code}' does not exist", field=("locations", index))
    if partner.kind in FULFILLING and partner.active:
        _check_locations_free(uow, partner)


def _check_transport(transport: Transport, secrets: Mapping[str, str]) -> None:
    allowed = SECRETS_BY_TRANSPORT[transport.kind]
    for name in sorted(secrets):
        if name not in allowed:
            names = ", ".join(sorted(allowed)) or "none"
            raise InvalidInput(
                f"a {transport.kind} transport takes no secret '{name}' (it takes {names})", field=("secrets", name)
            )
    needed: Sequence[str] = {
        TransportKind.DIRECTORY: ("inbound", "outbound"),
        TransportKind.SFTP: ("host", "username", "inbound", "outbound", "host_key"),  # no trust on first use
        TransportKind.HTTPS: ("url",),
    }[transport.kind]
    for name in needed:
        if not getattr(transport, name):
            raise InvalidInput(f"a {transport.kind} transport needs '{name}'", field=("transport", name))
    if transport.kind == TransportKind.SFTP and not secrets:
        raise InvalidInput("an sftp transport needs secrets.password or secrets.private_key", field=("secrets",))


def _check_locations_free(uow: UnitOfWork, partner: Partner) -> None:
    for other in uow.partners.all():
        theirs = other.partner
        if theirs.id == partner.id or theirs.kind not in FULFILLING or not theirs.active:
            continue
        for index, code in enumerate(partner.locations):
            if code in theirs.locations:
                raise InvalidInput(
                    f"location '{code}' is served by partner {theirs.id} ({theirs.name})", field=("locations", index)
                )


def _identity_taken(record: PartnerRecord) -> AlreadyExists:
    x12 = record.partner.x12
    return AlreadyExists("partner with X12 identity", x12.identity if x12 else record.partner.id)


def _audit(uow: UnitOfWork, actor: Principal, action: str, before: PartnerRecord | None, after: PartnerRecord) -> None:
    uow.audit.record(
        actor=actor,
        action=action,
        entity="partner",
        entity_id=after.partner.id,
        before=public_view(before) if before else None,
        after=public_view(after),
        at=after.partner.updated_at,
    )
