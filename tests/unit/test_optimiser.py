"""The optimiser against brute-force enumeration on small problems, plus its budgets and determinism."""

from __future__ import annotations

import itertools
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
    runner_up,
    solve,
    violations,
)


def brute_force(problem: Problem) -> float:
    """The least cost over every integer assignment (tiny problems only)."""
    pairs = [(n, s) for n in range(len(problem.needs)) for s in range(len(problem.sources)) if problem.usable(n, s)]
    ranges = [range(problem.usable(n, s) + 1) for n, s in pairs]
    best = evaluate(problem, ()).total if not violations(problem, ()) else float("inf")
    for units in itertools.product(*ranges):
        take: Take = tuple(sorted((n, s, u) for (n, s), u in zip(pairs, units, strict=True) if u))
        if violations(problem, take):
            continue
        best = min(best, evaluate(problem, take).total)
    return best


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    skus = ["A", "B", "C"]
    needs = tuple(
        Need(
            sku=draw(st.sampled_from(skus)),
            quantity=draw(st.integers(1, 3)),
            unit_value=float(draw(st.integers(0, 40))),
            unit_weight=float(draw(st.sampled_from([0, 100, 400, 900, 2500]))),
            unfilled_cost=float(draw(st.integers(5, 60))),
            alone=draw(st.booleans()) and draw(st.booleans()),
        )
        for _ in range(draw(st.integers(1, 3)))
    )
    sources = []
    for i in range(draw(st.integers(1, 3))):
        eligible = draw(st.lists(st.integers(0, len(needs) - 1), unique=True, max_size=len(needs)))
        tiers = draw(st.sampled_from([(), ((500.0, 4.0), (1500.0, 7.0), (float("inf"), 12.0)), ((1000.0, 5.0),)]))
        sources.append(
            Source(
                key=f"L{i}",
                stock={sku: draw(st.integers(0, 4)) for sku in skus},
                unit_cost={n: float(draw(st.integers(0, 9))) for n in eligible},
                package_cost=float(draw(st.integers(0, 15))),
                tiers=tiers,
                unit_capacity=draw(st.one_of(st.none(), st.integers(0, 5))),
            )
        )
    return Problem(
        needs=needs,
        sources=tuple(sources),
        max_shipments=draw(st.one_of(st.none(), st.integers(1, 3))),
        complete=draw(st.booleans()) and draw(st.booleans()),
        min_split_value=float(draw(st.sampled_from([0, 0, 30]))),
        split_cost=float(draw(st.integers(0, 10))),
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_solve_finds_the_brute_force_optimum(problem: Problem) -> None:
    solution = solve(problem, Budget(seconds=5, nodes=100_000))
    assert violations(problem, solution.take) == []
    assert solution.optimal
    assert solution.cost == pytest.approx(brute_force(problem), abs=MONEY_GAP)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_the_milp_alone_finds_the_brute_force_optimum(problem: Problem) -> None:
    # `solve` hands small problems to the dynamic programme: check the MILP (used for big ones) on its own
    assume(problem.arrays.usable.any())  # (`solve` answers "nothing to ship" before any search)
    found, complete = milp.search(problem, Budget(seconds=5, nodes=100_000))
    best = brute_force(problem)
    assert complete
    if found is None:  # no feasible plan at all ships anything cheaper than infinity: only the empty plan
        assert best == pytest.approx(evaluate(problem, ()).total)
    else:
        assert violations(problem, found.take) == []
        assert found.cost == pytest.approx(best, abs=MONEY_GAP)


@settings(max_examples=100, deadline=None)
@given(problems())
def test_same_problem_same_answer_and_the_fallback_is_always_feasible(problem: Problem) -> None:
    assert solve(problem).take == solve(problem).take
    rushed = solve(problem, Budget(seconds=1e-9, nodes=1))
    assert violations(problem, rushed.take) == []


def test_fast_path_takes_the_cheapest_source_covering_everything() -> None:
    problem = Problem(
        needs=(Need("A", 2, unit_weight=200), Need("B", 1, unit_weight=200)),
        sources=(
            Source("FAR", {"A": 5, "B": 5}, {0: 1.0, 1: 1.0}, package_cost=9),
            Source("NEAR", {"A": 5, "B": 5}, {0: 1.0, 1: 1.0}, package_cost=4),
            Source("PART", {"A": 5}, {0: 0.1}, package_cost=1),
        ),
        split_cost=10,
    )
    solution = solve(problem)
    assert solution.method == "single"
    assert solution.sources(problem) == ("NEAR",)
    assert solution.cost == pytest.approx(4 + 3)


def test_split_when_no_source_has_everything_and_unfilled_units_cost_more() -> None:
    problem = Problem(
        needs=(Need("A", 1, unfilled_cost=100), Need("B", 1, unfilled_cost=100)),
        sources=(
            Source("X", {"A": 1}, {0: 1.0, 1: 1.0}, package_cost=5),
            Source("Y", {"B": 1}, {0: 1.0, 1: 1.0}, package_cost=5),
        ),
        split_cost=3,
    )
    solution = solve(problem)
    assert solution.method in {"exact", "milp", "bound"} and solution.optimal
    assert solution.take == ((0, 0, 1), (1, 1, 1))
    assert solution.cost == pytest.approx(5 + 1 + 5 + 1 + 3)


def test_weight_tiers_price_the_package_it_ships() -> None:
    tiers = ((500.0, 4.0), (2000.0, 9.0))
    problem = Problem(needs=(Need("A", 3, unit_weight=400),), sources=(Source("X", {"A": 9}, {0: 0.0}, tiers=tiers),))
    assert solve(problem).cost == pytest.approx(9.0)
    assert evaluate(problem, ((0, 0, 1),)).shipments[0].shipping == 4.0


def test_ship_complete_allocates_nothing_when_no_single_source_covers() -> None:
    problem = Problem(
        needs=(Need("A", 1), Need("B", 1)),
        sources=(Source("X", {"A": 1}, {0: 1.0, 1: 1.0}), Source("Y", {"B": 1}, {0: 1.0, 1: 1.0})),
        complete=True,
    )
    assert solve(problem).take == ()


def test_budget_exhausted_falls_back_to_a_feasible_greedy_plan() -> None:
    needs = tuple(Need(f"S{i}", 2, unit_value=10, unit_weight=300, unfilled_cost=80) for i in range(10))
    sources = tuple(
        Source(
            f"L{j:03}",
            {f"S{i}": (i * 7 + j * 3) % 3 for i in range(10)},
            {i: float((i + j) % 5) for i in range(10)},
            package_cost=5 + j % 7,
            tiers=((1000.0, 5.0), (3000.0, 8.0), (float("inf"), 14.0)),
        )
        for j in range(60)
    )
    problem = Problem(needs, sources, max_shipments=4, split_cost=2)
    rushed = solve(problem, Budget(seconds=1e-6, nodes=1))
    assert not rushed.optimal
    assert rushed.method in {"greedy", "milp", "single", "bound"}
    assert violations(problem, rushed.take) == []
    assert rushed.take, "the fallback ships what it can"
    exact = solve(problem, Budget(seconds=10, nodes=1_000_000))
    assert exact.cost <= rushed.cost + 1e-9


def test_runner_up_uses_another_set_of_sources() -> None:
    problem = Problem(
        needs=(Need("A", 1),),
        sources=(Source("X", {"A": 1}, {0: 1.0}, package_cost=2), Source("Y", {"A": 1}, {0: 1.0}, package_cost=3)),
    )
    best = solve(problem)
    second = runner_up(problem, best)
    assert best.sources(problem) == ("X",)
    assert second is not None and second.sources(problem) == ("Y",)
    assert second.cost == pytest.approx(4.0)


def test_the_milp_proves_its_plan_to_half_a_cent_even_on_a_costly_order() -> None:
    # Seven units nobody stocks cost 1,050 unfilled: a relative gap of 0.01% (HiGHS's default) let the MILP
    # stop at a plan ten cents dearer than the best one.
    tiers = ((450.0, 5.8), (2300.0, 8.9), (9000.0, 15.5), (math.inf, 28.3))
    quantities = (2, 3, 2, 1, 2, 1, 1, 1)
    weights = (200.0, 1200.0, 300.0, 100.0, 1300.0, 100.0, 100.0, 100.0)
    needs = tuple(
        Need(f"S{n}", q, unit_value=5.0, unit_weight=w, unfilled_cost=150.0 + 1e-6 * (8 - n))
        for n, (q, w) in enumerate(zip(quantities, weights, strict=True))
    )
    every = dict.fromkeys(range(8), 0.25)
    sources = (
        Source("L0", {"S0": 1, "S2": 2}, {**every, 2: 0.35}, package_cost=1.2, tiers=tiers),
        Source("L1", {"S2": 1, "S4": 2}, every, package_cost=1.2, tiers=tiers),
        Source("L2", {"S1": 1, "S3": 1, "S7": 1}, every, package_cost=1.2, tiers=tiers, unit_capacity=1),
    )
    problem = Problem(needs=needs, sources=sources, split_cost=2.5)

    found, complete = milp.search(problem, Budget(seconds=30, nodes=1_000_000))

    assert complete and found is not None
    assert found.cost == pytest.approx(brute_force(problem), abs=MONEY_GAP)
