"""`ordermesh customs invoice`: a fulfilment order's commercial invoice as JSON, and as PDF on request."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from ordermesh.adapters.documents.commercial_invoice_pdf import render_commercial_invoice
from ordermesh.bootstrap import build, customs_profile
from ordermesh.domain.customs import (
    CustomsDataMissing,
    CustomsNotRequired,
    ExportReason,
    Incoterm,
    InvoiceOptions,
    dotted,
)
from ordermesh.domain.errors import DomainError
from ordermesh.entrypoints.api.schemas.customs import CommercialInvoiceOut
from ordermesh.services import customs

customs_app = typer.Typer(help="Customs documents for goods that cross a border.", no_args_is_help=True)


def _amount(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter(f"'{value}' is not a decimal amount", param_hint="--insurance") from None
    if not amount.is_finite() or amount < 0:
        raise typer.BadParameter(f"'{value}' is not an amount of zero or more", param_hint="--insurance")
    return amount


@customs_app.command("invoice")
def invoice(
    fulfillment_order: Annotated[str, typer.Argument(help="The fulfilment order's id")],
    shipment: Annotated[
        str | None, typer.Option(help="One of its shipments: that shipment's commercial invoice, not the pro-forma")
    ] = None,
    pdf: Annotated[Path | None, typer.Option(dir_okay=False, help="Also write the invoice as PDF to this file")] = None,
    incoterm: Annotated[Incoterm | None, typer.Option(help="Default: DDP where configured, else the setting")] = None,
    reason: Annotated[ExportReason, typer.Option(help="Reason for export")] = ExportReason.SALE,
    packages: Annotated[int | None, typer.Option(min=1, help="Number of packages (default 1)")] = None,
    insurance: Annotated[str, typer.Option(help="Insurance charge in the order's currency")] = "0",
    gross_weight_kg: Annotated[
        float | None, typer.Option(min=0.001, help="Weighed gross weight (default: net weight plus packaging)")
    ] = None,
    force: Annotated[bool, typer.Option(help="Issue one even though the goods stay in their country")] = False,
) -> None:
    """Print the commercial invoice as JSON (the API's form); exit 1 naming every value it cannot state."""
    options = InvoiceOptions(
        incoterm=incoterm,
        reason=reason,
        packages=packages,
        insurance=_amount(insurance),
        gross_weight_grams=None if gross_weight_kg is None else round(gross_weight_kg * 1000),
        force=force,
    )
    runtime = build()
    try:
        document = customs.commercial_invoice(
            runtime.context,
            fo_id=fulfillment_order,
            shipment_id=shipment,
            profile=customs_profile(runtime.settings),
            options=options,
        )
    except CustomsDataMissing as exc:
        for path, message in exc.problems:
            typer.echo(f"{dotted(path)}: {message}", err=True)
        raise typer.Exit(1) from None
    except CustomsNotRequired as exc:
        hint = " (--force issues one anyway)" if exc.overridable else ""
        typer.echo(f"{exc.detail}{hint}", err=True)
        raise typer.Exit(1) from None
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    typer.echo(CommercialInvoiceOut.of(document).model_dump_json(indent=2))
    if pdf is not None:
        pdf.write_bytes(render_commercial_invoice(document))
        typer.echo(f"{document.number} written to {pdf}", err=True)
