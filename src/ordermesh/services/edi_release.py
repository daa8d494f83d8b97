"""Released work to partners over X12: a 940 warehouse shipping order, or an 850 purchase order to a drop-ship
vendor, per fulfilment order.

A fulfilment order is released to its location `release_delay` after it was created (until then re-optimisation
may still move it). Once released, an open fulfilment order at a location served by an X12 warehouse or 3PL
partner is written as a 940, one at a drop-ship vendor's location as an 850 (its PO number is the fulfilment
order id; unit prices are the item's `cost` attribute, else the order's price). One document per fulfilment
order, never two; it waits as a pending document for the partner's transport.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from ordermesh.domain.catalog import Address
from ordermesh.domain.edi import Delimiters
from ordermesh.domain.edi.parties import Carrier, Party, Reference
from ordermesh.domain.edi.products import ProductIds
from ordermesh.domain.edi.purchase_order import PurchaseOrder, PurchaseOrderLine, purchase_order_set
from ordermesh.domain.edi.shipping_order import ShippingOrderLine, WarehouseShippingOrder, shipping_order_set
from ordermesh.domain.fulfillment import FulfillmentLine, FulfillmentOrder, FulfillmentStatus
from ordermesh.domain.orders import Order
from ordermesh.domain.partners import Direction, Partner, PartnerKind, PartnerProtocol
from ordermesh.services.context import AppContext
from ordermesh.services.edi_outbound import write_json, write_x12
from ordermesh.services.partner_ports import EdiDocument
from ordermesh.services.ports import FulfillmentFilter, Page, UnitOfWork

WAREHOUSES = frozenset({PartnerKind.WMS, PartnerKind.THIRD_PARTY_LOGISTICS})
PAGE = 200


def release_key(code: str, fo_id: str) -> str:
    """The document number of the 940 or 850 that released a fulfilment order to its partner."""
    return f"{code}:{fo_id}"


def send_released_work(ctx: AppContext, *, release_delay: timedelta, limit: int = 500) -> list[EdiDocument]:
    """Write a 940 for every released open fulfilment order at an X12 warehouse partner's locations."""
    released_before = ctx.clock.now() - release_delay
    written: list[EdiDocument] = []
    for record in ctx.read(lambda uow: uow.partners.all()):
        partner = record.partner
        if not partner.active or partner.kind == PartnerKind.ERP:
            continue
        if partner.protocol == PartnerProtocol.JSON and partner.kind not in WAREHOUSES:
            continue  # drop-ship vendors take purchase orders over X12
        for location in partner.locations:
            for fo_id in _open_work(ctx, location, released_before, limit - len(written)):
                document = _send(ctx, partner, fo_id)
                if document is not None:
                    written.append(document)
    return written


def _send(ctx: AppContext, partner: Partner, fo_id: str) -> EdiDocument | None:
    return ctx.transaction(lambda uow: _write(uow, ctx, partner, fo_id))


def _open_work(ctx: AppContext, location: str, released_before: datetime, room: int) -> list[str]:
    found: list[str] = []
    cursor: str | None = None
    where = FulfillmentFilter(location=location, status=FulfillmentStatus.OPEN.value)
    while room > len(found):
        page = _page(ctx, where, cursor)
        found += [fo.id for fo in page.rows if fo.created_at <= released_before]
        cursor = page.next_cursor
        if cursor is None:
            break
    return found[:room]


def _page(ctx: AppContext, where: FulfillmentFilter, after: str | None) -> Page:
    return ctx.read(lambda uow: uow.orders.list_fulfillment_orders(where, after=after, limit=PAGE))


def _write(uow: UnitOfWork, ctx: AppContext, partner: Partner, fo_id: str) -> EdiDocument | None:
    if partner.protocol == PartnerProtocol.JSON:
        code = "json:shipping_order"
    else:
        code = "940" if partner.kind in WAREHOUSES else "850"
    key = release_key(code, fo_id)
    if uow.edi_documents.find(partner.id, Direction.OUT.value, key) is not None:
        return None
    order_id = uow.orders.id_for_fulfillment_order(fo_id)
    order = uow.orders.get(order_id) if order_id else None
    if order is None:
        return None
    fo = order.fulfillment_order(fo_id)
    location = uow.locations.get(fo.location)
    open_lines = [fl for fl in fo.lines if fl.open > 0]
    if fo.status != FulfillmentStatus.OPEN or location is None or not open_lines:
        return None
    if partner.x12 is None:
        return _write_json(uow, ctx, partner, order, fo, open_lines, key)
    delimiters = partner.x12.delimiters
    ship_to = _ship_to(order, delimiters)
    references = (Reference("CO", order.id), Reference("ZZ", _clean(order.channel, delimiters)))
    today = ctx.clock.now().date()
    if code == "940":
        ts = shipping_order_set(
            WarehouseShippingOrder(
                fulfillment_order_id=fo.id,
                order_external_id=_clean(order.external_id, delimiters),
                ship_to=ship_to,
                lines=tuple(
                    ShippingOrderLine(number, _clean(fl.sku, delimiters), fl.open, order_line_id=fl.order_line_id)
                    for number, fl in enumerate(open_lines, start=1)
                ),
                ship_from=Party(
                    _clean(location.name, delimiters),
                    code=location.code,
                    address=_address(location.address, delimiters),
                ),
                references=references,
                requested_ship_date=today,
                # W66: prepaid small parcel, routed by the order's service level (the warehouse picks the carrier)
                carrier=Carrier(service=_clean(order.delivery.service_level or "standard", delimiters)),
            )
        )
    else:
        ts = purchase_order_set(
            PurchaseOrder(
                po_number=fo.id,
                ordered_on=today,
                ship_to=ship_to,
                lines=tuple(
                    PurchaseOrderLine(
                        str(number), ProductIds(_clean(fl.sku, delimiters)), fl.open, _cost(uow, order, fl)
                    )
                    for number, fl in enumerate(open_lines, start=1)
                ),
                currency=order.currency,
                references=references,
            )
        )
    lines = [
        {"line_number": str(number), "order_line_id": fl.order_line_id, "sku": fl.sku, "quantity": fl.open,
         **({"unit_price": str(_cost(uow, order, fl))} if code == "850" else {})}
        for number, fl in enumerate(open_lines, start=1)
    ]  # fmt: skip
    parsed = {"fulfillment_order_id": fo.id, "location": fo.location, "lines": lines}
    return write_x12(
        uow, ctx, partner, ts, dedupe_key=key, reference=fo.id, order_id=order.id, fulfillment_order_id=fo.id,
        parsed=parsed,
    )  # fmt: skip


def _write_json(
    uow: UnitOfWork,
    ctx: AppContext,
    partner: Partner,
    order: Order,
    fo: FulfillmentOrder,
    lines: list[FulfillmentLine],
    key: str,
) -> EdiDocument:
    """The JSON shipping order an API-native warehouse takes (the same content as a 940)."""
    ship_to = order.ship_to or Address()
    body = {
        "document_number": fo.id,
        "fulfillment_order_id": fo.id,
        "order_id": order.id,
        "channel": order.channel,
        "channel_order_number": order.external_id,
        "location": fo.location,
        "requested_ship_date": ctx.clock.now().date().isoformat(),
        "service_level": order.delivery.service_level,
        "ship_to": {"name": ship_to.name or order.customer.name, "line1": ship_to.line1, "line2": ship_to.line2,
                    "city": ship_to.city, "region": ship_to.region, "postal_code": ship_to.postal_code,
                    "country": ship_to.country, "email": order.customer.email, "phone": order.customer.phone},
        "lines": [{"line_number": n, "order_line_id": fl.order_line_id, "sku": fl.sku, "quantity": fl.open}
                  for n, fl in enumerate(lines, start=1)],
    }  # fmt: skip
    return write_json(
        uow, ctx, partner, "shipping_order", body, dedupe_key=key, reference=fo.id, order_id=order.id,
        fulfillment_order_id=fo.id,
    )  # fmt: skip


def _cost(uow: UnitOfWork, order: Order, line: FulfillmentLine) -> Decimal:
    """What the vendor is paid a unit: the item's `cost` attribute, else the price the customer pays."""
    item = uow.items.get(line.sku)
    cost = item.attributes.get("cost") if item is not None else None
    if cost is not None:
        try:
            return Decimal(str(cost)).quantize(Decimal("0.01"))
        except ArithmeticError:
            pass
    return order.line(line.order_line_id).unit_price


def _ship_to(order: Order, delimiters: Delimiters) -> Party:
    address = order.ship_to or Address()
    name = address.name or (order.customer.name if order.customer and order.customer.name else "Customer")
    return Party(_clean(name, delimiters), address=_address(address, delimiters))


def _address(address: Address, delimiters: Delimiters) -> Address:
    def clean(value: str | None) -> str | None:
        return _clean(value, delimiters) or None

    return replace(
        address,
        line1=clean(address.line1),
        line2=clean(address.line2),
        city=clean(address.city),
        region=clean(address.region),
        postal_code=clean(address.postal_code),
        country=clean(address.country),
        name=clean(address.name),
    )


def _clean(value: str | None, delimiters: Delimiters) -> str:
    """Free text as it can travel: any delimiter of the partner's becomes a space."""
    text = value or ""
    for character in (delimiters.element, delimiters.segment, delimiters.component, delimiters.repetition):
        if character:
            text = text.replace(character, " ")
    return text.strip()
