"""Sourcing priced by the carriers' rate cards: a rule set whose `costs.rate_cards` is "carriers" takes the cards
in use, and a new rate-card version reprices the next decision."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient

from ordermesh.domain.carriers.sample import SAMPLE_RATE_CARDS
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from tests.builders import NEWARK, item, location, order_body, place, stock

RULE_SETS = "/v1/sourcing/rule-sets"


def shipping(client: TestClient, order: dict[str, Any]) -> float:
    (decision,) = client.get(f"/v1/orders/{order['id']}/sourcing").json()["decisions"]
    return float(decision["explanation"]["chosen"]["breakdown"]["shipping"])


def dearer(document: dict[str, Any]) -> dict[str, Any]:
    """The sample cards with every residential surcharge 10.00 higher."""
    changed = copy.deepcopy(document)
    for carrier in changed["carriers"]:
        for service in carrier["services"]:
            service["residential_surcharge"] = service.get("residential_surcharge", 0) + 10
    return changed


def test_a_rule_set_priced_by_the_carriers_follows_their_rate_cards(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    stock(client, "NWK", "TEE", 50)
    own = place(client, order_body("C-0", ("TEE", 1)))  # the built-in rule set's own cards
    document = copy.deepcopy(DEFAULT_RULE_SET) | {"name": "carrier-priced"}
    document["costs"] = {**document["costs"], "rate_cards": "carriers"}
    created = client.post(RULE_SETS, json=document)
    assert created.status_code == 201, created.text
    assert client.post(f"{RULE_SETS}/{created.json()['id']}/activate").status_code == 200

    first = place(client, order_body("C-1", ("TEE", 1)))
    stored = client.put("/v1/carriers/rate-cards", json=dearer(SAMPLE_RATE_CARDS))
    assert stored.status_code == 200, stored.text
    second = place(client, order_body("C-2", ("TEE", 1)))

    assert shipping(client, first) != shipping(client, own)
    assert round(shipping(client, second) - shipping(client, first), 2) == 11.63  # 10.00 and UPS Ground fuel, 16.25%
    assert client.get(f"{RULE_SETS}/{created.json()['id']}").json()["document"]["costs"]["rate_cards"] == "carriers"


def test_a_rule_set_may_not_name_another_source_of_rate_cards(client: TestClient) -> None:
    document = copy.deepcopy(DEFAULT_RULE_SET) | {"name": "typo"}
    document["costs"] = {**document["costs"], "rate_cards": "carrier"}

    response = client.post(RULE_SETS, json=document)

    assert response.status_code == 422
    assert "rate_cards" in response.text
