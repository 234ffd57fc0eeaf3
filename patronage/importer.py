"""The contributions CSV import: check every row first (errors by row and column), show the
preview, then write all rows or none, each through `contribution_record` (source `import`, so
a file imported twice adds nothing and a changed row is a conflict on that row).

Columns: `member_number`, `date` (YYYY-MM-DD), `quantity` (a decimal ≥ 0, at most 4 places,
a point as decimal mark), `external_id` (unique per row; what the partner system calls it).
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import transaction

from coop.errors import InvalidInput, ServiceError
from membership.importer import decode
from membership.models import Member

from .models import Contribution
from .services import contribution_record, quantity_clean

COLUMNS = ("member_number", "date", "quantity", "external_id")
SOURCE = "import"
LOOKUP_CHUNK = 900

__all__ = ["COLUMNS", "Preview", "RowResult", "contributions_import", "decode", "validate"]


@dataclass
class RowResult:
    row: int  # the spreadsheet's row number: the header is row 1
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    member: Member | None = None
    date: dt.date | None = None
    quantity: object = None
    known: bool = False  # an identical row was imported before: nothing to write

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Preview:
    rows: list[RowResult]
    file_errors: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def error_rows(self) -> list[RowResult]:
        return [r for r in self.rows if not r.ok]

    @property
    def new_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.ok and not r.known]

    def errors_dict(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        if self.file_errors:
            errors["file"] = list(self.file_errors)
        for row in self.error_rows:
            errors[f"row {row.row}"] = [f"{c}: {m}" for c, ms in row.errors.items() for m in ms]
        return errors


def _read(text: str, preview: Preview) -> list[tuple[int, dict[str, str]]]:
    text = text.lstrip("\ufeff")
    if not text.strip():
        preview.file_errors.append("The file is empty.")
        return []
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [(h or "").strip().lower().replace(" ", "_") for h in next(reader)]
    except csv.Error as exc:
        preview.file_errors.append(f"The header row cannot be read: {exc}.")
        return []
    preview.columns = [h for h in header if h]
    unknown = [h for h in header if h and h not in COLUMNS]
    missing = [c for c in COLUMNS if c not in header]
    if unknown:
        preview.file_errors.append(f"Unknown column(s): {', '.join(unknown)}.")
    if missing:
        preview.file_errors.append(f"Missing column(s): {', '.join(missing)}.")
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                preview.file_errors.append(f"Row {reader.line_num} has more cells than the header.")
            rows.append((reader.line_num, {h: (cells[i].strip() if i < len(cells) else "")
                                           for i, h in enumerate(header) if h}))
    except csv.Error as exc:
        preview.file_errors.append(f"Row {reader.line_num} cannot be read: {exc}.")
    if not rows and not preview.file_errors:
        preview.file_errors.append("The file has a header but no rows.")
    return rows


def validate(text: str) -> Preview:
    """Every row checked, in a fixed number of queries: the members named, the external ids
    already imported and the closed periods are each read once."""
    from ledger.models import FiscalPeriod

    preview = Preview(rows=[])
    raw_rows = _read(text, preview)
    if preview.file_errors:
        preview.rows = [RowResult(n, v) for n, v in raw_rows]
        return preview
    rows = [RowResult(n, v) for n, v in raw_rows]
    numbers = set()
    for row in rows:
        raw = row.values["member_number"]
        if not raw.isdigit() or int(raw) < 1:
            row.error("member_number", "A member number (a whole number from 1).")
        else:
            numbers.add(int(raw))
        try:
            row.date = dt.date.fromisoformat(row.values["date"])
        except ValueError:
            row.error("date", "A date as YYYY-MM-DD.")
        try:
            row.quantity = quantity_clean(row.values["quantity"])
        except InvalidInput as exc:
            row.error("quantity", exc.errors.get("quantity", [exc.message])[0])
        if not row.values["external_id"] or len(row.values["external_id"]) > 200:
            row.error("external_id", "Required, at most 200 characters.")
    members, wanted = {}, sorted(numbers)
    for i in range(0, len(wanted), LOOKUP_CHUNK):
        for member in Member.objects.select_related("stakeholder_class").filter(
                member_number__in=wanted[i:i + LOOKUP_CHUNK]):
            members[member.member_number] = member
    ids = [row.values["external_id"] for row in rows]
    existing = {}
    for i in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[i:i + LOOKUP_CHUNK]
        for c in Contribution.objects.filter(source=SOURCE, external_id__in=chunk):
            existing[c.external_id] = c
    closed = list(FiscalPeriod.objects.filter(status="closed").values_list("start", "end"))
    seen: dict[str, int] = {}
    for row in rows:
        external_id = row.values["external_id"]
        if external_id in seen:
            row.error("external_id", f"Also on row {seen[external_id]}.")
        seen.setdefault(external_id, row.row)
        if "member_number" not in row.errors:
            row.member = members.get(int(row.values["member_number"]))
            if row.member is None:
                row.error("member_number", "No member has this number.")
        if row.date is not None and any(s <= row.date <= e for s, e in closed):
            row.error("date", "In a closed period.")
        known = existing.get(external_id)
        if known is not None and row.ok:
            if (known.member_id, known.date, known.quantity) == (
                    row.member.pk, row.date, row.quantity):
                row.known = True
            else:
                row.error("external_id", "Imported before with another member, date or "
                                         "quantity.")
    preview.rows = rows
    return preview


@dataclass
class ImportResult:
    created: int
    known: int


@transaction.atomic
def contributions_import(*, text: str, actor) -> ImportResult:
    """All rows or none: the file is checked again inside the transaction; any error raises
    InvalidInput with the errors by row, and nothing is written."""
    preview = validate(text)
    if not preview.ok:
        raise InvalidInput("The file has errors; nothing was imported.",
                           errors=preview.errors_dict())
    created = 0
    for row in preview.rows:
        try:
            recorded = contribution_record(actor=actor, member=row.member, date=row.date,
                                           quantity=row.quantity,
                                           external_id=row.values["external_id"], source=SOURCE)
        except ServiceError as exc:  # a race with another import: all or nothing
            raise InvalidInput(f"Row {row.row}: {exc.message}",
                               errors={f"row {row.row}": [exc.message]}) from exc
        created += recorded.created
    return ImportResult(created=created, known=len(preview.rows) - created)
