"""The shape of an event on NATS: subject from its type, the feed's CloudEvents body, its id as the message id."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from nats.js.api import StorageType

from ordermesh.adapters.messaging.cloudevents import subject_for
from ordermesh.adapters.messaging.nats import NatsSettings, jetstream_message
from ordermesh.domain.events import EVENT_TYPES
from ordermesh.entrypoints.api.routers.events import CloudEventOut
from ordermesh.services.ports import StoredEvent

SHIPPED = StoredEvent(
    id="evt_01JD3V4Q2W8C6Y0D7K5M9N1P3R",
    cursor="MTI6MzQ",
    type="ordermesh.fulfillment_order.shipped",
    source="/ordermesh",
    subject="fo_01JD3V4Q2W8C6Y0D7K5M9N1P3S",
    time=datetime(2026, 11, 27, 14, 5, 9, 120500, tzinfo=UTC),
    data={"tracking_number": "1Z999AA10123456784", "lines": [{"sku": "TEE", "quantity": 2}], "total": "39.98"},
)


def test_the_subject_is_the_event_type_for_every_type_ordermesh_emits() -> None:
    assert [subject_for(event_type) for event_type in EVENT_TYPES] == list(EVENT_TYPES)
    assert jetstream_message(SHIPPED).subject == "ordermesh.fulfillment_order.shipped"


@pytest.mark.parametrize(
    "event_type", ["order.created", "ordermesh.order", "other.order.created", "ordermesh..created",
                   "ordermesh.order.*", "ordermesh.order.>", "ordermesh.order.was created"],
)
def test_a_type_that_is_not_a_literal_ordermesh_subject_is_refused(event_type: str) -> None:
    with pytest.raises(ValueError, match="event type"):
        subject_for(event_type)


def test_the_body_is_the_cloudevent_the_pull_feed_serves() -> None:
    feed_body = CloudEventOut(id=SHIPPED.id, source=SHIPPED.source, type=SHIPPED.type, subject=SHIPPED.subject,
                              time=SHIPPED.time, data=SHIPPED.data).model_dump_json()

    body = jetstream_message(SHIPPED).body

    assert json.loads(body) == json.loads(feed_body)
    assert list(json.loads(body)) == list(json.loads(feed_body))  # same field order too
    assert json.loads(body)["time"] == "2026-11-27T14:05:09.120500Z"


def test_the_headers_carry_the_event_id_for_deduplication_and_the_content_type() -> None:
    headers = jetstream_message(SHIPPED).headers

    assert dict(headers) == {"Nats-Msg-Id": SHIPPED.id, "Content-Type": "application/cloudevents+json"}


def test_the_stream_takes_every_ordermesh_subject_on_disk_with_the_configured_duplicate_window() -> None:
    config = NatsSettings(url="nats://127.0.0.1:4222", stream="OM_TEST", duplicate_window_seconds=600).stream_config()

    assert (config.name, config.subjects, config.storage) == ("OM_TEST", ["ordermesh.>"], StorageType.FILE)
    assert config.duplicate_window == 600


def test_the_url_may_name_several_servers_of_a_cluster() -> None:
    settings = NatsSettings(url="nats://10.0.0.1:4222, nats://10.0.0.2:4222,")

    assert settings.servers == ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]
