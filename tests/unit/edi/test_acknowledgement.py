"""997 functional acknowledgements: answering inbound groups and reading the partner's answers."""

from __future__ import annotations

from dataclasses import replace

from ordermesh.domain.edi import (
    ControlNumbers,
    Delimiters,
    TransactionSet,
    Verdict,
    X12Problem,
    X12Version,
    acknowledge,
    acknowledgement_set,
    read_acknowledgement,
    read_interchange,
    read_valid_interchange,
    write_interchange,
)
from ordermesh.domain.edi.acknowledgement import ElementNote, SegmentNote
from ordermesh.domain.edi.problems import ElementError, SetError
from tests.unit.edi.helpers import assert_independent_reader_agrees, enveloped, fixture


def _997_text(ack_set: TransactionSet, version: X12Version = X12Version.V4010) -> str:
    interchange = enveloped([ack_set], version=version, numbers=ControlNumbers(5, 5, 5))
    text = write_interchange(interchange, line_break="\n")
    assert_independent_reader_agrees(text, interchange)
    return text


def _segments(text: str) -> list[str]:
    return [line.rstrip("~") for line in text.splitlines() if line.startswith("AK")]


def test_an_accepted_group_is_answered_a_for_every_set_and_the_group() -> None:
    group = read_interchange(fixture("944_4010_star_tilde_lf.edi")).groups[0]

    ack = acknowledge(group)

    assert _segments(_997_text(acknowledgement_set(ack, X12Version.V4010))) == [
        "AK1*RE*901",
        "AK2*944*0001",
        "AK5*A",
        "AK9*A*1*1*1",
    ]


def test_a_miscounted_set_is_rejected_and_the_group_partially_accepted() -> None:
    group = read_interchange(fixture("945_4010_second_set_miscounted.edi")).groups[0]

    ack = acknowledge(group)

    assert ack.rejected_sets == ("0002",)
    assert _segments(_997_text(acknowledgement_set(ack, X12Version.V4010))) == [
        "AK1*SW*733",
        "AK2*945*0001",
        "AK5*A",
        "AK2*945*0002",
        "AK5*R*4",
        "AK9*P*2*2*1",
    ]


def test_a_wrong_group_count_rejects_the_group_and_reports_what_ge01_said() -> None:
    text = fixture("944_4010_star_tilde_lf.edi").replace("GE*1*901", "GE*3*901")
    group = read_interchange(text).groups[0]

    ack = acknowledge(group)

    assert _segments(_997_text(acknowledgement_set(ack, X12Version.V4010)))[-2:] == ["AK5*R", "AK9*R*3*1*0*5"]


def test_what_a_mapper_found_becomes_segment_and_element_notes() -> None:
    group = read_interchange(fixture("944_4010_star_tilde_lf.edi")).groups[0]
    found = X12Problem(ElementError.INVALID_CHARACTER, "W0701 quantity 'x' is not a number", "W07", 5, 1, value="x")

    ack = acknowledge(group, findings={"0001": [found]})

    assert ack.verdict is Verdict.REJECTED
    assert _segments(_997_text(acknowledgement_set(ack, X12Version.V4010))) == [
        "AK1*RE*901",
        "AK2*944*0001",
        "AK3*W07*5**8",
        "AK4*1**6*x",
        "AK5*R*5",
        "AK9*R*1*1*0",
    ]


def test_a_problem_that_is_not_fatal_is_accepted_with_errors() -> None:
    group = read_interchange(fixture("944_4010_star_tilde_lf.edi")).groups[0]
    noted = X12Problem(ElementError.INVALID_CODE, "W0702 unit 'CS' is not EA", "W07", 7, 2, value="CS", fatal=False)

    ack = acknowledge(group, findings={"0001": [noted]})

    assert [s.verdict for s in ack.sets] == [Verdict.ACCEPTED_WITH_ERRORS]
    assert ack.verdict is Verdict.ACCEPTED_WITH_ERRORS
    assert ack.accepted == 1


def test_a_broken_interchange_rejects_every_set_of_its_groups() -> None:
    group = read_interchange(fixture("944_4010_star_tilde_lf.edi")).groups[0]

    ack = acknowledge(group, envelope_rejected=True)

    assert (ack.verdict, ack.accepted, [s.verdict for s in ack.sets]) == (Verdict.REJECTED, 0, [Verdict.REJECTED])


def test_a_5010_acknowledgement_names_the_version_and_the_component_in_error() -> None:
    group = read_interchange(fixture("846_5010_pipe_elements_caret_repetition_no_newlines.edi")).groups[0]
    found = X12Problem(ElementError.INVALID_CODE, "QTY03-1 unit 'ZZ' is unknown", "QTY", 5, 3, 1, "ZZ")

    ack = acknowledge(group, findings={"0001": [found]})

    segments = _segments(_997_text(acknowledgement_set(ack, X12Version.V5010), X12Version.V5010))
    assert segments[0] == "AK1*IB*812*005010"
    assert segments[3] == "AK4*3>1**7*ZZ"


def test_a_bad_value_holding_our_delimiter_is_masked_in_the_copy() -> None:
    group = read_interchange(fixture("944_4010_star_tilde_lf.edi")).groups[0]
    found = X12Problem(ElementError.INVALID_CHARACTER, "W0701 quantity is not a number", "W07", 5, 1, value="1*2")
    ack = acknowledge(group, findings={"0001": [found]})

    plain = acknowledgement_set(ack, X12Version.V4010)
    masked = acknowledgement_set(ack, X12Version.V4010, delimiters=Delimiters(repetition=None))

    assert [s.value(4) for s in plain.segments if s.id == "AK4"] == ["1*2"]
    assert [s.value(4) for s in masked.segments if s.id == "AK4"] == ["1?2"]


def test_our_997_reads_back_to_the_same_acknowledgement() -> None:
    group = read_interchange(fixture("945_4010_second_set_miscounted.edi")).groups[0]
    found = X12Problem(ElementError.MANDATORY_MISSING, "W1208 product id is missing", "W12", 6, 8)
    ack = acknowledge(group, findings={"0001": [found]})

    text = _997_text(acknowledgement_set(ack, X12Version.V4010))
    back = read_acknowledgement(read_valid_interchange(text).groups[0].sets[0])

    assert back == replace(ack, version=None)  # a 4010 AK1 has no AK103


def test_a_partners_997_says_which_of_our_sets_it_rejected_and_why() -> None:
    ts = read_valid_interchange(fixture("997_4010_partial_acceptance.edi")).groups[0].sets[0]

    ack = read_acknowledgement(ts)

    assert (ack.functional_id, ack.group_control_number, ack.verdict) == ("OW", 17, Verdict.PARTIALLY_ACCEPTED)
    assert (ack.included, ack.received, ack.accepted) == (2, 2, 1)
    assert ack.rejected_sets == ("0002",)
    rejected = ack.sets[1]
    assert rejected.errors == (SetError.SEGMENTS_IN_ERROR.value,)
    assert rejected.segments == (SegmentNote("W01", 9, "8", (ElementNote(5, "1"),)),)
