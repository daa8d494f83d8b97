"""API keys: issue them, and tell who is calling."""

from __future__ import annotations

import hashlib
import secrets

from ordermesh.domain.access import SYSTEM, Principal, Role
from ordermesh.services.context import AppContext
from ordermesh.services.ports import ApiKeyRecord, DuplicateKey, UnitOfWork

KEY_PREFIX = "om_"


def hash_key(key: str) -> str:
    """Hash an API key for storage and lookup.

    Keys are 256-bit random tokens, so a fast hash is enough: there is nothing to brute-force,
    and a slow password hash would cost every request milliseconds.
    """
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    ctx: AppContext, *, name: str, role: Role, key: str | None = None, actor: Principal = SYSTEM
) -> tuple[ApiKeyRecord, str]:
    """Issue a key; return its record and the plain key, which is shown this once and never stored."""
    plain = key or KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKeyRecord(ctx.ids("key"), name, role, hash_key(plain), ctx.clock.now())

    def work(uow: UnitOfWork) -> ApiKeyRecord:
        _add_key(uow, record, actor)
        return record

    return ctx.transaction(work), plain


def _add_key(uow: UnitOfWork, record: ApiKeyRecord, actor: Principal) -> None:
    uow.api_keys.add(record)
    uow.audit.record(
        actor=actor,
        action="api_key.create",
        entity="api_key",
        entity_id=record.id,
        before=None,
        after={"id": record.id, "name": record.name, "role": record.role.value},
        at=record.created_at,
    )


def ensure_bootstrap_key(ctx: AppContext, key: str) -> bool:
    """Create an admin key with exactly this value when no key exists yet; tell whether it did."""

    def work(uow: UnitOfWork) -> bool:
        if uow.api_keys.count() > 0:
            return False
        _add_key(
            uow, ApiKeyRecord(ctx.ids("key"), "bootstrap admin", Role.ADMIN, hash_key(key), ctx.clock.now()), SYSTEM
        )
        return True

    try:
        return ctx.transaction(work)
    except DuplicateKey:
        return False  # another process starting at the same moment created it


def authenticate(ctx: AppContext, key: str) -> Principal | None:
    """Return the principal behind a key, or None when it is unknown or revoked."""
    record = ctx.read(lambda uow: uow.api_keys.by_hash(hash_key(key)))
    if record is None or record.revoked_at is not None:
        return None
    return record.principal
