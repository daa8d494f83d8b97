"""/v1/exceptions: the queue of what needs a person, with the evidence; resolving one says how."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ordermesh.domain.exception_queue import ExceptionKind, ExceptionStatus, OpsException
from ordermesh.entrypoints.api.schemas.common import Input, PageOut
from ordermesh.entrypoints.api.security import Ctx, OrderManager, Reader
from ordermesh.services import exception_queue

router = APIRouter(prefix="/v1/exceptions", tags=["exceptions"])


class ExceptionOut(BaseModel):
    id: str
    kind: str = Field(description="partner_document, invoice_dispute, reconciliation, channel_push")
    subject: str
    summary: str
    evidence: dict[str, Any]
    status: str
    occurrences: int = Field(description="How often the same problem was raised while this stayed open")
    raised_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None

    @classmethod
    def of(cls, e: OpsException) -> ExceptionOut:
        return cls(
            id=e.id,
            kind=e.kind.value,
            subject=e.subject,
            summary=e.summary,
            evidence=dict(e.evidence),
            status=e.status.value,
            occurrences=e.occurrences,
            raised_at=e.raised_at,
            updated_at=e.updated_at,
            resolved_at=e.resolved_at,
            resolved_by=e.resolved_by,
            resolution=e.resolution,
        )


class ResolveIn(Input):
    resolution: str = Field(min_length=1, max_length=1000, description="What was done about it")


@router.get("")
def list_exceptions(
    ctx: Ctx,
    _: Reader,
    status: ExceptionStatus | None = ExceptionStatus.OPEN,
    kind: ExceptionKind | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[ExceptionOut]:
    """The queue, newest first: open ones by default (`status=resolved` for the others)."""
    page = exception_queue.list_exceptions(
        ctx, status=status.value if status else None, kind=kind.value if kind else None, after=after, limit=limit
    )
    return PageOut[ExceptionOut](data=[ExceptionOut.of(e) for e in page.rows], next_cursor=page.next_cursor)


@router.get("/{exception_id}")
def get_exception(exception_id: str, ctx: Ctx, _: Reader) -> ExceptionOut:
    return ExceptionOut.of(exception_queue.get_exception(ctx, exception_id))


@router.post("/{exception_id}/resolve")
def resolve(exception_id: str, body: ResolveIn, ctx: Ctx, actor: OrderManager) -> ExceptionOut:
    """Close an open exception, saying how it was resolved (409 when it is resolved already)."""
    return ExceptionOut.of(
        exception_queue.resolve(ctx, exception_id=exception_id, resolution=body.resolution, actor=actor)
    )
