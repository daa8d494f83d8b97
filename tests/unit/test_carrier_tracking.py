"""Tracking: carriers' status words mapped to Ordermesh's, and a status that never goes backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.domain.carriers import (
    Meaning,
    ShipmentTracking,
    StatusChange,
    TrackingEvent,
    TrackingStatus,
    Vocabulary,
    default_vocabulary,
    event_key,
    map_status,
)
from ordermesh.domain.errors import InvalidInput

S = TrackingStatus
T0 = datetime(2025, 3, 5, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("vocabulary", "code", "detail", "expected"),
    [
        (Vocabulary.UPS, "M", None, Meaning(S.LABEL_CREATED)),
        (Vocabulary.UPS, "P", None, Meaning(S.IN_TRANSIT)),
        (Vocabulary.UPS, "I", "DP", Meaning(S.IN_TRANSIT)),
        (Vocabulary.UPS, "I", "OT", Meaning(S.OUT_FOR_DELIVERY)),
        (Vocabulary.UPS, "d", None, Meaning(S.DELIVERED)),
        (Vocabulary.UPS, "X", "48", Meaning(S.EXCEPTION, "carrier exception: 48")),
        (Vocabulary.UPS, "RS", None, Meaning(S.RETURNED)),
        (Vocabulary.FEDEX, "OC", None, Meaning(S.LABEL_CREATED)),
        (Vocabulary.FEDEX, "AR", None, Meaning(S.IN_TRANSIT)),
        (Vocabulary.FEDEX, "OD", None, Meaning(S.OUT_FOR_DELIVERY)),
        (Vocabulary.FEDEX, "DL", None, Meaning(S.DELIVERED)),
        (Vocabulary.FEDEX, "DE", None, Meaning(S.EXCEPTION, "delivery exception")),
        (Vocabulary.EASYPOST, "pre_transit", "label_created", Meaning(S.LABEL_CREATED)),
        (Vocabulary.EASYPOST, "in_transit", "arrived_at_facility", Meaning(S.IN_TRANSIT)),
        (Vocabulary.EASYPOST, "out_for_delivery", None, Meaning(S.OUT_FOR_DELIVERY)),
        (Vocabulary.EASYPOST, "available_for_pickup", None, Meaning(S.OUT_FOR_DELIVERY)),
        (Vocabulary.EASYPOST, "delivered", None, Meaning(S.DELIVERED)),
        (
            Vocabulary.EASYPOST,
            "failure",
            "address_not_found",
            Meaning(S.EXCEPTION, "delivery failure: address not found"),
        ),
        (Vocabulary.EASYPOST, "return_to_sender", "return", Meaning(S.RETURNED)),
        (Vocabulary.EASYPOST, "unknown", None, Meaning(None)),
        (Vocabulary.ORDERMESH, "out_for_delivery", None, Meaning(S.OUT_FOR_DELIVERY)),
    ],
)
def test_carrier_statuses_map_to_ordermesh_statuses(
    vocabulary: Vocabulary, code: str, detail: str | None, expected: Meaning
) -> None:
    assert map_status(vocabulary, code, detail) == expected


def test_an_unknown_status_code_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput, match="'ZZ' is not a ups status; one of D, I, M"):
        map_status(Vocabulary.UPS, "ZZ")


def test_ups_and_fedex_speak_their_own_words_and_other_carriers_come_through_easypost() -> None:
    assert [default_vocabulary(c) for c in ("UPS", "fedex", "usps", "dhl")] == [
        Vocabulary.UPS, Vocabulary.FEDEX, Vocabulary.EASYPOST, Vocabulary.EASYPOST,
    ]  # fmt: skip


def test_the_event_key_is_the_carriers_id_or_a_digest_of_what_it_says() -> None:
    same = event_key("1Z", "I/DP", T0, "Edison NJ US", None)

    assert event_key("1Z", "I/DP", T0, "Edison NJ US", "evt_9") == "id:evt_9"
    assert same == event_key("1Z", "I/DP", T0, "Edison NJ US", None)
    assert same != event_key("1Z", "I/DP", T0 + timedelta(minutes=1), "Edison NJ US", None)


def tracking() -> ShipmentTracking:
    return ShipmentTracking("shp_1", "fo_1", "ord_1", "UPS", "1Z", S.LABEL_CREATED, T0)


def event(status: S | None, minutes: int, reason: str | None = None, where: str | None = None) -> TrackingEvent:
    return TrackingEvent(f"k{minutes}{status}", status, str(status), T0 + timedelta(minutes=minutes), where, None,
                         reason)  # fmt: skip


def walk(*events: TrackingEvent) -> tuple[ShipmentTracking, list[StatusChange | None]]:
    shipment = tracking()
    return shipment, [shipment.apply(e, T0) for e in events]


def test_progress_moves_the_status_forward_and_reports_each_change() -> None:
    shipment, changes = walk(event(S.IN_TRANSIT, 10), event(S.OUT_FOR_DELIVERY, 20), event(S.DELIVERED, 30))

    assert changes == [
        StatusChange(S.LABEL_CREATED, S.IN_TRANSIT),
        StatusChange(S.IN_TRANSIT, S.OUT_FOR_DELIVERY),
        StatusChange(S.OUT_FOR_DELIVERY, S.DELIVERED),
    ]
    assert (shipment.status, shipment.status_at) == (S.DELIVERED, T0 + timedelta(minutes=30))


def test_a_late_arriving_older_scan_does_not_move_the_status_back_but_keeps_the_newest_location() -> None:
    shipment, changes = walk(event(S.OUT_FOR_DELIVERY, 20, where="Chicago"), event(S.IN_TRANSIT, 10, where="Edison"))

    assert changes[1] is None
    assert (shipment.status, shipment.location) == (S.OUT_FOR_DELIVERY, "Chicago")


def test_a_second_scan_of_the_same_status_changes_nothing() -> None:
    _, changes = walk(event(S.IN_TRANSIT, 10), event(S.IN_TRANSIT, 20))

    assert changes[1] is None


def test_delivered_stays_delivered_whatever_comes_later_except_a_later_return() -> None:
    shipment, changes = walk(
        event(S.DELIVERED, 30),
        event(S.OUT_FOR_DELIVERY, 40),
        event(S.EXCEPTION, 50, "damaged"),
        event(S.RETURNED, 20),  # older than the delivery
        event(S.RETURNED, 60),
    )

    assert changes[1:4] == [None, None, None]
    assert changes[4] == StatusChange(S.DELIVERED, S.RETURNED)
    assert shipment.status == S.RETURNED


def test_nothing_moves_a_returned_shipment() -> None:
    shipment, changes = walk(event(S.RETURNED, 10), event(S.DELIVERED, 20), event(S.EXCEPTION, 30, "lost"))

    assert changes[1:] == [None, None]
    assert shipment.status == S.RETURNED


def test_an_exception_carries_its_reason_and_clears_when_a_newer_scan_resumes_progress() -> None:
    shipment, _ = walk(
        event(S.OUT_FOR_DELIVERY, 10),
        event(S.EXCEPTION, 20, "delivery failure: no access"),
    )
    assert (shipment.status, shipment.exception_reason) == (S.EXCEPTION, "delivery failure: no access")

    older = shipment.apply(event(S.OUT_FOR_DELIVERY, 15), T0)
    resumed = shipment.apply(event(S.IN_TRANSIT, 30), T0)

    assert older is None  # from before the exception
    assert resumed == StatusChange(S.EXCEPTION, S.IN_TRANSIT)
    assert (shipment.status, shipment.exception_reason) == (S.IN_TRANSIT, None)


def test_an_exception_older_than_the_current_status_is_recorded_but_changes_nothing() -> None:
    shipment, changes = walk(event(S.OUT_FOR_DELIVERY, 30), event(S.EXCEPTION, 20, "weather delay"))

    assert changes[1] is None
    assert shipment.exception_reason is None


def test_a_status_that_says_nothing_about_progress_changes_nothing() -> None:
    shipment, changes = walk(event(S.IN_TRANSIT, 10), event(None, 20, where="Memphis"))

    assert changes[1] is None
    assert (shipment.status, shipment.location, shipment.last_event_at) == (
        S.IN_TRANSIT, "Memphis", T0 + timedelta(minutes=20),
    )  # fmt: skip


def test_a_label_created_scan_after_an_exception_does_not_clear_it() -> None:
    shipment, changes = walk(event(S.EXCEPTION, 10, "shipment information voided"), event(S.LABEL_CREATED, 20))

    assert changes[1] is None
    assert shipment.status == S.EXCEPTION
