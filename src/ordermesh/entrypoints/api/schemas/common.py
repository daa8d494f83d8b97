"""Shared field types: money as decimal strings, codes, addresses, pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, Strict

T = TypeVar("T")


def _money(value: Any) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError('money must be a decimal string such as "19.99", not a JSON number')
    if isinstance(value, Decimal):
        value = str(value)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError('money must be a decimal string such as "19.99"')
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a decimal amount") from None
    if not amount.is_finite():
        raise ValueError(f"'{value}' is not a finite amount")
    if amount < 0:
        raise ValueError("money cannot be negative")
    if abs(amount) >= Decimal("1e15"):
        raise ValueError("amount is too large")
    return amount


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    PlainSerializer(str, return_type=str),
    Field(json_schema_extra={"type": "string", "pattern": r"^\d+(\.\d+)?$", "examples": ["19.99"]}),
]
# Counts must be JSON integers: "3" or 3.0 is a client bug worth reporting, not guessing at.
Count = Annotated[int, Strict()]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")]
Sku = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AddressIn(Input):
    name: str | None = Field(default=None, max_length=200)
    line1: str | None = Field(default=None, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: Country | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class AddressOut(BaseModel):
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None


class PageOut(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(description="Pass as `after` to get the next page; null on the last page")
