"""Ids sort by creation, also within one millisecond."""

from __future__ import annotations

from ordermesh.adapters.system import UlidIds


def test_ids_made_in_a_burst_are_strictly_increasing_and_unique() -> None:
    ids = UlidIds()

    made = [ids("ord") for _ in range(5000)]

    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(i.startswith("ord_") and len(i) == 30 for i in made)
