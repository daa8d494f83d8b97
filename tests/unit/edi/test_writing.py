"""Writing interchanges: fixed-width ISA, counts and control numbers, the partner's delimiters, refusals."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordermesh.domain.edi import (
    ControlNumbers,
    Delimiters,
    TransactionSet,
    X12Error,
    X12Version,
    read_valid_interchange,
    segment,
    write_interchange,
)
from ordermesh.domain.edi.problems import ElementError
from tests.unit.edi.helpers import OMS, PARTNER, assert_independent_reader_agrees, enveloped

NOTE = TransactionSet("940", (segment("W05", "N", "FO-1", "PO-9"), segment("N1", "ST", "Jane Doe")))


def test_a_4010_interchange_is_written_with_fixed_widths_counts_and_control_numbers() -> None:
    interchange = enveloped([NOTE, NOTE], numbers=ControlNumbers(17, 17, 41, 2))

    text = write_interchange(interchange, line_break="\n")

    assert text == (
        "ISA*00*          *00*          *ZZ*ORDERMESH      *ZZ*ACME3PL        *250301*1230*U*00401*000000017*1*P*>~\n"
        "GS*OW*ORDERMESH*ACME3PL*20250301*1230*17*X*004010~\n"
        "ST*940*0041~\n"
        "W05*N*FO-1*PO-9~\n"
        "N1*ST*Jane Doe~\n"
        "SE*4*0041~\n"
        "ST*940*0042~\n"
        "W05*N*FO-1*PO-9~\n"
        "N1*ST*Jane Doe~\n"
        "SE*4*0042~\n"
        "GE*2*17~\n"
        "IEA*1*000000017~\n"
    )
    assert_independent_reader_agrees(text, interchange)


def test_a_5010_interchange_carries_the_repetition_separator_and_its_group_version() -> None:
    interchange = enveloped([NOTE], version=X12Version.V5010, delimiters=Delimiters("^", "\\", ":", "|"))

    text = write_interchange(interchange)

    assert text.startswith("ISA^00^")
    assert text[82:89] == "|^00501"
    assert "^004010" not in text and "GS^OW^ORDERMESH^ACME3PL^20250301^1230^17^X^005010\\" in text
    assert read_valid_interchange(text) == interchange
    assert_independent_reader_agrees(text, interchange)


def test_what_is_written_reads_back_to_the_same_interchange() -> None:
    composite = TransactionSet("846", (segment("QTY", "33", "5", ("EA", "1")),))
    interchange = enveloped([composite], delimiters=Delimiters("~", "}", "<", None))

    text = write_interchange(interchange, line_break="\r\n")

    assert "QTY~33~5~EA<1}\r\n" in text
    assert read_valid_interchange(text) == interchange
    assert_independent_reader_agrees(text, interchange)


def test_a_value_holding_a_delimiter_is_refused_naming_its_segment_and_element() -> None:
    bad = TransactionSet("940", (segment("W05", "N", "FO-1"), segment("N1", "ST", "Smith*Jones")))

    with pytest.raises(X12Error) as raised:
        write_interchange(enveloped([bad]))

    [problem] = raised.value.problems
    assert (problem.segment_id, problem.position, problem.element) == ("N1", 3, 2)
    assert problem.code is ElementError.INVALID_CHARACTER
    assert str(problem) == "N1 at segment 3: N102 'Smith*Jones' holds the delimiter '*'"


def test_an_isa_id_longer_than_fifteen_characters_is_refused() -> None:
    interchange = replace(enveloped([NOTE]), sender_id="ORDERMESH-PRODUCTION")

    with pytest.raises(X12Error, match="ISA06 'ORDERMESH-PRODUCTION' is longer than 15 characters"):
        write_interchange(interchange)


def test_one_group_holds_sets_of_one_kind() -> None:
    other = TransactionSet("850", (segment("BEG", "00", "DS", "FO-1"),))

    with pytest.raises(ValueError, match="one group holds sets of one known kind"):
        enveloped([NOTE, other], numbers=ControlNumbers(1, 1, 1, 2))


def test_the_envelope_takes_the_identities_and_drops_seconds() -> None:
    interchange = enveloped([NOTE])

    assert (interchange.sender_id, interchange.receiver_id) == (OMS.id, PARTNER.id)
    assert interchange.groups[0].sender == OMS.application_code
    assert interchange.prepared_at.second == 0


def test_control_numbers_increase_per_interchange_and_set() -> None:
    first = ControlNumbers.first(sets=3)

    following = first.next(sets=2)

    assert first.set_numbers() == ("0001", "0002", "0003")
    assert (following.interchange, following.group, following.first_set) == (2, 2, 4)
    assert following.set_numbers() == ("0004", "0005")


def test_control_numbers_wrap_after_nine_digits() -> None:
    last = ControlNumbers(999_999_999, 999_999_999, 999_999_998, 2)

    following = last.next()

    assert last.set_numbers() == ("999999998", "999999999")
    assert (following.interchange, following.group, following.first_set) == (1, 1, 1)


def test_control_numbers_refuse_zero_and_ten_digits() -> None:
    with pytest.raises(ValueError, match="outside"):
        ControlNumbers(0, 1, 1)
    with pytest.raises(ValueError, match="outside"):
        ControlNumbers(1, 1_000_000_000, 1)


@pytest.mark.parametrize(
    "delimiters",
    [("*", "*", ">", None), ("A", "~", ">", None), ("**", "~", ">", None), ("*", "~", " ", None)],
)
def test_unusable_delimiters_are_refused(delimiters: tuple[str, str, str, None]) -> None:
    with pytest.raises(ValueError):
        Delimiters(*delimiters)
