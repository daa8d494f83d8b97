"""The commercial invoice written from an order, its fulfilment order, the item master and the shipping location."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ordermesh.domain.catalog import Address, Capability, Item, Location, LocationType, SourcingProfile
from ordermesh.domain.customs import (
    CommercialInvoice,
    CustomsDataMissing,
    CustomsNotRequired,
    CustomsProfile,
    ExportReason,
    Incoterm,
    InvoiceKind,
    InvoiceOptions,
    InvoiceSource,
    TaxId,
    dotted,
    issue_commercial_invoice,
)
from ordermesh.domain.customs.codes import country_problem, hs_code_problem
from ordermesh.domain.errors import IllegalTransition
from ordermesh.domain.orders import Customer, Order
from tests.unit.builders import NOW, line, order, shipment, sourced

PARIS = Address(name="Zoé Martin", line1="5 Rue de Rivoli", city="Paris", postal_code="75001", country="FR")
EDISON = Address(line1="1 Dock Rd", city="Edison", region="NJ", postal_code="08817", country="US")


def warehouse(address: Address = EDISON, *, timezone: str = "UTC") -> Location:
    return Location("NJ", "Edison DC", LocationType.WAREHOUSE, address, frozenset({Capability.SHIP}),
                    profile=SourcingProfile(timezone=timezone))


def tee(sku: str = "TEE", *, weight: int = 180, **attributes: Any) -> Item:
    """An item with a valid HS code and origin unless the test says otherwise (None removes an attribute)."""
    values = {"hs_code": "6109.10", "country_of_origin": "PT", **attributes}
    return Item(sku, f"Tee {sku}", weight, {k: v for k, v in values.items() if v is not None})


def to_paris(*lines: tuple[str, int, str], shipping: str = "0", discount: str = "0") -> Order:
    """An order of (sku, quantity, unit price) lines shipping to Paris, all sourced at NJ as FO-1."""
    built = order(*[line(sku, quantity) for sku, quantity, _ in lines])
    for order_line, (_, _, price) in zip(built.lines, lines, strict=True):
        order_line.unit_price = Decimal(price)
    built.ship_to = PARIS
    built.customer = Customer(email="zoe@example.com", name="Zoé Martin", phone="+33 1 23 45 67 89")
    built.shipping_total, built.discount_total = Decimal(shipping), Decimal(discount)
    sourced(built, *[(order_line.id, "NJ", order_line.quantity) for order_line in built.lines])
    return built


def invoice(
    target: Order, *items: Item, profile: CustomsProfile | None = None, options: InvoiceOptions | None = None,
    location: Location | None = None, shipped: str | None = None, now: datetime = NOW,
) -> CommercialInvoice:
    fo = target.fulfillment_orders[0]
    found = next((s for s in fo.shipments if s.id == shipped), None)
    source = InvoiceSource(target, fo, location or warehouse(), {i.sku: i for i in items or (tee(),)}, found)
    return issue_commercial_invoice(source, profile or CustomsProfile(), options or InvoiceOptions(), now=now)


def problems(target: Order, *items: Item, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(CustomsDataMissing) as raised:
        invoice(target, *items, **kwargs)
    return {dotted(path): message for path, message in raised.value.problems}


# -- values and quantities ---------------------------------------------------------------------------


def test_a_proforma_declares_every_unit_the_fulfilment_order_asks_for_at_the_order_price() -> None:
    target = to_paris(("TEE", 3, "19.99"), ("CAP", 1, "12.50"))

    result = invoice(target, tee("TEE"), tee("CAP", weight=95, hs_code="6505 00 30", country_of_origin="cn"))

    assert (result.kind, result.number, str(result.issued_on)) == (InvoiceKind.PROFORMA, "PF-FO-1", "2025-03-01")
    assert [(li.sku, li.hs_code, li.country_of_origin, li.quantity, li.unit_value, li.value)
            for li in result.lines] == [
        ("TEE", "610910", "PT", 3, Decimal("19.99"), Decimal("59.97")),
        ("CAP", "65050030", "CN", 1, Decimal("12.50"), Decimal("12.50")),
    ]
    assert [(li.unit_net_weight_grams, li.net_weight_grams) for li in result.lines] == [(180, 540), (95, 95)]
    totals = result.totals
    assert (totals.goods_value, totals.units, totals.net_weight_grams) == (Decimal("72.47"), 4, 635)
    assert result.currency == "USD"


def test_a_shipment_invoice_declares_only_the_units_that_shipment_carried() -> None:
    target = to_paris(("TEE", 3, "10.00"), ("CAP", 2, "5.00"))
    target.ship_fulfillment("FO-1", {"L1": 2}, shipment(at=datetime(2025, 3, 4, 9, tzinfo=UTC)))

    result = invoice(target, tee("TEE"), tee("CAP"), shipped="SHP-1")

    assert (result.kind, result.number, str(result.issued_on)) == (InvoiceKind.COMMERCIAL, "CI-SHP-1", "2025-03-04")
    assert [(li.sku, li.quantity, li.value) for li in result.lines] == [("TEE", 2, Decimal("20.00"))]
    assert (result.references.carrier, result.references.tracking_number) == ("ups", "1Z999")


def test_cancelled_units_are_not_declared_on_a_proforma() -> None:
    target = to_paris(("TEE", 3, "10.00"))
    target.cancel({"L1": 1}, "customer asked", NOW)

    assert [li.quantity for li in invoice(target).lines] == [2]


def test_line_values_round_half_up_to_the_currency_minor_units() -> None:
    cents = to_paris(("TEE", 3, "0.125"))
    yen = to_paris(("TEE", 3, "100.5"))
    yen.currency = "JPY"

    assert invoice(cents).lines[0].value == Decimal("0.38")
    assert invoice(yen).lines[0].value == Decimal("302")


def test_the_orders_shipping_and_discount_are_shared_by_value_between_its_fulfilment_orders() -> None:
    target = order(line("TEE", 1), line("CAP", 1))
    target.lines[0].unit_price, target.lines[1].unit_price = Decimal("30.00"), Decimal("10.00")
    target.ship_to, target.customer = PARIS, Customer(name="Zoé Martin")
    target.shipping_total, target.discount_total = Decimal("10.00"), Decimal("4.00")
    sourced(target, ("L1", "NJ", 1), ("L2", "CHI", 1))  # FO-1 holds three quarters of the goods value

    totals = invoice(target, tee("TEE"), tee("CAP")).totals

    assert (totals.goods_value, totals.discount, totals.shipping) == (Decimal(30), Decimal(3), Decimal("7.50"))
    assert totals.declared_value == Decimal("34.50")


def test_the_declared_value_adds_shipping_and_insurance_and_takes_off_the_discount() -> None:
    target = to_paris(("TEE", 2, "25.00"), shipping="7.95", discount="5.00")

    totals = invoice(target, options=InvoiceOptions(insurance=Decimal("1.5"))).totals

    assert (totals.shipping, totals.discount, totals.insurance) == (Decimal("7.95"), Decimal("5.00"), Decimal("1.50"))
    assert totals.declared_value == Decimal("54.45")


def test_an_insurance_amount_finer_than_the_currency_is_named() -> None:
    found = problems(to_paris(("TEE", 1, "10.00")), tee(), options=InvoiceOptions(insurance=Decimal("0.005")))

    assert found == {"totals.insurance": "'0.005' is not an amount in USD"}


# -- weights and packages ----------------------------------------------------------------------------


def test_the_gross_weight_adds_the_packaging_of_each_package_to_the_net_weight() -> None:
    target = to_paris(("TEE", 4, "10.00"))

    packaging = CustomsProfile(package_weight_grams=250)

    totals = invoice(target, profile=packaging, options=InvoiceOptions(packages=2)).totals

    assert (totals.net_weight_grams, totals.gross_weight_grams, totals.packages) == (720, 1220, 2)


def test_a_gross_weight_given_for_the_shipment_is_used_but_never_below_the_net_weight() -> None:
    target = to_paris(("TEE", 4, "10.00"))

    weighed = invoice(target, options=InvoiceOptions(gross_weight_grams=900)).totals.gross_weight_grams
    found = problems(target, tee(), options=InvoiceOptions(gross_weight_grams=500))

    assert weighed == 900
    assert found == {"totals.gross_weight": "500 g is less than the goods' net weight of 720 g"}


# -- terms ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "options", "expected"), [
    (CustomsProfile(), InvoiceOptions(), Incoterm.DAP),
    (CustomsProfile(incoterm=Incoterm.FCA), InvoiceOptions(), Incoterm.FCA),
    (CustomsProfile(ddp_countries=frozenset({"FR"})), InvoiceOptions(), Incoterm.DDP),
    (CustomsProfile(ddp_countries=frozenset({"GB"})), InvoiceOptions(), Incoterm.DAP),
    (CustomsProfile(ddp_channels=frozenset({"web"})), InvoiceOptions(), Incoterm.DDP),
    (CustomsProfile(ddp_countries=frozenset({"FR"})), InvoiceOptions(incoterm=Incoterm.DAP), Incoterm.DAP),
    (CustomsProfile(), InvoiceOptions(incoterm=Incoterm.DDP), Incoterm.DDP),
])
def test_the_incoterm_is_the_requests_then_ddp_for_listed_destinations_or_channels_then_the_default(
    profile: CustomsProfile, options: InvoiceOptions, expected: Incoterm
) -> None:
    assert invoice(to_paris(("TEE", 1, "10.00")), profile=profile, options=options).incoterm == expected


def test_the_incoterm_names_the_destination_for_d_terms_and_the_shipping_place_for_f_terms() -> None:
    target = to_paris(("TEE", 1, "10.00"))

    delivered = invoice(target)
    free_carrier = invoice(target, options=InvoiceOptions(incoterm=Incoterm.FCA))

    assert (delivered.incoterm_place, free_carrier.incoterm_place) == ("Paris, FR", "Edison, US")


def test_the_reason_for_export_is_a_sale_unless_the_request_says_otherwise() -> None:
    target = to_paris(("TEE", 1, "10.00"))

    assert invoice(target).reason == ExportReason.SALE
    assert invoice(target, options=InvoiceOptions(reason=ExportReason.SAMPLE)).reason == ExportReason.SAMPLE


def test_the_invoice_is_dated_in_the_shipping_locations_time_zone() -> None:
    late_evening_in_new_jersey = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)

    result = invoice(to_paris(("TEE", 1, "10.00")), location=warehouse(timezone="America/New_York"),
                     now=late_evening_in_new_jersey)

    assert result.issued_on.isoformat() == "2025-02-28"


# -- parties -------------------------------------------------------------------------------------------


def test_the_exporter_is_the_company_at_the_shipping_locations_address_and_the_importer_the_consignee() -> None:
    profile = CustomsProfile(company_name="Acme Apparel Inc.", tax_ids=(TaxId("EORI", "US123456789000"),),
                             phone="+1 732 555 0100", signatory="Grace Hopper")

    result = invoice(to_paris(("TEE", 1, "10.00")), profile=profile)

    assert (result.exporter.name, result.exporter.address.name, result.exporter.address.city) == (
        "Acme Apparel Inc.", "Edison DC", "Edison")
    assert result.exporter.tax_ids == (TaxId("EORI", "US123456789000"),)
    assert (result.importer.name, result.importer.address.line1, result.importer.email, result.importer.phone) == (
        "Zoé Martin", "5 Rue de Rivoli", "zoe@example.com", "+33 1 23 45 67 89")
    assert result.signatory == "Grace Hopper"


def test_without_a_company_name_the_location_is_the_exporter() -> None:
    result = invoice(to_paris(("TEE", 1, "10.00")))

    assert (result.exporter.name, result.exporter.address.name, result.signatory) == ("Edison DC", None, None)


def test_a_customs_description_on_the_item_replaces_its_shop_name() -> None:
    item = tee(customs_description="Men's T-shirt, knitted, 100% cotton")

    assert invoice(to_paris(("TEE", 1, "10.00")), item).lines[0].description == "Men's T-shirt, knitted, 100% cotton"


# -- what the invoice cannot state ---------------------------------------------------------------------


def test_every_missing_or_invalid_item_value_is_named_with_its_line() -> None:
    target = to_paris(("SKU-9", 1, "10.00"), ("BAD", 1, "10.00"), ("NUM", 1, "10.00"), ("LIGHT", 1, "0"),
                      ("GONE", 1, "10.00"))
    items = (tee("SKU-9", hs_code=None, country_of_origin=None), tee("BAD", hs_code="61A9", country_of_origin="XX"),
             tee("NUM", hs_code=610910), tee("LIGHT", weight=0))

    found = problems(target, *items)

    assert found == {
        "lines[0].hs_code": "item 'SKU-9' has no HS code (attribute 'hs_code')",
        "lines[0].country_of_origin": "item 'SKU-9' has no country of origin (attribute 'country_of_origin')",
        "lines[1].hs_code": "item 'BAD': '61A9' is not an HS code: 6 to 10 digits (dots and spaces allowed) "
                            "(attribute 'hs_code')",
        "lines[1].country_of_origin": "item 'BAD': 'XX' is not an ISO 3166-1 alpha-2 country code "
                                      "(attribute 'country_of_origin')",
        "lines[2].hs_code": "item 'NUM': must be text such as \"6109.10\", not int 610910 (attribute 'hs_code')",
        "lines[3].net_weight": "item 'LIGHT' has no weight (weight_grams is 0)",
        "lines[3].unit_value": "order line L4 is priced 0: customs needs a value for every line",
        "lines[4].sku": "item 'GONE' is not in the item master",
    }


def test_the_error_detail_reads_as_one_sentence_per_problem() -> None:
    with pytest.raises(CustomsDataMissing) as raised:
        invoice(to_paris(("SKU-9", 1, "10.00")), tee("SKU-9", hs_code=None))

    assert raised.value.detail == (
        "cannot issue a commercial invoice: lines[0].hs_code: item 'SKU-9' has no HS code (attribute 'hs_code')"
    )


def test_missing_addresses_and_names_are_named() -> None:
    target = to_paris(("TEE", 1, "10.00"))
    target.ship_to = replace(PARIS, name=None, line1=None)
    target.customer = Customer()
    nowhere = warehouse(replace(EDISON, country=None, city=None))

    found = problems(target, tee(), location=nowhere)

    assert found == {
        "exporter.address.city": "location 'NJ' has no city",
        "exporter.address.country": "location 'NJ' has no country",
        "importer.name": "neither the ship-to address nor the customer has a name",
        "importer.address.line1": "the order's ship-to address has no line1",
    }


def test_a_shipment_within_one_country_needs_no_invoice_unless_one_is_asked_for_anyway() -> None:
    target = to_paris(("TEE", 1, "10.00"))
    target.ship_to = replace(PARIS, city="Newark", country="US")

    with pytest.raises(CustomsNotRequired) as raised:
        invoice(target)
    forced = invoice(target, options=InvoiceOptions(force=True))

    assert raised.value.overridable
    assert "same country (US)" in raised.value.detail
    assert forced.lines[0].sku == "TEE"


def test_a_pickup_order_never_needs_an_invoice() -> None:
    target = order(("TEE", 1), pickup_at="STORE-1")
    sourced(target, ("L1", "STORE-1", 1))

    with pytest.raises(CustomsNotRequired) as raised:
        invoice(target, options=InvoiceOptions(force=True))

    assert not raised.value.overridable


def test_a_rejected_fulfilment_order_has_nothing_to_declare() -> None:
    target = to_paris(("TEE", 1, "10.00"))
    target.reject_fulfillment("FO-1", "no stock", NOW)

    with pytest.raises(IllegalTransition):
        invoice(target)


# -- codes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "usable"), [
    ("610910", True), ("6109.10.0012", True), ("6109 10 00", True), ("0901.21", True),
    ("61091", False), ("61091000123", False), ("6109-1O", False), (610910, False), (True, False), ("", False),
])
def test_an_hs_code_is_text_of_six_to_ten_digits(value: object, usable: bool) -> None:
    assert (hs_code_problem(value) is None) == usable


@pytest.mark.parametrize(("value", "usable"), [("CN", True), ("pt", True), ("EU", False), ("UK", False), (1, False)])
def test_a_country_of_origin_is_an_iso_alpha_2_code(value: object, usable: bool) -> None:
    assert (country_problem(value) is None) == usable
