"""The commercial invoice printed as PDF, read back with pypdf."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal

from pypdf import PdfReader

from ordermesh.adapters.documents.commercial_invoice_pdf import render_commercial_invoice
from ordermesh.domain.customs import CommercialInvoice, CustomsProfile, InvoiceOptions, TaxId
from tests.unit.test_customs_invoice import invoice, tee, to_paris

ACME = CustomsProfile(company_name="Acme Apparel Inc.", tax_ids=(TaxId("EORI", "US123456789000"),),
                      signatory="Grace Hopper")


def pages(document: CommercialInvoice) -> list[str]:
    pdf = render_commercial_invoice(document)
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_pdf_shows_the_parties_the_terms_every_line_and_the_totals() -> None:
    target = to_paris(("TEE", 3, "1234.50"), ("CAP", 1, "12.50"), shipping="7.95")
    document = invoice(target, tee("TEE"), tee("CAP", hs_code="6505.00.30", country_of_origin="CN"), profile=ACME,
                       options=InvoiceOptions(insurance=Decimal("2.00"), packages=2))

    text = "\n".join(pages(document))

    for expected in ("PRO FORMA INVOICE", "PF-FO-1", "2025-03-01", "Acme Apparel Inc.", "EORI: US123456789000",
                     "Edison DC", "1 Dock Rd", "5 Rue de Rivoli", "75001 Paris", "zoe@example.com",
                     "DAP Paris, FR", "USD", "Sale",
                     "610910", "65050030", "PT", "CN", "1,234.50", "3,703.50", "12.50", "0.540",
                     "3,716.00 USD", "7.95 USD", "2.00 USD", "3,725.95 USD", "Total declared value",
                     "I declare that the information on this invoice is true and correct", "Grace Hopper"):
        assert expected in text, expected
    assert "Less discount" not in text  # nothing was discounted


def test_the_table_goes_on_over_further_pages_with_its_headings_repeated() -> None:
    skus = [f"SKU-{n:02d}" for n in range(45)]
    target = to_paris(*[(sku, 1, "10.00") for sku in skus])

    texts = pages(invoice(target, *[tee(sku) for sku in skus]))

    assert len(texts) == 2
    assert all("HS code" in text for text in texts)
    assert all(f"page {n} of {len(texts)}" in text for n, text in enumerate(texts, start=1))
    found = [sku for sku in skus if any(sku in text for text in texts)]
    assert found == skus
    assert "450.00 USD" in texts[-1]
    assert "I declare" in texts[-1]


def test_names_outside_the_core_fonts_alphabet_print_without_failing() -> None:
    target = to_paris(("TEE", 1, "10.00"))
    assert target.ship_to is not None
    target.ship_to = replace(target.ship_to, name="Łukasz Żółć", city="Kraków", country="PL")

    text = "\n".join(pages(invoice(target, tee(customs_description="T-shirt \u2014 cotton \u6f22"))))

    assert "Lukasz Zólc" in text  # Windows-1252 has ó; Ł, Ż and ć lose their marks
    assert "Kraków" in text
    assert "T-shirt \u2014 cotton ?" in text
