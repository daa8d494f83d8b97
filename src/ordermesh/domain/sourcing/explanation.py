"""The explanation stored with each sourcing decision: what was considered, ruled out, chosen and why."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ordermesh.domain.sourcing.model import Candidate, SourcingRequest
from ordermesh.domain.sourcing.problem import Problem, Solution
from ordermesh.domain.sourcing.routes import Routes
from ordermesh.domain.sourcing.rules import Strategy

if TYPE_CHECKING:
    from ordermesh.domain.sourcing.engine import Prepared

# A decision over hundreds of candidates would store hundreds of rows no one reads: beyond this many, the
# explanation shows the nearest ones and those of the plans it compares, and counts the rest.
MOST_CANDIDATES_SHOWN = 50


def explanation(
    request: SourcingRequest,
    candidates: Sequence[Candidate],
    ready: Prepared,
    solution: Solution,
    second: Solution | None,
    *,
    ref: Mapping[str, Any],
    currency: str,
) -> dict[str, Any]:
    """What was decided and why, for a person: the candidates, the eliminations, the plan and the runner-up."""
    problem, strategy, routes, eligible = ready.problem, ready.strategy, ready.routes, ready.eligible
    eligible_codes = {c.location for c in eligible}
    chosen = _plan_view(request, problem, solution)
    other = _plan_view(request, problem, second) if second is not None else None
    unfilled = {line.line_id: q for line, q in zip(request.lines, unfilled_units(problem, solution), strict=True) if q}
    planned = {shipment["location"] for plan in (chosen, other) if plan for shipment in plan["shipments"]}
    shown, not_shown = _candidate_views(request, ready.ordered, routes, eligible_codes, planned)
    return {
        "decided_at": ready.now.isoformat(),
        "rule_set": dict(ref),
        "matched_rule": ready.rule_name,
        "line_rules": {line_id: [rule.name for rule in rules] for line_id, rules in ready.line_rules.items()},
        "strategy": {
            "weights": dict(strategy.weights or {}),
            "max_shipments": strategy.max_shipments,
            "split": strategy.split,
            "min_split_value": strategy.min_split_value,
            "unfillable": strategy.unfillable,
            "time_budget_ms": strategy.time_budget_ms,
        },
        "currency": currency,
        "candidates": shown,
        "candidates_not_shown": not_shown,
        "eliminated": [
            {"location": e.location, "rule": e.rule, "reason": e.reason, "lines": e.lines} for e in ready.eliminated
        ],
        "chosen": chosen,
        "runner_up": other,
        "unfilled": unfilled,
        "summary": _summary(chosen, other, unfilled, len(eligible), len(candidates), currency, strategy),
    }


def _plan_view(request: SourcingRequest, problem: Problem, solution: Solution) -> dict[str, Any]:
    shipments: dict[str, dict[str, Any]] = {}
    sources, lines = problem.sources, request.lines
    for n, s, units in solution.take:
        key = sources[s].key
        entry = shipments.get(key)
        if entry is None:
            entry = shipments[key] = {"location": key, "lines": {}}
        shipped = entry["lines"]
        line_id = lines[n].line_id
        shipped[line_id] = shipped.get(line_id, 0) + units
    breakdown = solution.breakdown
    shipping = handling = unit_costs = 0.0
    for shipment in breakdown.shipments:
        shipping += shipment.shipping
        handling += shipment.package
        unit_costs += shipment.unit_costs
        entry = shipments[shipment.source]
        entry["packages"] = entry.get("packages", 0) + 1
        entry["cost"] = round(entry.get("cost", 0.0) + shipment.total, 4)
        entry["weight_grams"] = round(entry.get("weight_grams", 0.0) + shipment.weight, 1)
    return {
        "method": solution.method,
        "optimal": solution.optimal,
        "cost": round(solution.cost, 4),
        "breakdown": {
            "shipping": round(shipping, 4),
            "handling_and_lateness": round(handling, 4),
            "unit_costs": round(unit_costs, 4),
            "split": round(breakdown.split, 4),
            "unfilled": round(breakdown.unfilled, 4),
        },
        "shipments": [shipments[key] for key in sorted(shipments)],
    }


def _candidate_views(
    request: SourcingRequest, candidates: Sequence[Candidate], routes: Routes, eligible: set[str], planned: set[str]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The candidates (given by location code), nearest first, with their route and their stock of the order's
    SKUs; and what is left out (None: nothing).

    Up to `MOST_CANDIDATES_SHOWN` every candidate is shown; beyond, the nearest ones and every location of the
    chosen plan and the runner-up, and the rest is counted (the eliminated ones are all listed with their
    reasons elsewhere)."""
    skus = request.skus
    zeros = [0] * len(skus)
    distances, legs, rounded = routes.distances, routes.legs, routes.rounded()
    # the candidates come by location code: a stable sort by distance keeps that order among equals
    nearest = [distance or math.inf for distance in distances]
    order = sorted(range(len(candidates)), key=nearest.__getitem__)
    not_shown = None
    if len(order) > MOST_CANDIDATES_SHOWN:
        shown = set(order[:MOST_CANDIDATES_SHOWN])
        shown.update(position for position, c in enumerate(candidates) if c.location in planned)
        left_out = [position for position in order if position not in shown]
        order = [position for position in order if position in shown]
        nearest_left_out = distances[left_out[0]]
        not_shown = {
            "count": len(left_out),
            "eligible": sum(candidates[position].location in eligible for position in left_out),
            "nearest_km": None if nearest_left_out is None else rounded[left_out[0]],
        }
    travels: dict[int, dict[str, Any]] = {}  # per distinct leg (few: one per calendar and zone), by identity
    for leg in legs:
        if id(leg) not in travels:
            travels[id(leg)] = {
                "zone": leg.zone,
                "ships_on": leg.ships_on.isoformat(),
                "arrives_on": leg.arrives_on.isoformat(),
                "promised_on": None if leg.promised_on is None else leg.promised_on.isoformat(),
                "days_late": leg.days_late,
            }
    travel = [travels[id(leg)] for leg in legs]
    views = [
        {
            "location": c.location,
            "type": c.type,
            "distance_km": None if distances[position] is None else rounded[position],
            **travel[position],
            "available": dict(zip(skus, map(c.available.get, skus, zeros), strict=True)),
            "eligible": c.location in eligible,
        }
        for position, c in zip(order, map(candidates.__getitem__, order), strict=True)
    ]
    return views, not_shown


def unfilled_units(problem: Problem, solution: Solution) -> list[int]:
    """Per need, the units the plan leaves unfilled."""
    left = [need.quantity for need in problem.needs]
    for n, _, units in solution.take:
        left[n] -= units
    return left


def _summary(
    chosen: Mapping[str, Any],
    other: Mapping[str, Any] | None,
    unfilled: Mapping[str, int],
    eligible: int,
    considered: int,
    currency: str,
    strategy: Strategy,
) -> str:
    shipments = chosen["shipments"]
    if not shipments:
        text = f"Nothing allocated: none of {considered} locations could supply the order"
        if eligible < considered:
            text += f" ({considered - eligible} ruled out)"
        return text + f"; {sum(unfilled.values())} units {strategy.unfillable or 'backorder'}."
    where = ", ".join(s["location"] for s in shipments)
    text = (
        f"Ship from {where} ({sum(s.get('packages', 1) for s in shipments)} package(s), "
        f"{chosen['cost']:.2f} {currency}"
        f"{'' if chosen['optimal'] else ', best found within the time budget'}): "
        f"chosen among {eligible} eligible of {considered} locations"
    )
    if other is not None and other["shipments"]:
        alternative = ", ".join(s["location"] for s in other["shipments"])
        text += f"; runner-up {alternative} at {other['cost']:.2f} {currency} (+{other['cost'] - chosen['cost']:.2f})"
    if unfilled:
        text += f"; {sum(unfilled.values())} units {strategy.unfillable or 'backorder'}"
    return text + "."
