"""`ordermesh events catalog`: write the event catalogue (JSON Schemas and an index) into the docs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ordermesh.domain.event_catalog import CATALOG, schema_of

events_app = typer.Typer(help="Event types and their schemas.", no_args_is_help=True)

DOCS = Path("docs/events")


def catalog_files() -> dict[str, str]:
    """File name -> content of the catalogue as published in the docs: one schema per type, and an index."""
    files = {f"{kind.type}.json": json.dumps(schema_of(kind), indent=2) + "\n" for kind in CATALOG}
    rows = [
        f"| `{kind.type}` | {kind.description} | {kind.subject} | [schema]({kind.type}.json) |" for kind in CATALOG
    ]
    files["README.md"] = "\n".join(
        [
            "# Event catalogue",
            "",
            "Every event Ordermesh publishes (outbox feed `GET /v1/events`, the relay's publishers) is a CloudEvent",
            "whose `type` is below and whose `data` follows the JSON Schema linked. The same catalogue is served at",
            "`GET /v1/events/catalog`. Generated from `ordermesh/domain/event_catalog.py` by",
            "`ordermesh events catalog`; a test fails when these files and the code disagree.",
            "",
            "| type | meaning | subject | data |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )
    return files


@events_app.command("catalog")
def write_catalog(
    out: Annotated[Path, typer.Option(help="Directory to write the schemas and index into")] = DOCS,
) -> None:
    """Write one JSON Schema per event type and an index (README.md) into a directory."""
    out.mkdir(parents=True, exist_ok=True)
    for name, content in catalog_files().items():
        (out / name).write_text(content)
    typer.echo(f"{len(CATALOG)} event types written to {out}")
