"""Time the ledger's statements over 1,000,000 journal lines (issue #9: trial balance, balance
sheet at any date and income statement, each under 200 ms).

    createdb -h 127.0.0.1 -U postgres coop_ledger_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_ledger_bench \
        .venv/bin/python manage.py migrate
    DEBUG=false SECRET_KEY=x ALLOWED_HOSTS=localhost \
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_ledger_bench \
        .venv/bin/python bench/ledger_statements.py --lines 1000000

The first run posts the lines through `ledger.services.entry_post` (entries of 500 lines over
two fiscal years, the first closed) and prints how long posting took; later runs find them and
only time the reads. Reads are timed N times each (median and worst).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402

from coop.actors import SystemActor  # noqa: E402
from ledger import accounts, selectors, services  # noqa: E402
from ledger.journal import Line  # noqa: E402
from ledger.models import DayBalance, FiscalPeriod, JournalLine  # noqa: E402

BENCH = SystemActor(name="bench.ledger")
LINES_PER_ENTRY = 500
START, END = date(2024, 1, 1), date(2025, 12, 31)
# Debit account, credit account: what a cooperative's year is made of.
PAIRS = [(accounts.BANK, accounts.REVENUE)] * 5 + [
    (accounts.OPERATING_EXPENSES, accounts.BANK), (accounts.OPERATING_EXPENSES, accounts.BANK),
    (accounts.GOVERNANCE_EXPENSES, accounts.BANK), (accounts.BANK, accounts.SHARE_CAPITAL),
    (accounts.UNALLOCATED_SURPLUS, accounts.RESERVE)]


def generate(lines: int, seed: int = 9) -> float:
    rng = random.Random(seed)
    if not FiscalPeriod.objects.exists():
        services.period_create(actor=BENCH, start=date(2024, 1, 1), end=date(2024, 12, 31))
        services.period_create(actor=BENCH, start=date(2025, 1, 1), end=date(2025, 12, 31))
    entries = lines // LINES_PER_ENTRY
    days = (END - START).days + 1
    started = time.perf_counter()
    first_year = [i for i in range(entries) if i * days // entries < 366]
    for i in range(entries):
        on = START + timedelta(days=i * days // entries)
        entry_lines = []
        for _ in range(LINES_PER_ENTRY // 2):
            debit, credit = rng.choice(PAIRS)
            amount = rng.randint(100, 500_000)
            entry_lines += [Line(debit, debit_minor=amount), Line(credit, credit_minor=amount)]
        services.entry_post(actor=BENCH, date=on, description=f"Bench entry {i}",
                            lines=entry_lines, idempotency_key=f"bench:{i}")
        if i == first_year[-1]:
            services.period_close(actor=BENCH, period=FiscalPeriod.objects.get(start=START))
        if i % 200 == 199:
            print(f"  posted {(i + 1) * LINES_PER_ENTRY:,} lines "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    return time.perf_counter() - started


def timed(label: str, call, repeat: int) -> None:
    times, queries = [], 0
    for _ in range(repeat):
        reset_queries()
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
        queries = len(connection.queries)
    print(f"| {label} | {queries} | {statistics.median(times):.1f} ms | {max(times):.1f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    have = JournalLine.objects.count()
    if have < args.lines:
        if have:
            sys.exit(f"The database holds {have:,} lines, fewer than {args.lines:,}: use a fresh "
                     f"one.")
        print(f"Posting {args.lines:,} lines through entry_post ...", flush=True)
        seconds = generate(args.lines)
        print(f"Posted in {seconds:.0f} s ({args.lines / seconds:,.0f} lines/s)")
    print(f"{JournalLine.objects.count():,} lines, "
          f"{DayBalance.objects.count():,} day-balance rows\n")
    connection.force_debug_cursor = True  # count queries without DEBUG
    period_2024, period_2025 = FiscalPeriod.objects.order_by("start")
    rng = random.Random(1)

    def any_day():
        return START + timedelta(days=rng.randint(0, (END - START).days))

    print("| read | queries | median | worst |")
    print("| --- | --- | --- | --- |")
    timed("trial balance (everything)", lambda: selectors.trial_balance(), args.repeat)
    timed("trial balance at a random date", lambda: selectors.trial_balance(on=any_day()),
          args.repeat)
    timed("balance sheet at a random date", lambda: selectors.balance_sheet(any_day()),
          args.repeat)
    timed("income statement, closed period (2024)",
          lambda: selectors.income_statement(period_2024), args.repeat)
    timed("income statement, open period (2025)",
          lambda: selectors.income_statement(period_2025), args.repeat)
    timed("accounts with balances (open books)", lambda: selectors.account_balances(),
          args.repeat)
    timed("month figures (vitality)",
          lambda: selectors.month_figures(date(2025, 3, 1), date(2025, 3, 31)), args.repeat)
    sheet = selectors.balance_sheet(END)
    trial = selectors.trial_balance()
    assert sheet.assets_minor == sheet.liabilities_and_equity_minor
    assert trial.debits_minor == trial.credits_minor
    print("\nbalance sheet and trial balance agree")


if __name__ == "__main__":
    main()
