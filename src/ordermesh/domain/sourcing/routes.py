"""How an order would travel from each candidate: distance, zone, ship and arrival dates, days late."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from ordermesh.domain.geo import EARTH_RADIUS_KM
from ordermesh.domain.orders import DeliveryMethod
from ordermesh.domain.sourcing.model import Candidate, SourcingRequest
from ordermesh.domain.sourcing.rules import CostModel


class Route(NamedTuple):
    distance_km: float | None
    zone: str | None
    zone_index: int  # in the service level's rate card (0 for pickup: no shipping)
    transit_days: int
    ships_on: date
    arrives_on: date
    promised_on: date | None
    days_late: int


def plan_route(costs: CostModel, request: SourcingRequest, candidate: Candidate, now: datetime) -> Route:
    """How the order would travel from one candidate (see `plan_routes`)."""
    return plan_routes(costs, request, [candidate], now)[0]


def plan_routes(
    costs: CostModel, request: SourcingRequest, candidates: Sequence[Candidate], now: datetime
) -> list[Route]:
    """How the order would travel from each candidate: its working day (cut-off, processing days, in the
    location's time zone), the rate card's zone and transit days, and the days late against the promise.

    Distances are computed for all candidates at once; the calendar for each distinct (time zone, cut-off,
    processing days) once.
    """
    distances = _distances(request, candidates)
    days: dict[tuple[str, time | None, int], tuple[date, date]] = {}
    pickup = request.method == DeliveryMethod.PICKUP
    card = costs.rate_card(request.service_level)
    limits = [zone.max_km for zone in card.zones]
    last = len(limits) - 1
    promise = timedelta(days=costs.promise(request.service_level))
    placed_at = request.placed_at or now
    routes: list[Route] = []
    trips: dict[tuple[tuple[date, date], int], tuple[date, int]] = {}  # (calendar, zone): arrival, days late
    for candidate, distance in zip(candidates, distances, strict=True):
        key = (candidate.timezone, candidate.cutoff, candidate.processing_days)
        calendar = days.get(key)
        if calendar is None:
            calendar = days[key] = _calendar(key, now, placed_at, promise)
        ships_on, promised = calendar
        if pickup:
            routes.append(Route(distance, None, 0, 0, ships_on, ships_on, None, 0))
            continue
        # an unknown distance falls in the farthest zone
        index = last if distance is None else min(bisect.bisect_left(limits, distance), last)
        zone = card.zones[index]
        trip = trips.get((calendar, index))
        if trip is None:
            arrives_on = ships_on + timedelta(days=zone.transit_days)
            trip = trips[(calendar, index)] = (arrives_on, max(0, (arrives_on - promised).days))
        routes.append(Route(distance, zone.name, index, zone.transit_days, ships_on, trip[0], promised, trip[1]))
    return routes


def _calendar(
    key: tuple[str, time | None, int], now: datetime, placed_at: datetime, promise: timedelta
) -> tuple[date, date]:
    """(the day a location ships an order received now, the day the order was promised for), local dates."""
    timezone, cutoff, processing_days = key
    local = now.astimezone(zone_info(timezone))
    ships_on = local.date()
    if cutoff is not None and local.time() > cutoff:
        ships_on += timedelta(days=1)
    ships_on += timedelta(days=processing_days)
    return ships_on, placed_at.astimezone(zone_info(timezone)).date() + promise


def _distances(request: SourcingRequest, candidates: Sequence[Candidate]) -> list[float | None]:
    """Great-circle distances from each candidate to the destination (None where either is unknown)."""
    destination = request.destination
    if destination is None:
        return [None] * len(candidates)
    known = [c.point is not None for c in candidates]
    located = [(c.point.lat, c.point.lon) for c in candidates if c.point is not None]
    # (lat, lon) rows read straight into one array: the same (n, 2) array np.array would build, sooner
    points = np.radians(np.fromiter(chain.from_iterable(located), np.float64, 2 * len(located)).reshape(-1, 2))
    found: list[float | None] = [None] * len(candidates)
    if len(points):
        lat, lon = math.radians(destination.lat), math.radians(destination.lon)
        a = (
            np.sin((points[:, 0] - lat) / 2) ** 2
            + math.cos(lat) * np.cos(points[:, 0]) * np.sin((points[:, 1] - lon) / 2) ** 2
        )
        values = iter((2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))).tolist())
        found = [next(values) if k else None for k in known]
    return found


@lru_cache(maxsize=256)
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)
