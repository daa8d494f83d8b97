"""Bearer API keys: who is calling, and may they do this?"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ordermesh.domain.access import Permission, Principal
from ordermesh.services.access import authenticate
from ordermesh.services.context import AppContext

_bearer = HTTPBearer(auto_error=False, description="An Ordermesh API key: `Authorization: Bearer om_...`")

# Keys are looked up at most once per this many seconds per process; revocation takes effect within it.
KEY_CACHE_SECONDS = 5.0


class KeyCache:
    def __init__(self, ttl: float = KEY_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def principal(self, ctx: AppContext, key: str) -> Principal | None:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit and hit[0] > now:
            return hit[1]
        principal = authenticate(ctx, key)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (now + self.ttl, principal)
        return principal


def context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.context
    return ctx


Ctx = Annotated[AppContext, Depends(context)]


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that answers 401 without a valid key and 403 when the key's role lacks the permission."""

    def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(401, "an API key is required: Authorization: Bearer <key>", headers=challenge)
        keys: KeyCache = request.app.state.keys
        principal = keys.principal(request.app.state.context, credentials.credentials)
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
