"""The commercial invoice: the document customs clears an international shipment on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ordermesh.domain.catalog import Address
from ordermesh.domain.customs.codes import ExportReason, Incoterm
from ordermesh.domain.errors import DomainError

DECLARATION = (
    "I declare that the information on this invoice is true and correct, that the goods described are those "
    "in this shipment and that they originate in the countries stated."
)


class InvoiceKind(StrEnum):
    COMMERCIAL = "commercial"  # for units that have shipped: the shipment's quantities
    PROFORMA = "proforma"  # before shipping: the units the fulfilment order asks the location to ship


@dataclass(frozen=True)
class TaxId:
    """A registration customs or tax authorities know the company by: EORI, VAT, EIN, ..."""

    scheme: str
    value: str


@dataclass(frozen=True)
class CustomsProfile:
    """The company's customs identity and its defaults, from configuration."""

    company_name: str | None = None  # None: the shipping location's name
    tax_ids: tuple[TaxId, ...] = ()
    phone: str | None = None
    email: str | None = None
    signatory: str | None = None  # None: the printed invoice is left for a signature by hand
    incoterm: Incoterm = Incoterm.DAP
    ddp_countries: frozenset[str] = frozenset()  # destinations shipped duties paid
    ddp_channels: frozenset[str] = frozenset()  # channels whose orders are sold duties paid
    package_weight_grams: int = 0  # packaging added to the net weight for each package

    def incoterm_for(self, *, destination: str, channel: str) -> Incoterm:
        """DDP when the destination or the channel is sold duties paid, the configured Incoterm otherwise."""
        if destination in self.ddp_countries or channel in self.ddp_channels:
            return Incoterm.DDP
        return self.incoterm


@dataclass(frozen=True)
class InvoiceOptions:
    """What one request may decide for its invoice; None takes the profile's or the shipment's value."""

    incoterm: Incoterm | None = None
    reason: ExportReason = ExportReason.SALE
    packages: int | None = None  # None: one package
    insurance: Decimal = Decimal(0)
    gross_weight_grams: int | None = None  # None: net weight plus the profile's packaging per package
    force: bool = False  # issue one even when goods stay in their country


@dataclass(frozen=True)
class Party:
    """The exporter or the importer: who they are, where, and how to reach them."""

    name: str
    address: Address
    email: str | None = None
    phone: str | None = None
    tax_ids: tuple[TaxId, ...] = ()


@dataclass(frozen=True)
class InvoiceLine:
    position: int  # 1, 2, ... as printed
    sku: str
    description: str
    hs_code: str  # digits only
    country_of_origin: str
    quantity: int
    unit_value: Decimal
    value: Decimal  # quantity x unit value, in the currency's minor units
    unit_net_weight_grams: int
    net_weight_grams: int


@dataclass(frozen=True)
class InvoiceTotals:
    goods_value: Decimal  # the lines' values added up
    discount: Decimal  # the order's discount, in the share these goods have of the order
    shipping: Decimal  # the order's shipping charge, in the same share
    insurance: Decimal
    declared_value: Decimal  # goods - discount + shipping + insurance
    units: int
    packages: int
    net_weight_grams: int
    gross_weight_grams: int


@dataclass(frozen=True)
class References:
    order_id: str
    channel: str
    order_number: str  # the channel's own number for the order
    fulfillment_order_id: str
    ship_from: str  # location code
    shipment_id: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None


@dataclass(frozen=True)
class CommercialInvoice:
    number: str
    kind: InvoiceKind
    issued_on: date
    currency: str
    incoterm: Incoterm
    incoterm_place: str  # the named place the Incoterm refers to
    reason: ExportReason
    exporter: Party
    importer: Party
    lines: tuple[InvoiceLine, ...]
    totals: InvoiceTotals
    references: References
    declaration: str
    signatory: str | None


# -- errors ------------------------------------------------------------------------------------------

Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """("lines", 0, "hs_code") -> "lines[0].hs_code"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class CustomsDataMissing(DomainError):
    """The order, the item master or the locations lack what the invoice must state; each gap is named."""

    title = "Commercial invoice incomplete"

    def __init__(self, problems: Sequence[tuple[Path, str]]) -> None:
        listed = "; ".join(f"{dotted(path)}: {message}" for path, message in problems)
        super().__init__(f"cannot issue a commercial invoice: {listed}")
        self.problems = list(problems)


class CustomsNotRequired(DomainError):
    """The goods cross no border, so customs needs no commercial invoice for them."""

    title = "No commercial invoice needed"

    def __init__(self, detail: str, *, overridable: bool) -> None:
        super().__init__(detail)
        self.overridable = overridable  # True: one can be issued anyway on request (domestic shipments)
