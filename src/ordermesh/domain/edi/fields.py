"""Reading element values inside a transaction set, collecting every problem with its segment and element.

A mapper reads the whole set through one `Fields`, then calls `raise_problems()`: the partner learns of every
bad value at once, each named like `W12 at segment 7: W1202 quantity 'x' is not a number`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from ordermesh.domain.edi.model import Segment, TransactionSet
from ordermesh.domain.edi.problems import ElementError, ProblemCode, SegmentError, SetError, X12Error, X12Problem
from ordermesh.domain.edi.values import parse_date, parse_decimal, parse_implied, parse_integer, parse_time


@dataclass(frozen=True)
class Located:
    """A body segment with its position in the set (ST is 1, the first body segment 2)."""

    segment: Segment
    position: int

    @property
    def id(self) -> str:
        return self.segment.id

    def value(self, element: int) -> str:
        return self.segment.value(element)


def located(ts: TransactionSet) -> list[Located]:
    """The body segments of a set with their positions."""
    return [Located(s, index) for index, s in enumerate(ts.segments, start=2)]


class Fields:
    """Reads typed element values, noting a problem (and giving a neutral value) for each one that is bad."""

    def __init__(self, ts: TransactionSet, expected_code: str) -> None:
        self.problems: list[X12Problem] = []
        if ts.code != expected_code:
            detail = f"ST01 {ts.code!r} is not a {expected_code}"
            self.problems.append(X12Problem(SetError.NOT_SUPPORTED, detail, "ST", 1, 1))

    def raise_problems(self) -> None:
        """Raise X12Error with every problem noted so far, if there is any."""
        if self.problems:
            raise X12Error(self.problems)

    def note(
        self,
        at: Located,
        code: ProblemCode,
        detail: str,
        element: int | None = None,
        value: str | None = None,
        component: int | None = None,
    ) -> None:
        self.problems.append(X12Problem(code, detail, at.id, at.position, element, component, value))

    def note_missing(self, at: Located, element: int, name: str) -> None:
        """Note a mandatory element that is absent."""
        self.note(at, ElementError.MANDATORY_MISSING, f"{_ref(at, element)} {name} is missing", element)

    def missing_segment(self, segment_id: str, position: int, detail: str) -> None:
        """Note a mandatory segment that is absent; `position` is where it was expected."""
        self.problems.append(X12Problem(SegmentError.MANDATORY_MISSING, detail, segment_id, position))

    def text(self, at: Located, element: int, name: str) -> str:
        """A mandatory value ('' and a problem when absent)."""
        value = at.value(element)
        if not value:
            self.note_missing(at, element, name)
        return value

    def optional(self, at: Located, element: int) -> str | None:
        """An optional value; None when absent."""
        return at.value(element) or None

    def code(self, at: Located, element: int, name: str, allowed: Collection[str], *, required: bool = True) -> str:
        """A code from `allowed` ('' when absent and optional)."""
        value = at.value(element)
        if not value:
            if required:
                self.note_missing(at, element, name)
            return ""
        if value not in allowed:
            detail = f"{_ref(at, element)} {name} {value!r} is not one of {', '.join(sorted(allowed))}"
            self.note(at, ElementError.INVALID_CODE, detail, element, value)
        return value

    def quantity(self, at: Located, element: int, name: str, *, required: bool = True) -> int | None:
        """A whole, non-negative number of units (an R or N0 value such as `12` or `12.0`)."""
        value = at.value(element)
        if not value:
            if required:
                self.note_missing(at, element, name)
            return 0 if required else None
        number = parse_integer(value)
        if number is None:
            problem = "is not a whole number" if parse_decimal(value) is not None else "is not a number"
            detail = f"{_ref(at, element)} {name} {value!r} {problem}"
            self.note(at, ElementError.INVALID_CHARACTER, detail, element, value)
            return 0
        if number < 0:
            self.note(
                at, ElementError.INVALID_CODE, f"{_ref(at, element)} {name} {value!r} is negative", element, value
            )
            return 0
        return number

    def signed_quantity(self, at: Located, element: int, name: str) -> int | None:
        """A whole number of units that may be negative (a difference); None when absent."""
        value = at.value(element)
        if not value:
            return None
        number = parse_integer(value)
        if number is None:
            detail = f"{_ref(at, element)} {name} {value!r} is not a whole number"
            self.note(at, ElementError.INVALID_CHARACTER, detail, element, value)
        return number

    def decimal(self, at: Located, element: int, name: str, *, required: bool = False) -> Decimal | None:
        """A decimal (R) value; None when absent and optional."""
        value = at.value(element)
        if not value:
            if required:
                self.note_missing(at, element, name)
                return Decimal(0)
            return None
        number = parse_decimal(value)
        if number is None:
            detail = f"{_ref(at, element)} {name} {value!r} is not a number"
            self.note(at, ElementError.INVALID_CHARACTER, detail, element, value)
            return Decimal(0)
        return number

    def implied(self, at: Located, element: int, name: str, places: int = 2) -> Decimal:
        """A mandatory amount with implied decimals (N2): `1999` is 19.99."""
        value = at.value(element)
        if not value:
            self.note_missing(at, element, name)
            return Decimal(0)
        number = parse_implied(value, places)
        if number is None:
            detail = f"{_ref(at, element)} {name} {value!r} is not a whole number of cents"
            self.note(at, ElementError.INVALID_CHARACTER, detail, element, value)
            return Decimal(0)
        return number

    def date(self, at: Located, element: int, name: str, *, required: bool = True) -> date | None:
        """A CCYYMMDD date; None when absent and optional."""
        value = at.value(element)
        if not value:
            if required:
                self.note_missing(at, element, name)
                return date.min
            return None
        parsed = parse_date(value) if len(value) == 8 else None
        if parsed is None:
            detail = f"{_ref(at, element)} {name} {value!r} is not a CCYYMMDD date"
            self.note(at, ElementError.INVALID_DATE, detail, element, value)
            return date.min
        return parsed

    def time(self, at: Located, element: int, name: str) -> time | None:
        """An optional HHMM[SS[D[D]]] time."""
        value = at.value(element)
        if not value:
            return None
        parsed = parse_time(value)
        if parsed is None:
            detail = f"{_ref(at, element)} {name} {value!r} is not an HHMM or HHMMSS time"
            self.note(at, ElementError.INVALID_TIME, detail, element, value)
        return parsed


def _ref(at: Located, element: int) -> str:
    return f"{at.id}{element:02d}"
