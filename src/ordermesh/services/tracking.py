"""Tracking ingest: carriers report shipment events; shipments move through their statuses, never backwards.

Every event is kept once per shipment (its carrier id, or a digest of what it says, is the key); an event
that changes a shipment's status emits `ordermesh.shipment.<status>`. When every shipment of a shipped
fulfilment order is delivered, the fulfilment order is delivered through the `deliver` use case. That
check runs after every ingest, duplicates included, so a delivery interrupted between the two commits is
completed when the carrier sends the event again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ordermesh.domain.access import Principal
from ordermesh.domain.carriers import (
    Meaning,
    RateCards,
    ShipmentTracking,
    StatusChange,
    TrackingEvent,
    TrackingStatus,
    Vocabulary,
    default_vocabulary,
    event_key,
    map_status,
)
from ordermesh.domain.carriers.model import carrier_key
from ordermesh.domain.errors import ConcurrentUpdate, IllegalTransition, InvalidInput, NotFound
from ordermesh.domain.event_catalog import ShipmentTracked
from ordermesh.domain.events import Event
from ordermesh.domain.fulfillment import FulfillmentStatus
from ordermesh.services import fulfillment
from ordermesh.services.carrier_ports import RecordedEvent, ShipmentRef
from ordermesh.services.carriers import current_rate_cards
from ordermesh.services.context import AppContext
from ordermesh.services.ports import DuplicateKey, Page, UnitOfWork

INGEST_ATTEMPTS = 5


@dataclass(frozen=True)
class TrackingUpdate:
    """One carrier event, in the canonical shape: the status as the carrier sends it, in its vocabulary."""

    tracking_number: str
    status: str
    event_time: datetime
    detail: str | None = None  # the carrier's sub-code (UPS activity code, EasyPost status_detail)
    location: str | None = None
    description: str | None = None
    event_id: str | None = None
    vocabulary: Vocabulary | None = None  # None: the carrier's own (UPS, FedEx), else EasyPost's


@dataclass(frozen=True)
class TrackingOutcome:
    """What one update did to one shipment."""

    tracking_number: str
    shipment_id: str
    fulfillment_order_id: str
    status: TrackingStatus
    changed_from: TrackingStatus | None  # None: the status did not change
    duplicate: bool
    fulfillment_order_status: str | None = None  # filled in after the delivery check


def ingest_tracking(
    ctx: AppContext, *, carrier: str, updates: Sequence[TrackingUpdate], actor: Principal, batch: bool = True
) -> list[TrackingOutcome]:
    """Apply carrier events to the shipments they name, oldest event first, in one transaction.

    Raises InvalidInput for a status the vocabulary does not know (naming `updates[i].status`, or `status`
    when not a batch) and NotFound naming every tracking number no shipment of this carrier has; nothing
    is written then.
    """
    meanings = [_meaning(carrier, update, index, batch) for index, update in enumerate(updates)]
    order = sorted(range(len(updates)), key=lambda i: updates[i].event_time)

    def work(uow: UnitOfWork) -> list[TrackingOutcome]:
        targets = _shipments(uow, carrier, [u.tracking_number for u in updates])
        now = ctx.clock.now()
        outcomes: list[TrackingOutcome] = []
        for index in order:
            for ref in targets[updates[index].tracking_number]:
                outcomes.append(_apply(uow, actor, ref, updates[index], meanings[index], now))
        return outcomes

    for _ in range(INGEST_ATTEMPTS):
        try:
            outcomes = ctx.transaction(work)
            break
        except DuplicateKey:
            continue  # the same event, or a shipment's first, arrived concurrently: run again and see it
    else:
        raise ConcurrentUpdate("the shipment's tracking is being changed by others; try again")
    statuses = {
        fo_id: deliver_when_complete(ctx, fo_id=fo_id, actor=actor)
        for fo_id in dict.fromkeys(o.fulfillment_order_id for o in outcomes)
    }
    return [replace(o, fulfillment_order_status=statuses[o.fulfillment_order_id]) for o in outcomes]


def _meaning(carrier: str, update: TrackingUpdate, index: int, batch: bool) -> Meaning:
    try:
        return map_status(update.vocabulary or default_vocabulary(carrier), update.status, update.detail)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field=("updates", index, "status") if batch else ("status",)) from None


def _shipments(uow: UnitOfWork, carrier: str, numbers: Sequence[str]) -> dict[str, list[ShipmentRef]]:
    cards = current_rate_cards(uow).cards
    found: dict[str, list[ShipmentRef]] = {number: [] for number in numbers}
    for ref in uow.tracking.shipments(list(found)):
        if same_carrier(cards, carrier, ref.carrier):
            found[ref.tracking_number].append(ref)
    missing = [number for number, refs in found.items() if not refs]
    if missing:
        raise NotFound(f"{carrier} shipment with tracking number", ", ".join(missing))
    return found


def same_carrier(cards: RateCards, named: str, on_shipment: str) -> bool:
    """Tell whether the carrier in the path means the carrier written on a shipment ("ups" and "UPS Ground").

    A carrier of the rate cards answers to its code and aliases; another is compared by its name.
    """
    known = cards.carrier(named)
    if known is not None:
        return known.answers_to(on_shipment)
    key = carrier_key(named)
    return bool(key) and carrier_key(on_shipment).startswith(key)


def _apply(
    uow: UnitOfWork, actor: Principal, ref: ShipmentRef, update: TrackingUpdate, meaning: Meaning, now: datetime
) -> TrackingOutcome:
    carrier_status = update.status + (f"/{update.detail}" if update.detail else "")
    key = event_key(update.tracking_number, carrier_status, update.event_time, update.location, update.event_id)
    tracking = uow.tracking.get(ref.shipment_id, for_update=True)
    is_new = tracking is None
    if tracking is None:
        tracking = ShipmentTracking(
            ref.shipment_id,
            ref.fulfillment_order_id,
            ref.order_id,
            ref.carrier,
            ref.tracking_number,
            TrackingStatus.LABEL_CREATED,
            now,
        )
    elif uow.tracking.seen(ref.shipment_id, key):
        return TrackingOutcome(
            update.tracking_number, ref.shipment_id, ref.fulfillment_order_id, tracking.status, None, True
        )
    event = TrackingEvent(
        key, meaning.status, carrier_status, update.event_time, update.location, update.description, meaning.reason
    )
    before = _picture(tracking)
    change = tracking.apply(event, now)
    if is_new:
        uow.tracking.add(tracking)
    else:
        uow.tracking.save(tracking)
    uow.tracking.record(ref.shipment_id, event, changed=change is not None, received_at=now)
    if change is not None:
        uow.outbox.add([_event(tracking, change, event)], now)
        uow.audit.record(
            actor=actor,
            action=f"shipment.{change.status.value}",
            entity="shipment",
            entity_id=ref.shipment_id,
            before=before,
            after=_picture(tracking),
            at=now,
        )
    return TrackingOutcome(
        update.tracking_number,
        ref.shipment_id,
        ref.fulfillment_order_id,
        tracking.status,
        change.previous if change else None,
        False,
    )


def _picture(tracking: ShipmentTracking) -> dict[str, Any]:
    return {"status": tracking.status.value, "exception_reason": tracking.exception_reason}


def _event(tracking: ShipmentTracking, change: StatusChange, event: TrackingEvent) -> Event:
    data: ShipmentTracked = {
        "shipment_id": tracking.shipment_id,
        "fulfillment_order_id": tracking.fulfillment_order_id,
        "order_id": tracking.order_id,
        "carrier": tracking.carrier,
        "tracking_number": tracking.tracking_number,
        "status": change.status.value,
        "previous_status": change.previous.value,
        "event_time": event.event_time.isoformat(),
        "location": event.location,
        "description": event.description,
        "carrier_status": event.carrier_status,
        "exception_reason": tracking.exception_reason,
    }
    return Event(f"ordermesh.shipment.{change.status.value}", tracking.shipment_id, data)


def deliver_when_complete(ctx: AppContext, *, fo_id: str, actor: Principal) -> str | None:
    """Deliver a shipped fulfilment order whose every shipment its carrier delivered; return its status."""

    def work(uow: UnitOfWork) -> tuple[str | None, bool]:
        order_id = uow.orders.id_for_fulfillment_order(fo_id)
        order = uow.orders.get(order_id) if order_id else None
        if order is None:
            return None, False
        fo = order.fulfillment_order(fo_id)
        delivered = {t.shipment_id for t in uow.tracking.for_fulfillment_order(fo_id)
                     if t.status == TrackingStatus.DELIVERED}  # fmt: skip
        complete = bool(fo.shipments) and all(s.id in delivered for s in fo.shipments)
        return fo.status.value, fo.status == FulfillmentStatus.SHIPPED and complete

    status, due = ctx.read(work)
    if not due:
        return status
    try:
        return fulfillment.deliver(ctx, fo_id=fo_id, actor=actor).status.value
    except IllegalTransition:  # delivered (or changed) by someone else in between
        return ctx.read(work)[0]


@dataclass(frozen=True)
class ShipmentTrackingView:
    """A shipment's tracking as operations see it: where it stands and every event received."""

    shipment: ShipmentRef
    tracking: ShipmentTracking | None  # None: no carrier event yet (label created)
    history: list[RecordedEvent]


def shipment_tracking(ctx: AppContext, shipment_id: str) -> ShipmentTrackingView:
    """Raises NotFound for an unknown shipment."""

    def work(uow: UnitOfWork) -> ShipmentTrackingView:
        ref = uow.tracking.shipment(shipment_id)
        if ref is None:
            raise NotFound("shipment", shipment_id)
        return ShipmentTrackingView(ref, uow.tracking.get(shipment_id), uow.tracking.history(shipment_id))

    return ctx.read(work)


def list_tracking(ctx: AppContext, *, status: TrackingStatus | None, after: str | None, limit: int) -> Page:
    """Tracked shipments, newest first; `status=exception` is the queue of shipments that need a person."""
    return ctx.read(lambda uow: uow.tracking.page(status=status.value if status else None, after=after, limit=limit))
