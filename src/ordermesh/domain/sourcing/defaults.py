"""The rule set every new installation starts with: ship at least cost, nearest and fewest packages first.

Prices are a plausible US parcel rate card (zones by distance, weight tiers); stores cost more to pick
from than warehouses; a split costs an extra package plus a penalty. Operations staff replace it with
their own through the rule-set API; it is stored as version 1 of the rule set "default".
"""

from __future__ import annotations

from typing import Any

DEFAULT_RULE_SET: dict[str, Any] = {
    "schema": 1,
    "name": "default",
    "description": "Least total cost: rate-card shipping by zone and weight, handling by location type, split penalty.",
    "costs": {
        "currency": "USD",
        "rate_cards": [
            {
                "service_level": "standard",
                "per_package": 1.00,
                "zones": [
                    {"zone": "1", "max_km": 80, "transit_days": 1},
                    {"zone": "2", "max_km": 300, "transit_days": 2},
                    {"zone": "3", "max_km": 950, "transit_days": 3},
                    {"zone": "4", "max_km": 1_900, "transit_days": 4},
                    {"zone": "5", "transit_days": 5},
                ],
                "weights": [
                    {"max_grams": 450, "prices": [3.80, 4.10, 4.40, 4.80, 5.40]},
                    {"max_grams": 2_300, "prices": [5.20, 5.80, 6.60, 7.90, 9.40]},
                    {"max_grams": 9_000, "prices": [7.90, 9.20, 11.30, 14.50, 18.10]},
                    {"prices": [12.50, 15.80, 20.40, 27.30, 34.90]},
                ],
            },
            {
                "service_level": "express",
                "per_package": 2.00,
                "zones": [
                    {"zone": "1", "max_km": 300, "transit_days": 1},
                    {"zone": "2", "max_km": 1_900, "transit_days": 2},
                    {"zone": "3", "transit_days": 2},
                ],
                "weights": [
                    {"max_grams": 450, "prices": [9.50, 14.20, 19.80]},
                    {"max_grams": 2_300, "prices": [12.80, 19.90, 28.40]},
                    {"prices": [21.00, 33.50, 49.00]},
                ],
            },
            {
                "service_level": "*",
                "per_package": 1.00,
                "zones": [{"zone": "1", "max_km": 300, "transit_days": 2}, {"zone": "2", "transit_days": 5}],
                "weights": [{"max_grams": 2_300, "prices": [5.80, 8.90]}, {"prices": [12.00, 20.00]}],
            },
        ],
        "handling": {
            "warehouse": {"per_order": 1.20, "per_unit": 0.25},
            "3pl": {"per_order": 1.60, "per_unit": 0.35},
            "store": {"per_order": 2.40, "per_unit": 0.60},
            "dropship_vendor": {"per_order": 3.00, "per_unit": 0.00},
        },
        "split_penalty": 2.50,
        "lateness_per_day": 3.00,
        "promise_days": {"standard": 5, "express": 2, "*": 5},
        "scarcity": {"below_units": 0, "per_unit": 0.0},
        "unfilled_per_unit": 150.0,
    },
    "default": {
        "locations": {"respect_capacity": True, "dropship": "vendor_only_skus"},
        "strategy": {"split": "allow", "unfillable": "backorder", "time_budget_ms": 50},
    },
    "rules": [],
}
