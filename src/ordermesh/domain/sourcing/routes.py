"""How an order would travel from each candidate: distance, zone, ship and arrival dates, days late."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from ordermesh.domain.geo import EARTH_RADIUS_KM
from ordermesh.domain.orders import DeliveryMethod
from ordermesh.domain.sourcing.model import Candidate, SourcingRequest
from ordermesh.domain.sourcing.rules import CostModel, Zone

FloatArray = NDArray[np.float64]


class Leg(NamedTuple):
    """A route but its distance: the same for every candidate with one calendar in one zone."""

    zone: str | None
    zone_index: int  # in the service level's rate card (0 for pickup: no shipping)
    transit_days: int
    ships_on: date
    arrives_on: date
    promised_on: date | None
    days_late: int


class Route(NamedTuple):
    distance_km: float | None
    zone: str | None
    zone_index: int
    transit_days: int
    ships_on: date
    arrives_on: date
    promised_on: date | None
    days_late: int


class Routes:
    """The routes of candidates, by their position: a distance each, and one of a few shared legs."""

    __slots__ = ("_array", "distances", "legs")

    def __init__(self, distances: list[float | None], array: FloatArray, legs: list[Leg]) -> None:
        self.distances = distances
        self.legs = legs  # per candidate; candidates sharing a calendar and a zone share the object
        self._array = array  # the distances, nan where unknown

    def rounded(self) -> list[float]:
        """The distances to 0.1 km (nan where unknown), for people."""
        return np.round(self._array, 1).tolist()  # type: ignore[no-any-return]

    def __getitem__(self, position: int) -> Route:
        return Route(self.distances[position], *self.legs[position])

    def __len__(self) -> int:
        return len(self.legs)


def plan_route(costs: CostModel, request: SourcingRequest, candidate: Candidate, now: datetime) -> Route:
    """How the order would travel from one candidate (see `plan_routes`)."""
    return plan_routes(costs, request, [candidate], now)[0]


def plan_routes(costs: CostModel, request: SourcingRequest, candidates: Sequence[Candidate], now: datetime) -> Routes:
    """How the order would travel from each candidate: its working day (cut-off, processing days, in the
    location's time zone), the rate card's zone and transit days, and the days late against the promise.

    Distances and zones are computed for all candidates at once; the calendar for each distinct (time zone,
    cut-off, processing days) once, and the leg for each distinct calendar and zone once.
    """
    distances, known = _distances(request, candidates)
    pickup = request.method == DeliveryMethod.PICKUP
    card = costs.rate_card(request.service_level)
    last = len(card.zones) - 1
    if pickup or not candidates:
        zones = [0] * len(candidates)
    else:
        limits = np.array([zone.max_km for zone in card.zones], dtype=np.float64)
        # the first zone whose limit the distance does not exceed; an unknown distance (nan) falls in the farthest
        zones = np.minimum(np.searchsorted(limits, known, side="left"), last).tolist()
    promise = timedelta(days=costs.promise(request.service_level))
    placed_at = request.placed_at or now
    keys = [(c.timezone, c.cutoff, c.processing_days) for c in candidates]
    distinct = dict.fromkeys(keys)  # in the order first seen
    calendars = [_calendar(key, now, placed_at, promise) for key in distinct]
    spread = max(1, len(card.zones))
    if len(calendars) == 1:  # the usual case: every candidate works to one calendar
        paths = zones
    else:  # a number per (calendar, zone)
        number = {key: index for index, key in enumerate(distinct)}
        paths = [number[key] * spread + zone for key, zone in zip(keys, zones, strict=True)]
    leg_of = {}
    for path in dict.fromkeys(paths):
        calendar, zone = divmod(path, spread)
        leg_of[path] = _leg(None if pickup else card.zones[zone], zone, calendars[calendar])
    legs = list(map(leg_of.__getitem__, paths))
    return Routes(distances, known, legs)


def _leg(zone: Zone | None, index: int, calendar: tuple[date, date]) -> Leg:
    ships_on, promised = calendar
    if zone is None:  # pickup: handed over where it is, on the day it is ready
        return Leg(None, 0, 0, ships_on, ships_on, None, 0)
    arrives_on = ships_on + timedelta(days=zone.transit_days)
    late = max(0, (arrives_on - promised).days)
    return Leg(zone.name, index, zone.transit_days, ships_on, arrives_on, promised, late)


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


def _distances(request: SourcingRequest, candidates: Sequence[Candidate]) -> tuple[list[float | None], FloatArray]:
    """Great-circle distances from each candidate to the destination, as a list (None where either place is
    unknown) and as an array (nan there)."""
    destination = request.destination
    if destination is None:
        return [None] * len(candidates), np.full(len(candidates), math.nan)
    located = [(c.point.lat, c.point.lon) for c in candidates if c.point is not None]
    # (lat, lon) rows read straight into one array: the same (n, 2) array np.array would build, sooner
    points = np.radians(np.fromiter(chain.from_iterable(located), np.float64, 2 * len(located)).reshape(-1, 2))
    lat, lon = math.radians(destination.lat), math.radians(destination.lon)
    a = (
        np.sin((points[:, 0] - lat) / 2) ** 2
        + math.cos(lat) * np.cos(points[:, 0]) * np.sin((points[:, 1] - lon) / 2) ** 2
    )
    distances = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    if len(located) == len(candidates):
        return distances.tolist(), distances
    values = iter(distances.tolist())
    found = [None if c.point is None else next(values) for c in candidates]
    return found, np.array([math.nan if d is None else d for d in found], dtype=np.float64)


@lru_cache(maxsize=256)
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)
