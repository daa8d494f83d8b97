"""Shipment tracking: carriers' status vocabularies mapped to Ordermesh's, and a status that never goes back.

Ordermesh's tracking statuses: label_created -> in_transit -> out_for_delivery -> delivered, with
`exception` (a reason attached) beside the way and `returned` at its end. Carriers report in their
own words; `map_status` translates:

- `ups`: UPS Tracking API activity status types (I in transit, P pickup, M manifest / label created,
  MV manifest voided, X exception, D delivered, RS returned to shipper, O out for delivery, plus the
  activity code OT "out for delivery today" under type I).
- `fedex`: FedEx Track API status codes (OC/IN label created, PU, IT, AR, DP, AF, IX... in transit, OD out
  for delivery, DL delivered, DE/SE/CA/HL... exception, RS returned).
- `easypost`: the aggregator statuses (pre_transit, in_transit, out_for_delivery, delivered,
  available_for_pickup, return_to_sender, failure, cancelled, error, unknown) with their status details.
- `ordermesh`: Ordermesh's own status names.

Out-of-order events never move a shipment back: progress only goes forward; an exception, or a recovery
from one, needs an event newer than the status it replaces; delivered yields only to a later `returned`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ordermesh.domain.errors import InvalidInput


class TrackingStatus(StrEnum):
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"


# How far along the way each status is; an exception is beside the way and has no rank.
_PROGRESS = {
    TrackingStatus.LABEL_CREATED: 0,
    TrackingStatus.IN_TRANSIT: 1,
    TrackingStatus.OUT_FOR_DELIVERY: 2,
    TrackingStatus.DELIVERED: 3,
    TrackingStatus.RETURNED: 4,
}


class Vocabulary(StrEnum):
    UPS = "ups"
    FEDEX = "fedex"
    EASYPOST = "easypost"
    ORDERMESH = "ordermesh"


def default_vocabulary(carrier: str) -> Vocabulary:
    """The words a carrier's own feed uses: UPS's and FedEx's; any other carrier's come through EasyPost."""
    key = carrier.lower()
    return Vocabulary(key) if key in (Vocabulary.UPS, Vocabulary.FEDEX) else Vocabulary.EASYPOST


@dataclass(frozen=True)
class Meaning:
    """What a carrier's status says: an Ordermesh status (None: nothing about progress) and an exception reason."""

    status: TrackingStatus | None
    reason: str | None = None


_S = TrackingStatus
_UPS_TYPES = {
    "M": Meaning(_S.LABEL_CREATED),
    "MV": Meaning(_S.EXCEPTION, "shipment information voided"),
    "P": Meaning(_S.IN_TRANSIT),
    "I": Meaning(_S.IN_TRANSIT),
    "O": Meaning(_S.OUT_FOR_DELIVERY),
    "D": Meaning(_S.DELIVERED),
    "X": Meaning(_S.EXCEPTION, "carrier exception"),
    "RS": Meaning(_S.RETURNED),
    "NA": Meaning(None),
}
_UPS_OUT_FOR_DELIVERY_CODES = frozenset({"OT", "OF", "OFD"})

_FEDEX = {
    "OC": Meaning(_S.LABEL_CREATED),
    "IN": Meaning(_S.LABEL_CREATED),
    **dict.fromkeys(("PU", "PX", "IT", "AR", "AF", "DP", "PM", "IX", "CC", "EA", "LO", "TR"), Meaning(_S.IN_TRANSIT)),
    "OD": Meaning(_S.OUT_FOR_DELIVERY),
    "DL": Meaning(_S.DELIVERED),
    "DE": Meaning(_S.EXCEPTION, "delivery exception"),
    "SE": Meaning(_S.EXCEPTION, "shipment exception"),
    "CD": Meaning(_S.EXCEPTION, "clearance delay"),
    "DY": Meaning(_S.EXCEPTION, "delay"),
    "HL": Meaning(_S.EXCEPTION, "held at location"),
    "CA": Meaning(_S.EXCEPTION, "shipment cancelled"),
    "RS": Meaning(_S.RETURNED),
    "RP": Meaning(_S.RETURNED),
}

_EASYPOST = {
    "pre_transit": Meaning(_S.LABEL_CREATED),
    "in_transit": Meaning(_S.IN_TRANSIT),
    "out_for_delivery": Meaning(_S.OUT_FOR_DELIVERY),
    "available_for_pickup": Meaning(_S.OUT_FOR_DELIVERY),
    "delivered": Meaning(_S.DELIVERED),
    "return_to_sender": Meaning(_S.RETURNED),
    "failure": Meaning(_S.EXCEPTION, "delivery failure"),
    "cancelled": Meaning(_S.EXCEPTION, "shipment cancelled"),
    "error": Meaning(None),
    "unknown": Meaning(None),
}

_ORDERMESH = {status.value: Meaning(status) for status in TrackingStatus}


def map_status(vocabulary: Vocabulary, code: str, detail: str | None = None) -> Meaning:
    """Translate a carrier's status (and its detail code) into Ordermesh's.

    The detail sharpens the exception reason (EasyPost's `status_detail`, UPS's activity code).
    Raises InvalidInput naming the code when the vocabulary does not know it.
    """
    known: dict[str, Meaning]
    if vocabulary == Vocabulary.UPS:
        key = code.strip().upper()
        if key == "I" and detail is not None and detail.strip().upper() in _UPS_OUT_FOR_DELIVERY_CODES:
            return Meaning(_S.OUT_FOR_DELIVERY)
        known = _UPS_TYPES
    elif vocabulary == Vocabulary.FEDEX:
        key, known = code.strip().upper(), _FEDEX
    elif vocabulary == Vocabulary.EASYPOST:
        key, known = code.strip().lower(), _EASYPOST
    else:
        key, known = code.strip().lower(), _ORDERMESH
    meaning = known.get(key)
    if meaning is None:
        raise InvalidInput(
            f"'{code}' is not a {vocabulary.value} status; one of {', '.join(sorted(known))}", field=("status",)
        )
    if meaning.status == _S.EXCEPTION and detail and vocabulary != Vocabulary.ORDERMESH:
        return Meaning(meaning.status, f"{meaning.reason}: {detail.strip().replace('_', ' ')}")
    return meaning


@dataclass(frozen=True)
class TrackingEvent:
    """One status report of a carrier about a shipment, already mapped."""

    key: str  # de-duplication key: the carrier's event id, or a digest of what the event says
    status: TrackingStatus | None
    carrier_status: str  # as the carrier sent it (with its detail code: "I/OT")
    event_time: datetime
    location: str | None = None
    description: str | None = None
    reason: str | None = None  # why, for an exception


def event_key(
    tracking_number: str, carrier_status: str, event_time: datetime, location: str | None, event_id: str | None
) -> str:
    """The de-duplication key of an event: its carrier id when it has one, else a digest of its content."""
    if event_id:
        return f"id:{event_id}"[:200]
    content = "|".join((tracking_number, carrier_status, event_time.isoformat(), location or ""))
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()


@dataclass(frozen=True)
class StatusChange:
    previous: TrackingStatus
    status: TrackingStatus


@dataclass
class ShipmentTracking:
    """Where one shipment stands, as its carrier reported it."""

    shipment_id: str
    fulfillment_order_id: str
    order_id: str
    carrier: str
    tracking_number: str
    status: TrackingStatus
    updated_at: datetime
    status_at: datetime | None = None  # event time of the event that set the status
    reached: TrackingStatus = TrackingStatus.LABEL_CREATED  # the furthest status along the way (for operations)
    last_event_at: datetime | None = None
    location: str | None = None
    description: str | None = None
    carrier_status: str | None = None
    exception_reason: str | None = None

    def apply(self, event: TrackingEvent, now: datetime) -> StatusChange | None:
        """Take a carrier event in; return the status change it makes, None when it makes none.

        The newest event's location and description are kept whatever the status does.
        """
        self.updated_at = now
        if self.last_event_at is None or event.event_time >= self.last_event_at:
            self.last_event_at = event.event_time
            self.location = event.location or self.location
            self.description = event.description
            self.carrier_status = event.carrier_status
        wanted = event.status
        if wanted is None or not self._moves_to(wanted, event):
            return None
        previous = self.status
        self.status = wanted
        self.status_at = event.event_time
        if wanted == TrackingStatus.EXCEPTION:
            self.exception_reason = event.reason or "carrier exception"
        else:
            self.exception_reason = None
            self.reached = max(self.reached, wanted, key=_PROGRESS.__getitem__)
        return StatusChange(previous, wanted)

    def _moves_to(self, wanted: TrackingStatus, event: TrackingEvent) -> bool:
        current = self.status
        newer = self.status_at is None or event.event_time >= self.status_at
        if current == TrackingStatus.RETURNED:
            return False
        if current == TrackingStatus.DELIVERED:
            return wanted == TrackingStatus.RETURNED and newer
        if wanted == TrackingStatus.EXCEPTION:
            return newer and (current != wanted or event.reason != self.exception_reason)
        if current == TrackingStatus.EXCEPTION:
            # Progress resumes after a newer scan (a new attempt); a label is never created again.
            return newer and wanted != TrackingStatus.LABEL_CREATED
        return _PROGRESS[wanted] > _PROGRESS[current]
