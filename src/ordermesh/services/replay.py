"""One replay of the sourcing sandbox: past orders planned in turn on a private copy of stock and capacity.

`replay` reads a `Replay` (the orders' engine requests, the stock at the start of the range and what arrived
later) and returns the KPIs; it writes nothing. `services.simulation` loads the inputs and stores the run.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ordermesh.domain.catalog import Capability, Location, LocationType
from ordermesh.domain.inventory import Movement
from ordermesh.domain.orders import Allocation, DeliveryMethod
from ordermesh.domain.sourcing import AllocationPlan, Candidate, SourcingRequest
from ordermesh.domain.sourcing.engine import SourcingEngine
from ordermesh.domain.sourcing.routes import plan_route
from ordermesh.domain.sourcing.rules import RuleSet
from ordermesh.services.allocation import with_profile


@dataclass
class StockCell:
    """One simulated stock row."""

    on_hand: int
    reserved: int
    safety_stock: int

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved - self.safety_stock)


@dataclass(frozen=True)
class Replay:
    """What a replay reads: the orders' engine requests, the stock at t0 and the stock that arrives later."""

    requests: tuple[SourcingRequest, ...]  # by (placed_at, order id)
    network: Mapping[str, Location]
    stock: Mapping[tuple[str, str], StockCell]  # (location, sku) at t0
    arrivals: tuple[Movement, ...]  # receipts, adjustments and counts after t0, by time


def stock_at(
    rows: Iterator[tuple[str, str, int, int, int]], changes: Mapping[tuple[str, str], tuple[int, int]]
) -> dict[tuple[str, str], StockCell]:
    """Each (location, sku, on_hand, reserved, safety_stock) row as it was at t0, given the ledger's summed
    (on-hand, reserved) deltas since then; safety stock is today's."""
    cells: dict[tuple[str, str], StockCell] = {}
    for location, sku, on_hand, reserved, safety in rows:
        on_hand_delta, reserved_delta = changes.get((location, sku), (0, 0))
        cells[(location, sku)] = StockCell(max(0, on_hand - on_hand_delta), max(0, reserved - reserved_delta), safety)
    return cells


def replay(
    inputs: Replay, engine: SourcingEngine, rules: RuleSet, *, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Plan every request in turn on a private copy of the stock and capacity; return the KPIs."""
    started = time.perf_counter()
    copy = _Copy(inputs)
    tally = Tally(rules.costs.currency)
    arrivals = iter(inputs.arrivals)
    arrival = next(arrivals, None)
    for done, request in enumerate(inputs.requests, start=1):
        assert request.now is not None
        while arrival is not None and arrival.at <= request.now:
            copy.receive(arrival)
            arrival = next(arrivals, None)
        candidates = copy.candidates(request, inputs.network)
        allocations = copy.take(engine.plan(request, candidates), request, inputs.network)
        by_code = {c.location: c for c in candidates}
        units: dict[str, int] = defaultdict(int)
        for allocation in allocations:
            units[allocation.location] += allocation.quantity
        # The plan's cost depends only on the locations it uses: pricing it among those alone is the same
        # number, at a fraction of the work of pricing it among every candidate again.
        cost = engine.cost_of(request, [by_code[code] for code in sorted(units)], allocations)
        shipments = [
            Shipped(code, by_code[code].type, n, *_distance_and_lateness(rules, request, by_code[code]))
            for code, n in units.items()
        ]
        tally.add(shipments, sum(line.quantity for line in request.lines) - sum(units.values()), cost)
        if progress is not None:
            progress(done)
    return tally.kpis(copy.work, inputs.network, time.perf_counter() - started)


class _Copy:
    """The simulated stock and capacity ledger of one replay."""

    def __init__(self, inputs: Replay) -> None:
        self.cells = {key: replace(cell) for key, cell in inputs.stock.items()}
        self.by_sku: dict[str, dict[str, StockCell]] = defaultdict(dict)
        for (location, sku), cell in sorted(self.cells.items()):
            self.by_sku[sku][location] = cell
        self.work: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (location, day): orders, units

    def receive(self, movement: Movement) -> None:
        cell = self.cells.get((movement.location, movement.sku))
        if cell is None:
            cell = self.cells[(movement.location, movement.sku)] = StockCell(0, 0, 0)
            self.by_sku[movement.sku][movement.location] = cell
        cell.on_hand = max(0, cell.on_hand + movement.on_hand_delta)

    def candidates(self, request: SourcingRequest, network: Mapping[str, Location]) -> list[Candidate]:
        """As `allocation.candidates_for`, on the copy: locations with the capability and units of the SKUs."""
        pickup = request.method == DeliveryMethod.PICKUP
        capability = Capability.PICKUP if pickup else Capability.SHIP
        found: dict[str, dict[str, int]] = {}
        for sku in request.skus:
            for code, cell in self.by_sku.get(sku, {}).items():
                location = network.get(code)
                if location is None or not location.can(capability) or (pickup and code != request.pickup_location):
                    continue
                if cell.available > 0:
                    found.setdefault(code, {})[sku] = cell.available
        return [self._profiled(network[code], available, request) for code, available in sorted(found.items())]

    def _profiled(self, location: Location, available: dict[str, int], request: SourcingRequest) -> Candidate:
        """As live sourcing, with the simulated capacity used on the request's working day."""
        assert request.now is not None
        profile = location.profile
        used = None
        if profile.limited:
            orders, units = self.work.get((location.code, profile.working_day(request.now).isoformat()), (0, 0))
            used = (orders, units)
        return with_profile(Candidate(location.code, location.address.point, available), location, used)

    def take(
        self, plan: AllocationPlan, request: SourcingRequest, network: Mapping[str, Location]
    ) -> tuple[Allocation, ...]:
        """Take the plan's capacity and stock; as live sourcing, a plan beyond a location's capacity is not taken."""
        assert request.now is not None
        units_at: dict[str, int] = defaultdict(int)
        for allocation in plan.allocations:
            units_at[allocation.location] += allocation.quantity
        days = {code: network[code].profile.working_day(request.now).isoformat() for code in units_at}
        for code, units in units_at.items():
            profile = network[code].profile
            orders_used, units_used = self.work.get((code, days[code]), (0, 0))
            if (profile.daily_order_capacity is not None and orders_used + 1 > profile.daily_order_capacity) or (
                profile.daily_unit_capacity is not None and units_used + units > profile.daily_unit_capacity
            ):
                return ()
        for code, units in units_at.items():
            used = self.work[(code, days[code])]
            used[0] += 1
            used[1] += units
        sku_of = {line.line_id: line.sku for line in request.lines}
        for allocation in plan.allocations:
            self.cells[(allocation.location, sku_of[allocation.line_id])].reserved += allocation.quantity
        return plan.allocations


@dataclass(frozen=True)
class Shipped:
    """The units of one replayed order that one location ships."""

    location: str
    type: str
    units: int
    distance_km: float | None
    days_late: int


@dataclass
class Tally:
    """KPIs of one rule set over the replayed orders.

    Split rate and on-time rate are shares of the orders that got at least one unit; mean distance is per unit
    shipped (pickups and unknown distances left out); cost is the engine's cost of each order's plan, in the
    rule set's currency, the penalty for unfilled units included.
    """

    currency: str
    orders: int = 0
    cost: float = 0.0
    unpriced: int = 0
    served: int = 0
    split: int = 0
    on_time: int = 0
    units: int = 0
    store_units: int = 0
    km_units: float = 0.0
    located_units: int = 0
    unfilled_units: int = 0
    shipments: int = 0

    def add(self, shipments: Sequence[Shipped], unfilled: int, cost: float | None) -> None:
        self.orders += 1
        self.unfilled_units += unfilled
        if cost is None:
            self.unpriced += 1
        else:
            self.cost += cost
        if not shipments:
            return
        self.served += 1
        self.shipments += len(shipments)
        self.split += len({s.location for s in shipments}) > 1
        self.on_time += all(s.days_late == 0 for s in shipments)
        for shipment in shipments:
            self.units += shipment.units
            if shipment.type == LocationType.STORE:
                self.store_units += shipment.units
            if shipment.distance_km is not None:
                self.km_units += shipment.distance_km * shipment.units
                self.located_units += shipment.units

    def kpis(
        self, work: Mapping[tuple[str, str], Sequence[int]], network: Mapping[str, Location], elapsed: float
    ) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "orders_replayed": self.orders,
            "cost": {"total": round(self.cost, 4), "per_order": _ratio(self.cost, self.orders)},
            "split_rate": _ratio(self.split, self.served),
            "mean_distance_km": _ratio(self.km_units, self.located_units, 1),
            "on_time_rate": _ratio(self.on_time, self.served),
            "store_unit_share": _ratio(self.store_units, self.units),
            "units_allocated": self.units,
            "unfillable_units": self.unfilled_units,
            "orders_allocated": self.served,
            "shipments": self.shipments,
            "orders_unpriced": self.unpriced,
            "capacity": capacity_use(work, network),
            "elapsed_seconds": round(elapsed, 3),
        }


def _ratio(part: float, whole: float, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def capacity_use(work: Mapping[tuple[str, str], Sequence[int]], network: Mapping[str, Location]) -> dict[str, Any]:
    """Orders and units per location per working day, beside the location's daily capacity."""
    days: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for (code, day), (orders, units) in sorted(work.items()):
        days[code][day] = {"orders": orders, "units": units}
    use: dict[str, Any] = {}
    for code, per_day in days.items():
        profile = network[code].profile if code in network else None
        order_cap = profile.daily_order_capacity if profile else None
        unit_cap = profile.daily_unit_capacity if profile else None
        for entry in per_day.values():
            entry["order_use"] = _ratio(entry["orders"], order_cap or 0)
            entry["unit_use"] = _ratio(entry["units"], unit_cap or 0)
        use[code] = {
            "order_capacity": order_cap,
            "unit_capacity": unit_cap,
            "orders": sum(entry["orders"] for entry in per_day.values()),
            "units": sum(entry["units"] for entry in per_day.values()),
            "peak_order_use": _peak(per_day, "order_use"),
            "peak_unit_use": _peak(per_day, "unit_use"),
            "days": per_day,
        }
    return use


def _peak(per_day: Mapping[str, Mapping[str, Any]], key: str) -> float | None:
    values = [entry[key] for entry in per_day.values() if entry[key] is not None]
    return max(values) if values else None


COMPARED = (
    "orders_replayed",
    "split_rate",
    "mean_distance_km",
    "on_time_rate",
    "store_unit_share",
    "units_allocated",
    "unfillable_units",
    "orders_allocated",
    "shipments",
    "elapsed_seconds",
)


def difference(draft: Mapping[str, Any], active: Mapping[str, Any]) -> dict[str, Any]:
    """Draft minus active for every KPI (cost only when both rule sets count in the same currency)."""
    diff: dict[str, Any] = {key: _minus(draft[key], active[key]) for key in COMPARED}
    same = draft["currency"] == active["currency"]
    diff["cost"] = {key: _minus(draft["cost"][key], active["cost"][key]) if same else None for key in draft["cost"]}
    codes = sorted(set(draft["capacity"]) | set(active["capacity"]))
    empty = {"orders": 0, "units": 0}
    diff["capacity"] = {
        code: {
            key: draft["capacity"].get(code, empty)[key] - active["capacity"].get(code, empty)[key]
            for key in ("orders", "units")
        }
        for code in codes
    }
    return diff


def _minus(draft: float | None, active: float | None) -> float | None:
    if draft is None or active is None:
        return None
    return round(draft - active, 4)


def _distance_and_lateness(rules: RuleSet, request: SourcingRequest, candidate: Candidate) -> tuple[float | None, int]:
    """(distance in km, days late) of shipping from the candidate, exactly as the engine prices it."""
    assert request.now is not None
    route = plan_route(rules.costs, request, candidate, request.now)
    return route.distance_km, route.days_late
