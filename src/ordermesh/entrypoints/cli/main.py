"""`ordermesh`: serve the API, run the worker, migrate, load demo data, issue API keys."""

from __future__ import annotations

import logging
import signal
from typing import Annotated

import typer
from rich.console import Console

from ordermesh.adapters.db.migrate import is_empty, upgrade
from ordermesh.bootstrap import build
from ordermesh.config import Settings
from ordermesh.domain.access import Role
from ordermesh.entrypoints.cli import serving
from ordermesh.entrypoints.worker.loop import Worker
from ordermesh.services.access import create_api_key

app = typer.Typer(help="Ordermesh — an API-first order management system.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")
console = Console(stderr=True)


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
    loop = Worker(runtime.context, runtime.publishers)
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


if __name__ == "__main__":
    app()
