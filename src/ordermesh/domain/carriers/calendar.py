"""Carrier calendars: the day a package leaves (pickup days, cut-off, holidays) and the day it arrives."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta

# A week holds at least one working day (the document requires one), so a search ends within the
# holidays plus a week; this bound only guards against a calendar of nothing but holidays.
_MAX_SEARCH_DAYS = 400


def pickup_date(
    ready_local: datetime, *, cutoff: time | None, pickup_days: Collection[int], holidays: Collection[date]
) -> date:
    """The first pickup day on which packages ready at this local time leave (after the cut-off: not today)."""
    day = ready_local.date()
    if cutoff is not None and ready_local.time() > cutoff:
        day += timedelta(days=1)
    return _next_working(day, pickup_days, holidays)


def delivery_date(
    shipped: date, transit_days: int, *, delivery_days: Collection[int], holidays: Collection[date]
) -> date:
    """The day a package arrives after `transit_days` of the service's delivery days (holidays skipped)."""
    day = shipped
    for _ in range(transit_days):
        day = _next_working(day + timedelta(days=1), delivery_days, holidays)
    return day


def _next_working(day: date, working: Collection[int], holidays: Collection[date]) -> date:
    for _ in range(_MAX_SEARCH_DAYS):
        if day.weekday() in working and day not in holidays:
            return day
        day += timedelta(days=1)
    raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days of {day}")
