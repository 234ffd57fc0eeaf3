"""The contributions CSV import: check every row first (errors by row and column), show the
preview, then write all rows or none, each through `contribution_record` (source `import`, so
a file imported twice adds nothing and a changed row is a conflict on that row).

Columns: `member_number`, `date` (YYYY-MM-DD), `quantity` (a decimal ≥ 0, at most 4 places,
a point as decimal mark), `external_id` (unique per row; what the partner system calls it).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from coop import csv_import
from coop.errors import InvalidInput, ServiceError
from membership.models import Member

from .models import Contribution
from .services import contribution_record, quantity_clean

COLUMNS = ("member_number", "date", "quantity", "external_id")
SOURCE = "import"
LOOKUP_CHUNK = 900

__all__ = ["COLUMNS", "Preview", "RowResult", "contributions_import", "validate"]


@dataclass
class RowResult(csv_import.Row):
    member: Member | None = None
    date: dt.date | None = None
    quantity: object = None
    known: bool = False  # an identical row was imported before: nothing to write


@dataclass
class Preview(csv_import.Preview):
    @property
    def new_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.ok and not r.known]


def _read(text: str, preview: Preview) -> list[tuple[int, dict[str, str]]]:
    return csv_import.read(text, preview, columns=COLUMNS, required=COLUMNS)


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
