"""Carriers: rate cards as data, rate shopping against a promised date, and shipment tracking statuses."""

from ordermesh.domain.carriers.document import parse_rate_cards
from ordermesh.domain.carriers.model import Carrier, RateCards, RateCardsInvalid, Service, WeightTier, Zone, ZoneBasis
from ordermesh.domain.carriers.shopping import (
    Charges,
    Package,
    Place,
    Quote,
    RateRequest,
    RateShop,
    Unavailable,
    shop_rates,
)
from ordermesh.domain.carriers.tracking import (
    Meaning,
    ShipmentTracking,
    StatusChange,
    TrackingEvent,
    TrackingStatus,
    Vocabulary,
    default_vocabulary,
    event_key,
    map_status,
)

__all__ = [
    "Carrier",
    "Charges",
    "Meaning",
    "Package",
    "Place",
    "Quote",
    "RateCards",
    "RateCardsInvalid",
    "RateRequest",
    "RateShop",
    "Service",
    "ShipmentTracking",
    "StatusChange",
    "TrackingEvent",
    "TrackingStatus",
    "Unavailable",
    "Vocabulary",
    "WeightTier",
    "Zone",
    "ZoneBasis",
    "default_vocabulary",
    "event_key",
    "map_status",
    "parse_rate_cards",
    "shop_rates",
]
