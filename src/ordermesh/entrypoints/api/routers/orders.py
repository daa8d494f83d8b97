"""/v1/orders: capture, read, hold, release, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ordermesh.domain.errors import InvalidInput, NotFound
from ordermesh.domain.orders import OrderStatus
from ordermesh.entrypoints.api.schemas.common import PageOut
from ordermesh.entrypoints.api.schemas.imports import ImportReportOut, UnreadableFile, read_orders
from ordermesh.entrypoints.api.schemas.orders import CancelIn, HoldIn, OrderIn, OrderOut
from ordermesh.entrypoints.api.schemas.sourcing import DecisionOut, OrderSourcingOut
from ordermesh.entrypoints.api.security import Capturer, Ctx, OrderManager, Reader
from ordermesh.services import imports, orders, queries
from ordermesh.services.ports import Decision, OrderFilter, UnitOfWork

router = APIRouter(prefix="/v1/orders", tags=["orders"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)]


@router.post("", status_code=201, responses={200: {"description": "A replay: the order captured before"}})
def capture(
    body: OrderIn, ctx: Ctx, actor: Capturer, response: Response, idempotency_key: IdempotencyKey = None
) -> OrderOut:
    """Capture an order once: a replay by (channel, external_id) or Idempotency-Key returns it with 200."""
    order, created = orders.capture_order(ctx, command=body.command(), actor=actor, idempotency_key=idempotency_key)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/orders/{order.id}"
    return OrderOut.of(order)


IMPORT_KINDS = {
    "text/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
}


@router.post(
    "/imports",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_orders(request: Request, ctx: Ctx, actor: Capturer) -> ImportReportOut:
    """Import a file of orders (CSV, one row per line, or JSON lines, one capture body each): good orders are
    captured, each bad one is reported with its rows and reason, and a file sent again captures nothing twice."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    kind = IMPORT_KINDS.get(media_type)
    if kind is None:
        raise InvalidInput(f"Content-Type must be one of {', '.join(sorted(IMPORT_KINDS))}, not '{media_type}'")
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text") from None
    try:
        parsed = list(read_orders(text, kind))
    except UnreadableFile as exc:
        raise InvalidInput(str(exc)) from None
    report = await run_in_threadpool(
        imports.import_orders,
        ctx,
        orders=[(order.where, order.command, order.problem) for order in parsed],
        actor=actor,
    )
    return ImportReportOut.of(report)


@router.get("")
def list_orders(
    ctx: Ctx,
    _: Reader,
    channel: str | None = None,
    external_id: str | None = None,
    status: OrderStatus | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[OrderOut]:
    """Orders, newest first."""
    page = queries.list_orders(
        ctx, OrderFilter(channel, external_id, status.value if status else None), after=after, limit=limit
    )
    return PageOut[OrderOut](data=[OrderOut.of(o) for o in page.rows], next_cursor=page.next_cursor)


@router.get("/{order_id}")
def get_order(order_id: str, ctx: Ctx, _: Reader) -> OrderOut:
    return OrderOut.of(queries.get_order(ctx, order_id))


@router.get("/{order_id}/sourcing")
def sourcing_decisions(
    order_id: str, ctx: Ctx, _: Reader, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> OrderSourcingOut:
    """Why the order's units went where they did: its stored sourcing decisions, newest first."""

    def decisions(uow: UnitOfWork) -> list[Decision] | None:
        if uow.orders.get(order_id) is None:
            return None
        return uow.decisions.for_order(order_id, limit=limit)

    found = ctx.read(decisions)
    if found is None:
        raise NotFound("order", order_id)
    return OrderSourcingOut(order_id=order_id, decisions=[DecisionOut.of(d) for d in found])


@router.post("/{order_id}/hold")
def hold(order_id: str, ctx: Ctx, actor: OrderManager, body: HoldIn | None = None) -> OrderOut:
    reason = body.reason if body else "manual hold"
    return OrderOut.of(orders.hold_order(ctx, order_id=order_id, reason=reason, actor=actor))


@router.post("/{order_id}/release")
def release(order_id: str, ctx: Ctx, actor: OrderManager) -> OrderOut:
    return OrderOut.of(orders.release_order(ctx, order_id=order_id, actor=actor))


@router.post("/{order_id}/cancel")
def cancel(order_id: str, ctx: Ctx, actor: OrderManager, body: CancelIn | None = None) -> OrderOut:
    """Cancel the whole order, or `{lines: [{line_id, quantity}]}`; 409 for units already shipped."""
    body = body or CancelIn()
    return OrderOut.of(
        orders.cancel_order(ctx, order_id=order_id, lines=body.by_line(), reason=body.reason, actor=actor)
    )
