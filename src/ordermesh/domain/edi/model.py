"""The X12 data model: Interchange -> FunctionalGroup(s) -> TransactionSet(s) -> Segment(s).

Values are kept free of the delimiters that carried them: a composite element is a tuple of its components, so
an interchange read with one set of delimiters can be written with another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ordermesh.domain.edi.problems import X12Problem

Element = str | tuple[str, ...]  # a simple value, or the components of a composite element

# Characters that may never serve as a delimiter: they occur in ordinary data.
_DATA_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ")


class X12Version(StrEnum):
    """The interchange control version (ISA12) with the group version that goes with it (GS08)."""

    V4010 = "00401"
    V5010 = "00501"

    @property
    def group_version(self) -> str:
        return "004010" if self is X12Version.V4010 else "005010"


class Usage(StrEnum):
    """ISA15: whether the interchange is real business or a test."""

    PRODUCTION = "P"
    TEST = "T"


@dataclass(frozen=True)
class Delimiters:
    """The four separators of an interchange (ISA position 4, ISA11 in 5010, ISA16, and the ISA terminator).

    Raises ValueError for a separator that is not exactly one character, is a letter, digit or space, or is
    used twice.
    """

    element: str = "*"
    segment: str = "~"
    component: str = ">"
    repetition: str | None = "^"  # 5010 only; 4010 has the standards identifier 'U' in ISA11

    def __post_init__(self) -> None:
        chosen = [self.element, self.segment, self.component]
        if self.repetition is not None:
            chosen.append(self.repetition)
        for character in chosen:
            if len(character) != 1:
                raise ValueError(f"a delimiter is one character, not {character!r}")
            if character in _DATA_CHARACTERS:
                raise ValueError(f"{character!r} occurs in data and cannot be a delimiter")
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"the delimiters must differ from each other: {chosen!r}")

    def occurs_in(self, value: str) -> str | None:
        """The first delimiter found in a data value (None when there is none)."""
        for character in (self.element, self.segment, self.component, self.repetition):
            if character is not None and character in value:
                return character
        return None


def segment(segment_id: str, *elements: Element | None) -> Segment:
    """Build a segment from element values; None stands for an empty element, trailing empty ones are dropped."""
    values: list[Element] = ["" if e is None else e for e in elements]
    while values and values[-1] in ("", ()):
        values.pop()
    return Segment(segment_id, tuple(values))


@dataclass(frozen=True)
class Segment:
    """One segment: its id (`W12`) and its elements, element 1 first."""

    id: str
    elements: tuple[Element, ...] = ()

    def value(self, position: int) -> str:
        """Element `position` (1-based) as text; a composite gives its first component; absent gives ''."""
        if position > len(self.elements):
            return ""
        element = self.elements[position - 1]
        return element if isinstance(element, str) else (element[0] if element else "")

    def components(self, position: int) -> tuple[str, ...]:
        """The components of element `position`; a simple element is a composite of one."""
        if position > len(self.elements):
            return ()
        element = self.elements[position - 1]
        return (element,) if isinstance(element, str) else element

    def __str__(self) -> str:
        parts = [self.id, *(e if isinstance(e, str) else ">".join(e) for e in self.elements)]
        return "*".join(parts)


@dataclass(frozen=True)
class TransactionSet:
    """One business document (ST ... SE); `segments` are the ones between ST and SE.

    The body segment segments[i] stands at position i + 2 in the set (ST is 1), as acknowledgements count.
    """

    code: str  # ST01, e.g. "940"
    segments: tuple[Segment, ...]
    control_number: str = ""  # ST02, given by the envelope
    implementation: str = ""  # ST03 (5010): implementation convention reference
    problems: tuple[X12Problem, ...] = ()

    @property
    def segment_count(self) -> int:
        """What SE01 says: the body plus ST and SE."""
        return len(self.segments) + 2


@dataclass(frozen=True)
class FunctionalGroup:
    """A group of transaction sets of one kind (GS ... GE)."""

    functional_id: str  # GS01, e.g. "OW" for 940s
    sender: str  # GS02 application sender's code
    receiver: str  # GS03 application receiver's code
    prepared_at: datetime  # GS04 + GS05
    control_number: int  # GS06 = GE02
    version: str  # GS08, e.g. "004010" or "005010VICS"
    sets: tuple[TransactionSet, ...]
    agency: str = "X"  # GS07
    problems: tuple[X12Problem, ...] = ()


@dataclass(frozen=True)
class Interchange:
    """One envelope (ISA ... IEA) between two trading partners."""

    sender_qualifier: str  # ISA05
    sender_id: str  # ISA06, without its padding
    receiver_qualifier: str  # ISA07
    receiver_id: str  # ISA08, without its padding
    prepared_at: datetime  # ISA09 + ISA10, to the minute
    control_number: int  # ISA13 = IEA02
    version: X12Version  # ISA12
    groups: tuple[FunctionalGroup, ...]
    delimiters: Delimiters = Delimiters()
    ack_requested: bool = False  # ISA14
    usage: Usage = Usage.PRODUCTION  # ISA15
    problems: tuple[X12Problem, ...] = ()

    @property
    def all_problems(self) -> tuple[X12Problem, ...]:
        """Every problem at every level, envelope first."""
        found = list(self.problems)
        for group in self.groups:
            found.extend(group.problems)
            for ts in group.sets:
                found.extend(ts.problems)
        return tuple(found)


# GS01 functional identifier code of each transaction set we exchange.
FUNCTIONAL_IDS = {
    "810": "IN",
    "846": "IB",
    "850": "PO",
    "855": "PR",
    "856": "SH",
    "940": "OW",
    "944": "RE",
    "945": "SW",
    "997": "FA",
}
