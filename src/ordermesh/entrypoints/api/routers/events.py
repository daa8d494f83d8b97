"""/v1/events: the CloudEvents feed and the catalogue of event types, and /v1/audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ordermesh.domain.event_catalog import CATALOG, schema_of
from ordermesh.entrypoints.api.security import Administrator, Ctx, Reader

router = APIRouter(prefix="/v1", tags=["events"])


class CloudEventOut(BaseModel):
    specversion: str = "1.0"
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    datacontenttype: str = "application/json"
    data: dict[str, Any]


class EventPage(BaseModel):
    data: list[CloudEventOut]
    next_cursor: str | None = Field(description="Pass as `after` to continue; stays put when nothing is new")


class AuditEntryOut(BaseModel):
    at: datetime
    actor_id: str
    actor_name: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any


class EventKindOut(BaseModel):
    type: str
    description: str
    subject: str = Field(description="What the CloudEvents `subject` of this type holds")
    data_schema: dict[str, Any] = Field(description="JSON Schema (2020-12) of the event's `data`")


class EventCatalogOut(BaseModel):
    events: list[EventKindOut]


@router.get("/events/catalog")
def event_catalog(_: Reader) -> EventCatalogOut:
    """Every event type Ordermesh publishes, what it means, and the JSON Schema of its data."""
    return EventCatalogOut(
        events=[
            EventKindOut(
                type=kind.type, description=kind.description, subject=kind.subject, data_schema=schema_of(kind)
            )
            for kind in CATALOG
        ]
    )


@router.get("/events")
def events(
    ctx: Ctx, _: Reader, after: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> EventPage:
    """Events in commit order; poll with the returned cursor to get only what is new."""
    page = ctx.read(lambda uow: uow.outbox.feed(after=after, limit=limit))
    return EventPage(
        data=[
            CloudEventOut(id=e.id, source=e.source, type=e.type, subject=e.subject, time=e.time, data=e.data)
            for e in page.rows
        ],
        next_cursor=page.next_cursor,
    )


@router.get("/audit")
def audit(
    ctx: Ctx,
    _: Administrator,
    entity: str | None = None,
    entity_id: str | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    page = ctx.read(lambda uow: uow.audit.page(entity=entity, entity_id=entity_id, after=after, limit=limit))
    return {
        "data": [AuditEntryOut(**row).model_dump(mode="json") for row in page.rows],
        "next_cursor": page.next_cursor,
    }
