"""Customs documents for goods that cross a border: the commercial (or pro-forma) invoice."""

from ordermesh.domain.customs.builder import InvoiceSource, issue_commercial_invoice
from ordermesh.domain.customs.codes import COUNTRIES, ExportReason, Incoterm
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
    References,
    TaxId,
    dotted,
)

__all__ = [
    "COUNTRIES",
    "DECLARATION",
    "CommercialInvoice",
    "CustomsDataMissing",
    "CustomsNotRequired",
    "CustomsProfile",
    "ExportReason",
    "Incoterm",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceOptions",
    "InvoiceSource",
    "InvoiceTotals",
    "Party",
    "References",
    "TaxId",
    "dotted",
    "issue_commercial_invoice",
]
