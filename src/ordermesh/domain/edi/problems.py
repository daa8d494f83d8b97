"""What can be wrong with an X12 interchange, said precisely enough for a 997, a TA1 or a problem+json answer.

Every problem names where it is (segment id, segment position, element and component position) and carries the
X12 code a functional acknowledgement reports for it. The code's type says at which level the problem sits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ordermesh.domain.errors import InvalidInput


class InterchangeNote(StrEnum):
    """TA1 interchange note codes (I18)."""

    CONTROL_NUMBER_MISMATCH = "001"
    VERSION_NOT_SUPPORTED = "003"
    INVALID_SENDER_ID = "006"
    SEGMENT_TERMINATOR_INVALID = "004"
    INVALID_DATE = "014"
    INVALID_TIME = "015"
    INVALID_STANDARDS_ID = "016"
    INVALID_VERSION = "017"
    INVALID_CONTROL_NUMBER = "018"
    INVALID_ACK_REQUESTED = "019"
    INVALID_TEST_INDICATOR = "020"
    GROUP_COUNT_MISMATCH = "021"
    INVALID_CONTROL_STRUCTURE = "022"
    PREMATURE_END = "023"
    INVALID_CONTENT = "024"
    INVALID_ELEMENT_SEPARATOR = "026"
    INVALID_COMPONENT_SEPARATOR = "027"


class GroupError(StrEnum):
    """AK905 functional group syntax error codes (716)."""

    NOT_SUPPORTED = "1"
    VERSION_NOT_SUPPORTED = "2"
    TRAILER_MISSING = "3"
    CONTROL_NUMBER_MISMATCH = "4"
    SET_COUNT_MISMATCH = "5"
    CONTROL_NUMBER_SYNTAX = "6"


class SetError(StrEnum):
    """AK502 transaction set syntax error codes (718)."""

    NOT_SUPPORTED = "1"
    TRAILER_MISSING = "2"
    CONTROL_NUMBER_MISMATCH = "3"
    SEGMENT_COUNT_MISMATCH = "4"
    SEGMENTS_IN_ERROR = "5"
    INVALID_SET_ID = "6"
    INVALID_CONTROL_NUMBER = "7"
    CONTROL_NUMBER_NOT_UNIQUE = "23"


class SegmentError(StrEnum):
    """AK304 segment syntax error codes (720)."""

    UNRECOGNISED = "1"
    UNEXPECTED = "2"
    MANDATORY_MISSING = "3"
    LOOP_OVER_MAXIMUM = "4"
    OVER_MAXIMUM_USE = "5"
    NOT_IN_SET = "6"
    OUT_OF_SEQUENCE = "7"
    ELEMENT_ERRORS = "8"


class ElementError(StrEnum):
    """AK403 data element syntax error codes (723)."""

    MANDATORY_MISSING = "1"
    CONDITIONAL_MISSING = "2"
    TOO_MANY_ELEMENTS = "3"
    TOO_SHORT = "4"
    TOO_LONG = "5"
    INVALID_CHARACTER = "6"
    INVALID_CODE = "7"
    INVALID_DATE = "8"
    INVALID_TIME = "9"
    EXCLUSION_VIOLATED = "10"


ProblemCode = InterchangeNote | GroupError | SetError | SegmentError | ElementError


@dataclass(frozen=True)
class X12Problem:
    """One thing wrong with an interchange, located as an acknowledgement reports it.

    `position` counts segments the way AK302 does: inside a transaction set ST is 1; for the envelope segments
    (ISA, GS, GE, IEA, and anything between sets) it counts from ISA = 1 in the interchange. `element` and
    `component` are 1-based (W1202 is element 2). A problem that is not `fatal` is reported (AK5 E) but does not
    reject its transaction set. `value` is a copy of the bad data, as AK404 carries it.
    """

    code: ProblemCode
    detail: str
    segment_id: str | None = None
    position: int | None = None
    element: int | None = None
    component: int | None = None
    value: str | None = None
    fatal: bool = True

    @property
    def reference(self) -> str | None:
        """The element reference in X12 spelling, e.g. `W1202` or `QTY03-1`; None above element level."""
        if self.segment_id is None or self.element is None:
            return None
        name = f"{self.segment_id}{self.element:02d}"
        return f"{name}-{self.component}" if self.component is not None else name

    def __str__(self) -> str:
        if self.segment_id is None:
            return self.detail
        where = self.segment_id if self.position is None else f"{self.segment_id} at segment {self.position}"
        return f"{where}: {self.detail}"


class X12Error(InvalidInput):
    """An X12 document that cannot be read or mapped; `problems` says where and why, each with its X12 code."""

    title = "Invalid X12 document"

    def __init__(self, problems: Iterable[X12Problem]) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("an X12Error needs at least one problem")
        super().__init__("; ".join(str(p) for p in self.problems))
