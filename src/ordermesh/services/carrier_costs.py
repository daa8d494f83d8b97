"""Sourcing priced by the carriers' own rate cards.

A rule set whose `costs.rate_cards` is the word `"carriers"` takes its shipping prices from the carrier rate cards
in use (`PUT /v1/carriers/rate-cards`, the built-in sample before any): for each service level, the card of the
service that carries it (distance-zoned services; a `standard` card also stands for `*`), with its fuel and
residential surcharges. The rule set keeps the word, so a new rate-card version reprices sourcing at once.
"""

from __future__ import annotations

from typing import Any

from ordermesh.domain.carriers.document import parse_rate_cards
from ordermesh.domain.carriers.sample import SAMPLE_RATE_CARDS
from ordermesh.domain.carriers.sourcing_cards import rule_set_rate_cards
from ordermesh.services.ports import UnitOfWork

CARRIERS = "carriers"


def with_carrier_cards(uow: UnitOfWork, document: Any) -> Any:
    """The rule-set document with the carriers' rate cards in place of `"carriers"` (any other: as it is)."""
    if not isinstance(document, dict):
        return document
    costs = document.get("costs")
    if not isinstance(costs, dict) or costs.get("rate_cards") != CARRIERS:
        return document
    stored = uow.rate_cards.latest()  # (services/carriers.py reads them the same way; it imports the context)
    cards = rule_set_rate_cards(parse_rate_cards(stored.document if stored else SAMPLE_RATE_CARDS))
    return {**document, "costs": {**costs, "rate_cards": cards}}
