"""`ordermesh import orders FILE`: capture a CSV or JSON lines file of orders, with a progress bar and a report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from ordermesh.bootstrap import build
from ordermesh.entrypoints.api.schemas.imports import ImportReportOut, UnreadableFile, kind_of, read_orders
from ordermesh.entrypoints.cli.actor import cli_actor
from ordermesh.services import imports

import_app = typer.Typer(help="Bulk imports.", no_args_is_help=True)
console = Console(stderr=True)


@import_app.command("orders")
def import_orders(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSON lines")],
    format: Annotated[str | None, typer.Option("--format", help="csv or jsonl (default: from the file name)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Capture every good order of FILE; report each bad one with its rows and reason. Running the same file
    again captures nothing twice (orders are found by channel and external id)."""
    try:
        parsed = list(read_orders(file.read_text(encoding="utf-8-sig"), format or kind_of(file.name)))
    except UnreadableFile as exc:
        raise typer.BadParameter(str(exc), param_hint="FILE") from None
    runtime = build()
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Importing orders", total=len(parsed))
            report = imports.import_orders(
                runtime.context,
                orders=[(order.where, order.command, order.problem) for order in parsed],
                actor=cli_actor(),
                progress=lambda: progress.advance(task),
            )
    finally:
        runtime.close()
    out = ImportReportOut.of(report)
    if as_json:
        typer.echo(json.dumps(out.model_dump(), indent=2))
    else:
        typer.echo(f"{out.imported} imported, {out.already_present} already present, {len(out.rejected)} rejected")
        for rejected in out.rejected:
            typer.echo(f"{file}: {rejected.where}: {rejected.reason}")
    if out.rejected:
        raise typer.Exit(1)
