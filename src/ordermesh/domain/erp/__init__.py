"""The financial handoff to an ERP: invoices, credit memos and daily journals, and how they are written."""

from ordermesh.domain.erp.apportion import Charges, OrderValue, spread
from ordermesh.domain.erp.documents import (
    Amounts,
    CreditMemo,
    DocumentLine,
    ErpDocumentType,
    Invoice,
    Journal,
    Summary,
    credit_memo_for,
    credit_memo_number,
    invoice_for,
    invoice_number,
    journal_number,
    journal_of,
    summary,
    was_invoiced,
)
from ordermesh.domain.erp.formats import CONTENT_TYPES, DocumentFormat, ErpDocument, as_data, render, summary_of

__all__ = [
    "CONTENT_TYPES",
    "Amounts",
    "Charges",
    "CreditMemo",
    "DocumentFormat",
    "DocumentLine",
    "ErpDocument",
    "ErpDocumentType",
    "Invoice",
    "Journal",
    "OrderValue",
    "Summary",
    "as_data",
    "credit_memo_for",
    "credit_memo_number",
    "invoice_for",
    "invoice_number",
    "journal_number",
    "journal_of",
    "render",
    "spread",
    "summary",
    "summary_of",
    "was_invoiced",
]
