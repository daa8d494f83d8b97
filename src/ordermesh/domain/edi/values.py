"""X12 data element types as Python values: dates (DT), times (TM), decimals (R), integers (N0), amounts (N2)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)")
_INTEGER = re.compile(r"-?\d+")
_TIME_LENGTHS = (4, 6, 7, 8)


def parse_date(text: str) -> date | None:
    """A CCYYMMDD date, or YYMMDD read as 20YY; None when it is neither or no such day exists."""
    if not text.isdigit() or len(text) not in (6, 8):
        return None
    if len(text) == 6:
        text = "20" + text
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    """An HHMM, HHMMSS, HHMMSSD or HHMMSSDD time; None when it is none of them."""
    if not text.isdigit() or len(text) not in _TIME_LENGTHS:
        return None
    hours, minutes = int(text[:2]), int(text[2:4])
    seconds = int(text[4:6]) if len(text) >= 6 else 0
    fraction = text[6:]
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    try:
        return time(hours, minutes, seconds, micro)
    except ValueError:
        return None


def combine(day: date, at: time | None) -> datetime:
    """A naive date and time, midnight when the time is absent."""
    return datetime.combine(day, at or time())


def format_date(day: date, *, century: bool = True) -> str:
    """CCYYMMDD, or YYMMDD for ISA09."""
    return day.strftime("%Y%m%d" if century else "%y%m%d")


def format_time(at: time, *, seconds: bool = False) -> str:
    """HHMM, or HHMMSS when asked (or when the time has seconds that HHMM would lose)."""
    if seconds or at.second:
        return at.strftime("%H%M%S")
    return at.strftime("%H%M")


def parse_decimal(text: str) -> Decimal | None:
    """An R (decimal) value: optional minus, digits, optional decimal point; no exponent, no plus sign."""
    if not _DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        return None


def parse_integer(text: str) -> int | None:
    """An N0 (integer) value; an R value with no fraction (`12.0`) counts as an integer too."""
    if _INTEGER.fullmatch(text):
        return int(text)
    value = parse_decimal(text)
    if value is not None and value == value.to_integral_value():
        return int(value)
    return None


def format_decimal(value: Decimal | int) -> str:
    """An R value: no exponent, no trailing zeros after the point, no point for whole numbers."""
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def parse_implied(text: str, places: int = 2) -> Decimal | None:
    """An N2 value (implied decimal places): `1999` is 19.99."""
    if not _INTEGER.fullmatch(text):
        return None
    return Decimal(int(text)).scaleb(-places)


def format_implied(value: Decimal, places: int = 2) -> str:
    """An N2 value: 19.99 is `1999`. Raises ValueError when the amount has more decimal places."""
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {places} decimal places")
    return str(int(scaled))
