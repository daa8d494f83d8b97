"""`ordermesh channels add|list`: configure the shops and sites whose webhooks Ordermesh takes orders from."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ordermesh.adapters.db.migrate import upgrade
from ordermesh.bootstrap import build
from ordermesh.config import Settings
from ordermesh.domain.access import Principal, Role
from ordermesh.domain.errors import DomainError
from ordermesh.entrypoints.api.schemas.channels import ChannelIn
from ordermesh.services import channels
from ordermesh.services.channel_ports import ChannelRecord

channels_app = typer.Typer(
    help="Sales channels (Shopify shops, WooCommerce sites) and their webhook secrets.", no_args_is_help=True
)
console = Console(stderr=True)
out = Console(highlight=False)

Mapping = Annotated[list[str] | None, typer.Option(help="NAME=VALUE, repeatable")]


def _actor() -> Principal:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown user"
    return Principal("cli", f"cli ({user})", Role.ADMIN)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values or []:
        name, sep, target = value.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise typer.BadParameter(f"'{value}' is not NAME=VALUE", param_hint=option)
        pairs[name.strip()] = target.strip()
    return pairs


@channels_app.command("add")
def add(
    channel: Annotated[str, typer.Argument(help="shopify:<shop>.myshopify.com or woocommerce:<site host>")],
    webhook_secret: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            envvar="ORDERMESH_WEBHOOK_SECRET",
            help="The secret the channel signs webhooks with (prompted for when not given; never printed)",
        ),
    ],
    kind: Annotated[str | None, typer.Option(help="The connector (default: the channel's prefix)")] = None,
    pickup_location: Mapping = None,
    service_level: Mapping = None,
    api_credential: Annotated[
        list[str] | None,
        typer.Option(
            envvar="ORDERMESH_CHANNEL_API_CREDENTIALS",
            help="NAME=VALUE for status pushes, repeatable (Shopify: access_token; WooCommerce: consumer_key, "
            "consumer_secret)",
        ),
    ] = None,
    api_base_url: Annotated[str | None, typer.Option(help="The channel's API (default: https://<domain>)")] = None,
) -> None:
    """Configure a channel and print the webhook URL path to give it.

    --pickup-location 'Queen Street West=TOR-QSW' maps a channel's pickup point to a location code;
    --service-level 'Standard=standard' maps a shipping method to a service level;
    --api-credential access_token=shpat_... lets Ordermesh push shipments and cancellations back.
    """
    try:
        body = ChannelIn.model_validate(
            {
                "channel": channel,
                "kind": kind or channel.partition(":")[0].strip().lower(),
                "webhook_secret": webhook_secret,
                "settings": {
                    "pickup_locations": _pairs(pickup_location, "--pickup-location"),
                    "service_levels": _pairs(service_level, "--service-level"),
                    **({"api_base_url": api_base_url} if api_base_url else {}),
                },
                "api_credentials": _pairs(api_credential, "--api-credential"),
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "channel"
            console.print(Text(f"{where}: {error['msg']}"), style="red")
        raise typer.Exit(1) from None
    settings = Settings()
    upgrade(settings.database_url)
    runtime = build(settings)
    try:
        record = channels.add_channel(runtime.context, command=body.command(), actor=_actor())
    except DomainError as exc:
        console.print(Text(f"error: {exc.detail}"), style="red")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    console.print(Text(f"configured {record.channel}; send its webhooks to:"))
    typer.echo(channels.public_view(record)["webhook_path"])


@channels_app.command("list")
def list_channels(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table")] = False,
) -> None:
    """Configured channels with their webhook paths and settings (never their secrets)."""
    settings = Settings()
    upgrade(settings.database_url)
    runtime = build(settings)
    records: list[ChannelRecord] = []
    try:
        after: str | None = None
        while True:
            page = channels.list_channels(runtime.context, after=after, limit=200)
            records += page.rows
            if page.next_cursor is None:
                break
            after = page.next_cursor
    finally:
        runtime.close()
    if as_json:
        for record in records:
            typer.echo(json.dumps(channels.public_view(record)))
        return
    table = Table("channel", "kind", "webhook path", "settings")
    for record in records:
        view = channels.public_view(record)
        cells = (view["channel"], view["kind"], view["webhook_path"], json.dumps(view["settings"]))
        table.add_row(*(Text(str(cell)) for cell in cells))
    out.print(table)
    if not records:
        console.print("no channel is configured yet: ordermesh channels add shopify:<shop>.myshopify.com")
