"""What lets the set search (`sets.py`) drop sets of sources without bounding them.

- `Cover`: a need whose unfilled cost reaches the incumbent must be shipped, some of it, by any cheaper plan
  (every price is non-negative), so a set must hold some of each such need: a partial set whose missing
  sources, however chosen among those that may still join it, cannot, goes.
- `dominating`: a source that could ship another's shipment instead, for no more, makes every set holding
  the other and not it redundant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ordermesh.domain.sourcing.set_bounds import SourceTable

Ints = NDArray[np.intp]
Bools = NDArray[np.bool_]

TOL = 1e-9  # as `set_bounds.TOL`
MOST_COVERED = 10  # needs whose cover by a set is followed, at most (a table of 2**10 masks per row)
MOST_DOMINATED = 62  # rows whose dominance is followed, at most (a bit each in an int64)
DOMINANCE_FROM = 3  # the least size of the sets it prunes (for pairs it costs more than it saves)


@dataclass(frozen=True)
class Cover:
    """The needs a plan cheaper than the incumbent must ship some of, as bits: what each row holds of them,
    and per suffix of the rows that may join a set, the fewest of them that hold some of every need in a
    mask."""

    bits: Ints  # (R,) per row, the needs it holds some of
    full: int  # every need followed
    tables: NDArray[np.int16] | None  # (D, 2**m) the distinct fewest counts per mask; most + 1: more than most
    at: Ints  # (K + 1,) per suffix k of the joining rows, its row of `tables`

    @classmethod
    def of(cls, table: SourceTable, incumbent: float, joining: Ints, most: int) -> Cover:
        """The cover of the joining rows (in the order they join); the fewest counts only from sets of three
        (for pairs, only whether a pair covers everything is asked)."""
        must = np.flatnonzero((table.unfilled >= incumbent - TOL) & (table.quantity > 0))[:MOST_COVERED]
        weights = np.left_shift(1, np.arange(len(must), dtype=np.intp))
        bits = (table.usable[:, must] > 0).astype(np.intp) @ weights
        full = (1 << len(must)) - 1
        if most < 3:
            return cls(bits, full, None, np.zeros(len(joining) + 1, dtype=np.intp))
        masks = np.arange(full + 1, dtype=np.intp)
        tables = [np.where(masks == 0, 0, most + 1).astype(np.int16)]
        at = [0] * (len(joining) + 1)
        held = np.zeros(full + 1, dtype=bool)  # the masks some later row holds all of
        for k in range(len(joining) - 1, -1, -1):
            row = int(bits[joining[k]])
            # a row whose needs a later row holds too changes no count: that row can stand in for it
            if not held[row]:
                held |= (masks & ~row) == 0
                later = tables[-1]
                tables.append(np.minimum(later, np.minimum(later[masks & ~row], most) + 1))
            at[k] = len(tables) - 1
        return cls(bits, full, np.array(tables), np.array(at, dtype=np.intp))

    def able(self, start: Ints, masks: Ints, left: int) -> Bools:
        """Whether `left` rows from each suffix `start` on can hold what each set (by its `masks`) does not."""
        missing = self.full & ~masks
        if left == 0:
            return missing == 0  # type: ignore[no-any-return]
        if self.tables is None:
            return np.ones(len(masks), dtype=bool)
        return self.tables[self.at[start], missing] <= left  # type: ignore[no-any-return]


def dominating(table: SourceTable, order: Ints) -> Ints | None:
    """(R,) per position in `order`, the positions before it whose rows dominate its row, as bits (None: too
    many rows).

    Row a dominates row b when b's shipment in any plan could ship from a instead for no more: a holds at
    least as much of every need and has as much capacity, and costs no more per unit of what b holds, per
    package (and split) and per tier of the same weight limits. A plan shipping from a set that holds b and
    not a then costs no less than one from the set with a in b's place: that set comes first (a is before
    b) or is bounded, so the set holding b and not a can go, and ties keep a plan found first.
    """
    count = len(order)
    if count > MOST_DOMINATED:
        return None
    usable, unit = table.usable[order], table.unit[order]
    holds = (usable[:, None, :] >= usable[None, :, :]).all(axis=2)  # [a, b]
    cheaper = ((unit[:, None, :] <= unit[None, :, :]) | (usable[None, :, :] == 0)).all(axis=2)
    limits, prices = table.limits[order], table.prices[order]
    same_card = (limits[:, None, :] == limits[None, :, :]).all(axis=2)
    cards = same_card & (prices[:, None, :] <= prices[None, :, :]).all(axis=2)
    fixed, capacity = table.fixed[order], table.capacity[order]
    dominates = holds & cheaper & cards & (fixed[:, None] <= fixed[None, :]) & (capacity[:, None] >= capacity[None, :])
    dominates &= np.tri(count, count, -1, dtype=bool).T  # a before b
    return dominates.astype(np.int64).T @ np.left_shift(1, np.arange(count, dtype=np.int64))  # type: ignore[no-any-return]
