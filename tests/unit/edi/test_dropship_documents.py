"""Drop-ship sets: 850 out; 855, 856 and 810 in. Fixtures as vendors send them, round trips, precise refusals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from ordermesh.domain.catalog import Address
from ordermesh.domain.edi import Delimiters, X12Error, X12Version, segment
from ordermesh.domain.edi.invoice import Invoice, InvoiceLine, invoice_set, read_invoice
from ordermesh.domain.edi.parties import Carrier, Party, Reference
from ordermesh.domain.edi.problems import ElementError, SegmentError
from ordermesh.domain.edi.products import ProductIds
from ordermesh.domain.edi.purchase_order import (
    PurchaseOrder,
    PurchaseOrderLine,
    purchase_order_set,
    read_purchase_order,
)
from ordermesh.domain.edi.purchase_order_ack import purchase_order_ack_set, read_purchase_order_ack
from ordermesh.domain.edi.ship_notice import Pack, ShipNotice, ShippedItem, read_ship_notice, ship_notice_set
from tests.unit.edi.helpers import WIRE_FORMATS, first_set, through_the_wire, with_segment, without_segment

HOME = Address("12 Main St", "Apt 4", "Springfield", "IL", "62701", "US")


def a_purchase_order() -> PurchaseOrder:
    return PurchaseOrder(
        po_number="FO-2002",
        ordered_on=date(2025, 3, 1),
        ship_to=Party("Jane Doe", address=HOME),
        currency="USD",
        references=(Reference("CO", "ORD-88"),),
        requested_ship_date=date(2025, 3, 3),
        deliver_by=date(2025, 3, 7),
        carrier=Carrier("FDEG", "FEDEX GROUND"),
        lines=(
            PurchaseOrderLine("1", ProductIds("TEE-RED-M", "V-TEE-1"), 2, Decimal("12.50")),
            PurchaseOrderLine("2", ProductIds("MUG-BLUE", "V-MUG-9", "012345678905"), 1, Decimal("30")),
            PurchaseOrderLine("3", ProductIds("CAP-GRN"), 5, Decimal("4.25")),
        ),
    )


# -- 850 out -------------------------------------------------------------------------------------------


def test_a_drop_ship_purchase_order_becomes_an_850() -> None:
    ts = purchase_order_set(a_purchase_order())

    assert [str(s) for s in ts.segments] == [
        "BEG*00*DS*FO-2002**20250301",
        "CUR*BY*USD",
        "REF*CO*ORD-88",
        "DTM*010*20250303",
        "DTM*002*20250307",
        "N1*ST*Jane Doe",
        "N3*12 Main St*Apt 4",
        "N4*Springfield*IL*62701*US",
        "TD5*B*2*FDEG*U*FEDEX GROUND",
        "PO1*1*2*EA*12.5*PE*SK*TEE-RED-M*VN*V-TEE-1",
        "PO1*2*1*EA*30*PE*SK*MUG-BLUE*VN*V-MUG-9*UP*012345678905",
        "PO1*3*5*EA*4.25*PE*SK*CAP-GRN",
        "CTT*3*8",
    ]


@pytest.mark.parametrize(("version", "delimiters", "line_break"), WIRE_FORMATS)
def test_an_850_reads_back_to_the_same_purchase_order(
    version: X12Version, delimiters: Delimiters, line_break: str
) -> None:
    order = a_purchase_order()

    back = read_purchase_order(through_the_wire(purchase_order_set(order), version, delimiters, line_break))

    assert back == order


def test_an_850_whose_hash_total_disagrees_is_refused() -> None:
    ts = with_segment(purchase_order_set(a_purchase_order()), "CTT", segment("CTT", "3", "9"))

    with pytest.raises(X12Error, match="CTT at segment 14: CTT02 hash total 9 is not the sum of the quantities, 8"):
        read_purchase_order(ts)


# -- 855 in --------------------------------------------------------------------------------------------


def test_an_855_accepts_rejects_and_backorders_lines() -> None:
    ack = read_purchase_order_ack(first_set("855_4010_tilde_elements_brace_terminator_no_newlines.edi"))

    outcome = [(x.line.line_number, ack.accepted(x), ack.rejected(x), ack.backordered(x)) for x in ack.lines]

    assert (ack.po_number, ack.ack_type, ack.vendor_order_number) == ("FO-2002", "AC", "SO-88120")
    assert outcome == [("1", 2, 0, 0), ("2", 0, 1, 0), ("3", 3, 0, 2)]
    assert ack.lines[2].statuses[1].scheduled_ship == date(2025, 3, 20)


def test_an_855_that_rejects_the_whole_order_rejects_lines_without_detail() -> None:
    ts = first_set("855_4010_tilde_elements_brace_terminator_no_newlines.edi")
    ts = with_segment(ts, "BAK", segment("BAK", "00", "RJ", "FO-2002", "20250301"))
    ack = read_purchase_order_ack(without_segment(ts, "ACK"))

    assert [ack.rejected(x) for x in ack.lines] == [2, 1, 5]


@pytest.mark.parametrize(("version", "delimiters", "line_break"), WIRE_FORMATS)
def test_an_855_reads_back_to_the_same_acknowledgement(
    version: X12Version, delimiters: Delimiters, line_break: str
) -> None:
    ack = read_purchase_order_ack(first_set("855_4010_tilde_elements_brace_terminator_no_newlines.edi"))

    back = read_purchase_order_ack(through_the_wire(purchase_order_ack_set(ack), version, delimiters, line_break))

    assert back == ack


def test_an_855_with_an_unknown_line_status_names_it() -> None:
    ts = first_set("855_4010_tilde_elements_brace_terminator_no_newlines.edi")
    ts = with_segment(ts, "ACK*IR", segment("ACK", "XX", "1", "EA"))

    with pytest.raises(X12Error) as raised:
        read_purchase_order_ack(ts)

    [problem] = raised.value.problems
    assert problem.code is ElementError.INVALID_CODE
    assert str(problem).startswith("ACK at segment 6: ACK01 line item status code 'XX' is not one of")


# -- 856 in --------------------------------------------------------------------------------------------


def test_an_856_confirms_the_shipment_with_a_tracking_number_per_pack() -> None:
    notice = read_ship_notice(first_set("856_5010_star_tilde_crlf.edi"))

    confirmation = notice.confirmation()

    assert (confirmation.fulfillment_order_id, confirmation.shipment_id) == ("FO-2002", "ASN-55120")
    assert (confirmation.carrier, confirmation.shipped_on) == ("FDEG", date(2025, 3, 5))
    assert confirmation.tracking_numbers == ("783912345678", "783912345679")
    assert [(x.line_number, x.sku, x.shipped, x.ordered) for x in confirmation.lines] == [
        ("1", "TEE-RED-M", 2, 2),
        ("3", "CAP-GRN", 3, 5),
    ]
    assert confirmation.partial
    assert (notice.bill_of_lading, notice.packages, notice.weight) == ("BOL-99812", 2, Decimal("6.5"))


@pytest.mark.parametrize(("version", "delimiters", "line_break"), WIRE_FORMATS)
def test_an_856_reads_back_to_the_same_ship_notice(
    version: X12Version, delimiters: Delimiters, line_break: str
) -> None:
    notice = read_ship_notice(first_set("856_5010_star_tilde_crlf.edi"))

    back = read_ship_notice(through_the_wire(ship_notice_set(notice), version, delimiters, line_break))

    assert back == notice


def test_an_856_may_list_items_under_the_order_without_packs() -> None:
    item = ShippedItem("1", ProductIds("TEE"), 2, 2)
    notice = ShipNotice("ASN-1", datetime(2025, 3, 5, 9, 0), "FO-1", (Pack(None, (item,)),))

    back = read_ship_notice(ship_notice_set(notice))

    assert back == notice
    assert [str(s) for s in ship_notice_set(notice).segments][1:5] == ["HL*1**S", "HL*2*1*O", "PRF*FO-1", "HL*3*2*I"]


def test_an_856_with_a_dangling_parent_or_two_orders_is_refused() -> None:
    ts = first_set("856_5010_star_tilde_crlf.edi")
    ts = with_segment(ts, "HL*4*3*I", segment("HL", "4", "9", "I"))
    ts = with_segment(ts, "HL*5*2*P", segment("HL", "5", "1", "O"))

    with pytest.raises(X12Error) as raised:
        read_ship_notice(ts)

    assert [(p.segment_id, p.position, p.code) for p in raised.value.problems] == [
        ("HL", 15, ElementError.INVALID_CODE),
        ("HL", 18, SegmentError.LOOP_OVER_MAXIMUM),
    ]
    assert "HL02 parent '9' is no earlier HL" in raised.value.detail


# -- 810 in --------------------------------------------------------------------------------------------


def test_an_810_bills_lines_against_the_purchase_order_with_its_total_in_cents() -> None:
    invoice = read_invoice(first_set("810_4010_caret_elements_gt_components_lf.edi"))

    assert (invoice.invoice_number, invoice.invoiced_on, invoice.po_number) == ("INV-3391", date(2025, 3, 6), "FO-2002")
    assert [(x.line_number, x.product.sku, x.quantity, x.unit_price) for x in invoice.lines] == [
        ("1", "TEE-RED-M", 2, Decimal("12.5")),
        ("3", "CAP-GRN", 3, Decimal("4.25")),
    ]
    assert invoice.total == invoice.lines_total == Decimal("37.75")


@pytest.mark.parametrize(("version", "delimiters", "line_break"), WIRE_FORMATS)
def test_an_810_reads_back_to_the_same_invoice(version: X12Version, delimiters: Delimiters, line_break: str) -> None:
    invoice = Invoice(
        "INV-1",
        date(2025, 3, 6),
        "FO-2002",
        (InvoiceLine("1", ProductIds("TEE", "V-TEE"), 2, Decimal("12.5")),),
        Decimal("31.99"),  # the lines and shipping
        date(2025, 3, 1),
        "USD",
        (Reference("VN", "SO-1"),),
    )

    back = read_invoice(through_the_wire(invoice_set(invoice), version, delimiters, line_break))

    assert back == invoice


def test_an_810_with_a_bad_total_or_line_count_names_both() -> None:
    ts = first_set("810_4010_caret_elements_gt_components_lf.edi")
    ts = with_segment(ts, "TDS", segment("TDS", "37.75"))
    ts = with_segment(ts, "CTT", segment("CTT", "3"))

    with pytest.raises(X12Error) as raised:
        read_invoice(ts)

    assert [str(p) for p in raised.value.problems] == [
        "TDS at segment 6: TDS01 total invoice amount '37.75' is not a whole number of cents",
        "CTT at segment 7: CTT01 says 3 lines, the set has 2",
    ]
