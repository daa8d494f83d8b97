"""The sourcing engine: rules -> eligible locations -> costs -> optimal plan -> an explanation a person can read.

`SourcingEngine(rule_set).plan(request, candidates)` is a pure function of its inputs. The candidates
come with their stock (safety stock already kept back), their profile (type, groups, tags, cut-off,
processing days) and their remaining daily capacity. An optional opportunity cost per (location, SKU)
is the hook for forecasting and look-ahead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import numpy as np

from ordermesh.domain.catalog import LocationType
from ordermesh.domain.orders import Allocation, DeliveryMethod
from ordermesh.domain.sourcing.explanation import explanation as explain
from ordermesh.domain.sourcing.explanation import unfilled_units
from ordermesh.domain.sourcing.model import AllocationPlan, Candidate, SourcingRequest
from ordermesh.domain.sourcing.optimiser import (
    INF,
    Budget,
    Need,
    Problem,
    Solution,
    Source,
    evaluate,
    runner_up,
    solve,
    violations,
)
from ordermesh.domain.sourcing.routes import Route, Routes, plan_routes, zone_info
from ordermesh.domain.sourcing.rules import (
    Eligibility,
    ItemFacts,
    OrderFacts,
    Rule,
    RuleSet,
    Strategy,
)

# A deterministic engine stops on nodes, not time; this is only a guard against a runaway model.
DETERMINISTIC_SECONDS = 30.0
LINE_ORDER_TIEBREAK = 1e-6  # per unit and line position: far below a cent, above the exact search's tolerance


@dataclass
class Elimination:
    location: str
    rule: str
    reason: str
    lines: list[str] | None = None  # None: the whole order


@dataclass(frozen=True)
class Prepared:
    now: datetime
    rule_name: str
    strategy: Strategy
    routes: Routes  # of `ordered`, by position
    eliminated: list[Elimination]
    eligible: list[Candidate]
    ordered: list[Candidate]  # every candidate, by location code
    line_rules: dict[str, list[Rule]]  # per line id, the line rules its item matched
    problem: Problem


class SourcingEngine:
    """Plans orders under one rule set (and, optionally, opportunity costs of stock)."""

    def __init__(
        self,
        rule_set: RuleSet,
        *,
        rule_set_ref: Mapping[str, Any] | None = None,
        opportunity: Mapping[tuple[str, str], float] | None = None,
        explain: bool = True,
        deterministic: bool = False,
    ) -> None:
        """`deterministic`: bound the exact search by its node count only, never by the clock, so the same
        orders give the same plans on any machine (the sandbox); decisions may then take longer."""
        self.rules = rule_set
        self.ref = dict(rule_set_ref or {"name": rule_set.name})
        self.opportunity = opportunity or {}
        self.explain = explain
        self.deterministic = deterministic

    def plan(self, request: SourcingRequest, candidates: Sequence[Candidate]) -> AllocationPlan:
        ready = self._prepare(request, candidates)
        problem, strategy = ready.problem, ready.strategy
        budget = self._budget(strategy)
        solution = solve(problem, budget)
        allocations, backordered = _allocations(request, problem, solution)
        explanation = None
        if self.explain:
            second = runner_up(problem, solution) if solution.take else None
            explanation = explain(
                request, candidates, ready, solution, second, ref=self.ref, currency=self.rules.costs.currency
            )
        return AllocationPlan(
            allocations, backordered, unfillable=strategy.unfillable or "backorder", explanation=explanation
        )

    def _budget(self, strategy: Strategy) -> Budget:
        if self.deterministic:
            return Budget(seconds=DETERMINISTIC_SECONDS, nodes=Budget().nodes)
        return Budget(seconds=(strategy.time_budget_ms or 50.0) / 1000.0)

    def cost_of(
        self, request: SourcingRequest, candidates: Sequence[Candidate], allocations: Sequence[Allocation]
    ) -> float | None:
        """What an existing assignment costs under these rules (None if the rules no longer allow it)."""
        problem = self._prepare(request, candidates).problem
        need_of = {line.line_id: index for index, line in enumerate(request.lines)}
        source_of = {source.key: index for index, source in enumerate(problem.sources)}
        take: list[tuple[int, int, int]] = []
        for allocation in allocations:
            n, s = need_of.get(allocation.line_id), source_of.get(allocation.location)
            if n is None or s is None or n not in problem.sources[s].unit_cost:
                return None
            take.append((n, s, allocation.quantity))
        merged: dict[tuple[int, int], int] = {}
        for n, s, units in take:
            merged[(n, s)] = merged.get((n, s), 0) + units
        assignment = tuple(sorted((n, s, u) for (n, s), u in merged.items()))
        if violations(problem, assignment):
            return None
        return evaluate(problem, assignment).total

    def _prepare(self, request: SourcingRequest, candidates: Sequence[Candidate]) -> Prepared:
        now = request.now or datetime.now(UTC)
        facts = _facts(request)
        rule = self.rules.order_rule(facts)
        locations = rule.locations.over(self.rules.default_locations) if rule else self.rules.default_locations
        strategy = (
            (rule.strategy or Strategy()).over(self.rules.default_strategy) if rule else self.rules.default_strategy
        )
        rule_name = rule.name if rule else "default"
        pickup = request.method == DeliveryMethod.PICKUP
        card = self.rules.costs.rate_card(request.service_level)
        eliminated: list[Elimination] = []
        eligible: list[Candidate] = []
        at: list[int] = []  # their positions in `ordered`
        # Plans must not depend on the order the candidates come in: equally cheap plans are told apart
        # by their locations' codes.
        ordered = sorted(candidates, key=lambda c: c.location)
        # Under the usual rules most candidates pass every order-level test; those that surely do skip them.
        types = locations.types
        plain = (
            not request.excluded
            and not pickup
            and locations.groups is None
            and locations.tags is None
            and locations.exclude is None
            and locations.max_distance_km is None
            and locations.dropship != "never"
        )
        routes = plan_routes(self.rules.costs, request, ordered, now)
        for position, candidate in enumerate(ordered):
            if not (
                plain
                and (types is None or candidate.type in types)
                and (candidate.orders_left is None or candidate.orders_left > 0)
                and (candidate.units_left is None or candidate.units_left > 0)
                and (candidate.cutoff is None or not locations.before_cutoff)
            ):
                route = routes[position]
                reason = self._order_elimination(request, candidate, route, locations, rule_name, now, pickup=pickup)
                if reason is not None:
                    eliminated.append(reason)
                    continue
            eligible.append(candidate)
            at.append(position)
        if self.rules.rules:
            line_rules = {
                line.line_id: self.rules.line_rules(facts, ItemFacts(line.sku, line.attributes))
                for line in request.lines
            }
        else:  # no rules at all, so no line rules
            line_rules = {line.line_id: [] for line in request.lines}
        allowed = self._line_eligibility(request, line_rules, eligible, at, routes, locations, eliminated)
        problem = self._problem(request, strategy, locations, eligible, at, allowed, routes, card, pickup=pickup)
        return Prepared(now, rule_name, strategy, routes, eliminated, eligible, ordered, line_rules, problem)

    # --- eligibility --------------------------------------------------------------------------------

    def _order_elimination(
        self,
        request: SourcingRequest,
        candidate: Candidate,
        route: Route,
        locations: Eligibility,
        rule: str,
        now: datetime,
        *,
        pickup: bool,
    ) -> Elimination | None:
        code = candidate.location

        def out(reason: str, by: str = rule) -> Elimination:
            return Elimination(code, by, reason)

        if code in request.excluded:
            return out("rejected this order before", "re-routing")
        if pickup and code != request.pickup_location:
            return out(f"not the pickup store {request.pickup_location}", "pickup")
        if locations.types is not None and candidate.type not in locations.types and not pickup:
            return out(f"location type {candidate.type} not in {sorted(locations.types)}")
        if locations.groups is not None and not (candidate.groups & locations.groups):
            return out(f"in none of the groups {sorted(locations.groups)}")
        if locations.tags is not None and not (candidate.tags & locations.tags):
            return out(f"has none of the tags {sorted(locations.tags)}")
        if locations.exclude is not None and code in locations.exclude:
            return out("excluded by name")
        if locations.dropship == "never" and candidate.type == LocationType.DROPSHIP_VENDOR:
            return out("drop-ship not allowed")
        if locations.max_distance_km is not None and not pickup:
            if route.distance_km is None:
                return out("distance unknown and a maximum distance applies")
            if route.distance_km > locations.max_distance_km:
                return out(f"{route.distance_km:.0f} km away, beyond {locations.max_distance_km:g} km")
        if locations.respect_capacity and candidate.orders_left is not None and candidate.orders_left <= 0:
            return out("daily order capacity reached", "capacity")
        if locations.respect_capacity and candidate.units_left is not None and candidate.units_left <= 0:
            return out("daily unit capacity reached", "capacity")
        if locations.before_cutoff and candidate.cutoff is not None:
            local = now.astimezone(zone_info(candidate.timezone))
            if local.time() > candidate.cutoff:
                return out(f"past today's cut-off {candidate.cutoff.strftime('%H:%M')} ({candidate.timezone})")
        return None

    def _line_eligibility(
        self,
        request: SourcingRequest,
        line_rules: Mapping[str, list[Rule]],
        eligible: Sequence[Candidate],
        at: Sequence[int],
        routes: Routes,
        locations: Eligibility,
        eliminated: list[Elimination],
    ) -> dict[int, set[str]]:
        """Per line, the eligible locations its line rules and the drop-ship policy leave it."""
        allowed: dict[int, set[str]] = {}
        every = {c.location for c in eligible}
        vendors = [c for c in eligible if c.type == LocationType.DROPSHIP_VENDOR]
        for index, line in enumerate(request.lines):
            codes = set(every)
            for rule in line_rules[line.line_id]:
                for candidate, position in zip(eligible, at, strict=True):
                    if candidate.location not in codes:
                        continue
                    why = _line_rule_reason(rule, candidate, routes[position])
                    if why is not None:
                        codes.discard(candidate.location)
                        _note(eliminated, candidate.location, rule.name, why, line.line_id)
            if vendors and locations.dropship == "vendor_only_skus":
                stocked_elsewhere = any(
                    c.type != LocationType.DROPSHIP_VENDOR and c.location in codes and c.available.get(line.sku, 0) > 0
                    for c in eligible
                )
                if stocked_elsewhere:
                    for candidate in vendors:
                        if candidate.location in codes:
                            codes.discard(candidate.location)
                            _note(
                                eliminated,
                                candidate.location,
                                "drop-ship",
                                "SKU stocked by our own locations",
                                line.line_id,
                            )
            allowed[index] = codes
        return allowed

    # --- costs ----------------------------------------------------------------------------------------

    def _problem(
        self,
        request: SourcingRequest,
        strategy: Strategy,
        locations: Eligibility,
        eligible: Sequence[Candidate],
        at: Sequence[int],
        allowed: Mapping[int, set[str]],
        routes: Routes,
        card: Any,
        *,
        pickup: bool,
    ) -> Problem:
        """The problem in numbers: a source per eligible location with something the order may take from it.

        Built along the candidates as arrays (stock and unit costs per location and line), from which both the
        sources and the problem's arrays are read, so the candidates' stock is read once."""
        costs = self.rules.costs
        w_ship, w_handle = strategy.weight("shipping"), strategy.weight("handling")
        w_late, w_opp = strategy.weight("lateness"), strategy.weight("opportunity")
        lines = request.lines
        needs = tuple(
            Need(
                sku=line.sku,
                quantity=line.quantity,
                unit_value=line.unit_price,
                unit_weight=float(line.weight_grams),
                # when stock is short, earlier lines are filled first: leaving them costs a hair more
                unfilled_cost=costs.unfilled_per_unit + LINE_ORDER_TIEBREAK * (len(lines) - index),
                alone=bool(line.attributes.get("ship_alone", False)) and not pickup,
            )
            for index, line in enumerate(lines)
        )
        skus, width, count = [line.sku for line in lines], len(lines), len(eligible)
        zeros = [0] * width
        stocked = chain.from_iterable([map(c.available.get, skus, zeros) for c in eligible])
        stock = np.fromiter(stocked, np.int64, count * width).reshape(count, width)
        may = stock > 0  # (location, line): the location holds the line's SKU and the rules let the line use it
        # whether line rules or the drop-ship policy leave some line fewer locations than the order
        everywhere = len({c.location for c in eligible})
        if any(len(codes) < everywhere for codes in allowed.values()):
            lets = [c.location in allowed[n] for c in eligible for n in range(width)]
            may &= np.array(lets, dtype=bool).reshape(count, width)
        kinds: dict[str, tuple[float, float]] = {}  # per location type: handling per order and per unit, weighted
        for kind in {c.type for c in eligible}:
            handling = costs.handling.get(kind)
            kinds[kind] = (w_handle * handling.per_order, w_handle * handling.per_unit) if handling else (0.0, 0.0)
        per_unit = np.array([kinds[c.type][1] for c in eligible], dtype=np.float64).reshape(count, 1)
        if w_opp and (self.opportunity or costs.scarcity.per_unit):
            extra = [w_opp * self._opportunity(c, sku) for c in eligible for sku in skus]
            cost = np.where(may, per_unit + np.array(extra, dtype=np.float64).reshape(count, width), INF)
        else:
            cost = np.where(may, per_unit, INF)
        kept = np.flatnonzero(may.any(axis=1))
        if len(kept) < count:  # locations with nothing the order may take from them are no source
            stock, cost, may = stock[kept], cost[kept], may[kept]
        legs = routes.legs
        # Lateness no location can avoid (an order placed long ago, a promise nobody can keep) is not a choice:
        # only the days beyond the least late eligible location cost, so a late order is still shipped.
        unavoidable = min((legs[position].days_late for position in at), default=0)
        late_per_day = w_late * costs.lateness_per_day
        tiers_in: dict[int, int] = {}  # per zone, the number of its tiers among the distinct ones
        distinct: list[tuple[tuple[float, float], ...]] = []
        rows: list[int] = []
        sources: list[Source] = []
        for row, prices, allows in zip(kept.tolist(), cost.tolist(), may.tolist(), strict=True):
            candidate = eligible[row]
            leg = legs[at[row]]
            zone = 0 if pickup else leg.zone_index  # pickup: nothing shipped, no tiers
            tiers_row = tiers_in.get(zone)
            if tiers_row is None:
                tiers_row = tiers_in[zone] = len(distinct)
                prices_in_zone = () if pickup else card.price_tiers(zone)
                distinct.append(tuple((limit, w_ship * price) for limit, price in prices_in_zone))
            rows.append(tiers_row)
            package_cost = kinds[candidate.type][0] + late_per_day * (leg.days_late - unavoidable)
            capacity = candidate.units_left if locations.respect_capacity else None
            # positional: a keyword call costs noticeably more, once per candidate
            sources.append(
                Source(
                    candidate.location,
                    candidate.available,
                    None,
                    package_cost,
                    distinct[tiers_row],
                    capacity,
                    (prices, allows),
                )
            )
        problem = Problem(
            needs=needs,
            sources=tuple(sources),
            max_shipments=strategy.max_shipments,
            complete=strategy.split == "ship_complete",
            min_split_value=strategy.min_split_value or 0.0,
            split_cost=strategy.weight("split") * costs.split_penalty,
        )
        return problem.with_arrays(stock, cost, distinct, rows)

    def _opportunity(self, candidate: Candidate, sku: str) -> float:
        cost = self.opportunity.get((candidate.location, sku), 0.0)
        scarcity = self.rules.costs.scarcity
        if scarcity.per_unit and candidate.available.get(sku, 0) <= scarcity.below_units:
            cost += scarcity.per_unit
        return cost

    # --- explanation ----------------------------------------------------------------------------------


def _facts(request: SourcingRequest) -> OrderFacts:
    return OrderFacts(
        channel=request.channel,
        delivery_method=request.method.value,
        service_level=request.service_level,
        country=request.country,
        region=request.region,
        order_value=request.order_value,
        customer_tags=request.customer_tags,
    )


def _line_rule_reason(rule: Rule, candidate: Candidate, route: Route) -> str | None:
    narrow = rule.locations
    if narrow.types is not None and candidate.type not in narrow.types:
        return f"location type {candidate.type} not in {sorted(narrow.types)}"
    if narrow.groups is not None and not (candidate.groups & narrow.groups):
        return f"in none of the groups {sorted(narrow.groups)}"
    if narrow.tags is not None and not (candidate.tags & narrow.tags):
        return f"has none of the tags {sorted(narrow.tags)}"
    if narrow.exclude is not None and candidate.location in narrow.exclude:
        return "excluded by name"
    if narrow.dropship == "never" and candidate.type == LocationType.DROPSHIP_VENDOR:
        return "drop-ship not allowed"
    if narrow.max_distance_km is not None and (route.distance_km is None or route.distance_km > narrow.max_distance_km):
        return f"beyond {narrow.max_distance_km:g} km"
    return None


def _note(eliminated: list[Elimination], location: str, rule: str, reason: str, line_id: str) -> None:
    for entry in eliminated:
        if entry.location == location and entry.rule == rule and entry.reason == reason and entry.lines is not None:
            entry.lines.append(line_id)
            return
    eliminated.append(Elimination(location, rule, reason, [line_id]))


def _allocations(
    request: SourcingRequest, problem: Problem, solution: Solution
) -> tuple[tuple[Allocation, ...], dict[str, int]]:
    allocations = tuple(
        Allocation(request.lines[n].line_id, problem.sources[s].key, units) for n, s, units in solution.take
    )
    backordered = {
        line.line_id: left for line, left in zip(request.lines, unfilled_units(problem, solution), strict=True) if left
    }
    return allocations, backordered
