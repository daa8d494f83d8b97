"""Rate shopping: zones, weight tiers, surcharges, business days and cut-offs, the promise, ties."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ordermesh.domain.carriers import Package, Place, RateRequest, parse_rate_cards, shop_rates
from ordermesh.domain.carriers.sample import SAMPLE_RATE_CARDS
from ordermesh.domain.geo import GeoPoint

NEWARK = GeoPoint(40.7357, -74.1724)
NYC = GeoPoint(40.7128, -74.0060)  # about 16 km from Newark
CHICAGO = GeoPoint(41.8781, -87.6298)  # about 1,130 km
LOS_ANGELES = GeoPoint(34.0522, -118.2437)  # about 3,950 km

# 2025-03-05 is a Wednesday; 03-07 a Friday; 03-08/09 the weekend.
WEDNESDAY_MORNING = datetime(2025, 3, 5, 14, 0, tzinfo=UTC)  # 09:00 in New York
FRIDAY_EVENING = datetime(2025, 3, 7, 23, 0, tzinfo=UTC)  # 18:00 in New York, after a 17:00 cut-off


def service(code: str, **fields: Any) -> dict[str, Any]:
    """A distance-zoned service: zone near (<= 100 km), mid (<= 1500 km), far (<= 5000 km)."""
    body: dict[str, Any] = {
        "code": code,
        "name": code.title(),
        "service_levels": ["standard"],
        "zones": [
            {"zone": "near", "max_km": 100, "transit_days": 1},
            {"zone": "mid", "max_km": 1500, "transit_days": 3},
            {"zone": "far", "max_km": 5000, "transit_days": 5},
        ],
        "weights": [
            {"max_grams": 1000, "prices": [5.00, 8.00, 12.00]},
            {"max_grams": 5000, "prices": [9.00, 14.00, 20.00]},
        ],
    }
    return body | fields


def cards(*services: dict[str, Any], carrier: str = "acme", holidays: tuple[str, ...] = ()) -> Any:
    return parse_rate_cards(
        {
            "currency": "USD",
            "carriers": [
                {"code": carrier, "name": carrier.upper(), "holidays": list(holidays), "services": list(services)}
            ],
        }
    )


def request(
    to: GeoPoint = CHICAGO,
    *grams: int,
    ready_at: datetime = WEDNESDAY_MORNING,
    promised_by: date | None = None,
    residential: bool = False,
    packages: tuple[Package, ...] = (),
) -> RateRequest:
    return RateRequest(
        ship_from=Place("US", "07102", NEWARK),
        ship_to=Place("US", "60601", to),
        packages=packages or tuple(Package(g) for g in grams or (800,)),
        ready_at=ready_at,
        origin_timezone="America/New_York",
        promised_by=promised_by,
        residential=residential,
    )


def test_the_zone_is_the_first_distance_band_that_holds_the_distance() -> None:
    shop = shop_rates(cards(service("ground")), request(NYC))
    far = shop_rates(cards(service("ground")), request(LOS_ANGELES))

    assert (shop.quotes[0].zone, shop.quotes[0].charges.transportation) == ("near", Decimal("5.00"))
    assert (far.quotes[0].zone, far.quotes[0].charges.transportation) == ("far", Decimal("12.00"))


def test_the_weight_tier_is_the_first_that_holds_the_package() -> None:
    light = shop_rates(cards(service("ground")), request(CHICAGO, 1000)).quotes[0]
    heavier = shop_rates(cards(service("ground")), request(CHICAGO, 1001)).quotes[0]

    assert light.charges.transportation == Decimal("8.00")
    assert heavier.charges.transportation == Decimal("14.00")


def test_a_package_over_the_heaviest_tier_makes_the_service_unavailable_with_the_reason() -> None:
    shop = shop_rates(cards(service("ground")), request(CHICAGO, 800, 5200))

    assert shop.quotes == () and shop.choice is None
    assert shop.unavailable[0].reason == "package 2 weighs 5200 g billable, over the service's 5000 g"


def test_a_destination_beyond_the_farthest_band_is_not_served() -> None:
    hawaii = GeoPoint(21.3069, -157.8583)

    shop = shop_rates(cards(service("ground")), request(hawaii))

    assert shop.choice is None
    assert "beyond the farthest zone (5000 km)" in shop.unavailable[0].reason


def test_dimensional_weight_is_billed_when_it_exceeds_the_actual_weight() -> None:
    box = Package(800, length_cm=30, width_cm=20, height_cm=20)  # 12,000 cm³ / 5000 = 2.4 kg

    quote = shop_rates(cards(service("ground", dim_divisor=5000)), request(packages=(box,))).quotes[0]
    without_divisor = shop_rates(cards(service("ground")), request(packages=(box,))).quotes[0]

    assert (quote.billable_grams, quote.charges.transportation) == (2400, Decimal("14.00"))
    assert (without_divisor.billable_grams, without_divisor.charges.transportation) == (800, Decimal("8.00"))


def test_surcharges_add_up_per_package_and_fuel_applies_to_base_and_residential() -> None:
    ground = service("ground", per_package=1.50, residential_surcharge=4.00, fuel_surcharge_pct=10)

    quote = shop_rates(cards(ground), request(CHICAGO, 800, 800, residential=True)).quotes[0]

    # two packages: 2 x 8.00 + 2 x 1.50 + 2 x 4.00, fuel 10% of 27.00
    assert quote.charges.transportation == Decimal("16.00")
    assert quote.charges.per_package == Decimal("3.00")
    assert quote.charges.residential == Decimal("8.00")
    assert quote.charges.fuel == Decimal("2.70")
    assert quote.charges.total == Decimal("29.70")


def test_a_business_address_pays_no_residential_surcharge() -> None:
    ground = service("ground", residential_surcharge=4.00)

    quote = shop_rates(cards(ground), request(CHICAGO, residential=False)).quotes[0]

    assert quote.charges.residential == Decimal("0.00")


def test_transit_days_skip_the_weekend() -> None:
    # Wednesday pickup, 3 transit days over Monday-Friday: Thursday, Friday, Monday.
    quote = shop_rates(cards(service("ground")), request(CHICAGO)).quotes[0]

    assert (quote.ship_date, quote.transit_days, quote.delivery_date) == (date(2025, 3, 5), 3, date(2025, 3, 10))


def test_saturday_delivery_counts_for_a_service_that_delivers_on_saturdays() -> None:
    six_days = service("priority", delivery_days=["mon", "tue", "wed", "thu", "fri", "sat"])

    quote = shop_rates(cards(six_days), request(CHICAGO)).quotes[0]

    assert quote.delivery_date == date(2025, 3, 8)  # Thursday, Friday, Saturday


def test_packages_ready_after_the_cut_off_on_a_friday_leave_on_monday() -> None:
    ground = service("ground", pickup_cutoff="17:00")

    quote = shop_rates(cards(ground), request(NYC, ready_at=FRIDAY_EVENING)).quotes[0]

    assert quote.ship_date == date(2025, 3, 10)
    assert quote.delivery_date == date(2025, 3, 11)


def test_the_cut_off_is_read_in_the_ship_from_locations_time_zone() -> None:
    ground = service("ground", pickup_cutoff="17:00")
    # 21:30 UTC is 16:30 in New York (before the cut-off) though it is past 17:00 in UTC.
    ready = datetime(2025, 3, 5, 21, 30, tzinfo=UTC)

    quote = shop_rates(cards(ground), request(NYC, ready_at=ready)).quotes[0]

    assert quote.ship_date == date(2025, 3, 5)


def test_carrier_holidays_neither_pick_up_nor_count_as_transit_days() -> None:
    ground = service("ground")

    quote = shop_rates(cards(ground, holidays=("2025-03-06",)), request(CHICAGO)).quotes[0]

    # Wednesday pickup; Thursday is a holiday: Friday, Monday, Tuesday.
    assert quote.delivery_date == date(2025, 3, 11)


def test_the_cheapest_service_that_meets_the_promise_is_chosen() -> None:
    slow = service("ground")  # Chicago: 8.00, Monday 10th
    fast = service("express", zones=[{"zone": "all", "max_km": 5000, "transit_days": 1}],
                   weights=[{"max_grams": 5000, "prices": [30.00]}])  # fmt: skip

    relaxed = shop_rates(cards(slow, fast), request(CHICAGO, promised_by=date(2025, 3, 10)))
    urgent = shop_rates(cards(slow, fast), request(CHICAGO, promised_by=date(2025, 3, 7)))

    assert (relaxed.choice and relaxed.choice.service, relaxed.late) == ("ground", False)
    assert (urgent.choice and urgent.choice.service, urgent.late) == ("express", False)
    assert [q.meets_promise for q in urgent.quotes] == [False, True]  # cheapest first


def test_when_no_service_meets_the_promise_the_fastest_is_chosen_and_flagged_late() -> None:
    slow = service("ground")
    less_slow = service("twoday", zones=[{"zone": "all", "max_km": 5000, "transit_days": 2}],
                        weights=[{"max_grams": 5000, "prices": [30.00]}])  # fmt: skip

    shop = shop_rates(cards(slow, less_slow), request(CHICAGO, promised_by=date(2025, 3, 5)))

    assert shop.late is True
    assert shop.choice is not None
    assert (shop.choice.service, shop.choice.delivery_date, shop.choice.days_late) == ("twoday", date(2025, 3, 7), 2)


def test_equal_prices_go_to_the_faster_service_then_to_the_name() -> None:
    same_price_slower = service("b_slow", zones=[{"zone": "all", "max_km": 5000, "transit_days": 4}],
                                weights=[{"max_grams": 5000, "prices": [10.00]}])  # fmt: skip
    same_price_faster = service("c_fast", zones=[{"zone": "all", "max_km": 5000, "transit_days": 2}],
                                weights=[{"max_grams": 5000, "prices": [10.00]}])  # fmt: skip
    twin_of_fast = service("a_fast", zones=[{"zone": "all", "max_km": 5000, "transit_days": 2}],
                           weights=[{"max_grams": 5000, "prices": [10.00]}])  # fmt: skip

    faster = shop_rates(cards(same_price_slower, same_price_faster), request(CHICAGO)).choice
    by_name = shop_rates(cards(same_price_faster, twin_of_fast), request(CHICAGO)).choice

    assert faster is not None and faster.service == "c_fast"
    assert by_name is not None and by_name.service == "a_fast"


def test_postal_zones_take_the_most_specific_prefix_for_the_origin() -> None:
    zoned = service(
        "regional",
        zone_basis="postal_prefix",
        zones=[
            {"zone": "local", "origins": ["071"], "destinations": ["100", "101"], "transit_days": 1},
            {"zone": "east", "origins": ["07"], "destinations": ["1"], "transit_days": 2},
            {"zone": "national", "destinations": ["0", "1", "6"], "transit_days": 4},
        ],
        weights=[{"max_grams": 5000, "prices": [4.00, 6.00, 9.00]}],
    )
    to_manhattan = RateRequest(Place("US", "07102"), Place("US", "10016"), (Package(500),), WEDNESDAY_MORNING)
    to_brooklyn = RateRequest(Place("US", "07102"), Place("US", "11201"), (Package(500),), WEDNESDAY_MORNING)
    from_elsewhere = RateRequest(Place("US", "60601"), Place("US", "10016"), (Package(500),), WEDNESDAY_MORNING)
    to_texas = RateRequest(Place("US", "07102"), Place("US", "75201"), (Package(500),), WEDNESDAY_MORNING)

    assert shop_rates(cards(zoned), to_manhattan).quotes[0].zone == "local"
    assert shop_rates(cards(zoned), to_brooklyn).quotes[0].zone == "east"
    assert shop_rates(cards(zoned), from_elsewhere).quotes[0].zone == "national"
    assert shop_rates(cards(zoned), to_texas).unavailable[0].reason == "no zone for postal code 75201 from 07102"


def test_a_service_not_delivering_to_the_country_says_so() -> None:
    domestic = service("ground", destination_countries=["US"])
    to_canada = RateRequest(Place("US", "07102", NEWARK), Place("CA", "M5V", GeoPoint(43.65, -79.38)),
                            (Package(500),), WEDNESDAY_MORNING)  # fmt: skip

    shop = shop_rates(cards(domestic), to_canada)

    assert shop.unavailable[0].reason == "does not deliver to CA"


def test_without_coordinates_a_distance_service_prices_the_farthest_zone_and_says_so() -> None:
    unknown = RateRequest(Place("US", "07102"), Place("US", "99999"), (Package(500),), WEDNESDAY_MORNING)

    quote = shop_rates(cards(service("ground")), unknown).quotes[0]

    assert quote.zone == "far"
    assert quote.notes == ("distance unknown (no coordinates): priced in the farthest zone",)


def test_a_service_level_filter_quotes_only_the_services_that_carry_it() -> None:
    ground = service("ground")
    express = service("express", service_levels=["expedited"])
    wanted = RateRequest(Place("US", None, NEWARK), Place("US", None, CHICAGO), (Package(500),), WEDNESDAY_MORNING,
                         service_level="expedited")  # fmt: skip

    shop = shop_rates(cards(ground, express), wanted)

    assert [q.service for q in shop.quotes] == ["express"]


def test_the_sample_cards_quote_newark_to_chicago_with_every_domestic_service() -> None:
    shop = shop_rates(parse_rate_cards(SAMPLE_RATE_CARDS), request(CHICAGO, residential=True))

    assert {q.key for q in shop.quotes} == {
        "ups/ground", "ups/2nd_day_air", "ups/next_day_air_saver", "fedex/home_delivery", "fedex/2day",
        "usps/ground_advantage", "usps/priority_mail",
    }  # fmt: skip
    assert [(u.carrier, u.reason) for u in shop.unavailable] == [("dhl", "does not deliver to US")]  # export only
    assert shop.choice is not None and shop.choice.charges.total == min(q.charges.total for q in shop.quotes)
