"""The search over small sets of sources against brute-force enumeration, its side constraints and its limits."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ordermesh.domain.sourcing import milp
from ordermesh.domain.sourcing.optimiser import (
    MONEY_GAP,
    Budget,
    Need,
    Problem,
    Source,
    Take,
    evaluate,
    solve,
    violations,
)
from ordermesh.domain.sourcing.plans import best_single, greedy
from ordermesh.domain.sourcing.sets import search_sets, solve_by_sets
from tests.unit.test_optimiser import brute_force

TIERS = ((500.0, 4.0), (1500.0, 7.0), (float("inf"), 12.0))
STEEP = ((450.0, 5.8), (2300.0, 8.9), (9000.0, 15.5), (float("inf"), 28.3))


def cost(problem: Problem, take: Take) -> float:
    return evaluate(problem, take).total


@st.composite
def priced_problems(draw: st.DrawFn, *, most_sources: int = 5, least_package: int = 1) -> Problem:
    """Problems the set search applies to (one need per SKU, nothing shipped alone), stock often short.

    With `least_package` 0 a shipment may cost nothing, and plans over any number of sources compete.
    """
    skus = draw(st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=4, unique=True))
    needs = tuple(
        Need(
            sku=sku,
            quantity=draw(st.integers(1, 3)),
            unit_value=float(draw(st.integers(0, 40))),
            unit_weight=float(draw(st.sampled_from([0, 100, 400, 900, 2500, 5000]))),
            unfilled_cost=float(draw(st.sampled_from([5, 20, 60, 150]))) + 1e-6 * (len(skus) - index),
        )
        for index, sku in enumerate(skus)
    )
    sources = tuple(
        Source(
            key=f"L{i}",
            stock={sku: draw(st.integers(0, 3)) for sku in skus},
            unit_cost={n: float(draw(st.integers(0, 4))) / 4 for n in range(len(needs)) if draw(st.integers(0, 4))},
            package_cost=float(draw(st.integers(least_package, 6))),
            tiers=draw(st.sampled_from([(), TIERS, STEEP, ((1000.0, 5.0),)])),
            unit_capacity=draw(st.one_of(st.none(), st.none(), st.integers(0, 4))),
        )
        for i in range(draw(st.integers(1, most_sources)))
    )
    problem = Problem(
        needs=needs,
        sources=sources,
        max_shipments=draw(st.sampled_from([None, None, 1, 2, 3])),
        complete=draw(st.integers(0, 6)) == 0,
        min_split_value=float(draw(st.sampled_from([0, 0, 0, 15, 40]))),
        split_cost=float(draw(st.sampled_from([0, 1, 2.5]))),
    )
    pairs = [(n, s) for n in range(len(needs)) for s in range(len(sources))]
    assume(math.prod(problem.usable(n, s) + 1 for n, s in pairs) <= 4_000)  # the brute force stays quick
    return problem


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(priced_problems())
def test_finds_the_brute_force_optimum(problem: Problem) -> None:
    single = best_single(problem)
    take = solve_by_sets(problem, single.take if single is not None else None)
    assert take is not None
    assert violations(problem, take) == []
    assert cost(problem, take) == pytest.approx(brute_force(problem), abs=1e-6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(priced_problems(least_package=0))
def test_when_shipments_can_be_free_it_finds_the_optimum_or_leaves_the_order(problem: Problem) -> None:
    take = solve_by_sets(problem)
    if take is not None:
        assert violations(problem, take) == []
        assert cost(problem, take) == pytest.approx(brute_force(problem), abs=1e-6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(priced_problems())
def test_finds_the_optimum_without_an_incumbent_and_the_same_plan_twice(problem: Problem) -> None:
    take = solve_by_sets(problem)
    assert take is not None
    assert solve_by_sets(problem) == take
    assert cost(problem, take) == pytest.approx(brute_force(problem), abs=1e-6)
    assert list(take) == sorted(take) and all(units > 0 for _, _, units in take)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(priced_problems(most_sources=8))
def test_the_optimiser_finds_the_brute_force_optimum_over_more_sources(problem: Problem) -> None:
    solution = solve(problem)
    assert violations(problem, solution.take) == []
    assert solution.optimal
    assert solution.cost == pytest.approx(brute_force(problem), abs=0.005)


def _lines(draw: st.DrawFn, count: int, *, heaviest: int) -> tuple[Need, ...]:
    """`count` lines of 1-3 units of up to `heaviest` hundred grams each; leaving an earlier line unfilled costs
    a hair more."""
    return tuple(
        Need(
            sku=f"S{n}",
            quantity=draw(st.integers(1, 3)),
            unit_value=float(draw(st.integers(5, 60))),
            unit_weight=float(draw(st.integers(1, heaviest)) * 100),
            unfilled_cost=150.0 + 1e-6 * (count - n),
        )
        for n in range(count)
    )


@st.composite
def bigger_orders(draw: st.DrawFn) -> Problem:
    """Orders of up to eight lines over up to eight locations, with weight tiers that bind: too big for the
    brute force, checked against the MILP."""
    count = draw(st.integers(4, 8))
    needs = _lines(draw, count, heaviest=30)
    sources = tuple(
        Source(
            key=f"L{i}",
            stock={f"S{n}": draw(st.sampled_from([0, 0, 1, 2, 9])) for n in range(count)},
            unit_cost={n: draw(st.sampled_from([0.25, 0.35, 0.6])) for n in range(count)},
            package_cost=draw(st.sampled_from([1.2, 1.6, 2.4])) + 3.0 * draw(st.integers(0, 1)),
            tiers=draw(st.sampled_from([STEEP, ((450.0, 4.8), (2300.0, 6.2), (9000.0, 8.9), (float("inf"), 13.5))])),
            unit_capacity=draw(st.one_of(st.none(), st.none(), st.none(), st.integers(1, 6))),
        )
        for i in range(draw(st.integers(2, 8)))
    )
    return Problem(
        needs,
        sources,
        max_shipments=draw(st.sampled_from([None, None, 2, 3])),
        min_split_value=float(draw(st.sampled_from([0, 0, 25]))),
        split_cost=2.5,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bigger_orders())
def test_agrees_with_the_milp_on_bigger_orders(problem: Problem) -> None:
    found = search_sets(problem)
    assert found is not None
    take, proven = found
    _agrees_with_the_milp(problem, take, proven)


def _agrees_with_the_milp(problem: Problem, take: Take, proven: bool) -> None:
    """A feasible plan; the MILP's optimum (or nothing shipped) when proven, never below it otherwise."""
    assert violations(problem, take) == []
    optimum = cost(problem, ())
    if problem.arrays.usable.any():  # (the MILP needs something that can ship)
        best, complete = milp.search(problem, Budget(seconds=30, nodes=1_000_000))
        assert complete
        optimum = min(optimum, best.cost if best is not None else math.inf)
    if proven:
        assert cost(problem, take) == pytest.approx(optimum, abs=MONEY_GAP)
    else:
        assert cost(problem, take) >= optimum - MONEY_GAP


@st.composite
def scattered_orders(draw: st.DrawFn) -> Problem:
    """Orders of four to seven lines over locations that each hold a few of their SKUs, often short, with a
    high unfilled cost: most plans ship from three locations or more (the sparse network of the benchmark)."""
    count = draw(st.integers(4, 7))
    needs = _lines(draw, count, heaviest=15)
    near = ((450.0, 3.8), (2300.0, 5.2), (9000.0, 7.9), (float("inf"), 12.5))
    sources = tuple(
        Source(
            key=f"L{i}",
            stock={f"S{n}": draw(st.sampled_from([1, 2, 3, 9])) for n in draw(st.sets(st.integers(0, count - 1)))},
            unit_cost={n: draw(st.sampled_from([0.25, 0.35, 0.6])) for n in range(count)},
            package_cost=draw(st.sampled_from([2.2, 2.6, 3.4])),
            tiers=draw(st.sampled_from([near, STEEP])),
            unit_capacity=draw(st.one_of(st.none(), st.none(), st.none(), st.integers(1, 6))),
        )
        for i in range(draw(st.integers(3, 9)))
    )
    return Problem(
        needs,
        sources,
        max_shipments=draw(st.sampled_from([None, None, None, 3, 4])),
        min_split_value=float(draw(st.sampled_from([0, 0, 25]))),
        split_cost=2.5,
    )


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scattered_orders(), st.booleans())
def test_agrees_with_the_milp_on_orders_that_split_over_several_locations(problem: Problem, start: bool) -> None:
    incumbent = best_single(problem)
    heuristic = (lambda: greedy(problem).take) if start else None
    found = search_sets(problem, incumbent.take if incumbent is not None else None, heuristic)
    assert found is not None
    take, proven = found
    _agrees_with_the_milp(problem, take, proven)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(priced_problems(most_sources=6))
def test_a_heuristic_incumbent_changes_the_cost_of_no_plan(problem: Problem) -> None:
    take = solve_by_sets(problem, None, lambda: greedy(problem).take)
    assert take is not None
    assert violations(problem, take) == []
    assert cost(problem, take) == pytest.approx(brute_force(problem), abs=1e-6)


def test_keeps_the_incumbent_when_a_split_costs_the_same() -> None:
    needs = (Need("A", 1, unfilled_cost=100), Need("B", 1, unfilled_cost=100))
    both = Source("BOTH", {"A": 1, "B": 1}, {0: 1.0, 1: 1.0}, package_cost=7)
    only_a = Source("ONLY_A", {"A": 1}, {0: 1.0}, package_cost=2)
    only_b = Source("ONLY_B", {"B": 1}, {1: 1.0}, package_cost=2)
    problem = Problem(needs, (both, only_a, only_b), split_cost=3)
    whole = ((0, 0, 1), (1, 0, 1))
    assert cost(problem, whole) == cost(problem, ((0, 1, 1), (1, 2, 1)))
    assert solve_by_sets(problem, whole) == whole


def test_splits_a_heavy_order_when_two_light_packages_cost_less_than_one_heavy() -> None:
    needs = (Need("A", 2, unit_weight=4000, unfilled_cost=150), Need("B", 2, unit_weight=4000, unfilled_cost=150))
    far = Source("FAR", {"A": 9, "B": 9}, {0: 0.25, 1: 0.25}, package_cost=1.2, tiers=STEEP)
    near = ((450.0, 4.8), (2300.0, 6.2), (9000.0, 8.9), (float("inf"), 13.5))
    left = Source("LEFT", {"A": 9}, {0: 0.6}, package_cost=2.4, tiers=near)
    right = Source("RIGHT", {"B": 9}, {1: 0.6}, package_cost=2.4, tiers=near)
    problem = Problem(needs, (far, left, right), split_cost=2.5)
    take = solve_by_sets(problem, ((0, 0, 2), (1, 0, 2)))
    assert take == ((0, 1, 2), (1, 2, 2))
    assert cost(problem, take) == pytest.approx(2 * (2.4 + 8.9 + 1.2) + 2.5)


def test_a_store_short_of_stock_ships_what_it_has_and_a_warehouse_the_rest() -> None:
    needs = (Need("A", 3, unit_weight=3000, unfilled_cost=150),)
    store = Source("STORE", {"A": 2}, {0: 0.6}, package_cost=2.4, tiers=STEEP)
    warehouse = Source("DC", {"A": 1}, {0: 0.25}, package_cost=1.2, tiers=STEEP)
    problem = Problem(needs, (store, warehouse), split_cost=2.5)
    take = solve_by_sets(problem)
    assert take == ((0, 0, 2), (0, 1, 1))
    assert take is not None and cost(problem, take) == pytest.approx(brute_force(problem))


def test_respects_max_shipments_and_the_minimum_value_of_a_split() -> None:
    needs = tuple(Need(sku, 1, unit_value=value, unfilled_cost=100) for sku, value in (("A", 50), ("B", 5)))
    sources = (
        Source("BOTH", {"A": 1, "B": 1}, {0: 0.0, 1: 0.0}, package_cost=10),
        Source("ONLY_A", {"A": 1}, {0: 0.0}, package_cost=1),
        Source("ONLY_B", {"B": 1}, {1: 0.0}, package_cost=1),
    )
    assert solve_by_sets(Problem(needs, sources, split_cost=1)) == ((0, 1, 1), (1, 2, 1))
    assert solve_by_sets(Problem(needs, sources, split_cost=1, min_split_value=20)) == ((0, 0, 1), (1, 0, 1))
    assert solve_by_sets(Problem(needs, sources, split_cost=1, max_shipments=1)) == ((0, 0, 1), (1, 0, 1))


def test_ship_complete_takes_everything_from_one_source_or_nothing() -> None:
    needs = tuple(Need(sku, 1, unfilled_cost=100) for sku in "AB")
    parts = (Source("X", {"A": 1}, {0: 1.0}, package_cost=1), Source("Y", {"B": 1}, {1: 1.0}, package_cost=1))
    whole = Source("W", {"A": 1, "B": 1}, {0: 1.0, 1: 1.0}, package_cost=10)
    assert solve_by_sets(Problem(needs, (*parts, whole), complete=True)) == ((0, 2, 1), (1, 2, 1))
    assert solve_by_sets(Problem(needs, parts, complete=True)) == ()


def test_the_capacity_of_a_source_caps_its_units() -> None:
    needs = (Need("A", 3, unfilled_cost=100),)
    cheap = Source("CHEAP", {"A": 5}, {0: 0.0}, package_cost=1, unit_capacity=2)
    dear = Source("DEAR", {"A": 5}, {0: 1.0}, package_cost=4)
    problem = Problem(needs, (cheap, dear), split_cost=1)
    take = solve_by_sets(problem)
    assert take is not None and violations(problem, take) == []
    assert cost(problem, take) == pytest.approx(brute_force(problem))


def test_a_location_another_dominates_still_ships_when_both_are_needed() -> None:
    needs = (Need("A", 2, unfilled_cost=150), Need("B", 1, unfilled_cost=150))
    dear = Source("DEAR", {"A": 1}, {0: 0.6}, package_cost=2.4, tiers=STEEP)
    cheap = Source("CHEAP", {"A": 1}, {0: 0.25}, package_cost=1.2, tiers=STEEP)  # holds as much, costs less
    other = Source("OTHER", {"B": 1}, {1: 0.25}, package_cost=1.2, tiers=STEEP)
    problem = Problem(needs, (dear, cheap, other), split_cost=2.5)
    take = solve_by_sets(problem)
    assert take == ((0, 0, 1), (0, 1, 1), (1, 2, 1))
    assert cost(problem, take) == pytest.approx(brute_force(problem))


def test_leaves_orders_it_does_not_handle_to_other_methods() -> None:
    source = Source("X", {"A": 4}, {0: 1.0, 1: 1.0})
    shared = Problem((Need("A", 1), Need("A", 2)), (source,))
    alone = Problem((Need("A", 1, alone=True),), (source,))
    assert solve_by_sets(shared) is None
    assert solve_by_sets(alone) is None
