"""The event catalogue: every event type has a schema, the docs match the code, and real events fit their schema."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from ordermesh.domain.access import SYSTEM
from ordermesh.domain.event_catalog import CATALOG, KINDS, schema_of
from ordermesh.domain.events import EVENT_TYPES
from ordermesh.domain.exception_queue import ExceptionKind, RaisedException
from ordermesh.domain.orders import PaymentStatus
from ordermesh.entrypoints.cli.events import catalog_files
from ordermesh.services import catalog, exception_queue, fulfillment, inventory, orders, tracking
from ordermesh.services.commands import AdjustStock, ShipFulfillment
from ordermesh.services.tracking import TrackingUpdate
from tests.unit.test_services_with_fakes import (
    CHICAGO,
    NEWARK,
    NYC,
    capture,
    events,
    network,
    order_for,
    stocked,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events"


def test_every_event_type_the_code_knows_is_in_the_catalogue_once() -> None:
    assert sorted(KINDS) == sorted(set(EVENT_TYPES))
    assert len(KINDS) == len(CATALOG)


def test_the_published_docs_are_the_catalogue_the_code_declares() -> None:
    expected = catalog_files()
    on_disk = {path.name: path.read_text() for path in DOCS.iterdir()}
    assert on_disk == expected, "docs/events is stale: run `ordermesh events catalog`"


@pytest.mark.parametrize("kind", CATALOG, ids=lambda kind: kind.type)
def test_each_schema_is_valid_json_schema_and_closed(kind: object) -> None:
    schema = schema_of(KINDS[kind.type])  # type: ignore[attr-defined]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert schema["required"], "every payload has required fields"


def test_every_event_of_an_order_lifecycle_fits_its_schema() -> None:
    # Arrange: a network, then every command that emits an event
    ctx = network(("NWK", NEWARK), ("CHI", CHICAGO), pickup=("NWK",))
    stocked(ctx, "NWK", TEE=5, MUG=5)
    stocked(ctx, "CHI", TEE=5)
    catalog.change_sourcing_profile(ctx, code="CHI", changes={"tags": frozenset({"bulky"})}, actor=SYSTEM)
    inventory.adjust_stock(ctx, adjustments=[AdjustStock("CHI", "TEE", -1, "damaged")], reference=None, actor=SYSTEM)

    shipped = capture(ctx, order_for("W1", ("TEE", 1), ("MUG", 1), to=NYC))
    fo = shipped.fulfillment_orders[0].id
    fulfillment.accept(ctx, fo_id=fo, actor=SYSTEM)
    fulfillment.ship(ctx, fo_id=fo, command=ShipFulfillment("ups", "1Z999"), actor=SYSTEM)
    fulfillment.deliver(ctx, fo_id=fo, actor=SYSTEM)
    # the carrier's scans: on its way, a failed attempt, out again, delivered, then sent back
    scans = [("I", "DP"), ("X", "48"), ("I", "OT"), ("D", None), ("RS", None)]
    updates = [TrackingUpdate("1Z999", code, datetime(2025, 3, 2, 8 + n, tzinfo=UTC), detail=detail)
               for n, (code, detail) in enumerate(scans)]  # fmt: skip
    tracking.ingest_tracking(ctx, carrier="ups", updates=updates, actor=SYSTEM)

    pickup = capture(ctx, order_for("W2", ("MUG", 1), pickup_at="NWK"))
    fulfillment.ready_for_pickup(ctx, fo_id=pickup.fulfillment_orders[0].id, actor=SYSTEM)
    fulfillment.picked_up(ctx, fo_id=pickup.fulfillment_orders[0].id, actor=SYSTEM)

    rejected = capture(ctx, order_for("W3", ("TEE", 2)))
    fulfillment.reject(ctx, fo_id=rejected.fulfillment_orders[0].id, reason="damaged", actor=SYSTEM)

    held = capture(ctx, order_for("W4", ("TEE", 1), payment=PaymentStatus.PENDING))
    orders.release_order(ctx, order_id=held.id, actor=SYSTEM)
    orders.hold_order(ctx, order_id=held.id, reason="fraud check", actor=SYSTEM)
    orders.release_order(ctx, order_id=held.id, actor=SYSTEM)
    orders.cancel_order(ctx, order_id=held.id, lines=None, reason="customer asked", actor=SYSTEM)

    partly = capture(ctx, order_for("W7", ("MUG", 2)))
    orders.cancel_order(ctx, order_id=partly.id, lines={partly.lines[0].id: 1}, reason="one less", actor=SYSTEM)
    capture(ctx, order_for("W5", ("TEE", 40)))  # more than the network has: backordered
    capture(ctx, order_for("W6", ("GONE", 1)))  # an unknown SKU: an exception
    found = RaisedException(ExceptionKind.RECONCILIATION, "NWK/TEE", "counted 17, had 20", "k", {"run": "rec_1"})
    opened = ctx.transaction(lambda uow: exception_queue.raise_exception(uow, ctx, found))
    exception_queue.resolve(ctx, exception_id=opened.id, resolution="recounted", actor=SYSTEM)

    # Act
    published = events(ctx)

    # Assert: every event fits the schema of its type, and the run covered the catalogue
    for event in published:
        jsonschema.validate(dict(event.data), schema_of(KINDS[event.type]))
    seen = {event.type for event in published}
    reached_elsewhere = {"ordermesh.order.updated"}  # by channel edits (their own tests)
    assert set(KINDS) - reached_elsewhere <= seen, sorted(set(KINDS) - reached_elsewhere - seen)


def test_an_event_with_a_field_the_catalogue_does_not_declare_fails_validation() -> None:
    ctx = network(("NWK", NEWARK))
    stocked(ctx, "NWK", TEE=1)
    data = dict(next(e for e in events(ctx) if e.type == "ordermesh.inventory.changed").data)
    jsonschema.validate(data, schema_of(KINDS["ordermesh.inventory.changed"]))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "surprise": 1}, schema_of(KINDS["ordermesh.inventory.changed"]))
