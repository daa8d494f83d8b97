"""The exact sourcing search against brute-force enumeration, its side constraints, and its budget."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ordermesh.domain.sourcing.exact import solve_exactly
from ordermesh.domain.sourcing.optimiser import Need, Problem, Source, Take, evaluate, violations
from tests.unit.test_optimiser import brute_force, problems

TIERS = ((500.0, 4.0), (1500.0, 7.0), (float("inf"), 12.0))


def cost(problem: Problem, take: Take) -> float:
    return evaluate(problem, take).total


def one_need_each(*skus: str, unfilled: float = 100.0) -> tuple[Need, ...]:
    return tuple(Need(sku, 1, unfilled_cost=unfilled) for sku in skus)


def holding(key: str, skus: str, *needs: int, package: float = 2.0) -> Source:
    """A source holding one unit of each of these SKUs for these needs, at a unit cost of 1."""
    return Source(key, dict.fromkeys(skus, 1), dict.fromkeys(needs, 1.0), package_cost=package)


@st.composite
def split_problems(draw: st.DrawFn) -> Problem:
    """Problems whose stock is spread thin over up to six sources, so that good plans ship from several."""
    skus = ["A", "B", "C"]
    needs = tuple(
        Need(
            sku=draw(st.sampled_from(skus)),
            quantity=draw(st.integers(1, 3)),
            unit_value=float(draw(st.integers(0, 40))),
            unit_weight=float(draw(st.sampled_from([0, 100, 400, 900, 2500]))),
            unfilled_cost=float(draw(st.integers(20, 90))),
            alone=draw(st.integers(0, 5)) == 0,
        )
        for _ in range(draw(st.integers(2, 4)))
    )
    sources = tuple(
        Source(
            key=f"L{i}",
            stock={sku: draw(st.integers(0, 2)) for sku in skus},
            unit_cost={n: float(draw(st.integers(0, 5))) for n in range(len(needs)) if draw(st.booleans())},
            package_cost=float(draw(st.integers(0, 4))),
            tiers=draw(st.sampled_from([(), TIERS, ((1000.0, 5.0),)])),
            unit_capacity=draw(st.one_of(st.none(), st.none(), st.integers(0, 3))),
        )
        for i in range(draw(st.integers(3, 6)))
    )
    problem = Problem(
        needs=needs,
        sources=sources,
        max_shipments=draw(st.sampled_from([None, None, 2, 3, 4])),
        min_split_value=float(draw(st.sampled_from([0, 0, 0, 10]))),
        split_cost=float(draw(st.integers(0, 3))),
    )
    pairs = [(n, s) for n in range(len(needs)) for s in range(len(sources))]
    assume(math.prod(problem.usable(n, s) + 1 for n, s in pairs) <= 3_000)  # the brute force stays quick
    return problem


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_finds_the_brute_force_optimum(problem: Problem) -> None:
    take = solve_exactly(problem)
    if take is not None:
        assert violations(problem, take) == []
        assert cost(problem, take) == pytest.approx(brute_force(problem), abs=1e-6)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(split_problems())
def test_finds_the_brute_force_optimum_of_plans_over_many_sources(problem: Problem) -> None:
    take = solve_exactly(problem)
    assert take is not None
    assert violations(problem, take) == []
    assert cost(problem, take) == pytest.approx(brute_force(problem), abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(problems())
def test_solves_every_small_problem_and_the_same_way_twice(problem: Problem) -> None:
    take = solve_exactly(problem)
    assert take is not None
    assert solve_exactly(problem) == take
    assert list(take) == sorted(take) and all(units > 0 for _, _, units in take)


def test_a_tie_goes_to_the_first_source() -> None:
    same = Source("X", {"A": 1}, {0: 1.0}, package_cost=3)
    problem = Problem(needs=(Need("A", 1),), sources=(same, Source("Y", {"A": 1}, {0: 1.0}, package_cost=3)))
    assert solve_exactly(problem) == ((0, 0, 1),)


def test_ships_from_three_sources_when_each_holds_one_need() -> None:
    problem = Problem(
        needs=one_need_each("A", "B", "C"),
        sources=(
            holding("X", "A", 0),
            holding("Y", "B", 1),
            holding("Z", "C", 2),
            holding("W", "AB", 0, 1, package=10),
        ),
        split_cost=3,
    )
    take = solve_exactly(problem)
    assert take == ((0, 0, 1), (1, 1, 1), (2, 2, 1))
    assert take is not None and cost(problem, take) == pytest.approx(3 * (2 + 1) + 2 * 3)


def test_max_shipments_makes_it_take_two_needs_from_one_dearer_source() -> None:
    sources = (
        holding("X", "A", 0),
        holding("Y", "B", 1),
        holding("Z", "C", 2),
        holding("V", "D", 3),
        holding("W", "AB", 0, 1, package=10),
    )
    free = Problem(needs=one_need_each("A", "B", "C", "D"), sources=sources, split_cost=3)
    capped = Problem(needs=one_need_each("A", "B", "C", "D"), sources=sources, split_cost=3, max_shipments=3)
    assert solve_exactly(free) == ((0, 0, 1), (1, 1, 1), (2, 2, 1), (3, 3, 1))
    take = solve_exactly(capped)
    assert take == ((0, 4, 1), (1, 4, 1), (2, 2, 1), (3, 3, 1))
    assert cost(capped, take) == pytest.approx((10 + 2) + (2 + 1) + (2 + 1) + 2 * 3)


def test_a_split_shipment_must_be_worth_the_minimum() -> None:
    needs = (Need("A", 1, unit_value=50, unfilled_cost=100), Need("B", 1, unit_value=5, unfilled_cost=100))
    sources = (
        Source("BOTH", {"A": 1, "B": 1}, {0: 0.0, 1: 0.0}, package_cost=10),
        Source("ONLY_A", {"A": 1}, {0: 0.0}, package_cost=1),
        Source("ONLY_B", {"B": 1}, {1: 0.0}, package_cost=1),
    )
    cheap_split = Problem(needs, sources, split_cost=1)
    minimum = Problem(needs, sources, split_cost=1, min_split_value=20)
    assert solve_exactly(cheap_split) == ((0, 1, 1), (1, 2, 1))
    assert solve_exactly(minimum) == ((0, 0, 1), (1, 0, 1))


def test_a_lone_shipment_below_the_minimum_is_allowed() -> None:
    problem = Problem(
        needs=(Need("B", 1, unit_value=5, unfilled_cost=100),),
        sources=(Source("ONLY_B", {"B": 1}, {0: 0.0}, package_cost=1),),
        min_split_value=20,
    )
    assert solve_exactly(problem) == ((0, 0, 1),)


def test_ship_complete_takes_the_whole_order_from_one_source_or_nothing() -> None:
    needs = one_need_each("A", "B")
    parts = (holding("ONLY_A", "A", 0, package=1), holding("ONLY_B", "B", 1, package=1))
    whole = holding("BOTH", "AB", 0, 1, package=10)
    assert solve_exactly(Problem(needs, (*parts, whole))) == ((0, 0, 1), (1, 1, 1))
    assert solve_exactly(Problem(needs, (*parts, whole), complete=True)) == ((0, 2, 1), (1, 2, 1))
    assert solve_exactly(Problem(needs, parts, complete=True)) == ()


def test_each_unit_of_an_alone_need_is_its_own_package() -> None:
    source = Source("X", {"A": 2}, {0: 0.0}, package_cost=1, tiers=((500.0, 4.0), (1000.0, 6.0)))
    alone = Problem(needs=(Need("A", 2, unit_weight=400, alone=True),), sources=(source,), split_cost=2)
    packed = Problem(needs=(Need("A", 2, unit_weight=400),), sources=(source,), split_cost=2)
    assert solve_exactly(alone) == solve_exactly(packed) == ((0, 0, 2),)
    assert cost(alone, ((0, 0, 2),)) == pytest.approx(2 * (1 + 4) + 2)
    assert cost(packed, ((0, 0, 2),)) == pytest.approx(1 + 6)


def test_needs_of_one_sku_share_its_stock_and_the_capacity_caps_the_units() -> None:
    needs = (Need("A", 2, unfilled_cost=100), Need("A", 2, unfilled_cost=100))
    near = Source("NEAR", {"A": 3}, {0: 0.0, 1: 0.0}, package_cost=1)
    far = Source("FAR", {"A": 9}, {0: 0.5, 1: 0.5}, package_cost=5, unit_capacity=2)
    take = solve_exactly(Problem(needs, (near, far), split_cost=1))
    assert take is not None and violations(Problem(needs, (near, far), split_cost=1), take) == []
    assert sum(units for _, s, units in take if s == 0) == 3
    assert sum(units for _, s, units in take if s == 1) == 1


def test_nothing_to_ship_from_anywhere_leaves_the_order_unfilled() -> None:
    problem = Problem(needs=(Need("A", 2),), sources=(Source("X", {"B": 5}, {0: 1.0}),))
    assert solve_exactly(problem) == ()


def test_a_big_order_is_left_to_the_milp_at_once() -> None:
    needs = tuple(Need(f"S{i}", 3, unit_value=10, unit_weight=300, unfilled_cost=150) for i in range(10))
    sources = tuple(
        Source(
            f"L{j:02}",
            {f"S{i}": 5 for i in range(10)},
            {i: 0.25 + 0.01 * ((i + j) % 7) for i in range(10)},
            package_cost=1 + j % 3,
            tiers=TIERS,
        )
        for j in range(50)
    )
    started = time.perf_counter()
    assert solve_exactly(Problem(needs, sources, split_cost=2.5)) is None
    assert time.perf_counter() - started < 0.1


def test_a_smaller_budget_gives_up_sooner() -> None:
    problem = Problem(
        needs=one_need_each("A", "B", "C"),
        sources=(holding("X", "A", 0), holding("Y", "B", 1), holding("Z", "C", 2)),
    )
    assert solve_exactly(problem, max_work=10) is None
    assert solve_exactly(problem) is not None
