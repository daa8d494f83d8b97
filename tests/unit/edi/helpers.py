"""Shared by the X12 tests: fixture files, an envelope for test sets, and pyx12 as the independent reader."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pytest
from pyx12.x12file import X12Reader

from ordermesh.domain.edi import (
    ControlNumbers,
    Delimiters,
    Interchange,
    Segment,
    TradingIdentity,
    TransactionSet,
    X12Version,
    envelope,
    read_valid_interchange,
    write_interchange,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "edi"
OMS = TradingIdentity("ZZ", "ORDERMESH", "ORDERMESH")
PARTNER = TradingIdentity("ZZ", "ACME3PL", "ACME3PL")
PREPARED_AT = datetime(2025, 3, 1, 12, 30)
_ELEMENT, _COMPONENT = "\x1d", "\x1f"  # separators no document uses, for comparing segments


def fixture(name: str) -> str:
    """A fixture file's text, line breaks as they are in the file."""
    return (FIXTURES / name).read_bytes().decode("ascii")


def enveloped(
    sets: Sequence[TransactionSet],
    *,
    version: X12Version = X12Version.V4010,
    delimiters: Delimiters | None = None,
    numbers: ControlNumbers | None = None,
) -> Interchange:
    """Sets from Ordermesh to the partner, in one interchange of one group."""
    if delimiters is None:
        delimiters = Delimiters() if version is X12Version.V5010 else Delimiters(repetition=None)
    return envelope(
        sets,
        sender=OMS,
        receiver=PARTNER,
        numbers=numbers or ControlNumbers(17, 17, 41, len(sets)),
        version=version,
        prepared_at=PREPARED_AT,
        delimiters=delimiters,
    )


@dataclass(frozen=True)
class IndependentReading:
    """What pyx12's segment reader makes of a text: its segments (flattened) and the envelope errors it found."""

    segments: list[str]
    errors: list[tuple[object, ...]]

    def value(self, reference: str) -> str:
        """An envelope value by reference, e.g. `ISA13`, from the first segment with that id."""
        segment_id, element = reference[:-2], int(reference[-2:])
        for flat in self.segments:
            parts = flat.split(_ELEMENT)
            if parts[0] == segment_id:
                return parts[element] if element < len(parts) else ""
        raise KeyError(reference)

    def set_bodies(self) -> list[list[str]]:
        """The segments between each ST and its SE."""
        bodies: list[list[str]] = []
        current: list[str] | None = None
        for flat in self.segments:
            segment_id = flat.split(_ELEMENT, 1)[0]
            if segment_id == "ST":
                current = []
            elif segment_id == "SE":
                assert current is not None
                bodies.append(current)
                current = None
            elif current is not None:
                current.append(flat)
        return bodies


def read_independently(text: str) -> IndependentReading:
    reader = X12Reader(io.StringIO(text))
    segments = [s.format(seg_term="", ele_term=_ELEMENT, subele_term=_COMPONENT) for s in reader]
    reader.cleanup()
    return IndependentReading(segments, list(reader.err_list))


def flat(segment: Segment) -> str:
    """A segment in the same flattened form as `IndependentReading.segments`."""
    values = [e if isinstance(e, str) else _COMPONENT.join(e) for e in segment.elements]
    return _ELEMENT.join([segment.id, *values])


def assert_independent_reader_agrees(text: str, interchange: Interchange) -> None:
    """pyx12 reads the text without an envelope error and finds the same sets, segment for segment."""
    reading = read_independently(text)
    assert reading.errors == []
    assert reading.value("ISA13") == f"{interchange.control_number:09d}"
    assert reading.value("IEA02") == f"{interchange.control_number:09d}"
    assert reading.value("GS06") == str(interchange.groups[0].control_number)
    ours = [[flat(s) for s in ts.segments] for group in interchange.groups for ts in group.sets]
    assert reading.set_bodies() == ours


WIRE_FORMATS = [
    pytest.param(X12Version.V4010, Delimiters("*", "~", ">", None), "\n", id="4010-star-tilde-lf"),
    pytest.param(X12Version.V5010, Delimiters("~", "*", ":", "^"), "\r\n", id="5010-tilde-star-crlf"),
    pytest.param(X12Version.V4010, Delimiters("~", "}", ">", None), "", id="4010-tilde-brace"),
    pytest.param(X12Version.V5010, Delimiters("|", "~", ">", "^"), "", id="5010-pipe-tilde"),
]


def through_the_wire(
    ts: TransactionSet, version: X12Version, delimiters: Delimiters, line_break: str
) -> TransactionSet:
    """Send a set as a partner would get it and read it back; pyx12 must read the same text alike."""
    interchange = enveloped([ts], version=version, delimiters=delimiters)
    text = write_interchange(interchange, line_break=line_break)
    assert_independent_reader_agrees(text, interchange)
    return read_valid_interchange(text).groups[0].sets[0]


def first_set(name: str) -> TransactionSet:
    """The first transaction set of a fixture, which must read without a problem."""
    return read_valid_interchange(fixture(name)).groups[0].sets[0]


def with_segment(ts: TransactionSet, old: str, new: Segment) -> TransactionSet:
    """The set with the first segment whose flat form starts with `old` (elements joined by '*') replaced."""
    body = list(ts.segments)
    index = next(i for i, s in enumerate(body) if str(s).startswith(old))
    body[index] = new
    return replace(ts, segments=tuple(body))


def without_segment(ts: TransactionSet, segment_id: str) -> TransactionSet:
    return replace(ts, segments=tuple(s for s in ts.segments if s.id != segment_id))
