"""Events as CloudEvents 1.0 JSON (structured mode), the same body `GET /v1/events` serves for each event."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import orjson

from ordermesh.services.ports import StoredEvent

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
DATA_CONTENT_TYPE = "application/json"
SUBJECT_ROOT = "ordermesh"
_FORBIDDEN_IN_TOKENS = frozenset(" \t\r\n*>")


def cloud_event(event: StoredEvent) -> dict[str, Any]:
    """The CloudEvents envelope of a stored event, field for field as the pull feed renders it."""
    return {
        "specversion": SPEC_VERSION,
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "time": event.time,
        "datacontenttype": DATA_CONTENT_TYPE,
        "data": event.data,
    }


def cloud_event_json(event: StoredEvent) -> bytes:
    """The envelope as JSON bytes; times are RFC 3339 UTC with a `Z`, as the API writes them."""
    return orjson.dumps(cloud_event(event), option=orjson.OPT_UTC_Z)


def subject_for(event_type: str) -> str:
    """The broker subject of an event type: the type itself, `ordermesh.<entity>.<verb>`.

    Raises ValueError for a type outside `ordermesh.` or one that is not a valid literal subject
    (an empty token, a wildcard or white space), which no subscriber could match reliably.
    """
    tokens = event_type.split(".")
    if len(tokens) < 3 or tokens[0] != SUBJECT_ROOT:
        raise ValueError(f"event type {event_type!r} is not ordermesh.<entity>.<verb>")
    if any(not token or _FORBIDDEN_IN_TOKENS & set(token) for token in tokens):
        raise ValueError(f"event type {event_type!r} is not a literal subject")
    return event_type


@dataclass(frozen=True)
class BrokerMessage:
    """One event as a broker sends it: where, what, and the headers that de-duplicate and describe it."""

    subject: str
    body: bytes
    headers: MappingProxyType[str, str]


def broker_message(event: StoredEvent, *, msg_id_header: str) -> BrokerMessage:
    """Shape a stored event for a broker: subject from its type, CloudEvents JSON body, the event id as message id.

    Raises ValueError when the event's type cannot be a subject (see `subject_for`).
    """
    headers = {msg_id_header: event.id, "Content-Type": CONTENT_TYPE}
    return BrokerMessage(subject_for(event.type), cloud_event_json(event), MappingProxyType(headers))
