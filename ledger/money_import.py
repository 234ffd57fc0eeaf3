"""Revenue and expenses from a CSV file: checked row by row first (errors by row and column),
then posted all together or not at all.

Columns (header row, any order, case-insensitive): `date` (YYYY-MM-DD), `type` (revenue or
expense), `category` (operations or governance; expenses only), `amount` (as people type money:
`1,250.50`, `1250.5 EUR`), `description`, and optionally `reference` (unique in the file; an
entry imported under it cannot be imported again)."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from coop.errors import InvalidInput, ServiceError
from coop.models import Cooperative
from coop.money import parse_minor

from . import services
from .models import JournalEntry
from .register import POSTINGS

REQUIRED = ("date", "type", "amount", "description")
COLUMNS = ("date", "type", "category", "amount", "description", "reference")
REVENUE, EXPENSE = "revenue", "expense"


@dataclass
class Row:
    row: int  # the file's line (the header is row 1)
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    on: date | None = None
    amount_minor: int | None = None

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    @property
    def key(self) -> str | None:
        reference = self.values.get("reference", "").strip()
        return f"money-import:{reference}" if reference else None


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.rows) and not self.error_rows

    @property
    def error_rows(self) -> list[Row]:
        return [r for r in self.rows if r.errors]

    def errors_dict(self) -> dict[str, list[str]]:
        out = {"file": list(self.file_errors)} if self.file_errors else {}
        for r in self.error_rows:
            for column, messages in r.errors.items():
                out[f"row {r.row}: {column}"] = messages
        return out


def _check(row: Row, today: date, currency: str, seen: set[str]) -> None:
    v = row.values
    try:
        row.on = date.fromisoformat(v.get("date", "").strip())
    except ValueError:
        row.error("date", "Write the date as YYYY-MM-DD.")
    else:
        if row.on > today:
            row.error("date", f"After today ({today.isoformat()}).")
        refusal = POSTINGS.refusal("money", row.on)
        if refusal:
            row.error("date", refusal)
    kind = v.get("type", "").strip().lower()
    category = v.get("category", "").strip().lower()
    if kind not in (REVENUE, EXPENSE):
        row.error("type", "Write revenue or expense.")
    elif kind == EXPENSE and category not in services.EXPENSE_ACCOUNTS:
        row.error("category", "An expense is operations or governance.")
    elif kind == REVENUE and category:
        row.error("category", "Leave it empty for revenue.")
    try:
        row.amount_minor = parse_minor(v.get("amount", ""), currency)
    except InvalidInput as exc:
        row.error("amount", exc.message)
    else:
        if row.amount_minor <= 0:
            row.error("amount", "Must be more than zero.")
    description = v.get("description", "").strip()
    if not description or len(description) > 300:
        row.error("description", "Write 1 to 300 characters.")
    reference = v.get("reference", "").strip()
    if len(reference) > 150:
        row.error("reference", "At most 150 characters.")
    elif reference and reference in seen:
        row.error("reference", "Used by an earlier row of the file.")
    elif reference:
        seen.add(reference)
        existing = JournalEntry.objects.filter(idempotency_key=row.key).first()
        if existing is not None:
            row.error("reference", f"Already imported as entry {existing.number}.")


def validate(text: str, *, today: date | None = None) -> Preview:
    today = today or timezone.localdate()
    preview = Preview()
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    names = [(n or "").strip().lower() for n in (reader.fieldnames or [])]
    preview.columns = names
    missing = [c for c in REQUIRED if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    if missing:
        preview.file_errors.append(f"Missing column(s): {', '.join(missing)}.")
    if unknown:
        preview.file_errors.append(f"Unknown column(s): {', '.join(unknown)}; the columns are "
                                   f"{', '.join(COLUMNS)}.")
    if preview.file_errors:
        return preview
    reader.fieldnames = names
    currency, seen = Cooperative.current_currency(), set()
    for number, values in enumerate(reader, start=2):
        if not any((value or "").strip() for value in values.values() if isinstance(value, str)):
            continue  # a blank line
        row = Row(row=number, values={k: (v or "").strip() for k, v in values.items()
                                      if isinstance(k, str) and isinstance(v, str)})
        if None in values:
            row.error("file", "More cells than columns.")
        _check(row, today, currency, seen)
        preview.rows.append(row)
    if not preview.rows:
        preview.file_errors.append("The file has no rows.")
    return preview


@transaction.atomic
def money_import(*, text: str, actor) -> list[JournalEntry]:
    """Check every row, then post them all in one transaction; any error: nothing."""
    preview = validate(text)
    if not preview.ok:
        raise InvalidInput(f"The file has {len(preview.error_rows)} row(s) with errors; nothing "
                           f"was imported.", errors=preview.errors_dict())
    entries = []
    for row in preview.rows:
        v = row.values
        try:
            if v["type"].lower() == REVENUE:
                entry = services.revenue_record(actor=actor, amount_minor=row.amount_minor,
                                                date=row.on, description=v["description"],
                                                idempotency_key=row.key)
            else:
                entry = services.expense_record(actor=actor, amount_minor=row.amount_minor,
                                                date=row.on, description=v["description"],
                                                category=v["category"].lower(),
                                                idempotency_key=row.key)
        except ServiceError as exc:
            raise InvalidInput(f"Row {row.row}: {exc.message}; nothing was imported.",
                               errors={f"row {row.row}": [exc.message]}) from exc
        entries.append(entry)
    return entries
