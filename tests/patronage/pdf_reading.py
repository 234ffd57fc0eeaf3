"""Reading back what fpdf2 writes, for the PDF statement tests.

No PDF reader is installed (pypdf is not in the lock), so `pdf_text` reads what fpdf2 writes:
Flate-compressed content streams whose text is `(…) Tj` (or `[…] TJ`) in 2-byte glyph codes,
and each font's ToUnicode map from those codes to characters. That is enough to check the words
on the page, not a general PDF parser."""

import re
import zlib

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
