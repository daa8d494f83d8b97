"""Sourcing rule sets, sourcing decisions and location sourcing profiles over HTTP."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from ordermesh.domain.access import Role
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.services.access import create_api_key
from ordermesh.services.context import AppContext
from tests.builders import CHICAGO, NEWARK, NYC, allocations, item, location, order_body, place, stock

RULE_SETS = "/v1/sourcing/rule-sets"
PROBLEM = "application/problem+json"
STORES_ONLY = {"name": "Stores only", "when": {"channel": "pos"}, "locations": {"types": ["store"]}}


def rule_set(name: str = "ops", *rules: dict[str, Any], exclude: list[str] | None = None) -> dict[str, Any]:
    """The default document under another name, with these rules (and default exclusions)."""
    document = copy.deepcopy(DEFAULT_RULE_SET)
    document["name"] = name
    document["rules"] = list(rules)
    if exclude is not None:
        document["default"]["locations"]["exclude"] = exclude
    return document


def create(client: TestClient, document: dict[str, Any], **params: str) -> dict[str, Any]:
    response = client.post(RULE_SETS, json=document, params=params)
    assert response.status_code == 201, response.text
    return dict(response.json())


def activate(client: TestClient, rule_set_id: str) -> dict[str, Any]:
    response = client.post(f"{RULE_SETS}/{rule_set_id}/activate")
    assert response.status_code == 200, response.text
    return dict(response.json())


def decisions(client: TestClient, order_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/orders/{order_id}/sourcing")
    assert response.status_code == 200, response.text
    assert response.json()["order_id"] == order_id
    return list(response.json()["decisions"])


def shipped_from(decision: dict[str, Any]) -> list[str]:
    return [shipment["location"] for shipment in decision["explanation"]["chosen"]["shipments"]]


def headers_for(ctx: AppContext, role: Role) -> dict[str, str]:
    _, plain = create_api_key(ctx, name=f"{role} key", role=role)
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def network(client: TestClient) -> TestClient:
    """A warehouse near New York (NWK) and a store in Chicago (CHI), both stocked with tees."""
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    location(client, "CHI", CHICAGO, type="store")
    stock(client, "NWK", "TEE", 20)
    stock(client, "CHI", "TEE", 20)
    return client


# --- drafts -----------------------------------------------------------------------------------------------


def test_a_rule_set_posted_as_json_is_stored_as_the_first_draft_of_its_name(client: TestClient) -> None:
    document = rule_set("ops", STORES_ONLY)

    response = client.post(RULE_SETS, json=document, params={"note": "stores serve the tills"})

    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{RULE_SETS}/{created['id']}"
    assert (created["name"], created["version"], created["status"]) == ("ops", 1, "draft")
    assert (created["note"], created["created_by"], created["built_in"]) == (
        "stores serve the tills",
        "bootstrap admin",
        False,
    )
    stored = client.get(f"{RULE_SETS}/{created['id']}").json()
    assert stored["document"] == document
    listed = client.get(RULE_SETS, params={"status": "draft"}).json()
    assert [r["id"] for r in listed["data"]] == [created["id"]]
    assert "document" not in listed["data"][0]
    assert client.get(RULE_SETS, params={"status": "active"}).json()["data"] == []


def test_a_rule_set_posted_as_yaml_is_stored_as_the_same_document(client: TestClient) -> None:
    document = rule_set("ops", STORES_ONLY)
    create(client, document)

    response = client.post(
        RULE_SETS, content=yaml.safe_dump(document, sort_keys=False), headers={"Content-Type": "application/yaml"}
    )

    assert response.status_code == 201, response.text
    second = response.json()
    assert (second["name"], second["version"]) == ("ops", 2)
    assert client.get(f"{RULE_SETS}/{second['id']}").json()["document"] == document
    assert [r["version"] for r in client.get(RULE_SETS, params={"name": "ops"}).json()["data"]] == [2, 1]


def test_an_invalid_rule_set_is_422_naming_every_problem_by_path_and_nothing_is_stored(network: TestClient) -> None:
    document = rule_set(
        "ops",
        {"name": "Shop orders", "when": {"channel": "shopfy"}, "locations": {"types": ["warehose"]}},
        exclude=["NWX"],
    )

    response = network.post(RULE_SETS, json=document)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert (body["type"], body["title"]) == ("/problems/invalid-rule-set", "Invalid rule set")
    by_path = {error["path"]: error for error in body["errors"]}
    assert by_path["rules[0].when.channel"] == {
        "loc": ["body", "rules", 0, "when", "channel"],
        "path": "rules[0].when.channel",
        "msg": "unknown channel 'shopfy' (did you mean 'shopify'?)",
    }
    assert by_path["rules[0].locations.types[0]"]["loc"] == ["body", "rules", 0, "locations", "types", 0]
    assert "did you mean 'warehouse'?" in by_path["rules[0].locations.types[0]"]["msg"]
    assert by_path["default.locations.exclude[0]"]["msg"] == "unknown location 'NWX' (did you mean 'NWK'?)"
    assert "rules[0].when.channel: unknown channel 'shopfy'" in body["detail"]
    assert network.get(RULE_SETS).json()["data"] == []


def test_a_yaml_syntax_error_is_400_naming_line_and_column(client: TestClient) -> None:
    text = "name: ops\ncosts:\n  currency: USD\n  rate_cards: [\n    - zones\n"

    response = client.post(RULE_SETS, content=text, headers={"Content-Type": "text/yaml"})

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "/problems/malformed-yaml"
    assert "line 5, column 5" in body["detail"]  # a block entry inside a flow list
    assert (body["errors"][0]["line"], body["errors"][0]["column"]) == (5, 5)
    assert client.get(RULE_SETS).json()["data"] == []


def test_bodies_that_are_not_a_rule_set_document_are_refused(client: TestClient) -> None:
    not_an_object = client.post(RULE_SETS, json=[rule_set()])
    broken_json = client.post(RULE_SETS, content=b'{"name": ', headers={"Content-Type": "application/json"})
    form = client.post(RULE_SETS, content=b"name=ops", headers={"Content-Type": "application/x-www-form-urlencoded"})
    yaml_date = client.post(
        RULE_SETS,
        content="name: ops\ncosts: {currency: USD}\nrules: [{name: r, when: {item: {attributes: {since: 2024-01-01}}}, "
        "locations: {}}]\nweird: !!binary aGk=\n",
        headers={"Content-Type": "application/x-yaml"},
    )

    assert not_an_object.status_code == 422
    assert not_an_object.json()["errors"] == [{"loc": ["body"], "path": "", "msg": "must be an object, got a list"}]
    assert (broken_json.status_code, broken_json.json()["type"]) == (400, "/problems/malformed-json")
    assert form.status_code == 415
    assert form.headers["content-type"] == PROBLEM
    assert yaml_date.status_code == 422
    assert {e["path"] for e in yaml_date.json()["errors"]} == {"weird"}  # a YAML date is kept as its ISO text
    assert client.get(RULE_SETS).json()["data"] == []


def test_validate_summarises_a_good_document_and_lists_every_problem_of_a_bad_one(network: TestClient) -> None:
    hazmat = {
        "name": "Hazmat from warehouses",
        "when": {"item": {"hazmat": True}},
        "locations": {"types": ["warehouse"]},
    }
    good = rule_set("ops", STORES_ONLY, hazmat)
    bad = rule_set("ops", {"name": "Shop", "when": {"channel": "shopfy"}})

    ok = network.post(f"{RULE_SETS}/validate", json=good)
    refused = network.post(
        f"{RULE_SETS}/validate", content=yaml.safe_dump(bad), headers={"Content-Type": "application/yaml"}
    )

    assert ok.status_code == 200, ok.text
    assert ok.json() == {
        "valid": True,
        "summary": {
            "name": "ops",
            "currency": "USD",
            "rules": 2,
            "rule_names": ["Stores only", "Hazmat from warehouses"],
            "order_rules": ["Stores only"],
            "line_rules": ["Hazmat from warehouses"],
            "service_levels": ["standard", "express", "*"],
        },
    }
    assert refused.status_code == 422
    assert [e["path"] for e in refused.json()["errors"]] == ["rules[0].when.channel"]
    assert network.get(RULE_SETS).json()["data"] == []


def test_drafts_can_be_edited_but_active_versions_cannot(client: TestClient) -> None:
    draft = create(client, rule_set("ops"), note="first try")

    edited = client.put(f"{RULE_SETS}/{draft['id']}", json=rule_set("ops", STORES_ONLY))
    renamed = client.put(f"{RULE_SETS}/{draft['id']}", json=rule_set("other"))
    invalid = client.put(f"{RULE_SETS}/{draft['id']}", json={**rule_set("ops"), "rules": [{"name": "x", "when": 3}]})
    activate(client, draft["id"])
    frozen = client.put(f"{RULE_SETS}/{draft['id']}", json=rule_set("ops"))

    assert edited.status_code == 200, edited.text
    assert (edited.json()["version"], edited.json()["note"]) == (1, "first try")
    assert renamed.status_code == 422
    assert renamed.json()["errors"][0]["loc"] == ["body", "name"]
    assert invalid.status_code == 422
    assert frozen.status_code == 409
    assert frozen.headers["content-type"] == PROBLEM
    assert client.get(f"{RULE_SETS}/{draft['id']}").json()["document"]["rules"] == [STORES_ONLY]


def test_unknown_rule_sets_are_404(client: TestClient) -> None:
    for response in (
        client.get(f"{RULE_SETS}/rs_missing"),
        client.put(f"{RULE_SETS}/rs_missing", json=rule_set()),
        client.post(f"{RULE_SETS}/rs_missing/activate"),
        client.get(f"{RULE_SETS}/rs_missing/diff"),
    ):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == PROBLEM


# --- activation -------------------------------------------------------------------------------------------


def test_until_one_is_activated_the_built_in_default_is_active(client: TestClient) -> None:
    active = client.get(f"{RULE_SETS}/active").json()

    assert (active["id"], active["name"], active["version"], active["built_in"]) == (None, "default", 0, True)
    assert active["status"] == "active"
    assert active["document"] == DEFAULT_RULE_SET


def test_an_activated_rule_set_sources_new_orders_and_the_decision_explains_why(network: TestClient) -> None:
    before = place(network, order_body("POS-0", ("TEE", 1), channel="pos"))
    ops = create(network, rule_set("ops", STORES_ONLY))

    activated = activate(network, ops["id"])
    till = place(network, order_body("POS-1", ("TEE", 1), channel="pos"))
    web = place(network, order_body("WEB-1", ("TEE", 1), channel="web"))

    assert (activated["status"], activated["activated_at"] is not None) == ("active", True)
    assert network.get(f"{RULE_SETS}/active").json()["id"] == ops["id"]
    assert allocations(before) == {"TEE": [("NWK", 1)]}
    assert allocations(till) == {"TEE": [("CHI", 1)]}
    assert allocations(web) == {"TEE": [("NWK", 1)]}
    [decision] = decisions(network, till["id"])
    assert decision["trigger"] == "capture"
    assert decision["rule_set"] == {"id": ops["id"], "name": "ops", "version": 1, "built_in": False}
    explanation = decision["explanation"]
    assert explanation["matched_rule"] == "Stores only"
    assert {
        "location": "NWK",
        "rule": "Stores only",
        "reason": "location type warehouse not in ['store']",
        "lines": None,
    } in explanation["eliminated"]
    assert shipped_from(decision) == ["CHI"]
    assert decisions(network, web["id"])[0]["explanation"]["matched_rule"] == "default"
    assert decisions(network, before["id"])[0]["rule_set"]["built_in"] is True
    audit = network.get("/v1/audit", params={"entity": "rule_set", "entity_id": ops["id"]}).json()["data"]
    assert [entry["action"] for entry in audit] == ["rule_set.activated", "rule_set.created"]
    assert audit[0]["after"]["status"] == "active"


def test_activating_another_version_archives_the_active_one_and_roll_back_restores_it(network: TestClient) -> None:
    nothing_yet = network.post(f"{RULE_SETS}/rollback")
    v1 = create(network, rule_set("ops", exclude=["NWK"]))
    v2 = create(network, rule_set("ops"))
    activate(network, v1["id"])
    first = place(network, order_body("R-1", ("TEE", 1)))
    activate(network, v2["id"])
    second = place(network, order_body("R-2", ("TEE", 1)))

    rolled_back = network.post(f"{RULE_SETS}/rollback")
    third = place(network, order_body("R-3", ("TEE", 1)))

    assert nothing_yet.status_code == 409
    assert nothing_yet.headers["content-type"] == PROBLEM
    assert nothing_yet.json()["detail"] == (
        "rule set history is empty (no version was ever activated; sourcing uses the built-in default); "
        "cannot roll back"
    )
    assert rolled_back.status_code == 200, rolled_back.text
    assert (rolled_back.json()["id"], rolled_back.json()["status"]) == (v1["id"], "active")
    assert network.get(f"{RULE_SETS}/{v2['id']}").json()["status"] == "archived"
    assert [allocations(o)["TEE"] for o in (first, second, third)] == [[("CHI", 1)], [("NWK", 1)], [("CHI", 1)]]
    eliminated = decisions(network, third["id"])[0]["explanation"]["eliminated"]
    assert {"location": "NWK", "rule": "default", "reason": "excluded by name", "lines": None} in eliminated
    actions = [e["action"] for e in network.get("/v1/audit", params={"entity": "rule_set"}).json()["data"]]
    assert actions[0] == "rule_set.rolled_back"


def test_diff_lists_the_changed_paths_against_another_version_or_the_active_one(network: TestClient) -> None:
    v1 = create(network, rule_set("ops", STORES_ONLY))
    changed = rule_set("ops", {**STORES_ONLY, "strategy": {"split": "ship_complete"}}, exclude=["NWK"])
    changed["costs"]["split_penalty"] = 4.0
    v2 = create(network, changed)

    against_v1 = network.get(f"{RULE_SETS}/{v2['id']}/diff", params={"against": v1["id"]}).json()
    against_default = network.get(f"{RULE_SETS}/{v1['id']}/diff").json()
    activate(network, v1["id"])
    against_active = network.get(f"{RULE_SETS}/{v2['id']}/diff").json()

    assert against_v1["from"] == {"id": v1["id"], "name": "ops", "version": 1, "built_in": False}
    assert against_v1["to"]["version"] == 2
    assert sorted(against_v1["changes"], key=lambda c: c["path"]) == [
        {"path": "costs.split_penalty", "change": "changed", "before": 2.5, "after": 4.0},
        {"path": "default.locations.exclude", "change": "added", "before": None, "after": ["NWK"]},
        {"path": "rules[0].strategy", "change": "added", "before": None, "after": {"split": "ship_complete"}},
    ]
    assert against_default["from"]["built_in"] is True
    assert {c["path"] for c in against_default["changes"]} == {"name", "rules[0]"}
    assert against_active["from"]["id"] == v1["id"]
    assert against_active["changes"] == against_v1["changes"]


# --- capacity and location profiles -------------------------------------------------------------------------


def located(client: TestClient, code: str, at: tuple[float, float], **sourcing: Any) -> dict[str, Any]:
    body = {
        "code": code,
        "name": f"Location {code}",
        "type": "warehouse",
        "capabilities": ["ship"],
        "address": {"country": "US", "lat": at[0], "lon": at[1]},
        "sourcing": sourcing,
    }
    response = client.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_location_at_its_daily_order_capacity_is_passed_over_until_an_order_is_cancelled(client: TestClient) -> None:
    item(client, "TEE")
    located(client, "NWK", NEWARK, daily_order_capacity=1)
    located(client, "CHI", CHICAGO)
    stock(client, "NWK", "TEE", 10)
    stock(client, "CHI", "TEE", 10)

    first = place(client, order_body("C-1", ("TEE", 1)))
    second = place(client, order_body("C-2", ("TEE", 1)))
    cancelled = client.post(f"/v1/orders/{first['id']}/cancel")
    third = place(client, order_body("C-3", ("TEE", 1)))

    assert allocations(first) == {"TEE": [("NWK", 1)]}
    assert allocations(second) == {"TEE": [("CHI", 1)]}
    eliminated = decisions(client, second["id"])[0]["explanation"]["eliminated"]
    assert {
        "location": "NWK",
        "rule": "capacity",
        "reason": "daily order capacity reached",
        "lines": None,
    } in eliminated
    assert cancelled.status_code == 200, cancelled.text
    assert allocations(third) == {"TEE": [("NWK", 1)]}


def test_a_location_keeps_the_sourcing_profile_it_was_created_with(client: TestClient) -> None:
    created = located(
        client,
        "NWK",
        NEWARK,
        groups=["east"],
        tags=["fast"],
        timezone="America/New_York",
        cutoff="15:30",
        processing_days=1,
        daily_order_capacity=200,
        daily_unit_capacity=None,
    )
    plain = location(client, "CHI", CHICAGO)

    assert (
        created["sourcing"]
        == client.get("/v1/locations/NWK").json()["sourcing"]
        == {
            "groups": ["east"],
            "tags": ["fast"],
            "timezone": "America/New_York",
            "cutoff": "15:30",
            "processing_days": 1,
            "daily_order_capacity": 200,
            "daily_unit_capacity": None,
        }
    )
    assert plain["sourcing"] == {
        "groups": [],
        "tags": [],
        "timezone": "UTC",
        "cutoff": None,
        "processing_days": 0,
        "daily_order_capacity": None,
        "daily_unit_capacity": None,
    }


def test_a_profile_change_takes_effect_for_the_next_order(network: TestClient) -> None:
    east_only = {"name": "East only", "when": {"channel": "web"}, "locations": {"groups": ["east"]}}
    activate(network, create(network, rule_set("ops", east_only))["id"])
    nowhere = place(network, order_body("G-1", ("TEE", 1)))

    changed = network.patch("/v1/locations/CHI/sourcing", json={"groups": ["east"]})
    chicago = place(network, order_body("G-2", ("TEE", 1)))

    assert changed.status_code == 200, changed.text
    assert changed.json()["sourcing"]["groups"] == ["east"]
    assert nowhere["status"] == "backordered"
    assert allocations(chicago) == {"TEE": [("CHI", 1)]}
    eliminated = decisions(network, chicago["id"])[0]["explanation"]["eliminated"]
    assert {
        "location": "NWK",
        "rule": "East only",
        "reason": "in none of the groups ['east']",
        "lines": None,
    } in eliminated


def test_patching_a_sourcing_profile_changes_only_the_fields_sent_and_is_audited(client: TestClient) -> None:
    located(client, "NWK", NEWARK, groups=["east"], daily_order_capacity=5)

    response = client.patch("/v1/locations/NWK/sourcing", json={"cutoff": "14:00", "daily_order_capacity": None})

    assert response.status_code == 200, response.text
    sourcing = client.get("/v1/locations/NWK").json()["sourcing"]
    assert (sourcing["groups"], sourcing["cutoff"], sourcing["daily_order_capacity"]) == (["east"], "14:00", None)
    [change] = [
        e
        for e in client.get("/v1/audit", params={"entity": "location", "entity_id": "NWK"}).json()["data"]
        if e["action"] == "location.update_sourcing"
    ]
    assert (change["before"]["daily_order_capacity"], change["after"]["daily_order_capacity"]) == (5, None)
    assert change["after"]["cutoff"] == "14:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"cutoff": "25:00"}, "cutoff"),
        ({"cutoff": "3pm"}, "cutoff"),
        ({"processing_days": 31}, "processing_days"),
        ({"processing_days": -1}, "processing_days"),
        ({"daily_order_capacity": -1}, "daily_order_capacity"),
        ({"daily_unit_capacity": "10"}, "daily_unit_capacity"),
        ({"groups": None}, "groups"),
        ({"capacity": 3}, "capacity"),
    ],
)
def test_bad_sourcing_profile_values_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    location(client, "NWK", NEWARK)

    response = client.patch("/v1/locations/NWK/sourcing", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert [e["loc"] for e in response.json()["errors"]] == [["body", field]]
    assert client.get("/v1/locations/NWK").json()["sourcing"]["timezone"] == "UTC"


def test_a_sourcing_profile_of_an_unknown_location_is_404(client: TestClient) -> None:
    response = client.patch("/v1/locations/NOPE/sourcing", json={"processing_days": 1})

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_the_sourcing_of_an_unknown_order_is_404(client: TestClient) -> None:
    response = client.get("/v1/orders/ord_missing/sourcing")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


# --- roles ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "may_change"),
    [
        (Role.VIEWER, False),
        (Role.INTEGRATION, False),
        (Role.OPERATOR, True),
        (Role.ADMIN, True),
    ],
)
def test_operators_and_admins_change_rule_sets_and_every_role_reads_them(
    client: TestClient,
    ctx: AppContext,
    role: Role,
    may_change: bool,
) -> None:
    location(client, "NWK", NYC)
    existing = create(client, rule_set("ops"))
    headers = headers_for(ctx, role)

    created = client.post(RULE_SETS, json=rule_set("ops"), headers=headers)
    edited = client.put(f"{RULE_SETS}/{existing['id']}", json=rule_set("ops"), headers=headers)
    activated = client.post(f"{RULE_SETS}/{existing['id']}/activate", headers=headers)
    profile = client.patch("/v1/locations/NWK/sourcing", json={"processing_days": 1}, headers=headers)
    reads = [
        client.get(RULE_SETS, headers=headers),
        client.get(f"{RULE_SETS}/active", headers=headers),
        client.get(f"{RULE_SETS}/{existing['id']}", headers=headers),
        client.get(f"{RULE_SETS}/{existing['id']}/diff", headers=headers),
        client.post(f"{RULE_SETS}/validate", json=rule_set("ops"), headers=headers),
    ]

    assert [r.status_code for r in reads] == [200] * 5
    expected = (201, 200, 200) if may_change else (403, 403, 403)
    assert (created.status_code, edited.status_code, activated.status_code) == expected
    assert profile.status_code == (403 if role == Role.VIEWER else 200)
    stored = client.get(RULE_SETS).json()["data"]
    assert len(stored) == (2 if may_change else 1)
