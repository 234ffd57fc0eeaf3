"""Posting and reversing journal entries: the one way anything is written to the books."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from django.db import connection, transaction

from coop.audit import audit_record
from coop.counters import counter_take, lock_counters
from coop.errors import Conflict, InvalidInput, NotAllowed
from membership.rules import staff_or_none

from ..accounts import CHART
from ..journal import Line, entry_payload_hash
from ..models import Account, FiscalPeriod, JournalEntry
from ..rules import may_keep_books

ENTRY_COUNTER = "journal_entry"
CLOSING_KIND = "period_close"
REVERSAL_KIND = "reversal"
LINE_BATCH = 10_000
CHART_CODES = {code for code, _, _ in CHART}


def _whole_amount(value, field: str, index: int) -> int:
    # bool is an int in Python, and 12.5 minor units is no amount: both are a caller's bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"Line {index + 1}: the amount must be a whole number of minor units.",
                           errors={f"lines[{index}].{field}": [
                               "Must be a whole number of minor units."]})
    if value < 0:
        raise InvalidInput(f"Line {index + 1}: an amount cannot be negative.",
                           errors={f"lines[{index}].{field}": ["Must not be negative."]})
    return value


def _check_lines(lines: Sequence[Line]) -> int:
    """The shape of the entry (RULES.md §3): at least two lines, each a debit or a credit of a
    positive whole amount, debits equal to credits. Returns the total of each side."""
    if len(lines) < 2:
        raise InvalidInput("A journal entry needs at least two lines.",
                           errors={"lines": ["Give at least two lines."]})
    debits = credits = 0
    for i, line in enumerate(lines):
        if not isinstance(line, Line):
            raise InvalidInput(f"Line {i + 1} is not a ledger.journal.Line.")
        debit = _whole_amount(line.debit_minor, "debit_minor", i)
        credit = _whole_amount(line.credit_minor, "credit_minor", i)
        if (debit > 0) == (credit > 0):
            raise InvalidInput(
                f"Line {i + 1}: a line is either a debit or a credit of a positive amount.",
                errors={f"lines[{i}]": ["Give a positive debit or a positive credit, not both."]})
        debits += debit
        credits += credit
    if debits != credits:
        raise InvalidInput(f"The entry is unbalanced: debits {debits} ≠ credits {credits}.",
                           errors={"lines": [f"Debits ({debits}) must equal credits "
                                             f"({credits})."]})
    return debits


def _account_ids(codes: set[str]) -> dict[str, int]:
    found = dict(Account.objects.filter(code__in=codes).values_list("code", "pk"))
    if (codes - found.keys()) & CHART_CODES:
        # The migration seeds the chart; a database emptied since (a test's TRUNCATE) gets the
        # missing accounts of the chart back here rather than refusing every posting.
        Account.objects.bulk_create([Account(code=c, name=n, type=t) for c, n, t in CHART
                                     if c not in found], ignore_conflicts=True)
        found = dict(Account.objects.filter(code__in=codes).values_list("code", "pk"))
    return found


def _closed_period_on(d: date) -> FiscalPeriod | None:
    return FiscalPeriod.objects.filter(start__lte=d, end__gte=d,
                                       status=FiscalPeriod.Status.CLOSED).first()


def refuse_closed_period(d: date, what: str = "An entry") -> None:
    """Conflict (409) when `d` is in a closed period, naming it: a correction is dated in an
    open period. The register's hook calls this before the movement is written."""
    period = _closed_period_on(d)
    if period is not None:
        raise Conflict(
            f"{what} dated {d.isoformat()} falls in the closed fiscal period {period}; "
            f"date it in an open period.",
            errors={"date": [f"The period {period} is closed."]})


_COPY_LINES = ("COPY ledger_journalline (entry_id, account_id, member_id, debit_minor,"
               " credit_minor) FROM STDIN")
_INSERT_LINE = ("INSERT INTO ledger_journalline (entry_id, account_id, member_id, debit_minor,"
                " credit_minor) VALUES (%s, %s, %s, %s, %s)")


def _insert_lines(rows: list[tuple]) -> None:
    """The entry's lines, without building a model per line (Django's bulk_create spends
    ~0.2 ms of Python on each; a dividend run has 100,000s): PostgreSQL's COPY, else one
    executemany per batch. The database's constraints and triggers check them as usual."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(_COPY_LINES) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), LINE_BATCH):
            cursor.executemany(_INSERT_LINE, rows[start:start + LINE_BATCH])


_UPSERT_DAY = (
    "INSERT INTO ledger_daybalance (account_id, day, closing, debit_minor, credit_minor)"
    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (account_id, day, closing) DO UPDATE SET"
    " debit_minor = ledger_daybalance.debit_minor + excluded.debit_minor,"
    " credit_minor = ledger_daybalance.credit_minor + excluded.credit_minor")


def _add_to_day_balances(day: date, closing: bool, totals: dict[int, list[int]]) -> None:
    """Add the entry's debits and credits per account to that day's balance rows: one upsert
    (both databases speak it), in account order so concurrent posters never cross."""
    rows = [(account_id, day, closing, d, c) for account_id, (d, c) in sorted(totals.items())]
    with connection.cursor() as cursor:
        cursor.executemany(_UPSERT_DAY, rows)


@transaction.atomic
def entry_post(*, actor, date: date, description: str, lines: Sequence[Line],
               idempotency_key: str, kind: str = "", reverses: JournalEntry | None = None,
               proposal=None) -> JournalEntry:
    """Post a balanced entry (RULES.md §3) and add it to the day balances.

    No permission check of its own: it is the kernel the ledger's and other apps' services
    call after checking theirs (a payment recorded with a `members:write` key posts too).
    The same `idempotency_key` with the same payload returns the entry already posted; with
    another payload it is a Conflict. Lines are inserted in batches, so a run of 100,000
    members costs a handful of queries."""
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key.strip()) <= 200:
        raise InvalidInput("An entry needs an idempotency key of 1 to 200 characters.",
                           errors={"idempotency_key": ["Must be 1 to 200 characters."]})
    description = (description or "").strip()
    if not description or len(description) > 300:
        raise InvalidInput("Describe the entry (at most 300 characters).",
                           errors={"description": ["Must be 1 to 300 characters."]})
    if not hasattr(date, "isoformat") or hasattr(date, "hour"):
        raise InvalidInput("An entry is dated with a date.", errors={"date": ["Give a date."]})
    lines = list(lines)
    total = _check_lines(lines)
    codes = {line.account for line in lines}
    account_ids = _account_ids(codes)
    unknown = sorted(codes - account_ids.keys())
    if unknown:
        raise InvalidInput(f"Unknown account(s): {', '.join(unknown)}.",
                           errors={"lines": [f"No account {code}." for code in unknown]})
    payload_hash = entry_payload_hash(date_=date, description=description, kind=kind, lines=lines,
                                 reverses_id=getattr(reverses, "pk", None),
                                 proposal_id=getattr(proposal, "pk", None))

    # Every posting holds the entry counter until it commits: numbers stay gap-free, a resend of
    # the same key waits for the first and finds its entry, and a period's close (which takes
    # it too) totals a period nobody is posting into.
    lock_counters([ENTRY_COUNTER])
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.payload_hash != payload_hash:
            raise Conflict(f"The idempotency key {idempotency_key!r} was already used for "
                           f"entry {existing.number} with a different payload.",
                           errors={"idempotency_key": ["Already used with another payload."]})
        return existing
    refuse_closed_period(date)
    if reverses is not None and JournalEntry.objects.filter(reverses=reverses).exists():
        raise Conflict(f"Entry {reverses.number} was already reversed.")

    number = counter_take(name=ENTRY_COUNTER)[0]
    entry = JournalEntry.objects.create(
        number=number, date=date, description=description, kind=kind,
        idempotency_key=idempotency_key, payload_hash=payload_hash, reverses=reverses,
        proposal=proposal, created_by=staff_or_none(actor))
    _insert_lines([(entry.pk, account_ids[ln.account], ln.member_id, ln.debit_minor,
                    ln.credit_minor) for ln in lines])
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for ln in lines:
        side = totals[account_ids[ln.account]]
        side[0] += ln.debit_minor
        side[1] += ln.credit_minor
    _add_to_day_balances(date, kind == CLOSING_KIND, totals)
    audit_record(action="ledger.entry_posted", object_type="journal_entry", object_id=number,
                 actor=actor, facts={"date": date.isoformat(), "kind": kind,
                                     "key": idempotency_key, "total_minor": total,
                                     "lines": len(lines),
                                     "reverses": getattr(reverses, "number", None)})
    return entry


@transaction.atomic
def entry_reverse(*, actor, entry: JournalEntry, date: date, reason: str,
                  idempotency_key: str) -> JournalEntry:
    """Correct a posted entry by its opposite (RULES.md §3: entries are append-only)."""
    if not may_keep_books(actor):
        raise NotAllowed("Only staff, a ledger:write key or a system job reverse entries.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the entry is reversed.",
                           errors={"reason": ["This field is required."]})
    if entry.reverses_id is not None:
        raise Conflict(f"Entry {entry.number} is itself a reversal; post the correct entry "
                       f"again instead.")
    if date < entry.date:
        raise InvalidInput(
            f"A reversal cannot be dated before the entry it reverses ({entry.date.isoformat()}).",
            errors={"date": [f"Must not be before {entry.date.isoformat()}."]})
    lines = [Line(account=ln.account.code, debit_minor=ln.credit_minor,
                  credit_minor=ln.debit_minor, member_id=ln.member_id)
             for ln in entry.lines.select_related("account").order_by("pk")]
    return entry_post(actor=actor, date=date,
                      description=f"Reversal of entry {entry.number}: {reason}"[:300],
                      lines=lines, idempotency_key=idempotency_key, kind=REVERSAL_KIND,
                      reverses=entry)
