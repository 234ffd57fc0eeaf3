"""The hook for the PDF statement (money-ui's: fpdf2 with a vendored font). The statements
endpoint answers `?format=pdf` / `Accept: application/pdf` with what the registered renderer
returns; until one is registered it answers 406.

    from patronage import pdf
    pdf.register_renderer(lambda statement: b"%PDF-...")   # statement: selectors.Statement
"""

from collections.abc import Callable

_renderer: Callable | None = None


def register_renderer(renderer: Callable | None) -> None:
    global _renderer
    _renderer = renderer


def renderer() -> Callable | None:
    return _renderer
