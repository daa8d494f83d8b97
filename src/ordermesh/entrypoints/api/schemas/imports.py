"""Bulk order files: CSV (one row per order line) and JSON lines (one capture body per line), read into commands.

Every order is checked by the same schema as `POST /v1/orders`, so a file row fails for the same reasons, in
the same words, as the API call would; each problem names the row (CSV: the spreadsheet row number, the
header being row 1; JSON lines: the line number) and the field.

CSV: the header names the columns below (any order, unknown columns refused). Consecutive rows with the same
`channel` and `external_id` are one order: its order columns come from its first row and may be left empty
on the next ones (a different value is an error); each row adds one line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ordermesh.entrypoints.api.schemas.orders import OrderIn
from ordermesh.services.commands import CaptureOrder
from ordermesh.services.imports import ImportReport

ORDER_COLUMNS = (
    "channel",
    "external_id",
    "placed_at",
    "currency",
    "payment_status",
    "customer_email",
    "customer_name",
    "customer_phone",
    "customer_tags",  # separated by "|"
    "ship_to_name",
    "ship_to_line1",
    "ship_to_line2",
    "ship_to_city",
    "ship_to_region",
    "ship_to_postal_code",
    "ship_to_country",
    "delivery_method",
    "pickup_location",
    "service_level",
    "shipping_total",
    "tax_total",
    "discount_total",
)
LINE_COLUMNS = ("line_external_id", "sku", "quantity", "unit_price")
COLUMNS = ORDER_COLUMNS + LINE_COLUMNS
REQUIRED = ("channel", "external_id", "currency", "sku", "quantity", "unit_price")


@dataclass(frozen=True)
class FileOrder:
    """One order read from a file: the rows it came from, and its command or why it has none."""

    rows: tuple[int, ...]
    command: CaptureOrder | None
    problem: str | None = None
    unit: str = "row"  # "line" in a JSON lines file

    @property
    def where(self) -> str:
        first, last = self.rows[0], self.rows[-1]
        return f"{self.unit} {first}" if first == last else f"{self.unit}s {first}-{last}"


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not CSV, wrong header): nothing in it was imported."""


def read_orders(text: str, kind: str) -> Iterator[FileOrder]:
    """The orders of a file of this kind ("csv" or "jsonl"), in file order."""
    if kind == "csv":
        return _csv_orders(text)
    if kind == "jsonl":
        return _jsonl_orders(text)
    raise UnreadableFile(f"unknown file kind '{kind}': use csv or jsonl")


def kind_of(name: str) -> str:
    """The kind a file name says (.csv; .jsonl, .ndjson or .json for JSON lines)."""
    lower = name.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    raise UnreadableFile(f"cannot tell the format of '{name}': name it .csv or .jsonl, or say which")


def _jsonl_orders(text: str) -> Iterator[FileOrder]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield FileOrder((number,), OrderIn.model_validate_json(line).command(), unit="line")
        except ValidationError as exc:
            yield FileOrder((number,), None, _problems(exc), unit="line")


def _csv_orders(text: str) -> Iterator[FileOrder]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing or not header:
        raise UnreadableFile(
            "; ".join(
                [f"unknown column '{name}'" for name in unknown]
                + [f"missing column '{name}'" for name in missing]
                + ([] if header else ["the file is empty: the first row must name the columns"])
            )
        )
    group: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        number = reader.line_num  # the spreadsheet row, the header being row 1
        if None in row:
            yield FileOrder((number,), None, f"row {number}: more values than columns")
            continue
        cells = {key: (value or "").strip() for key, value in row.items()}
        if not any(cells.values()):
            continue
        if group and _key(cells) != _key(group[0][1]):
            yield _order(group)
            group = []
        group.append((number, cells))
    if group:
        yield _order(group)


def _key(cells: Mapping[str, str]) -> tuple[str, str]:
    return cells.get("channel", ""), cells.get("external_id", "")


def _order(group: Sequence[tuple[int, dict[str, str]]]) -> FileOrder:
    rows = tuple(number for number, _ in group)
    first_row, first = group[0]
    clashes = [
        f"row {number}: {column} '{cells[column]}' differs from row {first_row}'s '{first[column]}'"
        for number, cells in group[1:]
        for column in ORDER_COLUMNS
        if cells.get(column) and cells.get(column) != first.get(column)
    ]
    if clashes:
        return FileOrder(rows, None, "; ".join(clashes))
    try:
        return FileOrder(rows, OrderIn.model_validate(_body(first, [cells for _, cells in group])).command())
    except ValidationError as exc:
        return FileOrder(rows, None, _problems(exc, rows))


def _body(order: Mapping[str, str], lines: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """The capture body of one order's rows (empty cells left out, so the API's defaults apply)."""

    def present(prefix: str, names: Sequence[str]) -> dict[str, str]:
        return {name: order[prefix + name] for name in names if order.get(prefix + name)}

    body: dict[str, Any] = {
        key: order[key]
        for key in ("channel", "external_id", "currency", "placed_at", "payment_status")
        if order.get(key)
    }
    body |= {key: order[key] for key in ("shipping_total", "tax_total", "discount_total") if order.get(key)}
    customer: dict[str, Any] = present("customer_", ("email", "name", "phone"))
    if order.get("customer_tags"):
        customer["tags"] = [tag.strip() for tag in order["customer_tags"].split("|") if tag.strip()]
    body["customer"] = customer
    address = present("ship_to_", ("name", "line1", "line2", "city", "region", "postal_code", "country"))
    if address:
        body["ship_to"] = address
    body["delivery"] = {
        key: order[column]
        for key, column in (
            ("method", "delivery_method"),
            ("pickup_location", "pickup_location"),
            ("service_level", "service_level"),
        )
        if order.get(column)
    }
    body["lines"] = [
        {
            **({"external_id": line["line_external_id"]} if line.get("line_external_id") else {}),
            "sku": line.get("sku", ""),
            "quantity": _whole(line.get("quantity", "")),
            "unit_price": line.get("unit_price", ""),
        }
        for line in lines
    ]
    return body


def _whole(text: str) -> int | str:
    """A cell holding a whole number, as one (anything else stays text, for the schema to refuse by name)."""
    return int(text) if re.fullmatch(r"[+-]?\d{1,9}", text) else text


def _problems(exc: ValidationError, rows: Sequence[int] = ()) -> str:
    """Every problem of an order, with its field (and, for a CSV line, the row it is on)."""
    found = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        where = ""
        if rows and len(loc) >= 2 and loc[0] == "lines" and loc[1].isdigit():
            where = f"row {rows[int(loc[1])]}: "
        elif rows:
            where = f"row {rows[0]}: "
        field = ".".join(loc) if loc else "order"
        found.append(f"{where}{field}: {error['msg']}")
    return "; ".join(found)


class RejectedOut(BaseModel):
    where: str = Field(description='The rows (CSV, "row 7" or "rows 7-9") or line (JSON lines) of the order')
    reason: str


class ImportReportOut(BaseModel):
    imported: int = Field(description="Orders captured by this import")
    already_present: int = Field(description="Orders an earlier import (or their channel) had already captured")
    rejected: list[RejectedOut] = Field(description="Orders not imported, with why; fix the rows and send again")
    order_ids: list[str] = Field(description="Ids of the orders captured by this import")

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportOut:
        return cls(
            imported=len(report.imported),
            already_present=len(report.already_present),
            rejected=[RejectedOut(where=r.where, reason=r.reason) for r in report.rejected],
            order_ids=report.imported,
        )
