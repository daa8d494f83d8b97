"""What a channel instance is configured with besides its secret: how its names map to Ordermesh's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LOCATION_CODE_LENGTH = 64  # orders.pickup_location


@dataclass(frozen=True)
class ChannelSettings:
    """`pickup_locations`: the channel's pickup point (its name or id) -> an Ordermesh location code;
    `service_levels`: the channel's shipping method (code, id or title) -> an Ordermesh service level."""

    pickup_locations: Mapping[str, str] = field(default_factory=dict)
    service_levels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> ChannelSettings:
        return cls(dict(settings.get("pickup_locations") or {}), dict(settings.get("service_levels") or {}))

    def pickup_location(self, *names: str | None) -> str | None:
        """The Ordermesh location for the first name that is mapped; else the first name as it is.

        An unmapped name that is no location code makes the order's lines exceptions ("pickup location
        '...' does not exist"): the order is kept, and a person sees why it cannot be fulfilled.
        """
        given = [name for name in names if name]
        for name in given:
            if name in self.pickup_locations:
                return self.pickup_locations[name]
        return given[0][:LOCATION_CODE_LENGTH] if given else None

    def service_level(self, *names: str | None) -> str | None:
        """The service level mapped for the first name that has one; None (the rate cards' "*") otherwise."""
        for name in names:
            if name and name in self.service_levels:
                return self.service_levels[name]
        return None
