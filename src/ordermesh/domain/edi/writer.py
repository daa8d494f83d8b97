"""Writing interchanges: the envelope around outbound sets (counts and control numbers) and the X12 text.

The delimiters and the line break are the partner's choice; ISA elements are padded to their fixed widths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ordermesh.domain.edi.control_numbers import ControlNumbers
from ordermesh.domain.edi.model import (
    FUNCTIONAL_IDS,
    Delimiters,
    Element,
    FunctionalGroup,
    Interchange,
    Segment,
    TransactionSet,
    Usage,
    X12Version,
)
from ordermesh.domain.edi.problems import ElementError, InterchangeNote, X12Error, X12Problem
from ordermesh.domain.edi.values import format_date, format_time

ISA_ID_WIDTH = 15


@dataclass(frozen=True)
class TradingIdentity:
    """How one side of an exchange is named in the envelope: ISA05/ISA06 (or 07/08) and GS02 (or GS03)."""

    qualifier: str  # e.g. ZZ mutually defined, 01 DUNS, 12 phone
    id: str  # at most 15 characters
    application_code: str  # the GS application sender's / receiver's code


def envelope(
    sets: Sequence[TransactionSet],
    *,
    sender: TradingIdentity,
    receiver: TradingIdentity,
    numbers: ControlNumbers,
    version: X12Version,
    prepared_at: datetime,
    delimiters: Delimiters = Delimiters(),
    usage: Usage = Usage.PRODUCTION,
    ack_requested: bool = True,
) -> Interchange:
    """Put transaction sets of one kind into an interchange of one group, numbered by `numbers`.

    `prepared_at` is taken as the partner should read it (its zone, to the minute; any tzinfo is dropped).
    The sets' own control numbers are replaced. Raises ValueError when the sets are of different functional
    groups, of a kind with no known group, or more or fewer than `numbers.sets`.
    """
    if len(sets) != numbers.sets:
        raise ValueError(f"{len(sets)} sets, but control numbers for {numbers.sets}")
    kinds = {FUNCTIONAL_IDS.get(ts.code) for ts in sets}
    if len(kinds) != 1 or None in kinds:
        raise ValueError(f"one group holds sets of one known kind, not {sorted(ts.code for ts in sets)}")
    at = prepared_at.replace(tzinfo=None, second=0, microsecond=0)
    numbered = tuple(replace(ts, control_number=n) for ts, n in zip(sets, numbers.set_numbers(), strict=True))
    group = FunctionalGroup(
        functional_id=kinds.pop() or "",
        sender=sender.application_code,
        receiver=receiver.application_code,
        prepared_at=at,
        control_number=numbers.group,
        version=version.group_version,
        sets=numbered,
    )
    return Interchange(
        sender_qualifier=sender.qualifier,
        sender_id=sender.id,
        receiver_qualifier=receiver.qualifier,
        receiver_id=receiver.id,
        prepared_at=at,
        control_number=numbers.interchange,
        version=version,
        groups=(group,),
        delimiters=delimiters,
        ack_requested=ack_requested,
        usage=usage,
    )


def write_interchange(interchange: Interchange, *, line_break: str = "") -> str:
    """The X12 text of an interchange, with every count computed; `line_break` follows each segment.

    Raises X12Error naming the segment and element when a value holds one of the delimiters or does not fit
    its ISA field, and when a 5010 interchange has no repetition separator.
    """
    writer = _Writer(interchange.delimiters, line_break)
    writer.isa(interchange)
    for group in interchange.groups:
        writer.emit(_gs(group))
        for ts in group.sets:
            writer.position = 1
            writer.emit(
                Segment(
                    "ST",
                    (ts.code, ts.control_number, ts.implementation)
                    if ts.implementation
                    else (ts.code, ts.control_number),
                )
            )
            for body in ts.segments:
                writer.emit(body)
            writer.emit(Segment("SE", (str(ts.segment_count), ts.control_number)))
            writer.position = None
        writer.emit(Segment("GE", (str(len(group.sets)), str(group.control_number))))
    writer.emit(Segment("IEA", (str(len(interchange.groups)), f"{interchange.control_number:09d}")))
    if writer.problems:
        raise X12Error(writer.problems)
    return "".join(writer.parts)


def _gs(group: FunctionalGroup) -> Segment:
    return Segment(
        "GS",
        (
            group.functional_id,
            group.sender,
            group.receiver,
            format_date(group.prepared_at.date()),
            format_time(group.prepared_at.time()),
            str(group.control_number),
            group.agency,
            group.version,
        ),
    )


class _Writer:
    def __init__(self, delimiters: Delimiters, line_break: str) -> None:
        self.delimiters = delimiters
        self.terminator = delimiters.segment + line_break
        self.parts: list[str] = []
        self.problems: list[X12Problem] = []
        self.position: int | None = None  # inside a set: the next segment's position (ST = 1)
        self.envelope_position = 0

    def isa(self, interchange: Interchange) -> None:
        d = self.delimiters
        self.envelope_position = 1
        if interchange.version is X12Version.V5010 and d.repetition is None:
            self.problems.append(
                X12Problem(
                    InterchangeNote.INVALID_CONTENT,
                    "ISA11 of a 5010 interchange needs a repetition separator",
                    "ISA",
                    1,
                    11,
                )
            )
        fields = (
            "00",
            " " * 10,
            "00",
            " " * 10,
            interchange.sender_qualifier,
            self._padded(interchange.sender_id, 6),
            interchange.receiver_qualifier,
            self._padded(interchange.receiver_id, 8),
            format_date(interchange.prepared_at.date(), century=False),
            interchange.prepared_at.strftime("%H%M"),
            (d.repetition or "^") if interchange.version is X12Version.V5010 else "U",
            interchange.version.value,
            f"{interchange.control_number:09d}",
            "1" if interchange.ack_requested else "0",
            interchange.usage.value,
            d.component,
        )
        for index, value in enumerate(fields[:10], start=1):
            self._check(value, "ISA", index, 1)
        for index in (5, 7):
            if len(fields[index - 1]) != 2:
                detail = f"ISA{index:02d} {fields[index - 1]!r} is not a 2-character qualifier"
                self.problems.append(X12Problem(ElementError.TOO_LONG, detail, "ISA", 1, index))
        self.parts.append(d.element.join(("ISA", *fields)) + self.terminator)

    def _padded(self, value: str, index: int) -> str:
        if len(value) > ISA_ID_WIDTH:
            detail = f"ISA{index:02d} {value!r} is longer than {ISA_ID_WIDTH} characters"
            self.problems.append(X12Problem(ElementError.TOO_LONG, detail, "ISA", 1, index))
        return value.ljust(ISA_ID_WIDTH)

    def emit(self, seg: Segment) -> None:
        position = self.position if self.position is not None else self.envelope_position + 1
        rendered = [seg.id]
        for index, element in enumerate(seg.elements, start=1):
            rendered.append(self._element(element, seg.id, index, position))
        while len(rendered) > 1 and rendered[-1] == "":
            rendered.pop()
        self.parts.append(self.delimiters.element.join(rendered) + self.terminator)
        if self.position is not None:
            self.position += 1
        self.envelope_position += 1

    def _element(self, element: Element, segment_id: str, index: int, position: int) -> str:
        if isinstance(element, str):
            self._check(element, segment_id, index, position)
            return element
        components = list(element)
        while components and components[-1] == "":
            components.pop()
        for number, component in enumerate(components, start=1):
            self._check(component, segment_id, index, position, number)
        return self.delimiters.component.join(components)

    def _check(self, value: str, segment_id: str, index: int, position: int, component: int | None = None) -> None:
        found = self.delimiters.occurs_in(value)
        if found is not None:
            detail = f"{segment_id}{index:02d} {value!r} holds the delimiter {found!r}"
            self.problems.append(
                X12Problem(ElementError.INVALID_CHARACTER, detail, segment_id, position, index, component, value)
            )
