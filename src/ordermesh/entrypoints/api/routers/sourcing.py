"""/v1/sourcing/rule-sets: draft, validate, compare, activate and roll back sourcing rule sets;
/v1/sourcing/simulations: replay past orders under a draft beside the active one (the sandbox).

Rule sets change where every new order ships from, so changing them takes an operator or admin key
(`manage_orders`): channel integrations may capture orders but not steer them. Every change is audited.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.domain.sourcing.rules import RuleSetInvalid
from ordermesh.entrypoints.api.problems import problem
from ordermesh.entrypoints.api.schemas.common import PageOut
from ordermesh.entrypoints.api.schemas.sourcing import (
    DiffOut,
    MalformedDocument,
    RuleSetDetailOut,
    RuleSetOut,
    RuleSetSummary,
    SimulationIn,
    SimulationOut,
    ValidationOut,
    load_document,
    media_format,
    problem_location,
)
from ordermesh.entrypoints.api.security import Ctx, OrderManager, Reader
from ordermesh.services import simulation, sourcing
from ordermesh.services.simulation_runner import RunnerStopping, SimulationRunner

router = APIRouter(prefix="/v1/sourcing/rule-sets", tags=["sourcing"])

_OBJECT = {"type": "object", "description": "A rule-set document: schema, name, description, costs, default, rules"}
DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _OBJECT},
            "application/yaml": {"schema": _OBJECT},
        },
        "description": "JSON, or YAML (application/yaml, application/x-yaml, text/yaml)",
    }
}
Note = Annotated[str | None, Query(max_length=500, description="Why this version exists")]


async def rule_set_document(request: Request) -> Any:
    """The request body parsed by its Content-Type: 415 for other types, 400 for a syntax error."""
    kind = media_format(request.headers.get("content-type"))
    if kind is None:
        raise HTTPException(415, "send the rule set as application/json or application/yaml")
    body = await request.body()  # within the size limit: the middleware has buffered it
    # Parsing a large YAML document takes a while: keep it off the event loop.
    return await run_in_threadpool(load_document, body, kind)


Document = Annotated[Any, Depends(rule_set_document)]


# Routes with fixed paths come before /{rule_set_id}.


@router.post("", status_code=201, openapi_extra=DOCUMENT_BODY)
def create_rule_set(
    ctx: Ctx, actor: OrderManager, document: Document, response: Response, note: Note = None
) -> RuleSetDetailOut:
    """Store a validated document as the next draft version of its name; 422 lists every problem."""
    record = sourcing.create_rule_set(ctx, actor, document, note)
    response.headers["Location"] = f"{router.prefix}/{record.id}"
    return RuleSetDetailOut.of(record)


@router.get("")
def list_rule_sets(
    ctx: Ctx,
    _: Reader,
    name: str | None = None,
    status: Literal["draft", "active", "archived"] | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[RuleSetOut]:
    """Rule-set versions, newest first (documents left out: GET one to see it)."""
    page = sourcing.list_rule_sets(ctx, name=name, status=status, after=after, limit=limit)
    return PageOut[RuleSetOut](data=[RuleSetOut.of(r) for r in page.rows], next_cursor=page.next_cursor)


@router.get("/active")
def active_rule_set(ctx: Ctx, _: Reader) -> RuleSetDetailOut:
    """The version sourcing uses now; the built-in default (`built_in: true`) until one is activated."""
    record = sourcing.active_rule_set(ctx)
    return RuleSetDetailOut.of(record) if record else RuleSetDetailOut.built_in_default(DEFAULT_RULE_SET)


@router.post("/validate", openapi_extra=DOCUMENT_BODY, responses={422: {"description": "Every problem, by path"}})
def validate_rule_set(ctx: Ctx, _: Reader, document: Document) -> ValidationOut:
    """Check a document against the vocabulary and this network's locations without saving it (read-only)."""
    parsed = ctx.read(lambda uow: sourcing.validate_document(uow, document))
    return ValidationOut(summary=RuleSetSummary.of(parsed))


@router.post("/rollback")
def roll_back(ctx: Ctx, actor: OrderManager) -> RuleSetDetailOut:
    """Re-activate the version that was active before the current one; 409 when there is none."""
    return RuleSetDetailOut.of(sourcing.roll_back(ctx, actor))


@router.get("/{rule_set_id}")
def get_rule_set(rule_set_id: str, ctx: Ctx, _: Reader) -> RuleSetDetailOut:
    return RuleSetDetailOut.of(sourcing.get_rule_set(ctx, rule_set_id))


@router.put("/{rule_set_id}", openapi_extra=DOCUMENT_BODY)
def update_draft(
    rule_set_id: str, ctx: Ctx, actor: OrderManager, document: Document, note: Note = None
) -> RuleSetDetailOut:
    """Replace a draft's document (same name); 409 for active and archived versions, which never change."""
    return RuleSetDetailOut.of(sourcing.update_draft(ctx, actor, rule_set_id, document, note))


@router.get("/{rule_set_id}/diff")
def diff(
    rule_set_id: str,
    ctx: Ctx,
    _: Reader,
    against: Annotated[str | None, Query(description="Another version's id; default: the active one")] = None,
) -> DiffOut:
    """Every changed path from `against` (or the active version, or the built-in default) to this version."""
    return DiffOut.model_validate(sourcing.diff_rule_sets(ctx, rule_set_id, against))


@router.post("/{rule_set_id}/activate")
def activate(rule_set_id: str, ctx: Ctx, actor: OrderManager) -> RuleSetDetailOut:
    """Make this version the one new orders are sourced under; the active one is archived."""
    return RuleSetDetailOut.of(sourcing.activate(ctx, actor, rule_set_id))


# --- errors (registered by the app factory) -------------------------------------------------------------


async def invalid_rule_set(request: Request, exc: Exception) -> JSONResponse:
    """422 listing every problem of a rule-set document with its path."""
    assert isinstance(exc, RuleSetInvalid)
    errors = [{"loc": problem_location(path), "path": path, "msg": message} for path, message in exc.problems]
    count = len(errors)
    detail = f"the rule set has {count} problem{'s' if count != 1 else ''}: {exc.detail}"
    return problem(422, "invalid-rule-set", detail, title=exc.title, errors=errors)


async def malformed_document(request: Request, exc: Exception) -> JSONResponse:
    """400 naming where the JSON or YAML syntax breaks."""
    assert isinstance(exc, MalformedDocument)
    error: dict[str, Any] = {"loc": ["body"], "msg": exc.problem}
    if exc.line is not None:
        error |= {"line": exc.line, "column": exc.column}
    return problem(400, f"malformed-{exc.kind}", str(exc), errors=[error])


async def runner_stopping(request: Request, exc: Exception) -> JSONResponse:
    """503 while this process shuts down: it takes no new sandbox run, another process (or this one, restarted)
    will."""
    return problem(503, "shutting-down", str(exc), headers={"Retry-After": "5"})


EXCEPTION_HANDLERS = (
    (RuleSetInvalid, invalid_rule_set),
    (MalformedDocument, malformed_document),
    (RunnerStopping, runner_stopping),
)


# --- the sandbox: /v1/sourcing/simulations ---------------------------------------------------------------

simulations = APIRouter(prefix="/v1/sourcing/simulations", tags=["sourcing"])


async def this_process_runner(request: Request) -> SimulationRunner:
    """The runner of this process's sandbox runs, built by the app's lifespan (async: no thread hop)."""
    runner: SimulationRunner = request.app.state.simulations
    return runner


# Runs go to a small pool of this process, which keeps their heartbeat; their state is in the database, so any
# process can answer for them, and fails them as abandoned once their heartbeat is stale.
Runner = Annotated[SimulationRunner, Depends(this_process_runner)]


SHUTTING_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"description": "This process is shutting down and takes no new run: retry shortly"}
}


@simulations.post(
    "", status_code=202, responses={422: {"description": "The offending field, by name"}, **SHUTTING_DOWN}
)
def start_simulation(body: SimulationIn, actor: OrderManager, runner: Runner, response: Response) -> SimulationOut:
    """Queue a replay of past orders under a draft rule set and the active one; poll the Location for the KPIs.

    Nothing real changes: orders, stock, capacity, decisions and events are only read.
    """
    run = runner.start(actor, body.spec())
    response.headers["Location"] = f"{simulations.prefix}/{run.id}"
    return SimulationOut.of(run)


@simulations.get("")
def list_simulations(
    ctx: Ctx,
    _: Reader,
    runner: Runner,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> PageOut[SimulationOut]:
    """Sandbox runs, newest first."""
    page = simulation.list_simulations(ctx, after=after, limit=limit, stale_after=runner.stale_after)
    return PageOut[SimulationOut](data=[SimulationOut.of(run) for run in page.rows], next_cursor=page.next_cursor)


@simulations.get("/{run_id}")
def get_simulation(run_id: str, ctx: Ctx, _: Reader, runner: Runner) -> SimulationOut:
    """A run: queued, running (with its progress), done (with the KPIs side by side) or failed (with the error).

    A queued or running run whose process has sent no heartbeat for ORDERMESH_SIMULATION_STALE_SECONDS is
    failed as abandoned ("abandoned: the process running it ... stopped at 1,234 of 10,000 plans").
    """
    return SimulationOut.of(simulation.get_simulation(ctx, run_id, stale_after=runner.stale_after))


@simulations.post(
    "/{run_id}/retry",
    status_code=202,
    responses={
        404: {"description": "No run has this id"},
        409: {"description": "The run is not failed, its orders were uploaded, or it was retried already"},
        **SHUTTING_DOWN,
    },
)
def retry_simulation(run_id: str, actor: OrderManager, runner: Runner, response: Response) -> SimulationOut:
    """Queue a failed run's parameters again as a new run (`retry_of` names the failed one); poll its Location.

    A failed run is retried once: a second retry (a double click, a client retrying its request) gets 409
    naming the first, which it can poll. 409 also for a run that is not failed, or whose orders were uploaded
    (they are not kept: post them again).
    """
    run = runner.retry(actor, run_id)
    response.headers["Location"] = f"{simulations.prefix}/{run.id}"
    return SimulationOut.of(run)
