"""Sample rate cards: the carriers and services a US shipper commonly uses, with SAMPLE figures.

The structure is realistic (distance zones like UPS and FedEx zone charts, a USPS-style postal-prefix
chart per origin, weight tiers at 1/2/5/10/20/50/70 lb, fuel and residential surcharges, cut-offs,
Saturday delivery where the service has it, carrier holidays); the prices and surcharges are
illustrative only. Replace them with your negotiated rates through `PUT /v1/carriers/rate-cards`.
"""

from __future__ import annotations

from typing import Any

# Weight tiers in grams: 1, 2, 5, 10, 20, 50 and 70 lb (150 lb for UPS and FedEx ground).
_LB = {1: 454, 2: 907, 5: 2_268, 10: 4_536, 20: 9_072, 50: 22_680, 70: 31_751, 150: 68_039}
_HOLIDAYS = [
    "2025-01-01", "2025-05-26", "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25",
    "2026-01-01", "2026-05-25", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
]  # fmt: skip
_USPS_HOLIDAYS = [
    *_HOLIDAYS,
    "2025-01-20", "2025-02-17", "2025-06-19", "2025-10-13", "2025-11-11",
    "2026-01-19", "2026-02-16", "2026-06-19", "2026-10-12", "2026-11-11",
]  # fmt: skip
_MON_FRI = ["mon", "tue", "wed", "thu", "fri"]
_MON_SAT = [*_MON_FRI, "sat"]

# Continental US distance bands (km between ship-from and ship-to), close to zones 2 to 8.
_US_ZONES_KM = [("2", 240), ("3", 480), ("4", 970), ("5", 1_450), ("6", 2_250), ("7", 2_900), ("8", 5_500)]


def _zones(transit: list[int]) -> list[dict[str, Any]]:
    return [
        {"zone": name, "max_km": km, "transit_days": days}
        for (name, km), days in zip(_US_ZONES_KM, transit, strict=True)
    ]


def _weights(prices: dict[int, list[float]]) -> list[dict[str, Any]]:
    return [{"max_grams": _LB[pounds], "prices": row} for pounds, row in prices.items()]


# fmt: off
SAMPLE_RATE_CARDS: dict[str, Any] = {
    "schema": 1,
    "description": "SAMPLE rate cards: realistic structure, illustrative figures. Replace with your negotiated rates.",
    "currency": "USD",
    "carriers": [
        {
            "code": "ups",
            "name": "UPS",
            "aliases": ["United Parcel Service"],
            "holidays": _HOLIDAYS,
            "services": [
                {
                    "code": "ground",
                    "name": "UPS Ground",
                    "service_levels": ["standard"],
                    "pickup_cutoff": "17:00",
                    "dim_divisor": 5_000,
                    "fuel_surcharge_pct": 16.25,
                    "residential_surcharge": 5.85,
                    "origin_countries": ["US"],
                    "destination_countries": ["US"],
                    "zones": _zones([1, 2, 3, 3, 4, 5, 5]),
                    "weights": _weights(
                        {
                            1: [10.20, 10.65, 11.05, 11.55, 11.85, 12.10, 12.45],
                            5: [12.30, 13.25, 14.30, 15.90, 17.35, 18.55, 19.60],
                            10: [14.95, 16.45, 18.60, 21.70, 25.05, 27.40, 29.55],
                            20: [19.45, 22.35, 26.80, 33.40, 41.10, 46.60, 51.45],
                            50: [34.70, 42.90, 55.35, 74.55, 94.25, 109.45, 122.30],
                            150: [78.40, 99.85, 131.20, 178.60, 226.05, 263.90, 297.35],
                        }
                    ),
                },
                {
                    "code": "2nd_day_air",
                    "name": "UPS 2nd Day Air",
                    "service_levels": ["expedited", "two_day"],
                    "pickup_cutoff": "16:30",
                    "dim_divisor": 5_000,
                    "fuel_surcharge_pct": 20.5,
                    "residential_surcharge": 6.30,
                    "origin_countries": ["US"],
                    "destination_countries": ["US"],
                    "zones": _zones([2, 2, 2, 2, 2, 2, 2]),
                    "weights": _weights(
                        {
                            1: [23.15, 25.40, 27.35, 29.05, 30.90, 32.85, 34.65],
                            5: [30.60, 34.85, 39.10, 43.55, 48.90, 54.15, 59.20],
                            10: [42.25, 49.70, 57.40, 65.30, 75.15, 84.40, 93.05],
                            50: [129.80, 158.20, 186.95, 219.35, 255.70, 287.45, 319.90],
                        }
                    ),
                },
                {
                    "code": "next_day_air_saver",
                    "name": "UPS Next Day Air Saver",
                    "service_levels": ["overnight", "next_day"],
                    "pickup_cutoff": "16:00",
                    "dim_divisor": 5_000,
                    "fuel_surcharge_pct": 20.5,
                    "residential_surcharge": 6.30,
                    "origin_countries": ["US"],
                    "destination_countries": ["US"],
                    "zones": _zones([1, 1, 1, 1, 1, 1, 1]),
                    "weights": _weights(
                        {
                            1: [48.35, 56.90, 63.10, 66.45, 69.20, 71.85, 74.30],
                            5: [66.50, 82.45, 96.70, 104.85, 112.30, 119.60, 126.95],
                            10: [89.10, 113.25, 136.90, 150.40, 163.75, 176.20, 189.15],
                            50: [262.75, 341.90, 417.35, 462.80, 505.15, 546.60, 589.40],
                        }
                    ),
                },
            ],
        },
        {
            "code": "fedex",
            "name": "FedEx",
            "aliases": ["Federal Express"],
            "holidays": _HOLIDAYS,
            "services": [
                {
                    "code": "home_delivery",
                    "name": "FedEx Home Delivery",
                    "service_levels": ["standard"],
                    "pickup_cutoff": "17:00",
                    # Home Delivery delivers Tuesday to Saturday.
                    "delivery_days": ["tue", "wed", "thu", "fri", "sat"],
                    "dim_divisor": 5_000,
                    "fuel_surcharge_pct": 16.0,
                    "residential_surcharge": 5.95,
                    "origin_countries": ["US"],
                    "destination_countries": ["US"],
                    "zones": _zones([1, 2, 3, 3, 4, 5, 5]),
                    "weights": _weights(
                        {
                            1: [10.10, 10.55, 11.00, 11.50, 11.80, 12.05, 12.40],
                            5: [12.25, 13.20, 14.25, 15.85, 17.30, 18.50, 19.55],
                            10: [14.90, 16.40, 18.55, 21.65, 25.00, 27.35, 29.50],
                            20: [19.40, 22.30, 26.75, 33.35, 41.05, 46.55, 51.40],
                            50: [34.65, 42.85, 55.30, 74.50, 94.20, 109.40, 122.25],
                            150: [78.35, 99.80, 131.15, 178.55, 226.00, 263.85, 297.30],
                        }
                    ),
                },
                {
                    "code": "2day",
                    "name": "FedEx 2Day",
                    "service_levels": ["expedited", "two_day"],
                    "pickup_cutoff": "16:30",
                    "dim_divisor": 5_000,
                    "fuel_surcharge_pct": 20.0,
                    "residential_surcharge": 6.15,
                    "origin_countries": ["US"],
                    "destination_countries": ["US"],
                    "zones": _zones([2, 2, 2, 2, 2, 2, 2]),
                    "weights": _weights(
                        {
                            1: [22.95, 25.20, 27.15, 28.85, 30.70, 32.65, 34.45],
                            5: [30.40, 34.65, 38.90, 43.35, 48.70, 53.95, 59.00],
                            10: [42.05, 49.50, 57.20, 65.10, 74.95, 84.20, 92.85],
                            50: [129.60, 158.00, 186.75, 219.15, 255.50, 287.25, 319.70],
                        }
                    ),
                },
            ],
        },
        {
            "code": "usps",
            "name": "USPS",
            "aliases": ["United States Postal Service"],
            "holidays": _USPS_HOLIDAYS,
            "services": [
                {
                    "code": "ground_advantage",
                    "name": "USPS Ground Advantage",
                    "service_levels": ["standard", "economy"],
                    "zone_basis": "postal_prefix",
                    "pickup_cutoff": "15:00",
                    "pickup_days": _MON_SAT,
                    "delivery_days": _MON_SAT,
                    "origin_countries": ["US"],
                    "destination_countries": ["US"],
                    # A zone chart per origin ZIP prefix, abridged: from the New York / New Jersey area,
                    # nearby prefixes are zones 1-4; every other destination, and any other origin, zone 8.
                    "zones": [
                        {"zone": "1-2", "origins": ["07", "08", "10", "11"], "destinations": ["07", "10", "11"],
                         "transit_days": 2},
                        {"zone": "3", "origins": ["07", "08", "10", "11"],
                         "destinations": ["08", "12", "13", "14", "19"], "transit_days": 3},
                        {"zone": "4", "origins": ["07", "08", "10", "11"],
                         "destinations": ["01", "02", "03", "04", "05", "06", "15", "16", "17", "18", "20", "21"],
                         "transit_days": 3},
                        {"zone": "8", "destinations": ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
                         "transit_days": 5},
                    ],
                    "weights": _weights(
                        {
                            1: [7.20, 7.65, 8.15, 11.10],
                            5: [11.15, 12.20, 14.05, 25.05],
                            10: [15.10, 17.35, 21.55, 42.30],
                            20: [22.60, 28.40, 38.75, 75.40],
                            70: [58.90, 86.35, 118.60, 189.25],
                        }
                    ),
                },
                {
                    "code": "priority_mail",
                    "name": "USPS Priority Mail",
                    "service_levels": ["expedited"],
                    "pickup_cutoff": "15:00",
                    "pickup_days": _MON_SAT,
                    "delivery_days": _MON_SAT,
                    "origin_countries": ["US"],
                    "destination_countries": ["US"],
                    "zones": _zones([1, 2, 2, 3, 3, 3, 3]),
                    "weights": _weights(
                        {
                            1: [9.85, 10.40, 11.20, 12.90, 14.60, 16.15, 18.45],
                            5: [13.55, 15.90, 20.35, 29.10, 36.80, 42.95, 50.20],
                            10: [18.05, 22.85, 30.45, 46.70, 60.25, 71.35, 84.10],
                            20: [27.40, 37.10, 51.95, 83.15, 108.65, 129.40, 152.70],
                            70: [79.60, 113.20, 162.85, 265.45, 342.70, 405.90, 476.35],
                        }
                    ),
                },
            ],
        },
        {
            "code": "dhl",
            "name": "DHL Express",
            "aliases": ["DHL"],
            "holidays": ["2025-01-01", "2025-12-25", "2026-01-01", "2026-12-25"],
            "services": [
                {
                    "code": "express_worldwide",
                    "name": "DHL Express Worldwide",
                    "service_levels": ["international", "expedited"],
                    "pickup_cutoff": "17:30",
                    "dim_divisor": 5_000,
                    "fuel_surcharge_pct": 28.5,
                    "residential_surcharge": 0,
                    "origin_countries": ["US"],
                    # Export only: a different card would price imports into the US.
                    "destination_countries": [
                        "CA", "MX", "GB", "IE", "FR", "DE", "NL", "BE", "ES", "IT", "SE", "DK", "NO",
                        "CH", "AT", "PL", "JP", "KR", "CN", "HK", "SG", "AU", "NZ", "BR", "IN", "AE",
                    ],
                    "zones": [
                        {"zone": "A", "max_km": 4_000, "transit_days": 2},
                        {"zone": "B", "max_km": 8_000, "transit_days": 3},
                        {"zone": "C", "max_km": 12_000, "transit_days": 4},
                        {"zone": "D", "max_km": 20_100, "transit_days": 5},
                    ],
                    "weights": _weights(
                        {
                            1: [58.40, 71.95, 86.30, 98.75],
                            5: [104.60, 139.85, 176.20, 205.40],
                            10: [151.30, 212.45, 271.90, 318.65],
                            50: [468.20, 702.15, 905.60, 1_064.30],
                            150: [1_210.50, 1_845.90, 2_399.40, 2_831.75],
                        }
                    ),
                },
            ],
        },
    ],
}
# fmt: on
