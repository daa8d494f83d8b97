"""Reading X12 text into segments: delimiters from the fixed-width ISA, then segments and elements.

The ISA segment is 106 characters: `ISA`, the element separator, sixteen elements of fixed widths, and the
segment terminator. Its fourth character is the element separator, ISA11 the repetition separator (5010), ISA16
the component separator and the character after ISA16 the segment terminator; any characters may serve, with or
without line breaks between segments.
"""

from __future__ import annotations

from collections.abc import Iterator

from ordermesh.domain.edi.model import Delimiters, Element, Segment
from ordermesh.domain.edi.problems import InterchangeNote, SegmentError, X12Error, X12Problem

ISA_LENGTH = 106
# Widths of ISA01 .. ISA15 (ISA16, one character, follows).
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1)
_LINE_BREAKS = "\r\n"


def detect_delimiters(text: str) -> Delimiters:
    """Read the delimiters from the ISA segment that opens `text` (leading whitespace allowed).

    Raises X12Error naming the ISA element at fault when the text does not open with a fixed-width ISA.
    """
    start = len(text) - len(text.lstrip())
    isa = text[start : start + ISA_LENGTH]
    if not isa.startswith("ISA"):
        raise X12Error([_isa_problem(InterchangeNote.INVALID_CONTENT, f"the text opens with {isa[:3]!r}, not ISA")])
    if len(isa) < ISA_LENGTH:
        raise X12Error(
            [_isa_problem(InterchangeNote.PREMATURE_END, f"ISA is {len(isa)} characters, a full ISA is {ISA_LENGTH}")]
        )
    separator = isa[3]
    if separator.isalnum() or separator == " ":
        raise X12Error([_isa_problem(InterchangeNote.INVALID_ELEMENT_SEPARATOR, f"{separator!r} cannot separate")])
    cursor = 4
    for index, width in enumerate(ISA_WIDTHS, start=1):
        end = cursor + width
        if isa[end] != separator:
            actual = len(text[start + cursor :].split(separator, 1)[0])
            raise X12Error(
                [
                    _isa_problem(
                        InterchangeNote.INVALID_CONTROL_STRUCTURE,
                        f"ISA{index:02d} is {actual} characters, the fixed width is {width}",
                        element=index,
                    )
                ]
            )
        cursor = end + 1
    component, terminator = isa[104], isa[105]
    version = isa[84:89]
    # 4010 has the standards identifier `U` in ISA11; a 5010 sender that keeps it has no repetition separator.
    repetition = isa[82] if version >= "00402" and not (isa[82].isalnum() or isa[82] == " ") else None
    try:
        return Delimiters(element=separator, segment=terminator, component=component, repetition=repetition)
    except ValueError as error:
        code = InterchangeNote.SEGMENT_TERMINATOR_INVALID
        if component in (separator, terminator) or component.isalnum():
            code = InterchangeNote.INVALID_COMPONENT_SEPARATOR
        raise X12Error([_isa_problem(code, f"the ISA delimiters cannot be used: {error}")]) from None


def _isa_problem(code: InterchangeNote, detail: str, *, element: int | None = None) -> X12Problem:
    return X12Problem(code, detail, segment_id="ISA", position=1, element=element)


def split_segments(text: str, delimiters: Delimiters) -> Iterator[Segment]:
    """Yield the segments of `text` in order; line breaks around segments are dropped, empty segments skipped.

    The ISA segment's elements are kept verbatim (its ISA11 and ISA16 are delimiters, not data). A segment id
    that is not 2-3 capital letters or digits starting with a letter is kept; the envelope reader reports it.
    """
    terminator = delimiters.segment
    strip = "".join(c for c in _LINE_BREAKS if c not in (terminator, delimiters.element))
    for chunk in text.split(terminator):
        raw = chunk.strip(strip) if strip else chunk
        if raw.strip():
            yield _split_elements(raw, delimiters)


def _split_elements(raw: str, delimiters: Delimiters) -> Segment:
    parts = raw.split(delimiters.element)
    segment_id = parts[0]
    if segment_id == "ISA":
        return Segment("ISA", tuple(parts[1:]))
    values: list[Element] = []
    component = delimiters.component
    for part in parts[1:]:
        values.append(tuple(part.split(component)) if component in part else part)
    while values and values[-1] == "":
        values.pop()  # trailing separators carry nothing
    return Segment(segment_id, tuple(values))


def is_valid_segment_id(segment_id: str) -> bool:
    """True for 2-3 characters, capital letters and digits, opening with a letter (W12, N1, AK4)."""
    return 2 <= len(segment_id) <= 3 and segment_id[0].isupper() and segment_id.isalnum() and segment_id.isascii()


def unrecognised(segment_id: str, position: int) -> X12Problem:
    """The problem of a segment id that is not a segment id at all."""
    return X12Problem(SegmentError.UNRECOGNISED, f"{segment_id!r} is not a segment id", segment_id, position)
