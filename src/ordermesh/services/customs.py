"""Customs documents: the commercial invoice for goods a fulfilment order sends across a border."""

from __future__ import annotations

from ordermesh.domain.catalog import Item, Location
from ordermesh.domain.customs import (
    CommercialInvoice,
    CustomsProfile,
    InvoiceOptions,
    InvoiceSource,
    issue_commercial_invoice,
)
from ordermesh.domain.errors import NotFound
from ordermesh.domain.orders import Order
from ordermesh.services.context import AppContext
from ordermesh.services.ports import UnitOfWork


def commercial_invoice(
    ctx: AppContext,
    *,
    fo_id: str,
    profile: CustomsProfile,
    options: InvoiceOptions,
    shipment_id: str | None = None,
) -> CommercialInvoice:
    """Write the commercial invoice of one shipment, or without one the pro-forma of the fulfilment order.

    Changes nothing: the invoice is written afresh from the order, the item master and the location each time.
    Raises NotFound for an unknown fulfilment order or shipment, and whatever issue_commercial_invoice raises.
    """

    def work(uow: UnitOfWork) -> tuple[Order, Location, dict[str, Item]]:
        order_id = uow.orders.id_for_fulfillment_order(fo_id)
        order = uow.orders.get(order_id) if order_id else None
        if order is None:
            raise NotFound("fulfillment order", fo_id)
        fo = order.fulfillment_order(fo_id)
        location = uow.locations.get(fo.location)
        if location is None:
            raise NotFound("location", fo.location)
        return order, location, uow.items.get_many(sorted({fl.sku for fl in fo.lines}))

    order, location, items = ctx.read(work)
    fo = order.fulfillment_order(fo_id)
    shipment = None
    if shipment_id is not None:
        shipment = next((s for s in fo.shipments if s.id == shipment_id), None)
        if shipment is None:
            raise NotFound("shipment", f"{fo_id}/{shipment_id}")
    source = InvoiceSource(order, fo, location, items, shipment)
    return issue_commercial_invoice(source, profile, options, now=ctx.clock.now())
