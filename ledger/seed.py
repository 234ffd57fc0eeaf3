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

from . import services
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
        services.revenue_record(actor=LEDGER_SEED, amount_minor=revenue, date=day,
                                description=f"Licence fees, {day:%B %Y}",
                                idempotency_key=f"{key}:revenue")
        services.expense_record(actor=LEDGER_SEED, amount_minor=operations, date=day,
                                category="operations", idempotency_key=f"{key}:operations",
                                description=f"Photographers' fees, platform and office, "
                                            f"{day:%B %Y}")
        services.expense_record(actor=LEDGER_SEED, amount_minor=governance, date=day,
                                category="governance", idempotency_key=f"{key}:governance",
                                description=f"Assemblies and ballots, {day:%B %Y}")
    return periods
