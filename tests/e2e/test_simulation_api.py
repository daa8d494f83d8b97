"""The sandbox over HTTP: 202 and a run to poll, KPIs side by side when done, 422 naming the field, roles."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from ordermesh.config import Settings
from ordermesh.domain.access import Role
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.entrypoints.api.app import create_app
from ordermesh.entrypoints.api.schemas.orders import OrderIn
from ordermesh.entrypoints.api.schemas.sourcing import PlacedRange
from ordermesh.entrypoints.cli.main import app
from ordermesh.services.access import create_api_key
from ordermesh.services.context import AppContext
from ordermesh.services.simulation import SimulationSpec
from tests.builders import CHICAGO, NEWARK, item, location, order_body, place, stock
from tests.conftest import ADMIN_KEY
from tests.simulation_runs import GONE, held_by_a_stopped_process

SIMULATIONS = "/v1/sourcing/simulations"
TODAY = datetime.now(UTC).date()
RANGE = {"from": (TODAY - timedelta(days=1)).isoformat(), "to": (TODAY + timedelta(days=1)).isoformat()}


def _network(client: TestClient) -> None:
    item(client, "TEE")
    location(client, "NWK", NEWARK)
    location(client, "CHI", CHICAGO)
    stock(client, "NWK", "TEE", 10)
    stock(client, "CHI", "TEE", 10)
    for n in range(3):
        place(client, order_body(f"S-{n}", ("TEE", 1)))


def _draft(client: TestClient, *, exclude: list[str]) -> str:
    document = _document("no-newark")
    document["default"]["locations"]["exclude"] = exclude
    response = client.post("/v1/sourcing/rule-sets", json=document)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _document(name: str) -> dict[str, Any]:
    document = copy.deepcopy(DEFAULT_RULE_SET)
    document["name"] = name
    return document


def _finished(client: TestClient, url: str, *, seconds: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = client.get(url).json()
        if run["status"] in ("done", "failed"):
            return dict(run)
        time.sleep(0.05)
    raise AssertionError(f"the run at {url} did not finish within {seconds} s")


def _key(ctx: AppContext, role: Role) -> dict[str, str]:
    _, plain = create_api_key(ctx, name=f"{role} key", role=role)
    return {"Authorization": f"Bearer {plain}"}


def test_a_simulation_is_accepted_then_polled_until_its_kpis_are_ready(client: TestClient) -> None:
    _network(client)
    draft = _draft(client, exclude=["NWK"])

    response = client.post(SIMULATIONS, json={"rule_set_id": draft, "range": RANGE})

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert response.headers["location"] == f"{SIMULATIONS}/{accepted['id']}"
    assert accepted["status"] == "queued"
    assert accepted["parameters"]["draft"]["rule_set"]["id"] == draft
    assert accepted["parameters"]["active"]["rule_set"]["built_in"] is True
    run = _finished(client, response.headers["location"])
    assert run["status"] == "done", run["error"]
    result = run["result"]
    assert result["orders_replayed"] == 3
    assert set(result["active"]["capacity"]) == {"NWK"}
    assert set(result["draft"]["capacity"]) == {"CHI"}
    assert result["difference"]["cost"]["total"] > 0
    assert result["difference"]["mean_distance_km"] > 0
    assert run["progress"] == {"plans_made": 6, "plans_to_make": 6}  # 3 orders, under each rule set
    assert run["runner"].startswith("api@") and run["started_at"] is not None
    assert run["retry_of"] is None
    listed = client.get(SIMULATIONS).json()["data"]
    assert [r["id"] for r in listed] == [accepted["id"]]


def test_uploaded_orders_and_an_inline_draft_are_replayed(client: TestClient) -> None:
    _network(client)
    placed = datetime.now(UTC).isoformat()  # after the stock arrived: the replay starts from it
    orders = [order_body(f"U-{n}", ("TEE", 2)) | {"placed_at": placed} for n in range(4)]

    response = client.post(SIMULATIONS, json={"rule_set": _document("inline"), "orders": orders})

    assert response.status_code == 202, response.text
    run = _finished(client, response.headers["location"])
    assert run["status"] == "done", run["error"]
    assert run["parameters"]["orders"] == {"uploaded": 4}
    assert run["result"]["draft"]["units_allocated"] == run["result"]["active"]["units_allocated"] == 8


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"rule_set_id": "rs_unknown", "range": RANGE}, ["body", "rule_set_id"]),
        ({"rule_set_id": "DRAFT", "range": {"from": "2026-11-27", "to": "2026-11-01"}}, ["body", "range", "from"]),
        ({"rule_set_id": "DRAFT", "range": {"from": "2020-01-01", "to": "2020-01-31"}}, ["body", "range"]),
        ({"rule_set_id": "DRAFT", "orders": [order_body("U-1", ("TEE", 1))]}, ["body", "orders", 0, "placed_at"]),
        ({"rule_set_id": "DRAFT", "range": {"from": "yesterday", "to": "2026-11-01"}}, ["body", "range", "from"]),
    ],
)
def test_bad_input_is_422_naming_the_field(client: TestClient, body: dict[str, Any], loc: list[Any]) -> None:
    _network(client)
    draft = _draft(client, exclude=["NWK"])
    if body.get("rule_set_id") == "DRAFT":
        body = body | {"rule_set_id": draft}

    response = client.post(SIMULATIONS, json=body)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][: len(loc)] == loc
    assert client.get(SIMULATIONS).json()["data"] == []


def test_an_invalid_inline_rule_set_is_422_with_its_problems_under_rule_set(client: TestClient) -> None:
    _network(client)
    document = _document("broken")
    document["default"]["locations"]["exclude"] = ["NWX"]

    response = client.post(SIMULATIONS, json={"rule_set": document, "range": RANGE})

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == ["body", "rule_set", "default", "locations", "exclude", 0]
    assert "unknown location 'NWX'" in error["msg"]


def test_the_draft_is_given_once_by_id_or_inline(client: TestClient) -> None:
    response = client.post(SIMULATIONS, json={"range": RANGE})

    assert response.status_code == 422
    assert "exactly one of rule_set_id and rule_set" in response.text


@pytest.mark.parametrize(("role", "may_run"), [(Role.VIEWER, False), (Role.INTEGRATION, False), (Role.OPERATOR, True)])
def test_every_role_reads_runs_and_order_managers_start_them(
    client: TestClient, ctx: AppContext, role: Role, may_run: bool
) -> None:
    _network(client)
    draft = _draft(client, exclude=["NWK"])
    headers = _key(ctx, role)

    abandoned = _stopped_long_ago(ctx, SimulationSpec(*PlacedRange.model_validate(RANGE).bounds(), draft_id=draft))
    assert client.get(f"{SIMULATIONS}/{abandoned}").json()["status"] == "failed"

    started = client.post(SIMULATIONS, json={"rule_set_id": draft, "range": RANGE}, headers=headers)
    retried = client.post(f"{SIMULATIONS}/{abandoned}/retry", headers=headers)

    assert started.status_code == retried.status_code == (202 if may_run else 403)
    assert client.get(SIMULATIONS, headers=headers).status_code == 200
    if may_run:
        assert _finished(client, started.headers["location"])["status"] == "done"
        assert _finished(client, retried.headers["location"])["status"] == "done"
    assert client.get(f"{SIMULATIONS}/sim_unknown", headers=headers).status_code == 404


def _stopped_long_ago(ctx: AppContext, spec: SimulationSpec) -> str:
    """A run whose process stopped at plan 1,234 of 10,000, long ago."""
    return held_by_a_stopped_process(ctx, spec, started=True).id


def test_a_run_whose_process_stopped_reads_as_failed_and_a_retry_runs_it_again(
    client: TestClient, ctx: AppContext
) -> None:
    _network(client)
    draft = _draft(client, exclude=["NWK"])
    start, end = PlacedRange.model_validate(RANGE).bounds()
    abandoned = _stopped_long_ago(ctx, SimulationSpec(start, end, draft_id=draft))

    failed = client.get(f"{SIMULATIONS}/{abandoned}").json()
    response = client.post(f"{SIMULATIONS}/{abandoned}/retry")

    assert failed["status"] == "failed"
    assert failed["error"].startswith(f"abandoned: the process running it ({GONE}) stopped at 1,234 of 10,000 plans")
    assert failed["progress"] == {"plans_made": 1234, "plans_to_make": 10000}
    assert response.status_code == 202, response.text
    retry = response.json()
    assert response.headers["location"] == f"{SIMULATIONS}/{retry['id']}"
    assert retry["retry_of"] == abandoned and retry["id"] != abandoned
    assert retry["parameters"] == failed["parameters"]
    run = _finished(client, response.headers["location"])
    assert run["status"] == "done", run["error"]
    assert run["result"]["orders_replayed"] == 3
    assert client.get(f"{SIMULATIONS}/{abandoned}").json()["status"] == "failed"


def test_only_a_failed_run_of_a_range_is_retried(client: TestClient, ctx: AppContext) -> None:
    _network(client)
    draft = _draft(client, exclude=["NWK"])
    done = _finished(client, client.post(SIMULATIONS, json={"rule_set_id": draft, "range": RANGE}).headers["location"])
    uploaded = OrderIn.model_validate(order_body("U-1", ("TEE", 1)) | {"placed_at": datetime.now(UTC).isoformat()})
    gone_with_its_orders = _stopped_long_ago(ctx, SimulationSpec(orders=(uploaded.command(),), draft_id=draft))
    assert client.get(f"{SIMULATIONS}/{gone_with_its_orders}").json()["status"] == "failed"

    not_failed = client.post(f"{SIMULATIONS}/{done['id']}/retry")
    not_kept = client.post(f"{SIMULATIONS}/{gone_with_its_orders}/retry")
    unknown = client.post(f"{SIMULATIONS}/sim_unknown/retry")

    assert not_failed.status_code == not_kept.status_code == 409
    assert not_failed.headers["content-type"] == "application/problem+json"
    assert not_failed.json()["type"] == "/problems/illegal-transition"
    assert not_failed.json()["detail"] == (
        f"simulation {done['id']} is done; cannot retry: only a failed run can be retried"
    )
    assert "uploaded orders are not kept" in not_kept.json()["detail"]
    assert unknown.status_code == 404
    assert len(client.get(SIMULATIONS).json()["data"]) == 2


def _simulate(database_url: str, *args: str, expect: int = 0) -> Result:
    result = CliRunner().invoke(
        app, ["simulate", *args], env={"ORDERMESH_DATABASE_URL": database_url, "COLUMNS": "200"}
    )
    assert result.exit_code == expect, f"simulate {' '.join(args)} exited {result.exit_code}:\n{result.output}"
    return result


def test_the_cli_prints_the_kpis_side_by_side(client: TestClient, database_url: str, tmp_path: Path) -> None:
    _network(client)
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(_document("no-newark") | {"default": {"locations": {"exclude": ["NWK"]}}}))

    table = _simulate(database_url, "--from", RANGE["from"], "--to", RANGE["to"], "--file", str(draft))
    as_json = _simulate(database_url, "--from", RANGE["from"], "--to", RANGE["to"], "--file", str(draft), "--json")

    assert "no-newark" in table.stdout and "built-in default" in table.stdout
    assert "orders replayed" in table.stdout and "CHI" in table.stdout
    run = json.loads(as_json.stdout)
    assert run["status"] == "done"
    assert run["result"]["draft"]["capacity"]["CHI"]["orders"] == 3
    assert len(client.get(SIMULATIONS).json()["data"]) == 2


def test_the_cli_refuses_a_range_without_orders_naming_it(client: TestClient, database_url: str) -> None:
    _network(client)
    draft = _draft(client, exclude=["NWK"])

    result = _simulate(database_url, "--from", "2020-01-01", "--to", "2020-01-02", "--rule-set", draft, expect=1)

    assert "no order was placed in the range" in result.output


def test_a_failed_run_is_retried_once_and_a_second_retry_names_the_first(client: TestClient, ctx: AppContext) -> None:
    _network(client)
    draft = _draft(client, exclude=["NWK"])
    start, end = PlacedRange.model_validate(RANGE).bounds()
    abandoned = _stopped_long_ago(ctx, SimulationSpec(start, end, draft_id=draft))
    assert client.get(f"{SIMULATIONS}/{abandoned}").json()["status"] == "failed"

    first = client.post(f"{SIMULATIONS}/{abandoned}/retry")
    second = client.post(f"{SIMULATIONS}/{abandoned}/retry")

    assert first.status_code == 202, first.text
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    assert second.json()["detail"] == (
        f"simulation {abandoned} is failed; cannot retry: it was retried already, as {first.json()['id']}"
    )
    assert _finished(client, first.headers["location"])["status"] == "done"
    assert len(client.get(SIMULATIONS).json()["data"]) == 2


def test_a_process_shutting_down_answers_503_and_stores_no_run(client: TestClient) -> None:
    _network(client)
    draft = _draft(client, exclude=["NWK"])
    client.app.state.simulations.close()  # type: ignore[attr-defined]  # as the lifespan does at shutdown

    response = client.post(SIMULATIONS, json={"rule_set_id": draft, "range": RANGE})

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/shutting-down"
    assert "Retry-After" in response.headers
    assert client.get(SIMULATIONS).json()["data"] == []


def test_an_app_started_a_second_time_runs_simulations_again(settings: Settings) -> None:
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with TestClient(app, headers=headers) as first:
        _network(first)
        draft = _draft(first, exclude=["NWK"])

    with TestClient(app, headers=headers) as second:
        response = second.post(SIMULATIONS, json={"rule_set_id": draft, "range": RANGE})
        assert response.status_code == 202, response.text
        run = _finished(second, response.headers["location"])

    assert run["status"] == "done", run["error"]
