"""patronage.pdf: a member's statement as a PDF, read back from the bytes.

No PDF reader is installed (pypdf is not in the lock), so `pdf_text` reads what fpdf2 writes:
Flate-compressed content streams whose text is `(…) Tj` in 2-byte glyph codes, and each font's
ToUnicode map from those codes to characters. That is enough to check the words on the page,
not a general PDF parser."""

import re
import zlib
from datetime import date

from patronage.pdf import Section, StatementDocument, statement_pdf

_OBJ = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes]]:
    """Object number → (dictionary text, decompressed stream or b"")."""
    out = {}
    for match in _OBJ.finditer(data):
        body = match.group(2)
        stream = _STREAM.search(body)
        content = b""
        if stream:
            content = stream.group(1)
            if b"/FlateDecode" in body[: stream.start()]:
                content = zlib.decompress(content)
        out[int(match.group(1))] = (body[: stream.start()] if stream else body, content)
    return out


def _unescape(literal: bytes) -> bytes:
    simple = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f",
              b"(": b"(", b")": b")", b"\\": b"\\"}

    def repl(m):
        escape = m.group(1)
        return simple.get(escape) or bytes([int(escape, 8)])
    return re.sub(rb"\\([nrtbf()\\]|[0-7]{1,3})", repl, literal)


def pdf_text(data: bytes) -> str:
    """The page text, one shown string per line."""
    objects = _objects(data)
    fonts = {}
    for head, _ in objects.values():
        for name, num in re.findall(rb"/(F\d+) (\d+) 0 R", head):
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(num)][0])
            cmap = objects[int(to_unicode.group(1))][1]
            fonts[name] = {int(code, 16): chr(int(char, 16)) for code, char in
                           re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4,6})>", cmap)}
    lines, font = [], None
    for head, content in objects.values():
        if b"Tj" not in content:
            continue
        # A font change, a shown string `(…) Tj`, or an array `[(…) -408 (…)] TJ` (justified).
        shown = rb"\(((?:\\.|[^\\)])*)\)"
        for m in re.finditer(rb"/(F\d+) [\d.]+ Tf|" + shown + rb" Tj|\[(.*?)\] TJ", content, re.S):
            if m.group(1):
                font = fonts[m.group(1)]
                continue
            parts = [m.group(2)] if m.group(2) is not None else re.findall(shown, m.group(3), re.S)
            raw = _unescape(b"".join(parts))
            codes = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
            lines.append("".join(font.get(code, "\N{REPLACEMENT CHARACTER}") for code in codes))
    return "\n".join(lines)


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
