"""997 functional acknowledgements: answering every inbound group, and reading the partner's answers to ours.

AK1 names the group (GS01, GS06), one AK2 loop per set (ST01, ST02) carries AK3/AK4 notes on bad segments and
elements and the AK5 verdict (A accepted, E accepted with errors, R rejected), and AK9 the group's verdict with
its counts (sets included, received, accepted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ordermesh.domain.edi.fields import Fields, located
from ordermesh.domain.edi.model import Delimiters, FunctionalGroup, Segment, TransactionSet, X12Version, segment
from ordermesh.domain.edi.problems import ElementError, GroupError, SegmentError, SetError, X12Problem

MAXIMUM_CODES = 5  # AK502-AK506 and AK905-AK909 hold five codes each
BAD_VALUE_LENGTH = 99  # AK404 holds a copy of at most 99 characters


class Verdict(StrEnum):
    ACCEPTED = "A"
    ACCEPTED_WITH_ERRORS = "E"
    PARTIALLY_ACCEPTED = "P"  # AK901 only: some sets rejected
    REJECTED = "R"


@dataclass(frozen=True)
class ElementNote:
    """AK4: one bad element of a segment."""

    position: int  # AK401 (C030-01 in 5010)
    code: str  # AK403, an ElementError code
    bad_value: str | None = None  # AK404
    component: int | None = None  # C030-02 (5010)


@dataclass(frozen=True)
class SegmentNote:
    """AK3: one bad segment of a set, with its bad elements."""

    segment_id: str  # AK301
    position: int  # AK302, ST = 1
    code: str | None  # AK304, a SegmentError code
    elements: tuple[ElementNote, ...] = ()


@dataclass(frozen=True)
class SetAcknowledgement:
    """AK2 ... AK5: the verdict on one transaction set."""

    code: str  # AK201 = ST01
    control_number: str  # AK202 = ST02
    verdict: Verdict  # AK501
    errors: tuple[str, ...] = ()  # AK502-AK506, SetError codes
    segments: tuple[SegmentNote, ...] = ()


@dataclass(frozen=True)
class FunctionalAcknowledgement:
    """A 997's content: the verdict on one functional group and each of its sets."""

    functional_id: str  # AK101 = GS01
    group_control_number: int  # AK102 = GS06
    verdict: Verdict  # AK901
    included: int  # AK902: sets the group said it held (GE01)
    received: int  # AK903
    accepted: int  # AK904
    sets: tuple[SetAcknowledgement, ...] = ()
    errors: tuple[str, ...] = ()  # AK905-AK909, GroupError codes
    version: str | None = None  # AK103 (5010): GS08 of the group acknowledged

    @property
    def rejected_sets(self) -> tuple[str, ...]:
        """ST02 of every set the partner must send again."""
        return tuple(s.control_number for s in self.sets if s.verdict is Verdict.REJECTED)


def acknowledge(
    group: FunctionalGroup,
    *,
    findings: Mapping[str, Sequence[X12Problem]] | None = None,
    envelope_rejected: bool = False,
) -> FunctionalAcknowledgement:
    """The 997 answer to an inbound group, from its envelope problems and what mapping its sets found.

    `findings` holds, by ST02, the problems found in each set beyond its envelope (a mapper's X12Error). With
    `envelope_rejected` (the interchange around the group is broken) every set is rejected.
    """
    findings = findings or {}
    group_errors = _codes(p.code for p in group.problems if p.fatal and isinstance(p.code, GroupError))
    group_rejected = envelope_rejected or any(p.fatal for p in group.problems)
    answers = [
        _acknowledge_set(ts, [*ts.problems, *findings.get(ts.control_number, ())], group_rejected) for ts in group.sets
    ]
    accepted = sum(1 for a in answers if a.verdict is not Verdict.REJECTED)
    if group_rejected or (accepted == 0 and answers):
        verdict = Verdict.REJECTED
    elif accepted < len(answers):
        verdict = Verdict.PARTIALLY_ACCEPTED
    elif any(a.verdict is Verdict.ACCEPTED_WITH_ERRORS for a in answers):
        verdict = Verdict.ACCEPTED_WITH_ERRORS
    else:
        verdict = Verdict.ACCEPTED
    return FunctionalAcknowledgement(
        functional_id=group.functional_id,
        group_control_number=group.control_number,
        verdict=verdict,
        included=_declared_sets(group),
        received=len(group.sets),
        accepted=0 if group_rejected else accepted,
        sets=tuple(answers),
        errors=group_errors,
        version=group.version,
    )


def _declared_sets(group: FunctionalGroup) -> int:
    for problem in group.problems:
        if problem.code is GroupError.SET_COUNT_MISMATCH and problem.value and problem.value.isdigit():
            return int(problem.value)
    return len(group.sets)


def _acknowledge_set(ts: TransactionSet, problems: list[X12Problem], group_rejected: bool) -> SetAcknowledgement:
    fatal = any(p.fatal for p in problems)
    notes: dict[tuple[str, int], _NoteDraft] = {}
    for problem in problems:
        if isinstance(problem.code, SegmentError | ElementError) and problem.segment_id and problem.position:
            draft = notes.setdefault((problem.segment_id, problem.position), _NoteDraft())
            draft.add(problem)
    set_codes = [p.code for p in problems if p.fatal and isinstance(p.code, SetError)]
    if fatal and notes:
        set_codes.append(SetError.SEGMENTS_IN_ERROR)
    if fatal or group_rejected:
        verdict = Verdict.REJECTED
    else:
        verdict = Verdict.ACCEPTED_WITH_ERRORS if problems else Verdict.ACCEPTED
    return SetAcknowledgement(
        code=ts.code,
        control_number=ts.control_number,
        verdict=verdict,
        errors=_codes(set_codes),
        segments=tuple(draft.note(key) for key, draft in sorted(notes.items(), key=lambda item: item[0][1])),
    )


@dataclass
class _NoteDraft:
    segment_code: str | None = None
    elements: list[ElementNote] = field(default_factory=list)

    def add(self, problem: X12Problem) -> None:
        if isinstance(problem.code, SegmentError):
            self.segment_code = self.segment_code or problem.code.value
            return
        self.segment_code = self.segment_code or SegmentError.ELEMENT_ERRORS.value
        bad = (problem.value or "")[:BAD_VALUE_LENGTH] or None
        self.elements.append(ElementNote(problem.element or 0, problem.code.value, bad, problem.component))

    def note(self, key: tuple[str, int]) -> SegmentNote:
        return SegmentNote(key[0], key[1], self.segment_code, tuple(self.elements))


def _codes(codes: Iterable[str]) -> tuple[str, ...]:
    unique: list[str] = []
    for code in codes:
        if str(code) not in unique:
            unique.append(str(code))
    return tuple(unique[:MAXIMUM_CODES])


def acknowledgement_set(
    ack: FunctionalAcknowledgement, version: X12Version, *, delimiters: Delimiters | None = None
) -> TransactionSet:
    """The 997 transaction set for an acknowledgement (the envelope numbers it).

    With `delimiters`, any of them in an AK404 copy of bad data is replaced by '?', so the copy can travel.
    """
    five = version is X12Version.V5010
    body: list[Segment] = [
        segment("AK1", ack.functional_id, str(ack.group_control_number), ack.version if five else None)
    ]
    for answer in ack.sets:
        body.append(segment("AK2", answer.code, answer.control_number))
        for note in answer.segments:
            body.append(segment("AK3", note.segment_id, str(note.position), None, note.code))
            for element in note.elements:
                where: str | tuple[str, ...] = str(element.position)
                if five and element.component is not None:
                    where = (str(element.position), str(element.component))
                body.append(segment("AK4", where, None, element.code, _scrub(element.bad_value, delimiters)))
        body.append(segment("AK5", answer.verdict.value, *answer.errors))
    body.append(segment("AK9", ack.verdict.value, str(ack.included), str(ack.received), str(ack.accepted), *ack.errors))
    return TransactionSet("997", tuple(body))


def _scrub(value: str | None, delimiters: Delimiters | None) -> str | None:
    if value is None or delimiters is None:
        return value
    while (found := delimiters.occurs_in(value)) is not None:
        value = value.replace(found, "?")
    return value


_VERDICTS = frozenset(v.value for v in Verdict)


def _verdict(code: str) -> Verdict:
    return Verdict(code) if code in _VERDICTS else Verdict.REJECTED


def read_acknowledgement(ts: TransactionSet) -> FunctionalAcknowledgement:
    """The acknowledgement a partner's 997 carries. Raises X12Error naming every bad segment and element."""
    fields = Fields(ts, "997")
    head: tuple[str, int, str | None] | None = None
    answers: list[SetAcknowledgement] = []
    open_set: tuple[str, str] | None = None
    notes: list[SegmentNote] = []
    result: FunctionalAcknowledgement | None = None
    for at in located(ts):
        if at.id == "AK1":
            number = fields.quantity(at, 2, "group control number") or 0
            head = (fields.text(at, 1, "functional identifier code"), number, at.value(3) or None)
        elif at.id == "AK2":
            open_set, notes = (fields.text(at, 1, "set identifier code"), fields.text(at, 2, "set control number")), []
        elif at.id == "AK3":
            position = fields.quantity(at, 2, "segment position") or 0
            notes.append(SegmentNote(fields.text(at, 1, "segment id"), position, at.value(4) or None))
        elif at.id == "AK4" and notes:
            parts = at.segment.components(1)
            position = int(parts[0]) if parts and parts[0].isdigit() else 0
            component = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            element = ElementNote(position, fields.text(at, 3, "element error code"), at.value(4) or None, component)
            notes[-1] = SegmentNote(
                notes[-1].segment_id, notes[-1].position, notes[-1].code, (*notes[-1].elements, element)
            )
        elif at.id == "AK5" and open_set is not None:
            verdict = _verdict(fields.code(at, 1, "acknowledgment code", _VERDICTS - {"P"}))
            errors = tuple(v for v in (at.value(n) for n in range(2, 7)) if v)
            answers.append(SetAcknowledgement(*open_set, verdict, errors, tuple(notes)))
            open_set = None
        elif at.id == "AK9" and head is not None:
            verdict = _verdict(fields.code(at, 1, "acknowledgment code", _VERDICTS))
            included = fields.quantity(at, 2, "sets included") or 0
            received = fields.quantity(at, 3, "sets received") or 0
            accepted = fields.quantity(at, 4, "sets accepted") or 0
            errors = tuple(v for v in (at.value(n) for n in range(5, 10)) if v)
            result = FunctionalAcknowledgement(
                head[0], head[1], verdict, included, received, accepted, tuple(answers), errors, head[2]
            )
    if head is None:
        fields.missing_segment("AK1", 2, "AK1 is missing: a 997 names the group it acknowledges")
    if result is None:
        fields.missing_segment("AK9", ts.segment_count, "AK9 is missing: a 997 closes with the group's verdict")
    fields.raise_problems()
    assert result is not None
    return result
