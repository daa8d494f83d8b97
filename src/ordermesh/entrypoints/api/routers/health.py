"""/healthz: the process is up and its database answers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ordermesh import __version__
from ordermesh.entrypoints.api.problems import problem
from ordermesh.entrypoints.api.security import Ctx

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=None)
def healthz(ctx: Ctx) -> JSONResponse | dict[str, str]:
    try:
        ctx.read(lambda uow: uow.api_keys.count())
    except Exception as exc:  # any failure to reach the database means not ready
        return problem(503, "unhealthy", f"database unreachable: {type(exc).__name__}")
    return {"status": "ok", "version": __version__}
