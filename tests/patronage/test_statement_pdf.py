"""patronage.pdf: a member's statement as a PDF, read back from the bytes
(tests/patronage/pdf_reading.py)."""

import re
from datetime import date

from patronage.pdf import Section, StatementDocument, statement_pdf
from tests.patronage.pdf_reading import pdf_text


def document(**overrides):
    fields = dict(
        cooperative="Fair Photo Cooperative",
        member_name="Łukasz Żółć-Дмитриев (Ἀλέξανδρος)",
        member_number=42,
        period="2025 (1 January – 31 December 2025)",
        period_end=date(2025, 12, 31),
        currency="EUR",
        figures=[("Interest on capital", 1234), ("Patronage", 482000),
                 ("of which paid in cash", 144600), ("of which retained", 337400)],
        sections=[
            Section("Interest on capital", [
                "500.00 EUR paid on 1 March 2025: 306 days × 3.00 % ÷ 365 = 12.5753… EUR",
                "Your share of the interest pool: 12.34 EUR."]),
            Section("Patronage", [
                "You contributed 120.5 hours of the Workers class's 1,000 hours.",
                "40,000.00 EUR × 120.5 ÷ 1,000 = 4,820.00 EUR"]),
        ],
        note="Figures are exact to the cent; see the open books for the pools.",
    )
    fields.update(overrides)
    return StatementDocument(**fields)


def test_the_statement_reads_back_with_a_non_latin1_name():
    data = statement_pdf(document())
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    # Lines that wrap come out as several strings: read them as one text.
    text = " ".join(pdf_text(data).split("\n"))
    assert "Łukasz Żółć-Дмитриев (Ἀλέξανδρος) · member number 42" in text
    assert "Statement for 2025 (1 January – 31 December 2025)" in text
    # The figures as coop.money prints them, the currency named once in the heading.
    for figure in ("12.34", "4,820.00", "1,446.00", "3,374.00", "Amount (EUR)"):
        assert figure in text
    # The explanations, with their arithmetic.
    assert "500.00 EUR paid on 1 March 2025: 306 days × 3.00 % ÷ 365 = 12.5753… EUR" in text
    assert "You contributed 120.5 hours of the Workers class's 1,000 hours." in text
    assert "\N{REPLACEMENT CHARACTER}" not in text
    # The font is embedded (a subset of the vendored DejaVu), not a Latin-1 base font.
    assert b"/FontFile2" in data and b"DejaVuSans" in data


def test_what_it_says_follows_the_document():
    text = pdf_text(statement_pdf(document(member_name="Ana Pérez", figures=[("Interest", 5)],
                                           sections=[], note="")))
    assert "Ana Pérez · member number 42" in text
    assert "0.05" in text
    assert "Łukasz" not in text and "Patronage" not in text


def test_the_same_statement_gives_the_same_bytes():
    assert statement_pdf(document()) == statement_pdf(document())


def test_a_long_explanation_flows_onto_a_second_page_with_numbered_footers():
    many = [Section(f"Payment {i}", [f"Line {i}: " + "word " * 40]) for i in range(40)]
    text = pdf_text(statement_pdf(document(sections=many)))
    # fpdf2 writes the page count apart from "page n/": they read as two strings.
    pages = re.findall(r"page (\d+)/\n?(\d+)", text)
    assert len(pages) > 1 and pages[0][0] == "1" and {total for _, total in pages} == {
        str(len(pages))}
    assert "Payment 39" in text
