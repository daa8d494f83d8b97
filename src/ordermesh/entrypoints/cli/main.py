"""`ordermesh`: serve the API, run the worker, migrate, load demo data, issue API keys, manage sourcing rules."""

from __future__ import annotations

import json
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from ordermesh.adapters.db.migrate import is_empty, upgrade
from ordermesh.bootstrap import build, simulation_runner
from ordermesh.config import Settings
from ordermesh.domain.access import Role
from ordermesh.domain.errors import DomainError
from ordermesh.domain.sourcing.defaults import DEFAULT_RULE_SET
from ordermesh.domain.sourcing.rules import RuleSetInvalid
from ordermesh.entrypoints.api.schemas.orders import OrderIn
from ordermesh.entrypoints.api.schemas.sourcing import MalformedDocument, PlacedRange, load_document
from ordermesh.entrypoints.cli import serving
from ordermesh.entrypoints.cli.actor import cli_actor
from ordermesh.entrypoints.cli.channels import channels_app
from ordermesh.entrypoints.cli.customs import customs_app
from ordermesh.entrypoints.cli.events import events_app
from ordermesh.entrypoints.cli.imports import import_app
from ordermesh.entrypoints.worker.loop import ReoptimiseSchedule, Worker
from ordermesh.services import sourcing
from ordermesh.services.access import create_api_key
from ordermesh.services.commands import CaptureOrder
from ordermesh.services.context import AppContext
from ordermesh.services.ports import RuleSetRecord, SimulationStatus
from ordermesh.services.simulation import SimulationSpec

app = typer.Typer(help="Ordermesh — an API-first order management system.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys.", no_args_is_help=True)
rules_app = typer.Typer(
    help="Sourcing rule sets: validate, create, compare, activate, roll back. "
    "Running API processes pick up an activation within seconds.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")
app.add_typer(rules_app, name="rules")
app.add_typer(channels_app, name="channels")
app.add_typer(events_app, name="events")
app.add_typer(import_app, name="import")
app.add_typer(customs_app, name="customs")
console = Console(stderr=True)
out = Console(highlight=False)  # what a command answers goes to stdout, progress and errors to stderr


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the schema migrations to ORDERMESH_DATABASE_URL."""
    settings = Settings()
    upgrade(settings.database_url, revision)
    console.print(f"[green]database at {revision}[/green]")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default ORDERMESH_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ORDERMESH_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="API processes (default ORDERMESH_WORKERS)")] = None,
) -> None:
    """Migrate the database and serve the API (with the embedded worker unless disabled)."""
    settings = Settings()
    _logging(settings.log_level)
    upgrade(settings.database_url)
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"Ordermesh on http://{bind_host}:{bind_port}  (docs: /docs)")
    serving.serve(bind_host, bind_port, processes=workers or settings.workers, log_level=settings.log_level)


@app.command()
def worker() -> None:
    """Run the background worker alone (outbox relay, backorder sweep) until interrupted."""
    settings = Settings()
    _logging(settings.log_level)
    runtime = build(settings)
    loop = Worker(
        runtime.context,
        runtime.publishers,
        reoptimisation=ReoptimiseSchedule.from_settings(settings),
        webhooks=runtime.webhooks,
        pushes=runtime.pushes,
        partners=runtime.partners,
        simulations_stale_after=timedelta(seconds=settings.simulation_stale_seconds),
    )
    signal.signal(signal.SIGTERM, lambda *_: loop.stop())
    console.print("worker running; Ctrl+C to stop")
    try:
        loop.run()
    except KeyboardInterrupt:
        loop.stop()
    finally:
        runtime.close()


@app.command()
def demo(
    orders: Annotated[int, typer.Option(help="Sample orders to capture")] = 40,
    skus: Annotated[int, typer.Option(help="SKUs in the item master")] = 300,
    force: Annotated[bool, typer.Option(help="Load even when the database already has data")] = False,
) -> None:
    """Load a demo network: warehouses, pickup stores, a drop-ship vendor, stocked SKUs and sample orders."""
    from ordermesh.entrypoints.cli.demo import load_demo

    settings = Settings()
    upgrade(settings.database_url)
    if not force and not is_empty(settings.database_url):
        console.print("the database already has data; demo data not loaded (use --force)")
        return
    runtime = build(settings)
    try:
        summary = load_demo(runtime.context, skus=skus, orders=orders, console=console)
    finally:
        runtime.close()
    console.print(f"[green]demo loaded:[/green] {summary}")


@apikey_app.command("create")
def apikey_create(
    role: Annotated[Role, typer.Option(help="admin, operator, integration or viewer")],
    name: Annotated[str, typer.Option(help="Who or what uses the key")] = "cli",
) -> None:
    """Issue an API key and print it once (only its hash is stored)."""
    settings = Settings()
    upgrade(settings.database_url)
    runtime = build(settings)
    try:
        record, plain = create_api_key(runtime.context, name=name, role=role)
    finally:
        runtime.close()
    console.print(f"created key {record.id} ({record.role}) — store it now, it is not shown again:")
    typer.echo(plain)


# --- sourcing rule sets ------------------------------------------------------------------------------------

RuleSetFile = Annotated[
    Path,
    typer.Argument(
        help="A rule-set document: .json is read as JSON, anything else as YAML", exists=True, dir_okay=False
    ),
]


@contextmanager
def _rule_sets() -> Iterator[AppContext]:
    """The services on the configured database; domain errors end the command with exit code 1."""
    settings = Settings()
    upgrade(settings.database_url)
    runtime = build(settings)
    try:
        yield runtime.context
    except RuleSetInvalid as exc:
        for path, message in exc.problems:
            typer.echo(f"{path or '(document)'}: {message}")
        console.print(f"{len(exc.problems)} problem(s)", style="red")
        raise typer.Exit(1) from None
    except DomainError as exc:
        console.print(Text(f"error: {exc.detail}"), style="red")
        raise typer.Exit(1) from None
    finally:
        runtime.close()


def _document(path: Path) -> Any:
    try:
        return load_document(path.read_bytes(), "json" if path.suffix.lower() == ".json" else "yaml")
    except MalformedDocument as exc:
        console.print(Text(f"{path}: {str(exc).replace('the body', 'the file')}"), style="red")
        raise typer.Exit(1) from None


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _label(record: RuleSetRecord) -> str:
    return f"{record.name} v{record.version} ({record.id})"


@rules_app.command("validate")
def rules_validate(file: RuleSetFile) -> None:
    """Check a document against the vocabulary and this network's locations; print every problem (exit code 1)."""
    document = _document(file)
    with _rule_sets() as ctx:
        parsed = ctx.read(lambda uow: sourcing.validate_document(uow, document))
    names = ", ".join(rule.name for rule in parsed.rules) or "none"
    levels = ", ".join(card.service_level for card in parsed.costs.rate_cards)
    typer.echo(f"valid: {parsed.name}, {len(parsed.rules)} rule(s): {names}; rate cards for {levels}")


@rules_app.command("create")
def rules_create(
    file: RuleSetFile, note: Annotated[str | None, typer.Option(help="Why this version exists")] = None
) -> None:
    """Store a document as the next draft version of its name and print the new id."""
    document = _document(file)
    with _rule_sets() as ctx:
        record = sourcing.create_rule_set(ctx, cli_actor(), document, note)
    console.print(Text(f"created draft {_label(record)}"))
    typer.echo(record.id)


@rules_app.command("list")
def rules_list(
    name: Annotated[str | None, typer.Option(help="Only versions of this rule set")] = None,
    status: Annotated[str | None, typer.Option(help="draft, active or archived")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """Rule-set versions, newest first."""
    if status is not None and status not in (sourcing.DRAFT, sourcing.ACTIVE, sourcing.ARCHIVED):
        raise typer.BadParameter("one of draft, active, archived", param_hint="--status")
    with _rule_sets() as ctx:
        page = sourcing.list_rule_sets(ctx, name=name, status=status, after=None, limit=limit)
        active = sourcing.active_rule_set(ctx)
    table = Table("id", "name", "version", "status", "created", "by", "note")
    for record in page.rows:
        style = "bold green" if record.status == sourcing.ACTIVE else None
        cells = (record.id, record.name, str(record.version), record.status, _when(record.created_at))
        table.add_row(*(Text(cell) for cell in (*cells, record.created_by, record.note or "")), style=style)
    out.print(table)
    if active is None:
        typer.echo("active: the built-in default (no rule set activated yet)")
    if page.next_cursor:
        console.print(f"more than {limit}; use --limit")


@rules_app.command("show")
def rules_show(
    rule_set_id: Annotated[str, typer.Argument(help="A rule-set id, or 'active'")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the document as JSON instead of YAML")] = False,
) -> None:
    """A version's status and history (on stderr), then its document (on stdout, ready to edit and create)."""
    with _rule_sets() as ctx:
        record = sourcing.active_rule_set(ctx) if rule_set_id == "active" else sourcing.get_rule_set(ctx, rule_set_id)
    if record is None:
        facts = [("name", "default"), ("status", "active (built in: no rule set activated yet)")]
        document: dict[str, Any] = DEFAULT_RULE_SET
    else:
        facts = [
            ("id", record.id),
            ("name", record.name),
            ("version", str(record.version)),
            ("status", record.status),
            ("created", f"{_when(record.created_at)} by {record.created_by}"),
            ("activated", _when(record.activated_at)),
            ("archived", _when(record.archived_at)),
            ("note", record.note or ""),
        ]
        document = record.document
    table = Table(show_header=False, box=None)
    for key, value in facts:
        if value:
            table.add_row(Text(key, style="bold"), Text(value))
    console.print(table)
    text = json.dumps(document, indent=2) if as_json else yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    typer.echo(text.rstrip())


@rules_app.command("diff")
def rules_diff(
    rule_set_id: Annotated[str, typer.Argument(help="The version to compare")],
    against: Annotated[str | None, typer.Option(help="The version to compare with (default: the active one)")] = None,
) -> None:
    """Every changed path from another version (default: the active one, or the built-in default) to this one."""
    with _rule_sets() as ctx:
        result = sourcing.diff_rule_sets(ctx, rule_set_id, against)
    base, target = result["from"], result["to"]
    base_name = "the built-in default" if base.get("built_in") else f"{base['name']} v{base['version']} ({base['id']})"
    typer.echo(f"from {base_name} to {target['name']} v{target['version']} ({target['id']})")
    if not result["changes"]:
        typer.echo("no changes")
        return
    table = Table("path", "change", "before", "after")
    for change in result["changes"]:
        values = (_compact(change, "before"), _compact(change, "after"))
        table.add_row(Text(change["path"]), Text(change["change"]), *(Text(value) for value in values))
    out.print(table)


def _compact(change: dict[str, Any], side: str) -> str:
    return json.dumps(change[side], separators=(",", ":")) if side in change else ""


@rules_app.command("activate")
def rules_activate(rule_set_id: str) -> None:
    """Make a version the one new orders are sourced under; the active one is archived."""
    with _rule_sets() as ctx:
        record = sourcing.activate(ctx, cli_actor(), rule_set_id)
    typer.echo(f"active: {_label(record)}")


@rules_app.command("rollback")
def rules_rollback() -> None:
    """Re-activate the version that was active before the current one."""
    with _rule_sets() as ctx:
        record = sourcing.roll_back(ctx, cli_actor())
    typer.echo(f"rolled back; active: {_label(record)}")


# --- the sourcing sandbox ----------------------------------------------------------------------------------


@app.command()
def simulate(
    start: Annotated[str | None, typer.Option("--from", help="First day (or RFC 3339 time) of placed_at")] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day (inclusive), or an RFC 3339 time (exclusive)")
    ] = None,
    rule_set: Annotated[str | None, typer.Option("--rule-set", help="The draft: a stored rule set's id")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Or the draft as a document (.json, else YAML)", exists=True)
    ] = None,
    orders: Annotated[
        Path | None,
        typer.Option("--orders", help="Replay these orders instead (JSON lines, capture API shape)", exists=True),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole run as JSON")] = False,
) -> None:
    """Replay past orders under a draft rule set and the active one, on a copy of the stock; print their KPIs."""
    if (rule_set is None) == (file is None):
        raise typer.BadParameter("give exactly one of --rule-set and --file", param_hint="--rule-set")
    spec = SimulationSpec(
        *_placed_range(start, end, uploaded=orders is not None),
        orders=_uploaded_orders(orders) if orders else None,
        draft_id=rule_set,
        draft_document=_document(file) if file else None,
    )
    with _rule_sets() as ctx, Progress(console=console, transient=True) as bar:
        task = bar.add_task("replaying", total=None)
        runner = simulation_runner(ctx, Settings(), "cli")
        try:
            run = runner.run_here(
                cli_actor(), spec, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
        finally:
            runner.close()
    if as_json:
        typer.echo(json.dumps(asdict(run), default=str, indent=2))
    if run.status != SimulationStatus.DONE or run.result is None:
        console.print(Text(f"simulation {run.id} failed: {run.error}"), style="red")
        raise typer.Exit(1)
    if not as_json:
        _print_kpis(run.id, run.result)


def _placed_range(start: str | None, end: str | None, *, uploaded: bool) -> tuple[datetime | None, datetime | None]:
    if uploaded:
        if start or end:
            raise typer.BadParameter("--orders replays those orders: leave out --from and --to", param_hint="--from")
        return None, None
    if not start or not end:
        raise typer.BadParameter("give --from and --to (or --orders)", param_hint="--from")
    try:
        return PlacedRange.model_validate({"from": start, "to": end}).bounds()
    except ValidationError as exc:
        raise typer.BadParameter(
            "a date (2026-11-01) or an RFC 3339 time with its zone", param_hint="--from/--to"
        ) from exc


def _uploaded_orders(path: Path) -> tuple[CaptureOrder, ...]:
    commands: list[CaptureOrder] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            commands.append(OrderIn.model_validate_json(line).command())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            console.print(Text(f"{path}:{number}: {where}: {first['msg']}"), style="red")
            raise typer.Exit(1) from None
    return tuple(commands)


_KPIS = (
    ("orders replayed", "orders_replayed"),
    ("cost", ("cost", "total")),
    ("cost per order", ("cost", "per_order")),
    ("split rate", "split_rate"),
    ("mean distance per unit (km)", "mean_distance_km"),
    ("on-time rate", "on_time_rate"),
    ("store unit share", "store_unit_share"),
    ("units allocated", "units_allocated"),
    ("unfillable units", "unfillable_units"),
    ("shipments", "shipments"),
    ("elapsed seconds", "elapsed_seconds"),
)


def _print_kpis(run_id: str, result: dict[str, Any]) -> None:
    draft, active, diff = result["draft"], result["active"], result["difference"]
    table = Table("KPI", f"draft: {_ref(draft)}", f"active: {_ref(active)}", "draft - active", title=run_id)
    currencies = f" ({draft['currency']} / {active['currency']})"
    for label, key in _KPIS:
        values = [_kpi(side, key) for side in (draft, active, diff)]
        table.add_row(label + (currencies if key[0] == "cost" else ""), *values)
    out.print(table)
    codes = sorted(set(draft["capacity"]) | set(active["capacity"]))
    use = Table("location", "daily capacity (orders/units)", "draft orders/units", "active orders/units", "peak use")
    for code in codes:
        mine, theirs = draft["capacity"].get(code), active["capacity"].get(code)
        known = mine or theirs
        limits = f"{known['order_capacity'] or '-'}/{known['unit_capacity'] or '-'}"
        peaks = " / ".join(_kpi(side, "peak_order_use") if side else "-" for side in (mine, theirs))
        use.add_row(code, limits, _work(mine), _work(theirs), peaks)
    out.print(use)


def _ref(side: dict[str, Any]) -> str:
    ref = side["rule_set"]
    return "built-in default" if ref.get("built_in") else f"{ref['name']} v{ref['version'] or '-'}"


def _kpi(side: dict[str, Any], key: str | tuple[str, str]) -> str:
    value = side[key[0]][key[1]] if isinstance(key, tuple) else side[key]
    if value is None:
        return "-"
    return f"{value:,.4g}" if isinstance(value, float) else f"{value:,}"


def _work(side: dict[str, Any] | None) -> str:
    return f"{side['orders']}/{side['units']}" if side else "-"


if __name__ == "__main__":
    app()
