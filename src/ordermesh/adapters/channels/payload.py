"""Read a channel's JSON payload field by field; every error names the field's path (`line_items[2].price`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.money import fits_currency, is_currency
from ordermesh.services.connectors import MalformedPayload

Path = tuple[str | int, ...]
MAX_AMOUNT = Decimal("1e15")


def parse_object(body: bytes) -> Fields:
    """Parse a JSON object exactly: big integers stay integers, decimals become Decimal, NaN is refused.

    Raises MalformedPayload when the body is not a JSON object.
    """
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise MalformedPayload(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedPayload("the body is not a JSON object")
    return Fields(data)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def where(path: Path) -> str:
    """A path as people write it: `line_items[2].price`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class Fields:
    """One JSON object of a payload and where it sits in the document."""

    def __init__(self, data: Mapping[str, Any], path: Path = ()) -> None:
        self.data = data
        self.path = path

    def invalid(self, name: str, message: str) -> InvalidInput:
        return InvalidInput(f"{where((*self.path, name))}: {message}", field=(*self.path, name))

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def has(self, name: str) -> bool:
        return self.data.get(name) not in (None, "", [], {})

    def object(self, name: str) -> Fields | None:
        """The nested object, or None when it is absent, null or empty."""
        value = self.data.get(name)
        if value is None or value == {}:
            return None
        if not isinstance(value, dict):
            raise self.invalid(name, "must be an object")
        return Fields(value, (*self.path, name))

    def objects(self, name: str) -> list[Fields]:
        """The nested list of objects (absent or null: empty)."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.invalid(name, "must be a list")
        result = []
        for index, element in enumerate(value):
            if not isinstance(element, dict):
                raise InvalidInput(
                    f"{where((*self.path, name, index))}: must be an object", field=(*self.path, name, index)
                )
            result.append(Fields(element, (*self.path, name, index)))
        return result

    def ident(self, name: str) -> str:
        """A required id, as text: channels send 64-bit integers that a JSON double would round."""
        value = self.optional_ident(name)
        if value is None:
            raise self.invalid(name, "is required")
        return value

    def optional_ident(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.invalid(name, "must be an integer or a string id")
        text = str(value).strip()
        if not text or len(text) > 200:
            raise self.invalid(name, "must be 1 to 200 characters")
        return text

    def text(self, name: str, *, limit: int = 500) -> str | None:
        """Text with surrounding blanks removed; absent, null or blank: None."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.invalid(name, "must be a string")
        value = value.strip()
        if len(value) > limit:
            raise self.invalid(name, f"must be at most {limit} characters")
        return value or None

    def integer(self, name: str, *, default: int | None = None) -> int:
        """A whole number of at least zero (a decimal such as 2.0 is refused: it is a sender's bug)."""
        value = self.data.get(name, default)
        if value is None:
            if default is None:
                raise self.invalid(name, "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.invalid(name, "must be a whole number")
        if value < 0:
            raise self.invalid(name, "must not be negative")
        return value

    def flag(self, name: str, *, default: bool) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.invalid(name, "must be true or false")
        return value

    def money(self, name: str, currency: str, *, default: Decimal | None = Decimal("0")) -> Decimal:
        """A non-negative amount sent as a decimal string (or a number), exact in the currency."""
        value = self.data.get(name)
        if value is None or value == "":
            if default is None:
                raise self.invalid(name, "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise self.invalid(name, "must be a decimal amount")
        try:
            amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            raise self.invalid(name, f"'{value}' is not a decimal amount") from None
        if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
            raise self.invalid(name, f"'{value}' is not an amount Ordermesh can take")
        if is_currency(currency) and not fits_currency(amount, currency):
            raise self.invalid(name, f"'{value}' has more decimals than {currency} allows")
        return amount

    def coordinate(self, name: str, bound: float) -> float | None:
        """A latitude (bound 90) or longitude (bound 180); absent or null: None."""
        value = self.data.get(name)
        if value is None or value == "":
            return None
        try:
            number = float(value) if not isinstance(value, bool) else float("nan")
        except (TypeError, ValueError):
            raise self.invalid(name, "must be a number") from None
        if not -bound <= number <= bound:
            raise self.invalid(name, f"must be between -{bound:g} and {bound:g}")
        return number

    def timestamp(self, name: str, *, naive_is_utc: bool = False) -> datetime | None:
        """An ISO 8601 time, in UTC; a time without an offset is refused unless the channel sends UTC so."""
        value = self.text(name, limit=40)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self.invalid(name, f"'{value}' is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            if not naive_is_utc:
                raise self.invalid(name, f"'{value}' has no UTC offset")
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)

    def currency(self, name: str) -> str:
        value = self.text(name, limit=3)
        if value is None or not is_currency(value.upper()):
            raise self.invalid(name, f"'{value}' is not an ISO 4217 currency code")
        return value.upper()

    def country(self, name: str) -> str | None:
        value = self.text(name, limit=2)
        if value is not None and not (len(value) == 2 and value.isalpha()):
            raise self.invalid(name, f"'{value}' is not an ISO 3166-1 alpha-2 country code")
        return value.upper() if value else None


_SAFE_INTEGER = 2**53


def plain(value: Any) -> Any:
    """A payload value as JSON any reader takes exactly: decimals and integers beyond 2^53 become strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _SAFE_INTEGER:
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
