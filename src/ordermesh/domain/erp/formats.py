"""ERP documents as text: JSON (docs/erp/erp-document.schema.json) or CSV (a header, then one row per line).

JSON carries the whole document: money as decimal strings with the currency's minor units, times RFC 3339 UTC,
dates ISO 8601. CSV repeats the document's columns on every row, so a row can be read alone; the document's
own figures (`document_shipping`, `document_total`) are repeated too and must be summed once per document.
A journal's rows are its lines: `invoice`, `credit_memo` and `net` (invoiced less credited).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ordermesh.domain.catalog import Address
from ordermesh.domain.erp.documents import (
    Amounts,
    CreditMemo,
    DocumentLine,
    ErpDocumentType,
    Invoice,
    Journal,
    JournalLine,
    Summary,
)

SCHEMA = "https://ordermesh.dev/schemas/erp-document/1"
ErpDocument = Invoice | CreditMemo | Journal


class DocumentFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


CONTENT_TYPES = {DocumentFormat.JSON: "application/json", DocumentFormat.CSV: "text/csv; charset=utf-8"}


def render(document: ErpDocument, as_format: DocumentFormat) -> str:
    """The document as the partner wants it."""
    return to_csv(document) if as_format == DocumentFormat.CSV else to_json(document)


def to_json(document: ErpDocument) -> str:
    return json.dumps(as_data(document), indent=2)


def as_data(document: ErpDocument) -> dict[str, Any]:
    """The JSON-ready form of a document (also kept as the logged document's parsed form)."""
    if isinstance(document, Journal):
        return _journal_data(document)
    header = document.header
    data: dict[str, Any] = {
        "$schema": SCHEMA,
        "document_type": document.type.value,
        "number": header.number,
        "date": header.date.isoformat(),
        "issued_at": _time(header.issued_at),
        "currency": header.currency,
        "order": {
            "id": header.order.order_id,
            "channel": header.order.channel,
            "channel_order_number": header.order.channel_order_number,
            "placed_at": _time(header.order.placed_at),
        },
        "customer": {"name": header.customer.name, "email": header.customer.email, "phone": header.customer.phone},
        "ship_to": _address(header.ship_to),
    }
    if isinstance(document, Invoice):
        s = document.shipment
        data["shipment"] = {
            "id": s.shipment_id,
            "fulfillment_order_id": s.fulfillment_order_id,
            "location": s.location,
            "carrier": s.carrier,
            "tracking_number": s.tracking_number,
            "shipped_at": _time(s.shipped_at),
        }
    else:
        data["credits_invoices"] = list(document.invoices)
        data["reason"] = document.reason
    data["lines"] = [_line(x) for x in document.lines]
    data["totals"] = _amounts(document.amounts)
    return data


def _journal_data(journal: Journal) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "document_type": journal.type.value,
        "number": journal.number,
        "date": journal.day.isoformat(),
        "issued_at": _time(journal.issued_at),
        "currency": journal.currency,
        "invoices": _journal_line(journal.invoices),
        "credit_memos": _journal_line(journal.credit_memos),
        "net": str(journal.net),
        "documents": list(journal.documents),
    }


def _journal_line(line: JournalLine) -> dict[str, Any]:
    return {"count": line.count, **_amounts(line.amounts)}


def _line(line: DocumentLine) -> dict[str, Any]:
    return {
        "line_number": line.line_number,
        "order_line_id": line.order_line_id,
        "sku": line.sku,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": str(line.unit_price),
        "amount": str(line.amount),
        "discount": str(line.discount),
        "tax": str(line.tax),
        "total": str(line.total),
    }


def _amounts(amounts: Amounts) -> dict[str, str]:
    return {
        "goods": str(amounts.goods),
        "discount": str(amounts.discount),
        "tax": str(amounts.tax),
        "shipping": str(amounts.shipping),
        "total": str(amounts.total),
    }


def _address(address: Address | None) -> dict[str, str | None] | None:
    if address is None:
        return None
    return {
        "name": address.name,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


DOCUMENT_COLUMNS = (
    "document_type", "number", "date", "currency", "order_id", "channel", "channel_order_number", "shipment_id",
    "credits_invoices", "customer_name", "customer_email", "line_number", "order_line_id", "sku", "description",
    "quantity", "unit_price", "amount", "discount", "tax", "line_total", "document_shipping", "document_total",
)  # fmt: skip
JOURNAL_COLUMNS = (
    "document_type", "number", "date", "currency", "line", "count", "goods", "discount", "tax", "shipping", "total",
)  # fmt: skip


def to_csv(document: ErpDocument) -> str:
    out = io.StringIO()
    if isinstance(document, Journal):
        writer = csv.DictWriter(out, JOURNAL_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(_journal_rows(document))
        return out.getvalue()
    writer = csv.DictWriter(out, DOCUMENT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    header = document.header
    common = {
        "document_type": document.type.value,
        "number": header.number,
        "date": header.date.isoformat(),
        "currency": header.currency,
        "order_id": header.order.order_id,
        "channel": header.order.channel,
        "channel_order_number": header.order.channel_order_number,
        "shipment_id": document.shipment.shipment_id if isinstance(document, Invoice) else "",
        "credits_invoices": " ".join(document.invoices) if isinstance(document, CreditMemo) else "",
        "customer_name": header.customer.name or "",
        "customer_email": header.customer.email or "",
        "document_shipping": str(document.amounts.shipping),
        "document_total": str(document.amounts.total),
    }
    for line in document.lines:
        row = _line(line)
        row["line_total"] = row.pop("total")
        writer.writerow({**common, **row})
    return out.getvalue()


def _journal_rows(journal: Journal) -> list[dict[str, Any]]:
    common = {
        "document_type": journal.type.value,
        "number": journal.number,
        "date": journal.day.isoformat(),
        "currency": journal.currency,
    }
    rows = [
        {**common, "line": line.type.value, "count": line.count, **_amounts(line.amounts)}
        for line in (journal.invoices, journal.credit_memos)
    ]
    count = journal.invoices.count + journal.credit_memos.count
    blank = dict.fromkeys(("goods", "discount", "tax", "shipping"), "")
    return [*rows, {**common, "line": "net", "count": count, **blank, "total": str(journal.net)}]


def summary_of(data: Mapping[str, Any]) -> Summary:
    """What a journal needs of an invoice or credit memo, read back from its JSON form (`as_data`).

    Raises KeyError or ValueError for data that is not such a document.
    """
    totals = data["totals"]
    return Summary(
        ErpDocumentType(data["document_type"]),
        str(data["number"]),
        str(data["currency"]),
        date.fromisoformat(data["date"]),
        Amounts(
            Decimal(totals["goods"]), Decimal(totals["discount"]), Decimal(totals["tax"]), Decimal(totals["shipping"])
        ),
    )
