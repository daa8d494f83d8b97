"""Reading interchanges: delimiters from the ISA, segments with or without line breaks, envelope validation."""

from __future__ import annotations

import re

import pytest

from ordermesh.domain.edi import (
    Delimiters,
    X12Error,
    X12Version,
    detect_delimiters,
    read_interchange,
    read_valid_interchange,
)
from ordermesh.domain.edi.problems import GroupError, InterchangeNote, SegmentError, SetError
from tests.unit.edi.helpers import FIXTURES, fixture, flat, read_independently

ALL_FIXTURES = sorted(path.name for path in FIXTURES.glob("*.edi"))
GOOD_945 = "945_4010_tilde_elements_star_terminator_crlf.edi"
MISCOUNTED = "945_4010_second_set_miscounted.edi"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (GOOD_945, Delimiters(element="~", segment="*", component=">", repetition=None)),
        ("945_4010_tilde_elements_brace_terminator_no_newlines.edi", Delimiters("~", "}", ":", None)),
        ("846_5010_pipe_elements_caret_repetition_no_newlines.edi", Delimiters("|", "~", ">", "^")),
        ("810_4010_caret_elements_gt_components_lf.edi", Delimiters("^", "~", ">", None)),
        ("856_5010_star_tilde_crlf.edi", Delimiters("*", "~", ":", "^")),
    ],
)
def test_the_delimiters_come_from_the_isa(name: str, expected: Delimiters) -> None:
    assert detect_delimiters(fixture(name)) == expected


def test_the_same_document_reads_the_same_whatever_its_delimiters_and_line_breaks() -> None:
    with_breaks = read_interchange(fixture(GOOD_945))
    without = read_interchange(fixture("945_4010_tilde_elements_brace_terminator_no_newlines.edi"))

    assert with_breaks.groups[0].sets[0].segments == without.groups[0].sets[0].segments
    assert with_breaks.groups[0].sets[0].segments[0].value(2) == "FO-1001"


@pytest.mark.parametrize("name", [n for n in ALL_FIXTURES if n != MISCOUNTED])
def test_every_fixture_reads_without_a_problem_and_as_pyx12_reads_it(name: str) -> None:
    text = fixture(name)

    interchange = read_valid_interchange(text)

    independent = read_independently(text)
    assert independent.errors == []
    ours = [[flat(s) for s in ts.segments] for g in interchange.groups for ts in g.sets]
    assert independent.set_bodies() == ours


def test_the_envelope_is_read_into_the_model() -> None:
    interchange = read_interchange(fixture("846_5010_pipe_elements_caret_repetition_no_newlines.edi"))

    assert (interchange.sender_qualifier, interchange.sender_id) == ("ZZ", "ACME3PL")
    assert interchange.receiver_id == "ORDERMESH"
    assert interchange.version is X12Version.V5010
    assert interchange.control_number == 812
    assert str(interchange.prepared_at) == "2025-03-03 06:00:00"
    group = interchange.groups[0]
    assert (group.functional_id, group.control_number, group.version) == ("IB", 812, "005010")
    assert [(ts.code, ts.control_number, ts.segment_count) for ts in group.sets] == [("846", "0001", 13)]


def test_a_miscounted_set_is_named_with_both_counts_and_only_that_set_carries_the_problem() -> None:
    interchange = read_interchange(fixture(MISCOUNTED))

    first, second = interchange.groups[0].sets
    assert first.problems == ()
    [problem] = second.problems
    assert problem.code is SetError.SEGMENT_COUNT_MISMATCH
    assert (problem.segment_id, problem.position, problem.element) == ("SE", 8, 1)
    assert str(problem) == "SE at segment 8: SE01 says 9 segments, the set has 8"


def _broken(old: str, new: str) -> str:
    text = fixture("944_4010_star_tilde_lf.edi")
    assert old in text
    return text.replace(old, new)


ENVELOPE_FAULTS = [
    ("SE*9*0001", "SE*9*0002", SetError.CONTROL_NUMBER_MISMATCH,
     "SE at segment 9: SE02 '0002' does not match ST02 '0001'"),
    ("GE*1*901", "GE*2*901", GroupError.SET_COUNT_MISMATCH,
     "GE at segment 12: GE01 says '2' transaction sets, the group has 1"),
    ("GE*1*901", "GE*1*902", GroupError.CONTROL_NUMBER_MISMATCH,
     "GE at segment 12: GE02 '902' does not match GS06 '901'"),
    ("IEA*1*", "IEA*3*", InterchangeNote.GROUP_COUNT_MISMATCH,
     "IEA at segment 13: IEA01 says '3' functional groups, the interchange has 1"),
    ("IEA*1*000000901", "IEA*1*000000900", InterchangeNote.CONTROL_NUMBER_MISMATCH,
     "IEA at segment 13: IEA02 '000000900' does not match ISA13 '000000901'"),
    ("*004010~", "*003040~", GroupError.VERSION_NOT_SUPPORTED,
     "GS at segment 2: GS08 '003040' is not a 004010 or 005010 version"),
    ("W14*168", "w14*168", SegmentError.UNRECOGNISED, "w14 at segment 8: 'w14' is not a segment id"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "code", "message"), ENVELOPE_FAULTS)
def test_each_envelope_fault_is_named_precisely(old: str, new: str, code: object, message: str) -> None:
    interchange = read_interchange(_broken(old, new))

    [problem] = interchange.all_problems
    assert problem.code == code
    assert str(problem) == message


def test_missing_trailers_are_reported_at_their_level() -> None:
    text = fixture("944_4010_star_tilde_lf.edi")
    cut = text[: text.index("SE*")]

    interchange = read_interchange(cut)

    codes = [p.code for p in interchange.all_problems]
    assert codes == [InterchangeNote.PREMATURE_END, GroupError.TRAILER_MISSING, SetError.TRAILER_MISSING]
    assert len(interchange.groups[0].sets[0].segments) == 7


def test_read_valid_interchange_refuses_a_flawed_one_and_lists_every_problem() -> None:
    text = _broken("SE*9*0001", "SE*8*0002")

    with pytest.raises(X12Error) as raised:
        read_valid_interchange(text)

    assert [p.code for p in raised.value.problems] == [
        SetError.SEGMENT_COUNT_MISMATCH,
        SetError.CONTROL_NUMBER_MISMATCH,
    ]
    assert "SE01 says 8 segments, the set has 9" in raised.value.detail


def test_an_isa_that_is_not_fixed_width_names_the_element_at_fault() -> None:
    text = fixture("944_4010_star_tilde_lf.edi").replace("ACME3PL        ", "ACME3PL", 1)

    with pytest.raises(X12Error) as raised:
        read_interchange(text)

    [problem] = raised.value.problems
    assert (problem.segment_id, problem.element, problem.code) == ("ISA", 6, InterchangeNote.INVALID_CONTROL_STRUCTURE)
    assert problem.detail == "ISA06 is 7 characters, the fixed width is 15"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("GS*OW*A*B~", "the text opens with 'GS*', not ISA"),
        ("ISA*00*", "ISA is 7 characters, a full ISA is 106"),
    ],
)
def test_text_that_is_no_interchange_is_refused(text: str, message: str) -> None:
    with pytest.raises(X12Error, match=re.escape(message)):
        read_interchange(text)


def test_an_unsupported_interchange_version_is_refused() -> None:
    text = fixture("944_4010_star_tilde_lf.edi").replace("*U*00401*", "*U*00305*")

    with pytest.raises(X12Error, match="ISA12 '00305' is neither 00401 nor 00501"):
        read_interchange(text)


def test_a_newline_can_be_the_segment_terminator() -> None:
    text = fixture("944_4010_star_tilde_lf.edi").replace("~\n", "\r\n")
    text = text[:105] + "\n" + text[106:]

    interchange = read_valid_interchange(text)

    assert interchange.delimiters.segment == "\n"
    assert interchange.groups[0].sets[0].segments[-1].id == "W14"


def test_leading_whitespace_and_trailing_separators_are_tolerated() -> None:
    text = "\r\n  " + fixture("944_4010_star_tilde_lf.edi").replace("W14*168~", "W14*168**~")

    interchange = read_valid_interchange(text)

    assert interchange.groups[0].sets[0].segments[-1].elements == ("168",)
