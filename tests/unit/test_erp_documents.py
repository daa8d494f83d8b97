"""ERP documents in memory: invoices share an order's tax, shipping and discount so that they add up to it exactly,
the last shipment taking what rounding left; credit memos only for invoiced orders, crediting the complement;
journals count and total a day per currency; JSON matches its schema, CSV has a row per line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.domain.catalog import Address
from ordermesh.domain.erp import (
    Amounts,
    CreditMemo,
    DocumentFormat,
    ErpDocumentType,
    Invoice,
    Summary,
    as_data,
    credit_memo_for,
    invoice_for,
    journal_of,
    render,
    spread,
    summary,
    summary_of,
    was_invoiced,
)
from ordermesh.domain.fulfillment import Shipment
from ordermesh.domain.orders import Customer, Delivery, Order, OrderLine, PaymentStatus

T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "erp" / "erp-document.schema.json").read_text())


def an_order(
    *lines: tuple[int, str], tax: str = "0", shipping: str = "0", discount: str = "0", currency: str = "USD"
) -> Order:
    """An order of (quantity, unit price) lines, with lines l1, l2, ... of SKUs S1, S2, ..."""
    return Order(
        "ord_1", "web", "W-1001", currency, Customer("ada@example.com", "Ada Lovelace", "+1 212 555 0100"),
        Address("5 Park Ave", city="New York", postal_code="10016", country="US", name="Ada Lovelace"), Delivery(),
        [OrderLine(f"l{n}", None, f"S{n}", quantity, Decimal(price)) for n, (quantity, price) in enumerate(lines, 1)],
        Decimal(shipping), Decimal(tax), Decimal(discount), PaymentStatus.PAID, T0, T0, T0,
    )  # fmt: skip


def shipment(number: int, **lines: int) -> Shipment:
    return Shipment(f"shp_{number:03d}", "fo_1", "UPS", f"1Z{number}", dict(lines), T0 + timedelta(hours=number))


def invoices(order: Order, shipments: Sequence[Shipment]) -> list[Invoice]:
    return [
        invoice_for(order, s, location="NWK", earlier=shipments[:n], issued_at=T0, descriptions={"S1": "Tee"})
        for n, s in enumerate(shipments)
    ]


def memo(order: Order, cancelled: dict[str, int], since_placed: dict[str, int], event: str = "evt_1") -> CreditMemo:
    return credit_memo_for(
        order, event_id=event, cancelled=cancelled, cancelled_since_placed=since_placed, invoices=["INV-shp_001"],
        reason="customer asked", issued_at=T0, descriptions={},
    )  # fmt: skip


def total(documents: Sequence[Invoice | CreditMemo]) -> Amounts:
    return sum((d.amounts for d in documents), Amounts(Decimal(0), Decimal(0), Decimal(0), Decimal(0)))


def test_the_last_shipment_takes_what_rounding_left() -> None:
    order = an_order((3, "10.00"), tax="1.00", shipping="1.00", discount="0.10")

    made = invoices(order, [shipment(1, l1=1), shipment(2, l1=1), shipment(3, l1=1)])

    assert [i.amounts.tax for i in made] == [Decimal("0.33"), Decimal("0.34"), Decimal("0.33")]
    assert [i.shipping for i in made] == [Decimal("0.33"), Decimal("0.34"), Decimal("0.33")]
    assert [i.amounts.discount for i in made] == [Decimal("0.03"), Decimal("0.04"), Decimal("0.03")]
    assert total(made) == Amounts(Decimal("30.00"), Decimal("0.10"), Decimal("1.00"), Decimal("1.00"))


def test_amounts_follow_the_value_of_the_units_shipped() -> None:
    order = an_order((1, "90.00"), (1, "10.00"), tax="10.00", shipping="5.00")

    first, second = invoices(order, [shipment(1, l2=1), shipment(2, l1=1)])

    assert (first.amounts.goods, first.amounts.tax) == (Decimal("10.00"), Decimal("1.00"))
    assert first.shipping == Decimal("0.50")
    assert (second.amounts.tax, second.shipping) == (Decimal("9.00"), Decimal("4.50"))
    assert first.header.number == "INV-shp_001" and first.shipment.location == "NWK"


def test_an_invoice_is_the_same_whenever_it_is_written() -> None:
    order = an_order((2, "3.33"), (5, "0.99"), tax="0.97", shipping="4.99")
    shipments = [shipment(1, l1=1, l2=2), shipment(2, l2=3), shipment(3, l1=1)]

    alone = invoice_for(order, shipments[1], location="NWK", earlier=shipments[:1], issued_at=T0, descriptions={})

    assert alone == invoices(order, shipments)[1]


def test_a_lines_tax_and_discount_add_up_to_its_invoices() -> None:
    order = an_order((1, "1.00"), (1, "1.00"), (1, "1.00"), tax="0.10", discount="0.05")

    (invoice,) = invoices(order, [shipment(1, l1=1, l2=1, l3=1)])

    assert [x.tax for x in invoice.lines] == [Decimal("0.03"), Decimal("0.04"), Decimal("0.03")]
    assert sum(x.discount for x in invoice.lines) == Decimal("0.05")
    assert invoice.lines[0].description == "Tee" and invoice.lines[1].description == "S2"


def test_an_order_of_free_goods_shares_its_shipping_by_units() -> None:
    order = an_order((1, "0.00"), (3, "0.00"), shipping="4.00")

    first, second = invoices(order, [shipment(1, l1=1), shipment(2, l2=3)])

    assert (first.shipping, second.shipping) == (Decimal("1.00"), Decimal("3.00"))


def test_yen_are_shared_in_whole_yen() -> None:
    order = an_order((3, "1000"), tax="100", currency="JPY")

    made = invoices(order, [shipment(1, l1=1), shipment(2, l1=2)])

    assert [i.amounts.tax for i in made] == [Decimal("33"), Decimal("67")]


@st.composite
def orders_and_splits(draw: st.DrawFn) -> tuple[Order, list[Shipment], dict[str, int]]:
    """An order, shipments of some of its units in random portions, and the rest cancelled."""
    count = draw(st.integers(1, 4))
    quantities = [draw(st.integers(1, 6)) for _ in range(count)]
    prices = [draw(st.decimals("0.00", "99.99", places=2)) for _ in range(count)]
    amounts = [str(draw(st.decimals("0.00", "50.00", places=2))) for _ in range(3)]
    order = an_order(*zip(quantities, map(str, prices), strict=True), tax=amounts[0], shipping=amounts[1],
                     discount=amounts[2])  # fmt: skip
    left = {f"l{n}": q for n, q in enumerate(quantities, 1)}
    shipments: list[Shipment] = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        take = {k: draw(st.integers(0, v)) for k, v in left.items()}
        if any(take.values()):
            shipments.append(shipment(number, **{k: v for k, v in take.items() if v}))
            left = {k: v - take[k] for k, v in left.items()}
    return order, shipments, left


@settings(max_examples=300, deadline=None)
@given(orders_and_splits())
def test_invoices_and_the_credited_rest_add_up_to_the_orders_amounts_exactly(
    case: tuple[Order, list[Shipment], dict[str, int]],
) -> None:
    order, shipments, rest = case
    made = invoices(order, shipments)
    cancelled = {k: v for k, v in rest.items() if v}
    documents: list[Invoice | CreditMemo] = [*made, memo(order, cancelled, cancelled)] if cancelled else made

    documents_total = total(documents)

    assert documents_total.tax == order.tax_total
    assert documents_total.shipping == order.shipping_total
    assert documents_total.discount == order.discount_total
    assert documents_total.goods == sum(line.unit_price * line.quantity for line in order.lines)
    assert all(i.amounts.tax >= 0 and i.shipping >= 0 for i in made)


def test_a_credit_memo_credits_the_cancelled_units_with_their_shares() -> None:
    order = an_order((2, "10.00"), (2, "10.00"), tax="2.00", shipping="4.00")
    (invoice,) = invoices(order, [shipment(1, l1=2)])

    credit = memo(order, {"l2": 2}, {"l2": 2})

    assert credit.header.number == "CM-evt_1" and credit.invoices == ("INV-shp_001",)
    assert [(x.sku, x.quantity, x.amount) for x in credit.lines] == [("S2", 2, Decimal("20.00"))]
    assert credit.amounts == Amounts(Decimal("20.00"), Decimal("0"), Decimal("1.00"), Decimal("2.00"))
    assert invoice.amounts.total + credit.amounts.total == Decimal("46.00")  # what the customer paid


def test_a_second_cancellation_credits_only_what_it_cancelled() -> None:
    order = an_order((3, "10.00"), (1, "10.00"), tax="1.00")

    first = memo(order, {"l1": 1}, {"l1": 1}, "evt_1")
    second = memo(order, {"l1": 1, "l2": 1}, {"l1": 2, "l2": 1}, "evt_2")

    assert [(x.order_line_id, x.quantity) for x in second.lines] == [("l1", 1), ("l2", 1)]
    assert first.amounts.tax + second.amounts.tax == Decimal("0.75")


def test_only_an_order_that_shipped_has_been_invoiced() -> None:
    before = [{"line_id": "l1", "shipped": 0, "delivered": 0}, {"line_id": "l2", "shipped": 0, "delivered": 0}]
    after = [{"line_id": "l1", "shipped": 1, "delivered": 0}, {"line_id": "l2", "shipped": 0, "delivered": 0}]

    assert not was_invoiced(before)
    assert was_invoiced(after)
    assert was_invoiced([{"line_id": "l1", "shipped": 0, "delivered": 2}])


def test_a_journal_counts_and_totals_one_day_in_one_currency() -> None:
    day = date(2026, 11, 27)

    def of(kind: ErpDocumentType, number: str, total: str, currency: str = "USD", on: date = day) -> Summary:
        return Summary(kind, number, currency, on, Amounts(Decimal(total), Decimal("1.00"), Decimal("2.00"),
                                                           Decimal("3.00")))  # fmt: skip

    documents = [
        of(ErpDocumentType.INVOICE, "INV-2", "10.00"), of(ErpDocumentType.INVOICE, "INV-1", "20.00"),
        of(ErpDocumentType.CREDIT_MEMO, "CM-1", "5.00"), of(ErpDocumentType.INVOICE, "INV-3", "99.00", "EUR"),
        of(ErpDocumentType.INVOICE, "INV-4", "99.00", on=day + timedelta(days=1)),
    ]  # fmt: skip

    journal = journal_of(day, "USD", documents, issued_at=T0)

    assert journal.number == "JNL-2026-11-27-USD"
    assert (journal.invoices.count, journal.invoices.amounts.goods) == (2, Decimal("30.00"))
    assert journal.invoices.amounts.total == Decimal("38.00")  # 30 - 2 + 4 + 6
    assert (journal.credit_memos.count, journal.credit_memos.amounts.total) == (1, Decimal("9.00"))
    assert journal.net == Decimal("29.00")
    assert journal.documents == ("CM-1", "INV-1", "INV-2")


def test_every_document_is_json_that_matches_its_schema_and_reads_back() -> None:
    order = an_order((2, "10.00"), (1, "5.00"), tax="2.50", shipping="4.99", discount="1.00")
    (invoice,) = invoices(order, [shipment(1, l1=2)])
    credit = memo(order, {"l2": 1}, {"l2": 1})
    journal = journal_of(T0.date(), "USD", [summary(invoice), summary(credit)], issued_at=T0)

    for document in (invoice, credit, journal):
        jsonschema.validate(json.loads(render(document, DocumentFormat.JSON)), SCHEMA)
    data = json.loads(render(invoice, DocumentFormat.JSON))

    assert data["document_type"] == "invoice" and data["number"] == "INV-shp_001"
    assert data["order"]["channel_order_number"] == "W-1001" and data["shipment"]["tracking_number"] == "1Z1"
    assert data["totals"]["total"] == str(invoice.amounts.total) and data["issued_at"].endswith("Z")
    assert summary_of(as_data(credit)) == summary(credit)


def test_a_csv_document_has_a_header_and_a_row_per_line_that_add_up() -> None:
    order = an_order((2, "10.00"), (1, "5.00"), tax="2.50", shipping="4.99", discount="1.00")
    (invoice,) = invoices(order, [shipment(1, l1=2, l2=1)])

    rows = list(csv.DictReader(io.StringIO(render(invoice, DocumentFormat.CSV))))

    assert [(r["line_number"], r["sku"], r["quantity"]) for r in rows] == [("1", "S1", "2"), ("2", "S2", "1")]
    assert {r["number"] for r in rows} == {"INV-shp_001"}
    lines = sum(Decimal(r["line_total"]) for r in rows)
    assert lines + Decimal(rows[0]["document_shipping"]) == Decimal(rows[0]["document_total"]) == Decimal("31.49")


def test_a_csv_journal_has_a_row_per_kind_and_the_net() -> None:
    journal = journal_of(T0.date(), "USD", [], issued_at=T0)

    rows = list(csv.DictReader(io.StringIO(render(journal, DocumentFormat.CSV))))

    assert [(r["line"], r["count"], r["total"]) for r in rows] == [
        ("invoice", "0", "0"), ("credit_memo", "0", "0"), ("net", "0", "0")
    ]  # fmt: skip


def test_spread_gives_equal_parts_when_nothing_has_weight() -> None:
    assert spread(Decimal("1.00"), [Decimal(0), Decimal(0), Decimal(0)], "USD") == [
        Decimal("0.33"), Decimal("0.34"), Decimal("0.33")
    ]  # fmt: skip
