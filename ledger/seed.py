"""The demo cooperative's books for `seed_demo` (after membership and governance): three fiscal
periods (the two years before this one and this one, open), and every month's licence revenue,
operating and governance expenses up to today, posted through `ledger.services`. Closing the
periods is `patronage.seed`'s part: each close is followed by that year's dividend run, whose
posting is dated in the next year, so the next year must still be open then.

Deterministic: amounts come from the seeded random generator, dates from `today`."""

from __future__ import annotations

import random
from datetime import date

from coop.actors import SystemActor

from . import accounts, services
from .journal import Line
from .models import FiscalPeriod

LEDGER_SEED = SystemActor(name="ledger.seed")


def _month_ends(first: date, today: date) -> list[date]:
    """The 28th of each month from `first` until today (today itself for the current month)."""
    out, cursor = [], first.replace(day=1)
    while cursor <= today:
        out.append(min(cursor.replace(day=28), today))
        cursor = cursor.replace(year=cursor.year + cursor.month // 12,
                                month=cursor.month % 12 + 1)
    return out


def seed_ledger(*, rng: random.Random, today: date) -> list[FiscalPeriod]:
    """The periods (oldest first) and two years and a bit of revenue and expenses."""
    if FiscalPeriod.objects.exists():
        return list(FiscalPeriod.objects.order_by("start"))
    years = [today.year - 2, today.year - 1, today.year]
    periods = [services.period_create(actor=LEDGER_SEED, start=date(y, 1, 1),
                                      end=date(y, 12, 31)) for y in years]
    for day in _month_ends(date(years[0], 1, 1), today):
        growth = 1 + 0.015 * ((day.year - years[0]) * 12 + day.month)  # a growing archive
        revenue = int(rng.randint(900_000, 1_300_000) * growth)
        operations = int(rng.randint(700_000, 950_000) * growth)
        governance = rng.randint(30_000, 90_000)  # assemblies, ballots, the auditor's visit
        key = f"demo:{day:%Y-%m}"
        services.entry_post(
            actor=LEDGER_SEED, date=day, kind="revenue", idempotency_key=f"{key}:revenue",
            description=f"Licence fees, {day:%B %Y}",
            lines=[Line(account=accounts.BANK, debit_minor=revenue),
                   Line(account=accounts.REVENUE, credit_minor=revenue)])
        services.entry_post(
            actor=LEDGER_SEED, date=day, kind="expense", idempotency_key=f"{key}:expenses",
            description=f"Photographers' fees, platform and office, {day:%B %Y}",
            lines=[Line(account=accounts.OPERATING_EXPENSES, debit_minor=operations),
                   Line(account=accounts.GOVERNANCE_EXPENSES, debit_minor=governance),
                   Line(account=accounts.BANK, credit_minor=operations + governance)])
    return periods
