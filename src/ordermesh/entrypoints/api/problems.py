"""Every error leaves the API as RFC 9457 problem+json, mapped here and only here."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ordermesh.domain.errors import (
    AlreadyExists,
    ConcurrentUpdate,
    DomainError,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    QuantityConflict,
)
from ordermesh.services.connectors import InvalidSignature, MalformedPayload
from ordermesh.services.ports import RetryableConflict

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_STATUS: list[tuple[type[DomainError], int, str]] = [
    (NotFound, 404, "not-found"),
    (AlreadyExists, 409, "already-exists"),
    (IllegalTransition, 409, "illegal-transition"),
    (QuantityConflict, 409, "quantity-conflict"),
    (IdempotencyConflict, 422, "idempotency-key-reused"),
    (ConcurrentUpdate, 409, "concurrent-update"),
    (InvalidInput, 422, "invalid-input"),
    (InvalidSignature, 401, "invalid-signature"),
    (MalformedPayload, 400, "malformed-payload"),
]

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(
    status: int,
    slug: str,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": f"/problems/{slug}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc(loc: tuple[Any, ...]) -> list[Any]:
    return list(loc)


def install(app: FastAPI) -> None:
    """Register the exception handlers that turn errors into problem+json."""

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            where = next(e for e in errors if e.get("type") == "json_invalid")
            return problem(
                400,
                "malformed-json",
                f"the body is not valid JSON: {where.get('msg')}",
                errors=[{"loc": _loc(where.get("loc", ())), "msg": where.get("msg")}],
            )
        items = [{"loc": _loc(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in errors]
        names = ", ".join(".".join(str(p) for p in i["loc"] if p != "body") or "body" for i in items)
        return problem(422, "validation", f"invalid request: {names}", errors=items)

    @app.exception_handler(DomainError)
    async def domain(request: Request, exc: DomainError) -> JSONResponse:
        for error_type, status, slug in _STATUS:
            if isinstance(exc, error_type):
                extra: dict[str, Any] = {}
                if isinstance(exc, InvalidInput) and exc.field:
                    where = list(exc.field) if exc.field[0] in ("query", "path", "header") else ["body", *exc.field]
                    extra["errors"] = [{"loc": where, "msg": exc.detail}]
                if isinstance(exc, QuantityConflict):
                    extra["errors"] = [
                        {"loc": ["body", "lines", e.line_id], "msg": f"asked {e.requested}, at most {e.allowed}"}
                        for e in exc.excesses
                    ]
                return problem(status, slug, exc.detail, title=exc.title, **extra)
        return problem(422, "domain-rule", exc.detail, title=exc.title)

    @app.exception_handler(RetryableConflict)
    async def busy(request: Request, exc: RetryableConflict) -> JSONResponse:
        return problem(503, "busy", "the database is busy; retry shortly", headers={"Retry-After": "1"})

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}.get(
            exc.status_code, "http-error"
        )
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route for {request.method} {request.url.path}"
        return problem(exc.status_code, slug, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal", "an unexpected error occurred; it has been logged")
