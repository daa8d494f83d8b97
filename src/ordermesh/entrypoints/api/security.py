"""Bearer API keys: who is calling, and may they do this?"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ordermesh.domain.access import Permission, Principal
from ordermesh.services.access import authenticate
from ordermesh.services.context import AppContext

_bearer = HTTPBearer(auto_error=False, description="An Ordermesh API key: `Authorization: Bearer om_...`")

# Keys are looked up at most once per this many seconds per process; revocation takes effect within it.
KEY_CACHE_SECONDS = 5.0


class KeyCache:
    """Remember who a key belongs to for a few seconds, so most requests skip the database."""

    def __init__(self, ttl: float = KEY_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def cached(self, key: str) -> tuple[bool, Principal | None]:
        """Return (found, principal); found is False when the key must be looked up."""
        with self._lock:
            hit = self._entries.get(key)
        if hit and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def remember(self, key: str, principal: Principal | None) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, principal)


async def context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.context
    return ctx


Ctx = Annotated[AppContext, Depends(context)]


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that answers 401 without a valid key and 403 when the key's role lacks the permission.

    It runs on the event loop (no thread hop) and only goes to the database, in a worker thread,
    when the key is not in the cache.
    """

    async def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(401, "an API key is required: Authorization: Bearer <key>", headers=challenge)
        keys: KeyCache = request.app.state.keys
        found, principal = keys.cached(credentials.credentials)
        if not found:
            principal = await run_in_threadpool(authenticate, request.app.state.context, credentials.credentials)
            keys.remember(credentials.credentials, principal)
        if principal is None:
            raise HTTPException(401, "the API key is unknown or revoked", headers=challenge)
        if not principal.may(permission):
            raise HTTPException(403, f"role '{principal.role}' may not {permission.value.replace('_', ' ')}")
        return principal

    return check


Reader = Annotated[Principal, Depends(require(Permission.READ))]
Capturer = Annotated[Principal, Depends(require(Permission.CAPTURE_ORDERS))]
OrderManager = Annotated[Principal, Depends(require(Permission.MANAGE_ORDERS))]
Fulfiller = Annotated[Principal, Depends(require(Permission.FULFIL))]
InventoryManager = Annotated[Principal, Depends(require(Permission.MANAGE_INVENTORY))]
CatalogManager = Annotated[Principal, Depends(require(Permission.MANAGE_CATALOG))]
Administrator = Annotated[Principal, Depends(require(Permission.ADMINISTER))]
