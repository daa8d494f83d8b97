"""The commercial invoice on the wire: money as decimal strings, weights as kilogram strings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from ordermesh.domain.catalog import Address
from ordermesh.domain.customs import CommercialInvoice, ExportReason, Incoterm, InvoiceKind, Party
from ordermesh.entrypoints.api.schemas.common import Money


def kilograms(grams: int) -> str:
    """1234 -> "1.234"."""
    return str((Decimal(grams) / 1000).quantize(Decimal("0.001")))


class InvoiceAddressOut(BaseModel):
    name: str | None = Field(description="For the exporter: the shipping site, when the company's name is set")
    line1: str | None
    line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None

    @classmethod
    def of(cls, address: Address) -> InvoiceAddressOut:
        return cls(
            name=address.name,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
        )


class TaxIdOut(BaseModel):
    scheme: str = Field(examples=["EORI"])
    value: str = Field(examples=["GB123456789000"])


class PartyOut(BaseModel):
    name: str
    address: InvoiceAddressOut
    email: str | None
    phone: str | None
    tax_ids: list[TaxIdOut]

    @classmethod
    def of(cls, party: Party) -> PartyOut:
        return cls(
            name=party.name,
            address=InvoiceAddressOut.of(party.address),
            email=party.email,
            phone=party.phone,
            tax_ids=[TaxIdOut(scheme=t.scheme, value=t.value) for t in party.tax_ids],
        )


class InvoiceLineOut(BaseModel):
    position: int
    sku: str
    description: str
    hs_code: str = Field(description="Digits only", examples=["61091000"])
    country_of_origin: str = Field(description="ISO 3166-1 alpha-2", examples=["PT"])
    quantity: int
    unit_value: Money
    value: Money = Field(description="quantity x unit_value, rounded half up to the currency")
    unit_net_weight_kg: str = Field(examples=["0.180"])
    net_weight_kg: str = Field(examples=["0.540"])


class InvoiceTotalsOut(BaseModel):
    goods_value: Money
    discount: Money = Field(description="The order's discount, in the share these goods have of the order's value")
    shipping: Money = Field(description="The order's shipping charge, in the same share")
    insurance: Money
    declared_value: Money = Field(description="goods_value - discount + shipping + insurance")
    units: int
    packages: int
    net_weight_kg: str
    gross_weight_kg: str


class InvoiceReferencesOut(BaseModel):
    order_id: str
    channel: str
    order_number: str = Field(description="The channel's own number for the order")
    fulfillment_order_id: str
    ship_from: str = Field(description="The shipping location's code")
    shipment_id: str | None
    carrier: str | None
    tracking_number: str | None


class CommercialInvoiceOut(BaseModel):
    number: str = Field(description="CI-<shipment id> for a shipment, PF-<fulfilment order id> for a pro-forma")
    kind: InvoiceKind
    issued_on: date = Field(description="The shipment's day, or today for a pro-forma, at the shipping location")
    currency: str
    incoterm: Incoterm
    incoterm_place: str = Field(examples=["Paris, FR"])
    reason: ExportReason
    exporter: PartyOut
    importer: PartyOut
    lines: list[InvoiceLineOut]
    totals: InvoiceTotalsOut
    references: InvoiceReferencesOut
    declaration: str
    signatory: str | None = Field(description="Who signs; null leaves the printed invoice to be signed by hand")

    @classmethod
    def of(cls, invoice: CommercialInvoice) -> CommercialInvoiceOut:
        totals, refs = invoice.totals, invoice.references
        return cls(
            number=invoice.number,
            kind=invoice.kind,
            issued_on=invoice.issued_on,
            currency=invoice.currency,
            incoterm=invoice.incoterm,
            incoterm_place=invoice.incoterm_place,
            reason=invoice.reason,
            exporter=PartyOut.of(invoice.exporter),
            importer=PartyOut.of(invoice.importer),
            lines=[
                InvoiceLineOut(
                    position=line.position,
                    sku=line.sku,
                    description=line.description,
                    hs_code=line.hs_code,
                    country_of_origin=line.country_of_origin,
                    quantity=line.quantity,
                    unit_value=line.unit_value,
                    value=line.value,
                    unit_net_weight_kg=kilograms(line.unit_net_weight_grams),
                    net_weight_kg=kilograms(line.net_weight_grams),
                )
                for line in invoice.lines
            ],
            totals=InvoiceTotalsOut(
                goods_value=totals.goods_value,
                discount=totals.discount,
                shipping=totals.shipping,
                insurance=totals.insurance,
                declared_value=totals.declared_value,
                units=totals.units,
                packages=totals.packages,
                net_weight_kg=kilograms(totals.net_weight_grams),
                gross_weight_kg=kilograms(totals.gross_weight_grams),
            ),
            references=InvoiceReferencesOut(
                order_id=refs.order_id,
                channel=refs.channel,
                order_number=refs.order_number,
                fulfillment_order_id=refs.fulfillment_order_id,
                ship_from=refs.ship_from,
                shipment_id=refs.shipment_id,
                carrier=refs.carrier,
                tracking_number=refs.tracking_number,
            ),
            declaration=invoice.declaration,
            signatory=invoice.signatory,
        )
