"""`ordermesh rules ...`: sourcing rule sets from the command line, on SQLite and PostgreSQL.

The commands run in this process (typer's runner) against the test database; one test runs the
installed `ordermesh` script as a subprocess to check the exit code a shell sees.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.entrypoints.cli.main import app
from tests.builders import CHICAGO, NEWARK, allocations, item, location, order_body, place, stock

ORDERMESH = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "ordermesh"
STORES_ONLY = {"name": "Stores only", "when": {"channel": "pos"}, "locations": {"types": ["store"]}}
SHOPFY = {"name": "Shop orders", "when": {"channel": "shopfy"}, "locations": {"types": ["warehouse"]}}


def rule_set(name: str = "ops", *rules: dict[str, Any], exclude: list[str] | None = None) -> dict[str, Any]:
    document = copy.deepcopy(DEFAULT_RULE_SET)
    document["name"] = name
    document["rules"] = list(rules)
    if exclude is not None:
        document["default"]["locations"]["exclude"] = exclude
    return document


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document) if path.suffix == ".json" else yaml.safe_dump(document, sort_keys=False))
    return path


def rules(database_url: str, *args: str, expect: int = 0) -> Result:
    """Run `ordermesh rules ...` on the test database; fail with its output when the exit code differs."""
    result = CliRunner().invoke(
        app, ["rules", *args], env={"ORDERMESH_DATABASE_URL": database_url, "COLUMNS": "200"}, catch_exceptions=False
    )
    assert result.exit_code == expect, f"rules {' '.join(args)} exited {result.exit_code}:\n{result.output}"
    return result


@pytest.fixture
def network(client: TestClient) -> TestClient:
    """A warehouse near New York (NWK) and a store in Chicago (CHI), both stocked with tees."""
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    location(client, "CHI", CHICAGO, type="store")
    stock(client, "NWK", "TEE", 20)
    stock(client, "CHI", "TEE", 20)
    return client


def test_validate_prints_every_problem_with_its_path_and_fails(
    network: TestClient, database_url: str, tmp_path: Path
) -> None:
    good = write(tmp_path / "good.yaml", rule_set("ops", STORES_ONLY))
    bad = write(tmp_path / "bad.json", rule_set("ops", SHOPFY, exclude=["NWX"]))
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: ops\n  costs: [\n")

    valid = rules(database_url, "validate", str(good))
    problems = rules(database_url, "validate", str(bad), expect=1)
    unreadable = rules(database_url, "validate", str(broken), expect=1)

    assert valid.stdout.strip() == "valid: ops, 1 rule(s): Stores only; rate cards for standard, express, *"
    assert problems.stdout.splitlines() == [
        "default.locations.exclude[0]: unknown location 'NWX' (did you mean 'NWK'?)",
        "rules[0].when.channel: unknown channel 'shopfy' (did you mean 'shopify'?)",
    ]
    assert "2 problem(s)" in problems.stderr
    assert "line 2, column 8" in unreadable.stderr
    assert network.get("/v1/sourcing/rule-sets").json()["data"] == []


def test_a_rule_set_created_and_activated_from_the_command_line_sources_new_orders(
    network: TestClient, database_url: str, tmp_path: Path
) -> None:
    document = rule_set("ops", STORES_ONLY)

    created = rules(database_url, "create", str(write(tmp_path / "ops.yaml", document)), "--note", "tills [east]")
    rule_set_id = created.stdout.strip()
    listed = rules(database_url, "list")
    activated = rules(database_url, "activate", rule_set_id)
    order = place(network, order_body("POS-1", ("TEE", 1), channel="pos"))

    assert f"created draft ops v1 ({rule_set_id})" in created.stderr
    assert rule_set_id in listed.stdout
    assert "tills [east]" in listed.stdout
    assert "built-in default" in listed.stdout
    assert activated.stdout.strip() == f"active: ops v1 ({rule_set_id})"
    assert allocations(order) == {"TEE": [("CHI", 1)]}
    decision = network.get(f"/v1/orders/{order['id']}/sourcing").json()["decisions"][0]
    assert (decision["rule_set"]["id"], decision["explanation"]["matched_rule"]) == (rule_set_id, "Stores only")
    stored = network.get(f"/v1/sourcing/rule-sets/{rule_set_id}").json()
    assert (stored["document"], stored["note"], stored["status"]) == (document, "tills [east]", "active")
    audit = network.get("/v1/audit", params={"entity": "rule_set", "entity_id": rule_set_id}).json()["data"]
    assert [e["action"] for e in audit] == ["rule_set.activated", "rule_set.created"]
    assert all(e["actor_name"].startswith("cli (") for e in audit)


def test_show_diff_and_roll_back_from_the_command_line(network: TestClient, database_url: str, tmp_path: Path) -> None:
    nothing_to_roll_back = rules(database_url, "rollback", expect=1)
    v1 = rules(
        database_url, "create", str(write(tmp_path / "v1.json", rule_set("ops", exclude=["NWK"])))
    ).stdout.strip()
    v2 = rules(database_url, "create", str(write(tmp_path / "v2.yaml", rule_set("ops")))).stdout.strip()
    rules(database_url, "activate", v1)
    rules(database_url, "activate", v2)

    shown = rules(database_url, "show", v1)
    as_json = rules(database_url, "show", "active", "--json")
    diff = rules(database_url, "diff", v2, "--against", v1)
    rolled_back = rules(database_url, "rollback")
    missing = rules(database_url, "show", "rs_missing", expect=1)
    order = place(network, order_body("R-1", ("TEE", 1)))

    assert "cannot roll back" in nothing_to_roll_back.stderr
    assert yaml.safe_load(shown.stdout) == rule_set("ops", exclude=["NWK"])
    assert "archived" in shown.stderr
    assert json.loads(as_json.stdout) == rule_set("ops")
    assert f"from ops v1 ({v1}) to ops v2 ({v2})" in diff.stdout
    assert "default.locations.exclude" in diff.stdout
    assert "removed" in diff.stdout
    assert rolled_back.stdout.strip() == f"rolled back; active: ops v1 ({v1})"
    assert "rule set 'rs_missing' does not exist" in missing.stderr
    assert allocations(order) == {"TEE": [("CHI", 1)]}


def test_the_installed_command_exits_1_on_an_invalid_rule_set(database_url: str, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", rule_set("ops", SHOPFY))
    env = {**os.environ, "ORDERMESH_DATABASE_URL": database_url}

    result = subprocess.run(
        [str(ORDERMESH), "rules", "validate", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert result.stdout == "rules[0].when.channel: unknown channel 'shopfy' (did you mean 'shopify'?)\n"
