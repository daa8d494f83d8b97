"""Currencies and the decimals they allow; points on the globe and the distances between them."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from ordermesh.domain.catalog import Address
from ordermesh.domain.geo import EARTH_RADIUS_KM, GeoPoint
from ordermesh.domain.money import CURRENCIES, fits_currency, is_currency, minor_units
from tests.unit.builders import CHICAGO, LOS_ANGELES, NEWARK, NYC

# -- currencies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["USD", "EUR", "GBP", "JPY", "KWD", "CHF"])
def test_active_iso_4217_codes_are_currencies(code: str) -> None:
    assert is_currency(code)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("usd", id="lower-case"),
        pytest.param("XXX", id="no-currency-code"),
        pytest.param("DEM", id="retired-deutsche-mark"),
        pytest.param("US", id="too-short"),
        pytest.param("EURO", id="too-long"),
        pytest.param("", id="empty"),
    ],
)
def test_anything_else_is_not_a_currency(code: str) -> None:
    assert not is_currency(code)


def test_every_known_currency_is_three_upper_case_letters_with_0_2_or_3_decimals() -> None:
    assert all(len(code) == 3 and code.isascii() and code.isupper() for code in CURRENCIES)
    assert {minor_units(code) for code in CURRENCIES} == {0, 2, 3}


@pytest.mark.parametrize(("code", "decimals"), [("JPY", 0), ("KRW", 0), ("USD", 2), ("EUR", 2), ("KWD", 3),
                                                 ("BHD", 3)])
def test_each_currency_knows_its_minor_units(code: str, decimals: int) -> None:
    assert minor_units(code) == decimals


def test_an_unknown_currency_has_no_minor_units() -> None:
    with pytest.raises(KeyError):
        minor_units("XXX")


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("1500", "JPY"),
        ("0", "JPY"),
        ("-200", "JPY"),
        ("19.99", "USD"),
        ("19.9", "USD"),
        ("19", "USD"),
        ("1.234", "KWD"),
        ("0.001", "KWD"),
        ("1E+3", "JPY"),
    ],
)
def test_an_amount_with_no_more_decimals_than_the_currency_allows_fits(amount: str, currency: str) -> None:
    assert fits_currency(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("1500.5", "JPY"),
        ("-0.1", "JPY"),
        ("19.999", "USD"),
        ("0.001", "USD"),
        ("1.2345", "KWD"),
    ],
)
def test_an_amount_with_more_decimals_than_the_currency_allows_does_not_fit(amount: str, currency: str) -> None:
    assert not fits_currency(Decimal(amount), currency)


def test_trailing_zeros_do_not_count_as_decimal_places() -> None:
    # Channels write "1500.00" for whole yen; the value is what must fit, not the notation.
    assert fits_currency(Decimal("1500.00"), "JPY")
    assert fits_currency(Decimal("19.990"), "USD")
    assert not fits_currency(Decimal("1500.50"), "JPY")
    assert not fits_currency(Decimal("19.995"), "USD")


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_not_a_number_and_infinity_fit_no_currency(amount: str) -> None:
    assert not fits_currency(Decimal(amount), "USD")


def test_checking_an_amount_against_an_unknown_currency_raises_key_error() -> None:
    with pytest.raises(KeyError):
        fits_currency(Decimal("1"), "XXX")


# -- distances -----------------------------------------------------------------------------------


def test_new_york_to_los_angeles_is_about_3936_km() -> None:
    assert NYC.distance_km(LOS_ANGELES) == pytest.approx(3936, rel=0.01)


def test_new_york_to_newark_is_a_short_hop() -> None:
    assert NYC.distance_km(NEWARK) == pytest.approx(14.3, abs=0.5)


def test_a_point_is_no_distance_from_itself() -> None:
    assert CHICAGO.distance_km(CHICAGO) == 0.0


def test_distance_is_the_same_both_ways() -> None:
    assert NYC.distance_km(CHICAGO) == pytest.approx(CHICAGO.distance_km(NYC), rel=1e-12)


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert GeoPoint(0, 0).distance_km(GeoPoint(1, 0)) == pytest.approx(111.19, abs=0.01)


def test_the_shortest_way_crosses_the_antimeridian() -> None:
    assert GeoPoint(0, 179).distance_km(GeoPoint(0, -179)) == pytest.approx(222.39, abs=0.01)


def test_antipodes_are_half_the_earths_circumference_apart() -> None:
    assert GeoPoint(0, 0).distance_km(GeoPoint(0, 180)) == pytest.approx(math.pi * EARTH_RADIUS_KM, rel=1e-9)
    assert GeoPoint(90, 0).distance_km(GeoPoint(-90, 0)) == pytest.approx(math.pi * EARTH_RADIUS_KM, rel=1e-9)


def test_an_address_has_a_point_only_with_both_coordinates() -> None:
    assert Address(lat=40.7, lon=-74.0).point == GeoPoint(40.7, -74.0)
    assert Address(lat=40.7).point is None
    assert Address(lon=-74.0).point is None


def test_an_address_on_the_equator_at_greenwich_still_has_a_point() -> None:
    assert Address(lat=0.0, lon=0.0).point == GeoPoint(0.0, 0.0)
