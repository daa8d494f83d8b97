"""The commercial invoice as a printable PDF (A4): parties, terms, a table of lines, totals, the declaration."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, TableCellFillMode, XPos, YPos

from ordermesh.domain.catalog import Address
from ordermesh.domain.customs import CommercialInvoice, InvoiceKind, Party

FONT = "Helvetica"  # a core PDF font: nothing to embed, Windows-1252 text
MARGIN = 12.0
WIDTH = 210.0 - 2 * MARGIN
# #, description, SKU, HS code, origin, quantity, unit value, value, net weight
COLUMNS = (8.0, 52.0, 26.0, 22.0, 12.0, 12.0, 20.0, 20.0, 14.0)
ALIGN = ("R", "L", "L", "L", "C", "R", "R", "R", "R")
HEADINGS = ("#", "Description", "SKU", "HS code", "Origin", "Qty", "Unit value", "Value", "Net kg")
# Letters that Unicode does not decompose into a base letter and an accent.
LOOKALIKES = str.maketrans(
    {"\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0126": "H", "\u0127": "h", "\u0131": "i"}
)
REASONS = {"sale": "Sale", "return": "Return", "gift": "Gift", "sample": "Sample", "repair": "Repair"}


def render_commercial_invoice(invoice: CommercialInvoice) -> bytes:
    """Lay the invoice out on as many A4 pages as its lines need (the table's headings repeat on each)."""
    pdf = _InvoicePdf(invoice)
    pdf.add_page()
    _heading(pdf, invoice)
    _parties(pdf, invoice.exporter, invoice.importer)
    _terms(pdf, invoice)
    _lines(pdf, invoice)
    _totals(pdf, invoice)
    _declaration(pdf, invoice)
    return bytes(pdf.output())


class _InvoicePdf(FPDF):
    def __init__(self, invoice: CommercialInvoice) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.invoice = invoice
        self.core_fonts_encoding = "windows-1252"
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_title(f"{_title(invoice)} {invoice.number}")
        self.set_creator("Ordermesh")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.set_text_color(90)
        self.cell(
            0, 5, _text(f"{_title(self.invoice)} {self.invoice.number} - page {self.page_no()} of {{nb}}"), align="C"
        )
        self.set_text_color(0)


def _title(invoice: CommercialInvoice) -> str:
    return "Pro forma invoice" if invoice.kind == InvoiceKind.PROFORMA else "Commercial invoice"


def _heading(pdf: FPDF, invoice: CommercialInvoice) -> None:
    pdf.set_font(FONT, "B", 16)
    pdf.cell(WIDTH / 2, 9, _title(invoice).upper())
    pdf.set_font(FONT, size=9)
    refs = invoice.references
    facts = [
        ("Invoice no.", invoice.number),
        ("Date", invoice.issued_on.isoformat()),
        ("Order", f"{refs.order_number} ({refs.channel})"),
    ]
    if refs.tracking_number:
        facts.append(("Carrier / tracking", f"{refs.carrier} {refs.tracking_number}"))
    top = pdf.get_y()
    for n, (label, value) in enumerate(facts):
        pdf.set_xy(MARGIN + WIDTH / 2, top + n * 4.5)
        pdf.set_font(FONT, "B", 8)
        pdf.cell(30, 4.5, _text(label))
        pdf.set_font(FONT, size=8)
        pdf.cell(WIDTH / 2 - 30, 4.5, _text(value), align="R")
    pdf.set_xy(MARGIN, top + max(10, len(facts) * 4.5) + 3)


def _parties(pdf: FPDF, exporter: Party, importer: Party) -> None:
    top = pdf.get_y()
    half = (WIDTH - 4) / 2
    bottoms = []
    columns = ((MARGIN, "Exporter / shipper", exporter), (MARGIN + half + 4, "Importer / consignee", importer))
    for x, label, party in columns:
        pdf.set_xy(x, top)
        pdf.set_font(FONT, "B", 8)
        pdf.set_fill_color(235)
        pdf.cell(half, 5, _text(label.upper()), fill=True, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, "B", 9)
        pdf.multi_cell(half, 4.5, _text(party.name), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=9)
        pdf.multi_cell(half, 4.5, _text("\n".join(_party_lines(party))), new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottoms.append(pdf.get_y())
    pdf.set_xy(MARGIN, max(bottoms) + 4)


def _party_lines(party: Party) -> list[str]:
    lines = list(_address_lines(party.address))
    lines += [f"Phone: {party.phone}"] if party.phone else []
    lines += [f"Email: {party.email}"] if party.email else []
    lines += [f"{tax_id.scheme}: {tax_id.value}" for tax_id in party.tax_ids]
    return lines


def _address_lines(address: Address) -> Iterable[str]:
    place = " ".join(part for part in (address.postal_code, address.city) if part)
    place = ", ".join(part for part in (place, address.region) if part)
    for line in (address.name, address.line1, address.line2, place, address.country):
        if line:
            yield line


def _terms(pdf: FPDF, invoice: CommercialInvoice) -> None:
    totals = invoice.totals
    terms = [
        ("Incoterm", f"{invoice.incoterm.value} {invoice.incoterm_place}"),
        ("Currency", invoice.currency),
        ("Reason for export", REASONS.get(invoice.reason.value, invoice.reason.value)),
        ("Packages", str(totals.packages)),
        ("Net weight", f"{_kg(totals.net_weight_grams)} kg"),
        ("Gross weight", f"{_kg(totals.gross_weight_grams)} kg"),
    ]
    width = WIDTH / len(terms)
    pdf.set_fill_color(235)
    pdf.set_font(FONT, "B", 7)
    for label, _ in terms:
        pdf.cell(width, 4.5, _text(label.upper()), border="LTR", fill=True)
    pdf.ln()
    pdf.set_font(FONT, size=9)
    for _, value in terms:
        pdf.cell(width, 6, _text(value), border="LBR")
    pdf.ln(10)


def _lines(pdf: FPDF, invoice: CommercialInvoice) -> None:
    pdf.set_font(FONT, size=8)
    headings = FontFace(emphasis="BOLD", fill_color=235)
    with pdf.table(
        col_widths=COLUMNS,
        width=WIDTH,
        text_align=ALIGN,
        line_height=4.5,
        headings_style=headings,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        cell_fill_color=246,
        cell_fill_mode=TableCellFillMode.ROWS,
        padding=(1, 1),
    ) as table:
        row = table.row()
        for heading in HEADINGS:
            row.cell(heading)
        for line in invoice.lines:
            row = table.row()
            for value in (
                str(line.position),
                line.description,
                line.sku,
                line.hs_code,
                line.country_of_origin,
                str(line.quantity),
                _amount(line.unit_value),
                _amount(line.value),
                _kg(line.net_weight_grams),
            ):
                row.cell(_text(value))
    pdf.ln(3)


def _totals(pdf: FPDF, invoice: CommercialInvoice) -> None:
    totals = invoice.totals
    rows = [("Goods value", totals.goods_value)]
    if totals.discount:
        rows.append(("Less discount", -totals.discount))
    rows += [("Shipping", totals.shipping), ("Insurance", totals.insurance)]
    label_x = MARGIN + WIDTH - 80
    for label, amount in rows:
        _total_row(pdf, label_x, label, f"{_amount(amount)} {invoice.currency}", bold=False)
    _total_row(pdf, label_x, "Total declared value", f"{_amount(totals.declared_value)} {invoice.currency}", bold=True)
    pdf.ln(4)


def _total_row(pdf: FPDF, x: float, label: str, value: str, *, bold: bool) -> None:
    pdf.set_x(x)
    pdf.set_font(FONT, "B" if bold else "", 9)
    border = "T" if bold else ""
    pdf.cell(45, 5.5, _text(label), border=border)
    pdf.cell(35, 5.5, _text(value), border=border, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _declaration(pdf: FPDF, invoice: CommercialInvoice) -> None:
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.set_font(FONT, "B", 8)
    pdf.cell(0, 5, "DECLARATION", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(WIDTH, 4.5, _text(invoice.declaration), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(10)
    pdf.set_font(FONT, size=9)
    pdf.cell(80, 5, "Signature: " + "_" * 30)
    pdf.cell(70, 5, _text(f"Name: {invoice.signatory or '_' * 28}"))
    pdf.cell(0, 5, _text(f"Date: {invoice.issued_on.isoformat()}"), align="R")


def _amount(amount: Decimal) -> str:
    return f"{amount:,}"


def _kg(grams: int) -> str:
    return f"{Decimal(grams) / 1000:,.3f}"


def _text(value: str) -> str:
    """Text the core font can show: Windows-1252 kept, other letters without their accents, the rest '?'."""
    return "".join(char if _encodable(char) else _plain(char) for char in value)


def _plain(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.translate(LOOKALIKES))
    simple = "".join(c for c in decomposed if not unicodedata.combining(c))
    return simple if simple and _encodable(simple) else "?"


def _encodable(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True
