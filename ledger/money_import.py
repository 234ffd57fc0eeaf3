"""Revenue and expenses from a CSV file: checked row by row first (errors by row and column),
then posted all together or not at all.

Columns (header row, any order, case-insensitive): `date` (YYYY-MM-DD), `type` (revenue or
expense), `category` (operations or governance; expenses only), `amount` (as people type money:
`1,250.50`, `1250.5 EUR`), `description`, and optionally `reference` (unique in the file; an
entry imported under it cannot be imported again)."""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from coop import csv_import
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
class Row(csv_import.Row):
    on: date | None = None
    amount_minor: int | None = None

    @property
    def key(self) -> str | None:
        reference = self.values.get("reference", "").strip()
        return f"money-import:{reference}" if reference else None


Preview = csv_import.Preview


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
    raw_rows = csv_import.read(text, preview, columns=COLUMNS, required=REQUIRED)
    if preview.header_wrong:
        return preview
    currency, seen = Cooperative.current_currency(), set()
    for number, values in raw_rows:
        row = Row(row=number, values=values)
        _check(row, today, currency, seen)
        preview.rows.append(row)
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
