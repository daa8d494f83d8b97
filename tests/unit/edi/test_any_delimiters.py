"""Property: whatever delimiters a partner picks, what we write reads back the same, by us and by pyx12."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.domain.edi import (
    ControlNumbers,
    Delimiters,
    Segment,
    TransactionSet,
    X12Version,
    read_valid_interchange,
    segment,
    write_interchange,
)
from tests.unit.edi.helpers import assert_independent_reader_agrees, enveloped

CANDIDATES = "!\"#$%&'()*+,/:;<=>?@[\\]^_`{|}~"
DATA = "ABCXYZ0123456789 -.#/*~^>|:}!"  # includes characters that are delimiters elsewhere


@st.composite
def delimiter_sets(draw: st.DrawFn) -> tuple[Delimiters, X12Version]:
    version = draw(st.sampled_from(list(X12Version)))
    count = 4 if version is X12Version.V5010 else 3
    chosen = draw(st.lists(st.sampled_from(CANDIDATES), min_size=count, max_size=count, unique=True))
    repetition = chosen[3] if version is X12Version.V5010 else None
    return Delimiters(chosen[0], chosen[1], chosen[2], repetition), version


def _values(forbidden: Delimiters) -> st.SearchStrategy[str]:
    alphabet = "".join(c for c in DATA if forbidden.occurs_in(c) is None)
    return st.text(alphabet=alphabet, min_size=1, max_size=12).filter(lambda v: v.strip() == v)


@st.composite
def documents(draw: st.DrawFn) -> tuple[Delimiters, X12Version, list[TransactionSet], str]:
    delimiters, version = draw(delimiter_sets())
    value = _values(delimiters)
    element = st.one_of(value, st.just(""), st.tuples(value, value))
    ids = st.sampled_from(["N1", "W12", "REF", "LIN", "QTY", "PO1", "N9"])
    segments = st.lists(
        st.builds(lambda i, e: segment(i, *e), ids, st.lists(element, min_size=1, max_size=6)), min_size=1, max_size=8
    )
    bodies = draw(st.lists(segments.filter(lambda s: all(x.elements for x in s)), min_size=1, max_size=3))
    line_break = draw(st.sampled_from(["", "\n", "\r\n"]))
    return delimiters, version, [TransactionSet("940", tuple(b)) for b in bodies], line_break


@settings(max_examples=150, deadline=None)
@given(documents())
def test_any_delimiters_round_trip(document: tuple[Delimiters, X12Version, list[TransactionSet], str]) -> None:
    delimiters, version, sets, line_break = document
    interchange = enveloped(sets, version=version, delimiters=delimiters, numbers=ControlNumbers(3, 9, 27, len(sets)))

    text = write_interchange(interchange, line_break=line_break)

    assert read_valid_interchange(text) == interchange
    assert_independent_reader_agrees(text, interchange)


def test_segment_drops_trailing_empty_elements() -> None:
    assert segment("W12", "CC", None, "", ()) == Segment("W12", ("CC",))
