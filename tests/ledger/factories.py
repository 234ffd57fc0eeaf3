"""Helpers that make books through the ledger's services."""

from datetime import date

from coop.actors import SystemActor
from ledger import accounts, services
from ledger.journal import Line

BOOKKEEPER = SystemActor(name="tests.ledger")

_keys = iter(range(1, 10**9))


def next_key(prefix: str = "test") -> str:
    return f"{prefix}:{next(_keys)}"


def post(amount: int, *, debit: str = accounts.BANK, credit: str = accounts.REVENUE,
         on: date = date(2025, 3, 1), key: str | None = None, description: str = "Test entry",
         member_id: int | None = None):
    """A two-line entry Dr `debit` / Cr `credit`."""
    return services.entry_post(
        actor=BOOKKEEPER, date=on, description=description, idempotency_key=key or next_key(),
        lines=[Line(account=debit, debit_minor=amount, member_id=member_id),
               Line(account=credit, credit_minor=amount, member_id=member_id)])


def make_period(start: date = date(2025, 1, 1), end: date = date(2025, 12, 31)):
    return services.period_create(actor=BOOKKEEPER, start=start, end=end)
