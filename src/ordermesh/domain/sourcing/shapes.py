"""Index arrays of the exact search, per order shape: part vectors, moves between states, pairs of parts.

An order of needs with quantities q has prod(q_n + 1) part vectors (units per need, each at most q_n),
numbered in mixed radix with the last need counting fastest; the same numbers serve as the states of the
dynamic programme (units still needed). The arrays depend on the shape alone, so they are built once and
kept (least recently used first out, 32 MB at most), read-only.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.intp]


class _Kept:
    """Read-only index arrays kept between calls, least recently used first out, within a total length."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self.entries: OrderedDict[tuple[object, ...], tuple[Ints, ...]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[object, ...], build: Callable[[], tuple[Ints, ...]]) -> tuple[Ints, ...]:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
                return found
        arrays = build()
        for array in arrays:
            array.setflags(write=False)
        size = sum(len(array) for array in arrays)
        with self.lock:
            if key not in self.entries and size <= self.budget // 8:
                self.entries[key] = arrays
                self.size += size
                while self.size > self.budget:
                    _, dropped = self.entries.popitem(last=False)
                    self.size -= sum(len(array) for array in dropped)
        return arrays


# 4M indices (32 MB) at most: the lists of an order shape take from a few dozen to about 0.5M of them.
_KEPT = _Kept(budget=4_000_000)


def grid(sizes: tuple[int, ...]) -> Ints:
    """Every vector below `sizes`, row i being the vector numbered i (the last need counts fastest)."""
    (flat,) = _KEPT.get(("grid", sizes), lambda: (np.indices(sizes, dtype=np.intp).reshape(-1),))
    return flat.reshape(len(sizes), -1).T


def shipments(sizes: tuple[int, ...], alone: tuple[bool, ...]) -> Ints:
    """Shipments each part vector makes: one package for the units that share one, one per `alone` unit."""

    def build() -> tuple[Ints, ...]:
        units, mask = grid(sizes), np.array(alone, dtype=bool)
        return ((units[:, ~mask].sum(axis=1) > 0) + units[:, mask].sum(axis=1),)

    return _KEPT.get(("shipments", sizes, alone), build)[0]


@functools.lru_cache(maxsize=1024)
def move_count(sizes: tuple[int, ...], box: tuple[int, ...]) -> int:
    """How many (state, part) moves a source whose parts stay within `box` has."""
    return math.prod(sum(min(b, size - 1 - r) + 1 for r in range(size)) for size, b in zip(sizes, box, strict=True))


def moves(sizes: tuple[int, ...], box: tuple[int, ...]) -> tuple[Ints, ...]:
    """Every move of a source whose parts stay within `box` and ship something: to state r, shipping part a,
    from state r + a <= q. Returns (part, from state, to state), in no particular order (the same each time).
    """

    def build() -> tuple[Ints, ...]:
        targets = np.zeros(1, dtype=np.intp)
        parts = np.zeros(1, dtype=np.intp)
        stride = 1
        for size, b in zip(reversed(sizes), reversed(box), strict=True):
            pairs = [(r, a) for r in range(size) for a in range(min(b, size - 1 - r) + 1)]
            r_step, a_step = (np.array(x, dtype=np.intp) * stride for x in zip(*pairs, strict=True))
            targets = (r_step[:, None] + targets[None, :]).ravel()
            parts = (a_step[:, None] + parts[None, :]).ravel()
            stride *= size
        shipping = parts > 0
        return parts[shipping], (targets + parts)[shipping], targets[shipping]

    return _KEPT.get(("moves", sizes, box), build)


def counted_moves(
    sizes: tuple[int, ...], box: tuple[int, ...], alone: tuple[bool, ...], layers: int
) -> tuple[Ints, ...]:
    """`moves` between the states of every shipment count k < layers, numbered into the programme's store
    (`_Programme`): from state r + a after k - shipments(a) shipments, to state r after k."""
    if layers == 1:
        return moves(sizes, box)

    def build() -> tuple[Ints, ...]:
        part, origin, target = moves(sizes, box)
        states = math.prod(sizes)
        shift = np.minimum(shipments(sizes, alone)[part], layers)
        layer = np.arange(layers, dtype=np.intp)[:, None]
        origin = ((layer - shift[None, :] + layers) * states + origin[None, :]).ravel()
        return np.tile(part, layers), origin, (layer * states + target[None, :]).ravel()

    return _KEPT.get(("counted", sizes, box, alone, layers), build)


def pair_count(sizes: tuple[int, ...]) -> int:
    """How many pairs `pairs` lists, without listing them: half the ordered pairs, plus the a == b ones."""
    ordered = move_count(sizes, tuple(size - 1 for size in sizes)) - 2 * math.prod(sizes) + 1
    return (ordered + math.prod((size + 1) // 2 for size in sizes) - 1) // 2


def pairs(sizes: tuple[int, ...]) -> tuple[Ints, ...]:
    """Every pair of non-empty parts a <= b (by number) with a + b <= q, and the vector a + b leaves."""

    def build() -> tuple[Ints, ...]:
        a, origin, left = moves(sizes, tuple(size - 1 for size in sizes))
        b = math.prod(sizes) - 1 - origin
        keep = (b > 0) & (a <= b)
        return a[keep], b[keep], left[keep]

    return _KEPT.get(("pairs", sizes), build)
