"""Reading a rate-card document (YAML or JSON data) into `RateCards`, with errors that name their path.

`parse_rate_cards` either returns the parsed cards or raises `RateCardsInvalid` listing every problem
(`carriers[1].services[0].zones[2].max_km: must be greater than the previous zone's 600`).

    schema: 1
    currency: USD
    carriers:
      - code: ups
        name: UPS
        aliases: [United Parcel Service]
        holidays: ["2026-12-25"]
        services:
          - code: ground
            name: UPS Ground
            service_levels: [standard]
            zone_basis: distance          # or postal_prefix
            pickup_cutoff: "17:00"        # ship-from local time
            pickup_days: [mon, tue, wed, thu, fri]
            delivery_days: [mon, tue, wed, thu, fri]
            dim_divisor: 5000             # cm³ per kg; omit to price actual weight only
            per_package: 0.00
            fuel_surcharge_pct: 16.25
            residential_surcharge: 5.85
            origin_countries: [US]
            destination_countries: [US]
            zones:                        # distance: max_km ascending; postal_prefix: destinations (+ origins)
              - {zone: "2", max_km: 250, transit_days: 1}
            weights:                      # max_grams (or max_kg) ascending, one price per zone
              - {max_grams: 454, prices: [9.85]}
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

from ordermesh.domain.carriers.model import (
    MONDAY_TO_FRIDAY,
    WEEKDAYS,
    Carrier,
    RateCards,
    RateCardsInvalid,
    Service,
    WeightTier,
    Zone,
    ZoneBasis,
    carrier_key,
    postal_key,
)
from ordermesh.domain.money import is_currency

SCHEMA_VERSION = 1
MAX_PRICE = Decimal(1_000_000)

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

_SERVICE_FIELDS = (
    "code",
    "name",
    "service_levels",
    "zone_basis",
    "pickup_cutoff",
    "pickup_days",
    "delivery_days",
    "dim_divisor",
    "per_package",
    "fuel_surcharge_pct",
    "residential_surcharge",
    "origin_countries",
    "destination_countries",
    "zones",
    "weights",
)


class _Checker:
    """Collects every problem of a document with its path, so one answer lists them all."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def mapping(self, value: Any, path: str, allowed: Sequence[str], required: Sequence[str] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, got {_kind(value)}")
            return {}
        for key in value:
            if key not in allowed:
                self.fail(_join(path, str(key)), f"unknown field '{key}'; one of {', '.join(allowed)}")
        for key in required:
            if key not in value:
                self.fail(_join(path, key), "is required")
        return value

    def items(self, value: Any, path: str, what: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            self.fail(path, f"must be a non-empty list of {what}, got {_kind(value)}")
            return []
        return value

    def text(self, value: Any, path: str, *, pattern: re.Pattern[str] | None = None, hint: str = "") -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"must be a non-empty string, got {_kind(value)}")
            return None
        if pattern is not None and not pattern.match(value):
            self.fail(path, f"must be {hint}, got '{value}'")
            return None
        return value.strip()

    def texts(self, value: Any, path: str, **kwargs: Any) -> list[str]:
        found = []
        for index, entry in enumerate(self.items(value, path, "strings")):
            text = self.text(entry, f"{path}[{index}]", **kwargs)
            if text is not None:
                found.append(text)
        return found

    def amount(self, value: Any, path: str, *, maximum: Decimal = MAX_PRICE) -> Decimal | None:
        """A non-negative money amount or percentage, from a JSON number or a decimal string."""
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(path, f"must be a number or a decimal string, got {_kind(value)}")
            return None
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(path, f"must be a decimal amount, got '{value}'")
            return None
        if not amount.is_finite() or amount < 0 or amount > maximum:
            self.fail(path, f"must be between 0 and {maximum}, got {value}")
            return None
        return amount

    def count(self, value: Any, path: str, *, minimum: int = 0, maximum: int = 10**9) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"must be an integer, got {_kind(value)}")
            return None
        if not minimum <= value <= maximum:
            self.fail(path, f"must be between {minimum} and {maximum}, got {value}")
            return None
        return value

    def days(self, value: Any, path: str) -> frozenset[int] | None:
        days = set()
        for index, entry in enumerate(self.items(value, path, "weekdays")):
            if entry not in WEEKDAYS:
                self.fail(f"{path}[{index}]", f"must be one of {', '.join(WEEKDAYS)}, got {_show(entry)}")
            else:
                days.add(WEEKDAYS.index(entry))
        return frozenset(days) if days else None


def parse_rate_cards(document: Any) -> RateCards:
    """Validate a rate-card document and return its parsed form, or raise `RateCardsInvalid` naming every problem."""
    check = _Checker()
    doc = check.mapping(document, "", ("schema", "description", "currency", "carriers"), ("currency", "carriers"))
    if "schema" in doc and doc["schema"] != SCHEMA_VERSION:
        check.fail(
            "schema", f"unsupported schema version {_show(doc['schema'])}; this Ordermesh reads {SCHEMA_VERSION}"
        )
    if "description" in doc and not isinstance(doc["description"], str):
        check.fail("description", f"must be a string, got {_kind(doc['description'])}")
    currency = doc.get("currency")
    if "currency" in doc and not (isinstance(currency, str) and is_currency(currency)):
        check.fail("currency", f"must be an ISO 4217 code such as USD, got {_show(currency)}")
    carriers: list[Carrier] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(check.items(doc.get("carriers"), "carriers", "carriers") if "carriers" in doc else []):
        path = f"carriers[{index}]"
        carrier = _carrier(check, raw, path)
        if carrier is None:
            continue
        for name in (carrier.code, *carrier.aliases):
            key = carrier_key(name)
            if seen.get(key, path) != path:
                check.fail(path, f"'{name}' also names {seen[key]}")
            seen[key] = path
        carriers.append(carrier)
    if check.problems:
        raise RateCardsInvalid(check.problems)
    assert isinstance(currency, str)
    return RateCards(currency, tuple(carriers))


def _carrier(check: _Checker, raw: Any, path: str) -> Carrier | None:
    doc = check.mapping(raw, path, ("code", "name", "aliases", "holidays", "services"), ("code", "name", "services"))
    code = check.text(doc.get("code"), f"{path}.code", pattern=_CODE, hint="lower-case letters, digits, - or _")
    name = check.text(doc.get("name"), f"{path}.name")
    aliases = tuple(check.texts(doc["aliases"], f"{path}.aliases")) if "aliases" in doc else ()
    holidays = _holidays(check, doc["holidays"], f"{path}.holidays") if "holidays" in doc else frozenset()
    services: list[Service] = []
    codes: set[str] = set()
    for index, raw_service in enumerate(check.items(doc.get("services"), f"{path}.services", "services")):
        where = f"{path}.services[{index}]"
        service = _service(check, raw_service, where, code or "?")
        if service is None:
            continue
        if service.code in codes:
            check.fail(f"{where}.code", f"a second service '{service.code}' for this carrier")
        codes.add(service.code)
        services.append(service)
    if code is None or name is None:
        return None
    return Carrier(code, name, tuple(services), aliases, holidays)


def _holidays(check: _Checker, raw: Any, path: str) -> frozenset[date]:
    if not isinstance(raw, list):
        check.fail(path, f"must be a list of dates, got {_kind(raw)}")
        return frozenset()
    days = set()
    for index, value in enumerate(raw):
        try:
            days.add(date.fromisoformat(value))
        except (TypeError, ValueError):
            check.fail(f"{path}[{index}]", f"must be a date such as 2026-12-25, got {_show(value)}")
    return frozenset(days)


def _service(check: _Checker, raw: Any, path: str, carrier: str) -> Service | None:
    doc = check.mapping(raw, path, _SERVICE_FIELDS, ("code", "name", "service_levels", "zones", "weights"))
    if not doc:
        return None
    before = len(check.problems)
    code = check.text(doc.get("code"), f"{path}.code", pattern=_CODE, hint="lower-case letters, digits, - or _")
    name = check.text(doc.get("name"), f"{path}.name")
    levels = frozenset(check.texts(doc.get("service_levels"), f"{path}.service_levels"))
    basis: ZoneBasis | None = ZoneBasis.DISTANCE
    if "zone_basis" in doc:
        basis = next((b for b in ZoneBasis if b.value == doc["zone_basis"]), None)
        if basis is None:  # the zones cannot be read without it: they are not checked either
            check.fail(f"{path}.zone_basis", f"must be distance or postal_prefix, got {_show(doc['zone_basis'])}")
    zones = _zones(check, doc.get("zones"), f"{path}.zones", basis) if basis is not None else []
    tiers = _tiers(check, doc.get("weights"), f"{path}.weights", len(zones))
    cutoff = None
    if "pickup_cutoff" in doc:
        text = check.text(doc["pickup_cutoff"], f"{path}.pickup_cutoff", pattern=_CLOCK, hint="a 24-hour HH:MM time")
        cutoff = time.fromisoformat(text) if text else None
    pickup = check.days(doc["pickup_days"], f"{path}.pickup_days") if "pickup_days" in doc else MONDAY_TO_FRIDAY
    delivery = check.days(doc["delivery_days"], f"{path}.delivery_days") if "delivery_days" in doc else MONDAY_TO_FRIDAY
    divisor = check.count(doc["dim_divisor"], f"{path}.dim_divisor", minimum=1) if "dim_divisor" in doc else None
    fuel = check.amount(doc.get("fuel_surcharge_pct", 0), f"{path}.fuel_surcharge_pct", maximum=Decimal(100))
    per_package = check.amount(doc.get("per_package", 0), f"{path}.per_package")
    residential = check.amount(doc.get("residential_surcharge", 0), f"{path}.residential_surcharge")
    origins = _countries(check, doc, "origin_countries", path)
    destinations = _countries(check, doc, "destination_countries", path)
    if len(check.problems) > before or None in (code, name, fuel, per_package, residential, pickup, delivery):
        return None
    assert code and name and basis and fuel is not None and per_package is not None and residential is not None
    assert pickup is not None and delivery is not None
    return Service(
        carrier=carrier,
        code=code,
        name=name,
        service_levels=levels,
        zone_basis=basis,
        zones=tuple(zones),
        tiers=tuple(tiers),
        per_package=per_package,
        fuel_surcharge_pct=fuel,
        residential_surcharge=residential,
        pickup_cutoff=cutoff,
        pickup_days=pickup,
        delivery_days=delivery,
        dim_divisor=divisor,
        origin_countries=origins,
        destination_countries=destinations,
    )


def _countries(check: _Checker, doc: dict[str, Any], key: str, path: str) -> frozenset[str] | None:
    if key not in doc:
        return None
    hint = "an ISO 3166-1 alpha-2 code such as US"
    return frozenset(check.texts(doc[key], f"{path}.{key}", pattern=_COUNTRY, hint=hint))


def _zones(check: _Checker, raw: Any, path: str, basis: ZoneBasis) -> list[Zone]:
    zones: list[Zone] = []
    previous: float | None = None
    lanes: dict[tuple[str, str], int] = {}
    allowed = (
        ("zone", "transit_days", "max_km")
        if basis == ZoneBasis.DISTANCE
        else ("zone", "transit_days", "destinations", "origins")
    )
    required = ("transit_days", "max_km") if basis == ZoneBasis.DISTANCE else ("transit_days", "destinations")
    for index, raw_zone in enumerate(check.items(raw, path, "zones")):
        where = f"{path}[{index}]"
        doc = check.mapping(raw_zone, where, allowed, required)
        name = str(doc.get("zone", index + 1))
        transit = check.count(doc.get("transit_days", 0), f"{where}.transit_days", maximum=60)
        if basis == ZoneBasis.DISTANCE:
            max_km = _max_km(check, doc, where, previous)
            previous = max_km if max_km is not None else previous
            zones.append(Zone(name, transit or 0, max_km=max_km))
            continue
        destinations = [postal_key(p) for p in check.texts(doc.get("destinations"), f"{where}.destinations")]
        origins = [postal_key(p) for p in check.texts(doc["origins"], f"{where}.origins")] if "origins" in doc else []
        for destination in destinations:
            for origin in origins or [""]:
                if (origin, destination) in lanes:
                    lane = f"'{destination}'" + (f" from '{origin}'" if origin else "")
                    check.fail(f"{where}.destinations", f"{lane} is already in zone {lanes[(origin, destination)]}")
                lanes[(origin, destination)] = index
        zones.append(Zone(name, transit or 0, destinations=tuple(destinations), origins=tuple(origins)))
    return zones


def _max_km(check: _Checker, doc: dict[str, Any], where: str, previous: float | None) -> float | None:
    if "max_km" not in doc:
        return None
    value = doc["max_km"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        check.fail(f"{where}.max_km", f"must be a positive number of km, got {_show(value)}")
        return None
    if previous is not None and value <= previous:
        check.fail(f"{where}.max_km", f"must be greater than the previous zone's {previous:g}")
        return None
    return float(value)


def _tiers(check: _Checker, raw: Any, path: str, zone_count: int) -> list[WeightTier]:
    tiers: list[WeightTier] = []
    previous: int | None = None
    for index, raw_tier in enumerate(check.items(raw, path, "weight tiers")):
        where = f"{path}[{index}]"
        doc = check.mapping(raw_tier, where, ("max_grams", "max_kg", "prices"), ("prices",))
        limit = _limit(check, doc, where)
        if limit is not None and previous is not None and limit <= previous:
            check.fail(
                f"{where}.{'max_kg' if 'max_kg' in doc else 'max_grams'}",
                f"must be greater than the previous tier's {previous} g",
            )
            limit = None
        previous = limit if limit is not None else previous
        prices = doc.get("prices")
        if not isinstance(prices, list) or (zone_count and len(prices) != zone_count):
            check.fail(f"{where}.prices", f"must list one price per zone ({zone_count}), got {_show(prices)}")
            continue
        amounts = [check.amount(price, f"{where}.prices[{i}]") for i, price in enumerate(prices)]
        if limit is not None and all(a is not None for a in amounts):
            tiers.append(WeightTier(limit, tuple(a for a in amounts if a is not None)))
    return tiers


def _limit(check: _Checker, doc: dict[str, Any], where: str) -> int | None:
    if ("max_grams" in doc) == ("max_kg" in doc):
        check.fail(f"{where}.max_grams", "give max_grams or max_kg (one of them)")
        return None
    if "max_grams" in doc:
        return check.count(doc["max_grams"], f"{where}.max_grams", minimum=1, maximum=10_000_000)
    value = doc["max_kg"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 10_000:
        check.fail(f"{where}.max_kg", f"must be a positive number of kg up to 10000, got {_show(value)}")
        return None
    return round(value * 1000)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)
