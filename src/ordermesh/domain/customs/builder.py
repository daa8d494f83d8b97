"""Write a commercial invoice from an order, its fulfilment order, the item master and the shipping location."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ordermesh.domain.catalog import Address, Item, Location
from ordermesh.domain.customs.codes import (
    DESCRIPTION_ATTRIBUTE,
    HS_CODE_ATTRIBUTE,
    ORIGIN_ATTRIBUTE,
    country_problem,
    hs_code_problem,
    normal_hs_code,
)
from ordermesh.domain.customs.invoice import (
    DECLARATION,
    CommercialInvoice,
    CustomsDataMissing,
    CustomsNotRequired,
    CustomsProfile,
    InvoiceKind,
    InvoiceLine,
    InvoiceOptions,
    InvoiceTotals,
    Party,
    Path,
    References,
)
from ordermesh.domain.errors import IllegalTransition
from ordermesh.domain.fulfillment import FulfillmentOrder, Shipment
from ordermesh.domain.money import fits_currency, minor_units
from ordermesh.domain.orders import DeliveryMethod, Order, OrderLine

Problems = list[tuple[Path, str]]


@dataclass(frozen=True)
class InvoiceSource:
    """Everything an invoice is written from."""

    order: Order
    fulfillment_order: FulfillmentOrder
    ship_from: Location
    items: Mapping[str, Item]  # by SKU; SKUs missing from the item master are reported
    shipment: Shipment | None = None  # None: a pro-forma for the units the fulfilment order asks for


def issue_commercial_invoice(
    source: InvoiceSource, profile: CustomsProfile, options: InvoiceOptions, *, now: datetime
) -> CommercialInvoice:
    """Write the commercial invoice for a shipment, or the pro-forma invoice for a fulfilment order.

    Raises CustomsNotRequired for a pickup order or (unless forced) goods that stay in their country,
    IllegalTransition when no unit is left to declare, and CustomsDataMissing naming every value the
    invoice needs and cannot state: nothing is issued half-complete. It is dated in the shipping
    location's time zone: the day of the shipment, or `now` for a pro-forma.
    """
    order, fo, shipment = source.order, source.fulfillment_order, source.shipment
    destination = _crossing(source, options)
    quantities = _quantities(fo, order, shipment)
    problems: Problems = []
    exporter = _exporter(source.ship_from, profile, problems)
    importer = _importer(order, problems)
    lines = [_line(n, line, qty, source.items, order.currency, problems) for n, (line, qty) in enumerate(quantities)]
    totals = _totals(order, quantities, lines, profile, options, problems)
    if problems:
        raise CustomsDataMissing(problems)
    assert totals is not None
    incoterm = options.incoterm or profile.incoterm_for(destination=destination, channel=order.channel)
    named = source.ship_from.address if incoterm.named_at_origin else importer.address
    return CommercialInvoice(
        number=f"CI-{shipment.id}" if shipment else f"PF-{fo.id}",
        kind=InvoiceKind.COMMERCIAL if shipment else InvoiceKind.PROFORMA,
        issued_on=_local_day(shipment.shipped_at if shipment else now, source.ship_from),
        currency=order.currency,
        incoterm=incoterm,
        incoterm_place=", ".join(part for part in (named.city, (named.country or "").upper()) if part),
        reason=options.reason,
        exporter=exporter,
        importer=importer,
        lines=tuple(line for line in lines if line is not None),
        totals=totals,
        references=_references(order, fo, shipment),
        declaration=DECLARATION,
        signatory=profile.signatory,
    )


def _references(order: Order, fo: FulfillmentOrder, shipment: Shipment | None) -> References:
    return References(
        order_id=order.id,
        channel=order.channel,
        order_number=order.external_id,
        fulfillment_order_id=fo.id,
        ship_from=fo.location,
        shipment_id=shipment.id if shipment else None,
        carrier=shipment.carrier if shipment else None,
        tracking_number=shipment.tracking_number if shipment else None,
    )


def _crossing(source: InvoiceSource, options: InvoiceOptions) -> str:
    """Return the destination country; raise CustomsNotRequired when nothing crosses a border."""
    order = source.order
    if order.delivery.method == DeliveryMethod.PICKUP or order.ship_to is None:
        raise CustomsNotRequired(f"order {order.id} is picked up at a store: it crosses no border", overridable=False)
    destination = (order.ship_to.country or "").upper()
    origin = (source.ship_from.address.country or "").upper()
    if destination and destination == origin and not options.force:
        raise CustomsNotRequired(
            f"fulfillment order {source.fulfillment_order.id} ships from {source.ship_from.code} to an address "
            f"in the same country ({origin}): customs needs no commercial invoice",
            overridable=True,
        )
    return destination


def _quantities(fo: FulfillmentOrder, order: Order, shipment: Shipment | None) -> list[tuple[OrderLine, int]]:
    """Units per order line: a shipment's shipped units, or the units the fulfilment order still asks for."""
    if shipment is not None:
        wanted = [(fl.order_line_id, shipment.lines.get(fl.order_line_id, 0)) for fl in fo.lines]
    else:
        wanted = [(fl.order_line_id, fl.quantity - fl.cancelled) for fl in fo.lines]
    quantities = [(order.line(line_id), quantity) for line_id, quantity in wanted if quantity > 0]
    if not quantities:
        raise IllegalTransition("fulfillment order", fo.id, fo.status, "declare it to customs: it has no units")
    return quantities


def _exporter(location: Location, profile: CustomsProfile, problems: Problems) -> Party:
    described = f"location '{location.code}'"
    _check_address(location.address, ("exporter", "address"), described, problems)
    # With a company name the site's name becomes the first address line, as on a shipper's label.
    address = replace(location.address, name=location.name if profile.company_name else None, lat=None, lon=None)
    return Party(
        name=profile.company_name or location.name,
        address=address,
        email=profile.email,
        phone=profile.phone,
        tax_ids=profile.tax_ids,
    )


def _importer(order: Order, problems: Problems) -> Party:
    assert order.ship_to is not None
    name = order.ship_to.name or order.customer.name
    if not name:
        problems.append((("importer", "name"), "neither the ship-to address nor the customer has a name"))
    _check_address(order.ship_to, ("importer", "address"), "the order's ship-to address", problems)
    address = replace(order.ship_to, name=None, lat=None, lon=None)
    return Party(name=name or "", address=address, email=order.customer.email, phone=order.customer.phone)


def _check_address(address: Address, path: Path, described: str, problems: Problems) -> None:
    for field in ("line1", "city"):
        if not getattr(address, field):
            problems.append(((*path, field), f"{described} has no {field}"))
    if not address.country:
        problems.append(((*path, "country"), f"{described} has no country"))
    elif problem := country_problem(address.country):
        problems.append(((*path, "country"), f"{described}: {problem}"))


def _line(
    index: int, line: OrderLine, quantity: int, items: Mapping[str, Item], currency: str, problems: Problems
) -> InvoiceLine | None:
    """One invoice line; every gap is added to `problems` and the line is then None."""
    item = items.get(line.sku)
    if item is None:
        problems.append((("lines", index, "sku"), f"item '{line.sku}' is not in the item master"))
        return None
    found = len(problems)
    hs_code = _attribute(item, ("lines", index, "hs_code"), HS_CODE_ATTRIBUTE, "HS code", hs_code_problem, problems)
    origin = _attribute(
        item, ("lines", index, "country_of_origin"), ORIGIN_ATTRIBUTE, "country of origin", country_problem, problems
    )
    if item.weight_grams <= 0:
        problems.append((("lines", index, "net_weight"), f"item '{item.sku}' has no weight (weight_grams is 0)"))
    if line.unit_price <= 0:
        problems.append(
            (("lines", index, "unit_value"), f"order line {line.id} is priced 0: customs needs a value for every line")
        )
    if len(problems) > found or hs_code is None or origin is None:
        return None
    description = item.attributes.get(DESCRIPTION_ATTRIBUTE)
    return InvoiceLine(
        position=index + 1,
        sku=item.sku,
        description=description.strip() if isinstance(description, str) and description.strip() else item.name,
        hs_code=normal_hs_code(hs_code),
        country_of_origin=origin.strip().upper(),
        quantity=quantity,
        unit_value=line.unit_price,
        value=_round(line.unit_price * quantity, currency),
        unit_net_weight_grams=item.weight_grams,
        net_weight_grams=item.weight_grams * quantity,
    )


def _attribute(
    item: Item, path: Path, name: str, what: str, check: Callable[[Any], str | None], problems: Problems
) -> str | None:
    """An item attribute the invoice needs, as text; a missing, blank or invalid one is a problem."""
    value = item.attributes.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append((path, f"item '{item.sku}' has no {what} (attribute '{name}')"))
        return None
    if problem := check(value):
        problems.append((path, f"item '{item.sku}': {problem} (attribute '{name}')"))
        return None
    assert isinstance(value, str)
    return value


def _totals(
    order: Order,
    quantities: list[tuple[OrderLine, int]],
    lines: list[InvoiceLine | None],
    profile: CustomsProfile,
    options: InvoiceOptions,
    problems: Problems,
) -> InvoiceTotals | None:
    """Values and weights added up; the order's discount and shipping in the share these goods have of it."""
    currency = order.currency
    if not (options.insurance >= 0 and fits_currency(options.insurance, currency)):
        problems.append((("totals", "insurance"), f"'{options.insurance}' is not an amount in {currency}"))
    packages = options.packages if options.packages is not None else 1
    if packages < 1:
        problems.append((("totals", "packages"), f"a shipment has at least one package, not {packages}"))
    if any(line is None for line in lines) or problems:
        return None
    complete = [line for line in lines if line is not None]
    net = sum(line.net_weight_grams for line in complete)
    gross = options.gross_weight_grams
    if gross is None:
        gross = net + profile.package_weight_grams * packages
    elif gross < net:
        problems.append((("totals", "gross_weight"), f"{gross} g is less than the goods' net weight of {net} g"))
        return None
    share = _share(order, quantities)
    goods = sum((line.value for line in complete), Decimal(0))
    insurance = _round(options.insurance, currency)
    discount = min(_round(order.discount_total * share, currency), goods)
    shipping = _round(order.shipping_total * share, currency)
    return InvoiceTotals(
        goods_value=goods,
        discount=discount,
        shipping=shipping,
        insurance=insurance,
        declared_value=goods - discount + shipping + insurance,
        units=sum(line.quantity for line in complete),
        packages=packages,
        net_weight_grams=net,
        gross_weight_grams=gross,
    )


def _share(order: Order, quantities: list[tuple[OrderLine, int]]) -> Decimal:
    """The part of the order's (not cancelled) goods value that these units make up."""
    whole = sum((line.unit_price * (line.quantity - line.cancelled) for line in order.lines), Decimal(0))
    part = sum((line.unit_price * quantity for line, quantity in quantities), Decimal(0))
    if whole <= 0 or part >= whole:
        return Decimal(1)
    return part / whole


def _round(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor units (cents, or whole yen)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def _local_day(moment: datetime, location: Location) -> date:
    return moment.astimezone(ZoneInfo(location.profile.timezone)).date()
