"""A member's period statement as a PDF (fpdf2, with the DejaVu Sans font vendored in
`static/fonts/`).

Why fpdf2 and a vendored font: fpdf2 is pure Python (no system packages, so the embedded
default still installs with one command), and its built-in fonts are Latin-1 only – a member
called Zoë passes, Łukasz, Ἀλέξανδρος or 王秀英 would not. DejaVu Sans covers Latin, Greek and
Cyrillic; fpdf2 embeds only the glyphs used (a statement is ~30 kB). CJK names need a CJK font:
DejaVu has none, so such characters come out as the font's missing-glyph box (the name is still
in the file's text layer, so search and copy work); say so rather than ship 15 MB of font.

The document is built from a `StatementDocument`: plain figures and sentences, made from
`selectors.member_statement` by `patronage.explain`, so the page and the PDF say the same
things. Nothing here queries the database.

The statements API answers `?format=pdf` / `Accept: application/pdf` with `renderer()`, which is
`render_statement` unless a test or a deployment registers another:

    from patronage import pdf
    pdf.register_renderer(lambda statement: b"%PDF-...")   # statement: selectors.Statement
    pdf.register_renderer(None)                              # back to render_statement
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from coop.money import format_minor

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
# fontTools logs every step of subsetting the font at INFO (some 30 lines a PDF), which the
# root logger (LOG_LEVEL=INFO) would print for each statement downloaded.
logging.getLogger("fontTools").setLevel(logging.WARNING)
FAMILY = "DejaVuSans"


@dataclass(frozen=True)
class Section:
    """A heading and the sentences under it (one explanation: interest, patronage...)."""

    heading: str
    lines: Sequence[str]


@dataclass(frozen=True)
class StatementDocument:
    cooperative: str
    member_name: str
    member_number: int
    period: str  # as people read it, e.g. "2025 (1 January – 31 December 2025)"
    period_end: date
    currency: str
    figures: Sequence[tuple[str, int]]  # (label, amount in minor units), in reading order
    sections: Sequence[Section] = field(default_factory=tuple)
    note: str = ""


class _StatementPDF(FPDF):
    def __init__(self, doc: StatementDocument):
        super().__init__(format="A4", unit="mm")
        self.doc = doc
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self):
        self.set_y(-13)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90, 90, 100)
        self.cell(0, 5, f"{self.doc.cooperative} · member {self.doc.member_number} · "
                        f"{self.doc.period} · page {self.page_no()}/{{nb}}", align="C")


def _para(pdf: FPDF, line_height: float, text: str) -> None:
    """A left-aligned paragraph across the page (justified text would stretch the figures)."""
    pdf.multi_cell(pdf.epw, line_height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def statement_pdf(doc: StatementDocument) -> bytes:
    """The PDF of one member's statement for one period."""
    pdf = _StatementPDF(doc)
    # The same statement gives the same bytes (the date is the period's end, not "now").
    pdf.set_creation_date(datetime.combine(doc.period_end, time(0), tzinfo=UTC))
    pdf.set_title(f"Statement {doc.period} – {doc.member_name}")
    pdf.set_author(doc.cooperative)
    pdf.set_lang("en")
    pdf.add_page()

    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(74, 74, 85)
    _para(pdf, 5, doc.cooperative)
    pdf.set_text_color(27, 27, 31)
    pdf.set_font(FAMILY, "B", 17)
    _para(pdf, 9, f"Statement for {doc.period}")
    pdf.set_font(FAMILY, "", 11)
    _para(pdf, 6, f"{doc.member_name} · member number {doc.member_number}")
    pdf.ln(4)

    pdf.set_font(FAMILY, "", 10.5)
    with pdf.table(col_widths=(3, 2), text_align=("LEFT", "RIGHT"), first_row_as_headings=True,
                   line_height=7, borders_layout="HORIZONTAL_LINES") as table:
        table.row(("", f"Amount ({doc.currency})"))
        for label, amount in doc.figures:
            table.row((label, format_minor(amount, doc.currency, code=False)))
    pdf.ln(5)

    for section in doc.sections:
        pdf.set_font(FAMILY, "B", 12)
        _para(pdf, 7, section.heading)
        pdf.set_font(FAMILY, "", 10)
        for line in section.lines:
            _para(pdf, 5.2, line)
            pdf.ln(0.8)
        pdf.ln(3)

    if doc.note:
        pdf.set_font(FAMILY, "", 9)
        pdf.set_text_color(74, 74, 85)
        _para(pdf, 4.8, doc.note)
    return bytes(pdf.output())


def render_statement(statement) -> bytes:
    """The PDF of a `selectors.Statement` (a posted run's line, with its explanation)."""
    from .explain import statement_document

    return statement_pdf(statement_document(statement))


_renderer: Callable | None = None


def register_renderer(renderer: Callable | None) -> None:
    global _renderer
    _renderer = renderer


def renderer() -> Callable:
    return _renderer or render_statement
