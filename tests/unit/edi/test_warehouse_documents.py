"""Warehouse sets: 940 out; 945, 846 and 944 in. Fixtures as 3PLs send them, round trips, precise refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ordermesh.domain.catalog import Address
from ordermesh.domain.edi import Delimiters, X12Error, X12Version, segment
from ordermesh.domain.edi.inventory_advice import (
    InventoryAdvice,
    StockItem,
    inventory_advice_set,
    read_inventory_advice,
)
from ordermesh.domain.edi.outcomes import InventorySnapshot
from ordermesh.domain.edi.parties import Carrier, Party, Reference
from ordermesh.domain.edi.problems import ElementError, SegmentError
from ordermesh.domain.edi.shipping_advice import ShippedLine, ShippingAdvice, read_shipping_advice, shipping_advice_set
from ordermesh.domain.edi.shipping_order import (
    ShippingOrderLine,
    WarehouseShippingOrder,
    read_shipping_order,
    shipping_order_set,
)
from ordermesh.domain.edi.stock_receipt import ReceivedLine, StockReceiptAdvice, read_stock_receipt, stock_receipt_set
from tests.unit.edi.helpers import WIRE_FORMATS, first_set, through_the_wire, with_segment, without_segment

HOME = Address("12 Main St", "Apt 4", "Springfield", "IL", "62701", "US")
RENO = Party("Acme Fulfilment Reno", "WH-RENO")


def a_shipping_order() -> WarehouseShippingOrder:
    return WarehouseShippingOrder(
        fulfillment_order_id="FO-1001",
        order_external_id="PO-5521",
        ship_to=Party("Jane Doe", address=HOME),
        ship_from=RENO,
        references=(Reference("CO", "ORD-77"),),
        requested_ship_date=date(2025, 3, 2),
        deliver_by=date(2025, 3, 6),
        carrier=Carrier("UPSN", "UPS GROUND"),
        lines=(
            ShippingOrderLine(1, "TEE-RED-M", 2, order_line_id="L1", description="Tee, red, M"),
            ShippingOrderLine(2, "MUG-BLUE", 3, order_line_id="L2", upc="012345678905", sku_qualifier="VN"),
        ),
        total_weight=Decimal("4.5"),
    )


# -- 940 out -------------------------------------------------------------------------------------------


def test_a_shipping_order_becomes_a_940_with_w05_n1_n9_g62_w66_lines_and_totals() -> None:
    ts = shipping_order_set(a_shipping_order())

    assert [str(s) for s in ts.segments] == [
        "W05*N*FO-1001*PO-5521",
        "N1*ST*Jane Doe",
        "N3*12 Main St*Apt 4",
        "N4*Springfield*IL*62701*US",
        "N1*SF*Acme Fulfilment Reno*92*WH-RENO",
        "N9*CO*ORD-77",
        "G62*10*20250302",
        "G62*02*20250306",
        "W66*PP*U***UPS GROUND*****UPSN",
        "LX*1",
        "W01*2*EA**SK*TEE-RED-M",
        "G69*Tee, red, M",
        "N9*LI*L1",
        "LX*2",
        "W01*3*EA*012345678905*VN*MUG-BLUE",
        "N9*LI*L2",
        "W76*5*4.5*LB",
    ]


@pytest.mark.parametrize(("version", "delimiters", "line_break"), WIRE_FORMATS)
def test_a_940_reads_back_to_the_same_shipping_order(
    version: X12Version, delimiters: Delimiters, line_break: str
) -> None:
    order = a_shipping_order()

    back = read_shipping_order(through_the_wire(shipping_order_set(order), version, delimiters, line_break))

    assert back == order


def test_a_940_whose_totals_disagree_with_its_lines_is_refused() -> None:
    ts = with_segment(shipping_order_set(a_shipping_order()), "W76", segment("W76", "6", "4.5", "LB"))

    with pytest.raises(X12Error) as raised:
        read_shipping_order(ts)

    assert (
        str(raised.value.problems[0])
        == "W76 at segment 18: W7601 total quantity 6 is not the sum of the W01 quantities, 5"
    )


def test_w01_lines_without_lx_are_numbered_in_order() -> None:
    ts = shipping_order_set(a_shipping_order())
    ts = replace(ts, segments=tuple(s for s in ts.segments if s.id not in ("LX", "N9", "G69") or s.value(1) == "CO"))

    order = read_shipping_order(ts)

    assert [(x.line_number, x.sku, x.quantity) for x in order.lines] == [(1, "TEE-RED-M", 2), (2, "MUG-BLUE", 3)]


# -- 945 in --------------------------------------------------------------------------------------------


def test_a_3pls_945_confirms_a_partial_shipment_with_carrier_tracking_and_lines() -> None:
    advice = read_shipping_advice(first_set("945_4010_tilde_elements_star_terminator_crlf.edi"))

    confirmation = advice.confirmation()

    assert (confirmation.fulfillment_order_id, confirmation.shipment_id) == ("FO-1001", "SHP-88231")
    assert confirmation.shipped_on == date(2025, 3, 2)
    assert (confirmation.carrier, confirmation.service) == ("UPSN", "UPS GROUND")
    assert confirmation.tracking_numbers == ("1Z999AA10123456784",)
    assert [(x.order_line_id, x.sku, x.shipped, x.ordered) for x in confirmation.lines] == [
        ("L1", "TEE-RED-M", 2, 2),
        ("L2", "MUG-BLUE", 1, 3),
    ]
    assert confirmation.partial
    assert advice.ship_from == Party("Acme Fulfilment Reno", "WH-RENO")
    assert advice.total_weight == Decimal("4.5")


def test_the_same_945_reads_the_same_with_brace_terminators_and_no_line_breaks() -> None:
    crlf = read_shipping_advice(first_set("945_4010_tilde_elements_star_terminator_crlf.edi"))
    compact = read_shipping_advice(first_set("945_4010_tilde_elements_brace_terminator_no_newlines.edi"))

    assert crlf == compact


@pytest.mark.parametrize(("version", "delimiters", "line_break"), WIRE_FORMATS)
def test_a_945_reads_back_to_the_same_shipping_advice(
    version: X12Version, delimiters: Delimiters, line_break: str
) -> None:
    advice = read_shipping_advice(first_set("945_4010_tilde_elements_star_terminator_crlf.edi"))

    back = read_shipping_advice(through_the_wire(shipping_advice_set(advice), version, delimiters, line_break))

    assert back == advice


def test_a_complete_945_is_not_partial() -> None:
    advice = ShippingAdvice("FO-9", date(2025, 3, 2), (ShippedLine(1, "TEE", 2, ordered=2, difference=0),))

    assert not read_shipping_advice(shipping_advice_set(advice)).confirmation().partial


def test_a_945_with_a_bad_quantity_names_the_segment_and_element() -> None:
    ts = first_set("945_4010_tilde_elements_star_terminator_crlf.edi")
    ts = with_segment(ts, "W12*CP", segment("W12", "CP", "3", "x", "2", "EA", None, "SK", "MUG-BLUE"))

    with pytest.raises(X12Error) as raised:
        read_shipping_advice(ts)

    problem = raised.value.problems[0]
    assert str(problem) == "W12 at segment 16: W1203 number of units shipped 'x' is not a number"
    assert (problem.code, problem.element, problem.value) == (ElementError.INVALID_CHARACTER, 3, "x")


def test_a_945_without_w06_or_with_wrong_totals_lists_every_problem() -> None:
    ts = without_segment(first_set("945_4010_tilde_elements_star_terminator_crlf.edi"), "W06")
    ts = with_segment(ts, "W03", segment("W03", "4", "4.5", "LB"))

    with pytest.raises(X12Error) as raised:
        read_shipping_advice(ts)

    assert [(p.code, p.segment_id) for p in raised.value.problems] == [
        (SegmentError.MANDATORY_MISSING, "W06"),
        (ElementError.INVALID_CODE, "W03"),
    ]
    assert "W0301 total units shipped 4 is not the sum of the W12 shipped quantities, 3" in raised.value.detail


def test_a_945_whose_difference_does_not_add_up_is_refused() -> None:
    ts = first_set("945_4010_tilde_elements_star_terminator_crlf.edi")
    ts = with_segment(ts, "W12*CP", segment("W12", "CP", "3", "1", "1", "EA", None, "SK", "MUG-BLUE"))

    with pytest.raises(X12Error, match="W1204 difference 1 is not ordered 3 less shipped 1"):
        read_shipping_advice(ts)


# -- 846 in --------------------------------------------------------------------------------------------


def test_an_846_gives_on_hand_snapshots_per_warehouse_as_of_its_date() -> None:
    advice = read_inventory_advice(first_set("846_5010_pipe_elements_caret_repetition_no_newlines.edi"))

    snapshots = advice.snapshots(zone=UTC)

    as_of = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
    assert snapshots == [
        InventorySnapshot("WH-RENO", as_of, {"TEE-RED-M": 44, "MUG-BLUE": 0}),
        InventorySnapshot("WH-SPARKS", as_of, {"CAP-GRN": 7}),
    ]
    assert advice.items[0] == StockItem("TEE-RED-M", on_hand=44, available=40, upc="012345678912")


def test_an_846_without_a_warehouse_needs_a_default_location() -> None:
    advice = InventoryAdvice("INV-1", datetime(2025, 3, 3), (StockItem("TEE", on_hand=4),))

    assert advice.snapshots(zone=UTC, default_location="WH-1")[0].location == "WH-1"
    with pytest.raises(ValueError, match="no warehouse is named for TEE"):
        advice.snapshots(zone=UTC)


@pytest.mark.parametrize(("version", "delimiters", "line_break"), WIRE_FORMATS)
def test_an_846_reads_back_to_the_same_inventory_advice(
    version: X12Version, delimiters: Delimiters, line_break: str
) -> None:
    advice = read_inventory_advice(first_set("846_5010_pipe_elements_caret_repetition_no_newlines.edi"))

    back = read_inventory_advice(through_the_wire(inventory_advice_set(advice), version, delimiters, line_break))

    assert back == advice


def test_an_846_item_without_a_quantity_is_refused() -> None:
    ts = first_set("846_5010_pipe_elements_caret_repetition_no_newlines.edi")
    ts = with_segment(ts, "QTY*17*0", segment("NTE", "GEN", "counting"))

    with pytest.raises(X12Error, match="no QTY\\*17 or QTY\\*33 for MUG-BLUE"):
        read_inventory_advice(ts)


# -- 944 in --------------------------------------------------------------------------------------------


def test_a_944_records_what_the_warehouse_received() -> None:
    advice = read_stock_receipt(first_set("944_4010_star_tilde_lf.edi"))

    receipt = advice.receipt()

    assert (receipt.receipt_id, receipt.location, receipt.reference) == ("RCPT-7781", "WH-RENO", "TR-0042")
    assert receipt.received_on == date(2025, 3, 4)
    assert [(x.sku, x.quantity) for x in receipt.lines] == [("TEE-RED-M", 120), ("MUG-BLUE", 48)]
    assert advice.lines[0] == ReceivedLine("TEE-RED-M", 120, upc="012345678912")


@pytest.mark.parametrize(("version", "delimiters", "line_break"), WIRE_FORMATS)
def test_a_944_reads_back_to_the_same_receipt_advice(
    version: X12Version, delimiters: Delimiters, line_break: str
) -> None:
    advice = StockReceiptAdvice("RCPT-1", date(2025, 3, 4), (ReceivedLine("TEE", 12),), "TR-1", "SHIP-1", RENO)

    back = read_stock_receipt(through_the_wire(stock_receipt_set(advice), version, delimiters, line_break))

    assert back == advice


def test_a_944_whose_total_disagrees_is_refused() -> None:
    ts = with_segment(first_set("944_4010_star_tilde_lf.edi"), "W14", segment("W14", "170"))

    with pytest.raises(X12Error, match="W14 at segment 8: W1401 total received 170 is not the sum"):
        read_stock_receipt(ts)
