"""Order files (CSV and JSON lines) read into capture commands, each problem naming its row and field."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ordermesh.entrypoints.api.schemas.imports import UnreadableFile, kind_of, read_orders

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "orders.csv"


def test_consecutive_rows_of_one_order_become_its_lines() -> None:
    first = next(read_orders(FIXTURE.read_text(), "csv"))

    assert first.rows == (2, 3) and first.where == "rows 2-3"
    assert first.command is not None
    assert [(line.sku, line.quantity, line.unit_price) for line in first.command.lines] == [
        ("TEE", 2, Decimal("15.00")),
        ("MUG", 1, Decimal("12.50")),
    ]
    assert first.command.ship_to is not None and first.command.ship_to.postal_code == "10016"
    assert first.command.shipping_total == Decimal("6.95")


def test_each_bad_order_names_its_rows_and_fields_and_the_good_ones_still_read() -> None:
    orders = {o.rows[0]: o for o in read_orders(FIXTURE.read_text(), "csv")}

    assert [row for row, o in orders.items() if o.command is not None] == [2, 4]
    assert "row 5: lines.0.quantity" in (orders[5].problem or "")
    assert "row 7: currency 'USD' differs from row 6's 'EUR'" in (orders[6].problem or "")
    assert "row 8" in (orders[8].problem or "") and "more decimals than USD allows" in (orders[8].problem or "")


def test_a_header_with_an_unknown_or_missing_column_refuses_the_whole_file() -> None:
    with pytest.raises(UnreadableFile, match=r"unknown column 'colour'.*missing column 'sku'"):
        list(read_orders("channel,external_id,currency,colour,quantity,unit_price\n", "csv"))
    with pytest.raises(UnreadableFile, match="empty"):
        list(read_orders("", "csv"))


def test_json_lines_are_capture_bodies_numbered_by_line() -> None:
    good = {
        "channel": "web",
        "external_id": "J-1",
        "currency": "USD",
        "ship_to": {"postal_code": "10016", "country": "US"},
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "15.00"}],
    }
    text = json.dumps(good) + "\n\n" + json.dumps({**good, "external_id": "J-2", "lines": []}) + "\n"

    first, second = read_orders(text, "jsonl")

    assert first.command is not None and first.where == "line 1"
    assert second.command is None and second.where == "line 3"
    assert "lines" in (second.problem or "")


def test_the_kind_comes_from_the_file_name() -> None:
    assert kind_of("Orders.CSV") == "csv"
    assert kind_of("orders.ndjson") == "jsonl"
    with pytest.raises(UnreadableFile):
        kind_of("orders.xlsx")
