"""Reading the CSV files the imports take (the share register, revenue and expenses,
contributions): one way to decode a file, find its delimiter, check its header and read its
rows, and one shape for what the preview shows (errors by row and column; a file imports
when every row is good, and then everything or nothing).

Each import subclasses `Row` with what its checks fill in and `Preview` if it shows more."""

import csv
import io
from dataclasses import dataclass, field

from .errors import InvalidInput


@dataclass
class Row:
    row: int  # the spreadsheet's row number: the header is row 1
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Preview:
    rows: list = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    # Unknown, missing or repeated columns: the rows are not worth checking.
    header_wrong: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def error_rows(self) -> list:
        return [r for r in self.rows if not r.ok]

    def error_lines(self) -> list[str]:
        """One human line per problem, for the command line."""
        lines = [f"file: {message}" for message in self.file_errors]
        for row in self.error_rows:
            for column, messages in row.errors.items():
                lines.extend(f"row {row.row}, {column}: {message}" for message in messages)
        return lines

    def errors_dict(self) -> dict[str, list[str]]:
        """The errors as an InvalidInput carries them: `file`, then `row N`."""
        errors: dict[str, list[str]] = {}
        if self.file_errors:
            errors["file"] = list(self.file_errors)
        for row in self.error_rows:
            errors[f"row {row.row}"] = [f"{c}: {m}" for c, ms in row.errors.items() for m in ms]
        return errors


def decode(data: bytes) -> str:
    """Spreadsheets save UTF-8 with or without a byte-order mark; anything else is refused."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "The file is not UTF-8 text. In the spreadsheet, save it as \"CSV UTF-8\".",
            errors={"file": ["Not UTF-8 text."]},
        ) from None


def normalise_header(name: str) -> str:
    return (name or "").strip().lower().replace(" ", "_").replace("-", "_")


def _delimiter(text: str) -> str:
    # Spreadsheets in comma-decimal locales save with ";" (amounts then come quoted).
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def read(text: str, preview: Preview, *, columns, required,
         what: str = "rows") -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (row number, {column: stripped text}), blank lines left out; what is
    wrong with the file itself goes to `preview.file_errors` (and `header_wrong`). `columns`
    are the ones known, `required` the ones that must be there; `what` names the rows in
    "The file has a header but no {what}"."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        preview.file_errors.append("The file is empty.")
        return []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = [normalise_header(h) for h in next(reader)]
    except csv.Error as exc:
        preview.file_errors.append(f"The header row cannot be read: {exc}.")
        return []
    preview.columns = [h for h in header if h]
    unknown = [h for h in header if h and h not in columns]
    missing = [c for c in required if c not in header]
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    preview.header_wrong = bool(unknown or missing or duplicated)
    if unknown:
        preview.file_errors.append(f"Unknown column(s): {', '.join(unknown)}; the columns are "
                                   f"{', '.join(columns)}.")
    if missing:
        preview.file_errors.append(f"Missing column(s): {', '.join(missing)}.")
    if duplicated:
        preview.file_errors.append(f"Repeated column(s): {', '.join(duplicated)}.")
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            number = reader.line_num
            if len(cells) > len(header):
                preview.file_errors.append(f"Row {number} has more cells than the header.")
            rows.append((number, {h: (cells[i].strip() if i < len(cells) else "")
                                  for i, h in enumerate(header) if h}))
    except csv.Error as exc:
        preview.file_errors.append(f"Row {reader.line_num} cannot be read: {exc}.")
    if not rows and not preview.file_errors:
        preview.file_errors.append(f"The file has a header but no {what}.")
    return rows
