"""Reading and validating an interchange's envelope: ISA/IEA, GS/GE, ST/SE, their counts and control numbers.

The reader is strict but not brittle: it reads as much as it can and attaches each problem to the level it
concerns (interchange, group, transaction set), so one bad set is rejected in the 997 while the others go on.
"""

from __future__ import annotations

from datetime import datetime

from ordermesh.domain.edi.model import (
    Delimiters,
    FunctionalGroup,
    Interchange,
    Segment,
    TransactionSet,
    Usage,
    X12Version,
)
from ordermesh.domain.edi.problems import GroupError, InterchangeNote, ProblemCode, SetError, X12Error, X12Problem
from ordermesh.domain.edi.syntax import detect_delimiters, is_valid_segment_id, split_segments, unrecognised
from ordermesh.domain.edi.values import combine, parse_date, parse_integer, parse_time

SUPPORTED_GROUP_VERSIONS = ("004010", "005010")
_HEADERS = frozenset({"ISA", "GS", "ST"})
_UNKNOWN_TIME = datetime(1, 1, 1)


def read_interchange(text: str) -> Interchange:
    """Parse one interchange and check its envelope; problems are attached where they belong, not raised.

    Raises X12Error only when there is no interchange to speak of: no fixed-width ISA, or an ISA12 version
    other than 00401 and 00501.
    """
    delimiters = detect_delimiters(text)
    segments = list(split_segments(text.lstrip(), delimiters))
    return _EnvelopeReader(segments, delimiters).interchange()


def read_valid_interchange(text: str) -> Interchange:
    """Parse one interchange and insist it is flawless. Raises X12Error listing every fatal problem."""
    interchange = read_interchange(text)
    fatal = [p for p in interchange.all_problems if p.fatal]
    if fatal:
        raise X12Error(fatal)
    return interchange


class _EnvelopeReader:
    """One pass over the segments of an interchange; `index` is the next segment to read."""

    def __init__(self, segments: list[Segment], delimiters: Delimiters) -> None:
        self.segments = segments
        self.delimiters = delimiters
        self.index = 0

    def _at(self, code: ProblemCode, detail: str, index: int, element: int | None = None) -> X12Problem:
        """A problem with an envelope segment, located by its position in the interchange (ISA = 1)."""
        return X12Problem(code, detail, self.segments[index].id, index + 1, element)

    def interchange(self) -> Interchange:
        isa = self.segments[0]
        problems: list[X12Problem] = []
        version = isa.value(12)
        if version not in {v.value for v in X12Version}:
            problem = self._at(InterchangeNote.INVALID_VERSION, f"ISA12 {version!r} is neither 00401 nor 00501", 0, 12)
            raise X12Error([problem])
        day, at = parse_date(isa.value(9)), parse_time(isa.value(10))
        if day is None or len(isa.value(9)) != 6:
            problems.append(self._at(InterchangeNote.INVALID_DATE, f"ISA09 {isa.value(9)!r} is not YYMMDD", 0, 9))
        if at is None or len(isa.value(10)) != 4:
            problems.append(self._at(InterchangeNote.INVALID_TIME, f"ISA10 {isa.value(10)!r} is not HHMM", 0, 10))
        control = _control_number(isa.value(13), 9, 9)
        if control is None:
            detail = f"ISA13 {isa.value(13)!r} is not a 9-digit control number"
            problems.append(self._at(InterchangeNote.INVALID_CONTROL_NUMBER, detail, 0, 13))
        if isa.value(14) not in ("0", "1"):
            detail = f"ISA14 {isa.value(14)!r} is neither 0 nor 1"
            problems.append(self._at(InterchangeNote.INVALID_ACK_REQUESTED, detail, 0, 14))
        if isa.value(15) not in ("P", "T"):
            detail = f"ISA15 {isa.value(15)!r} is neither P nor T"
            problems.append(self._at(InterchangeNote.INVALID_TEST_INDICATOR, detail, 0, 15))
        self.index = 1
        groups = self._groups(problems)
        self._trailer(problems, len(groups), isa.value(13))
        return Interchange(
            sender_qualifier=isa.value(5),
            sender_id=isa.value(6).rstrip(),
            receiver_qualifier=isa.value(7),
            receiver_id=isa.value(8).rstrip(),
            prepared_at=combine(day, at) if day else _UNKNOWN_TIME,
            control_number=control or 0,
            version=X12Version(version),
            groups=tuple(groups),
            delimiters=self.delimiters,
            ack_requested=isa.value(14) == "1",
            usage=Usage.TEST if isa.value(15) == "T" else Usage.PRODUCTION,
            problems=tuple(problems),
        )

    def _groups(self, problems: list[X12Problem]) -> list[FunctionalGroup]:
        groups: list[FunctionalGroup] = []
        while self.index < len(self.segments) and self.segments[self.index].id != "IEA":
            current = self.segments[self.index]
            if current.id == "GS":
                groups.append(self._group())
                continue
            detail = f"{current.id} stands outside any functional group"
            if current.id == "ISA":
                detail = "a second ISA before the first interchange's IEA"
            problems.append(self._at(InterchangeNote.INVALID_CONTENT, detail, self.index))
            self.index += 1
        return groups

    def _trailer(self, problems: list[X12Problem], group_count: int, isa13: str) -> None:
        if self.index >= len(self.segments):
            problems.append(X12Problem(InterchangeNote.PREMATURE_END, "the interchange ends without IEA", "IEA"))
            return
        iea = self.segments[self.index]
        said = parse_integer(iea.value(1))
        if said != group_count:
            detail = f"IEA01 says {iea.value(1)!r} functional groups, the interchange has {group_count}"
            problems.append(self._at(InterchangeNote.GROUP_COUNT_MISMATCH, detail, self.index, 1))
        if _control_number(iea.value(2), 9, 9) != _control_number(isa13, 9, 9):
            detail = f"IEA02 {iea.value(2)!r} does not match ISA13 {isa13!r}"
            problems.append(self._at(InterchangeNote.CONTROL_NUMBER_MISMATCH, detail, self.index, 2))
        self.index += 1
        if self.index < len(self.segments):
            extra = len(self.segments) - self.index
            detail = f"{extra} segment(s) follow the IEA; send one interchange per document"
            problems.append(self._at(InterchangeNote.INVALID_CONTENT, detail, self.index))

    def _group(self) -> FunctionalGroup:
        gs_index = self.index
        gs = self.segments[gs_index]
        problems: list[X12Problem] = []
        control = _control_number(gs.value(6), 1, 9)
        if control is None:
            detail = f"GS06 {gs.value(6)!r} is not a control number of 1 to 9 digits"
            problems.append(self._at(GroupError.CONTROL_NUMBER_SYNTAX, detail, gs_index, 6))
        if not gs.value(8).startswith(SUPPORTED_GROUP_VERSIONS):
            detail = f"GS08 {gs.value(8)!r} is not a 004010 or 005010 version"
            problems.append(self._at(GroupError.VERSION_NOT_SUPPORTED, detail, gs_index, 8))
        day, at = parse_date(gs.value(4)), parse_time(gs.value(5))
        if day is None or len(gs.value(4)) != 8:
            detail = f"GS04 {gs.value(4)!r} is not CCYYMMDD"
            problems.append(self._at(InterchangeNote.INVALID_CONTENT, detail, gs_index, 4))
        if at is None:
            detail = f"GS05 {gs.value(5)!r} is not a time"
            problems.append(self._at(InterchangeNote.INVALID_CONTENT, detail, gs_index, 5))
        self.index += 1
        sets: list[TransactionSet] = []
        seen: set[str] = set()
        while self.index < len(self.segments) and self.segments[self.index].id not in ("GE", "GS", "IEA"):
            current = self.segments[self.index]
            if current.id == "ST":
                ts = self._set(seen)
                seen.add(ts.control_number)
                sets.append(ts)
                continue
            detail = f"{current.id} stands outside any transaction set"
            problems.append(self._at(InterchangeNote.INVALID_CONTENT, detail, self.index))
            self.index += 1
        self._group_trailer(problems, len(sets), gs.value(6))
        return FunctionalGroup(
            functional_id=gs.value(1),
            sender=gs.value(2),
            receiver=gs.value(3),
            prepared_at=combine(day, at) if day else _UNKNOWN_TIME,
            control_number=control or 0,
            version=gs.value(8),
            sets=tuple(sets),
            agency=gs.value(7),
            problems=tuple(problems),
        )

    def _group_trailer(self, problems: list[X12Problem], set_count: int, gs06: str) -> None:
        if self.index >= len(self.segments) or self.segments[self.index].id != "GE":
            problems.append(X12Problem(GroupError.TRAILER_MISSING, f"the group {gs06} ends without GE", "GE"))
            return
        ge = self.segments[self.index]
        if parse_integer(ge.value(1)) != set_count:
            detail = f"GE01 says {ge.value(1)!r} transaction sets, the group has {set_count}"
            problems.append(
                X12Problem(GroupError.SET_COUNT_MISMATCH, detail, "GE", self.index + 1, 1, value=ge.value(1))
            )
        if _control_number(ge.value(2), 1, 9) != _control_number(gs06, 1, 9):
            detail = f"GE02 {ge.value(2)!r} does not match GS06 {gs06!r}"
            problems.append(self._at(GroupError.CONTROL_NUMBER_MISMATCH, detail, self.index, 2))
        self.index += 1

    def _set(self, seen: set[str]) -> TransactionSet:
        st = self.segments[self.index]
        problems: list[X12Problem] = []
        code, control = st.value(1), st.value(2)
        if not (len(code) == 3 and code.isdigit()):
            problems.append(X12Problem(SetError.INVALID_SET_ID, f"ST01 {code!r} is not a set id", "ST", 1, 1))
        if not 4 <= len(control) <= 9:
            detail = f"ST02 {control!r} is not a control number of 4 to 9 characters"
            problems.append(X12Problem(SetError.INVALID_CONTROL_NUMBER, detail, "ST", 1, 2))
        elif control in seen:
            detail = f"ST02 {control!r} is used by an earlier set in the group"
            problems.append(X12Problem(SetError.CONTROL_NUMBER_NOT_UNIQUE, detail, "ST", 1, 2))
        self.index += 1
        body: list[Segment] = []
        while self.index < len(self.segments):
            current = self.segments[self.index]
            if current.id in _HEADERS or current.id in ("GE", "IEA"):
                problems.append(X12Problem(SetError.TRAILER_MISSING, f"set {control} ends without SE", "SE"))
                break
            self.index += 1
            if current.id == "SE":
                problems.extend(_check_se(current, len(body) + 2, control))
                break
            if not is_valid_segment_id(current.id):
                problems.append(unrecognised(current.id, len(body) + 2))
            body.append(current)
        else:
            problems.append(X12Problem(SetError.TRAILER_MISSING, f"set {control} ends without SE", "SE"))
        return TransactionSet(code, tuple(body), control, st.value(3), tuple(problems))


def _check_se(se: Segment, count: int, st02: str) -> list[X12Problem]:
    problems: list[X12Problem] = []
    said = parse_integer(se.value(1))
    if said != count:
        detail = f"SE01 says {se.value(1)!r} segments, the set has {count}"
        if said is not None:
            detail = f"SE01 says {said} segments, the set has {count}"
        problems.append(X12Problem(SetError.SEGMENT_COUNT_MISMATCH, detail, "SE", count, 1, value=se.value(1)))
    if se.value(2) != st02:
        detail = f"SE02 {se.value(2)!r} does not match ST02 {st02!r}"
        problems.append(X12Problem(SetError.CONTROL_NUMBER_MISMATCH, detail, "SE", count, 2, value=se.value(2)))
    return problems


def _control_number(text: str, shortest: int, longest: int) -> int | None:
    """A control number of `shortest` to `longest` digits, as an int (None when it is not one)."""
    if not (shortest <= len(text) <= longest and text.isdigit()):
        return None
    return int(text)
