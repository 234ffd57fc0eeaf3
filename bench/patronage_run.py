"""A dividend run at scale (issue #9, Performance): N members and 10·N contributions in a
closed period; the run computed and approved by the services, in a separate process whose peak
RSS is measured, with the number of queries; compared with one hand-written SQL aggregation of
the same contributions, measured in the same run.

    createdb coop_patronage_bench   # a name with "bench" in it, migrated:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_patronage_bench \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/patronage_run.py --members 100000

The synthetic cooperative is written with set-based SQL (generate_series), not through the
services: members of three classes, one share payment each (some reversed, some exited), ten
contributions each over the year, revenue and expenses, the period closed through the ledger.
The run itself goes through `patronage.services` exactly as the Celery task calls it. The
"statement ready" notices go afterwards and are timed apart (not part of the 30 s).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from coop.actors import BENCHMARK  # noqa: E402

START, END = date(2025, 1, 1), date(2025, 12, 31)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def generate(members: int) -> int:
    """The synthetic cooperative; returns the closed period's id."""
    from ledger import accounts
    from ledger import services as ledger
    from ledger.journal import Line
    from membership import services as membership
    from patronage import services

    # The classes through membership's service (only it writes the register's classes).
    classes = [membership.stakeholder_class_create(
        actor=BENCHMARK, slug=slug, name=slug.title(), share_price_minor=price, min_shares=1,
        max_shares=10, patronage_measure=measure)
        for slug, price, measure in (("workers", 10_000, "hours"),
                                     ("users", 5_000, "purchases"),
                                     ("contributors", 2_500, "photos licensed"))]
    ids = [c.pk for c in classes]
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO membership_member (member_number, kind, name, email, registration_number,
                contact_person, status, joined_on, activated_on, exited_on, exit_reason,
                directory_visible, shares_subscribed, shares_held, paid_minor,
                stakeholder_class_id)
            SELECT g, 'person', 'Member ' || g, '', '', '',
                   CASE WHEN g %% 50 = 0 THEN 'exited' ELSE 'active' END,
                   DATE '2023-01-01' + (g %% 900), DATE '2023-01-01' + (g %% 900),
                   CASE WHEN g %% 50 = 0 THEN DATE '2025-06-30' END, '', true, 2, 2,
                   2 * (CASE g %% 3 WHEN 0 THEN 10000 WHEN 1 THEN 5000 ELSE 2500 END),
                   (ARRAY[%s, %s, %s]::bigint[])[1 + g %% 3]
            FROM generate_series(1, %s) g""", [*ids, members])
        cursor.execute("""
            INSERT INTO membership_sharepayment (kind, amount_minor, paid_on, reference, reason,
                recorded_at, member_id)
            SELECT 'payment', m.paid_minor, m.activated_on, '', '', now(), m.id
            FROM membership_member m""")
        # One payment in a hundred is reversed (and so earns no interest).
        cursor.execute("""
            INSERT INTO membership_sharepayment (kind, amount_minor, paid_on, reference, reason,
                recorded_at, member_id, reverses_id)
            SELECT 'reversal', p.amount_minor, DATE '2025-03-01', '', 'bench', now(),
                   p.member_id, p.id
            FROM membership_sharepayment p JOIN membership_member m ON m.id = p.member_id
            WHERE m.member_number % 100 = 7""")
        cursor.execute("""
            INSERT INTO patronage_contribution (member_id, date, quantity, measure, source,
                external_id, recorded_at)
            SELECT m.id, DATE '2025-01-01' + ((m.member_number * 7 + k * 37) % 365),
                   ((m.member_number * 13 + k * 101) % 4000) / 100.0, 'hours', 'bench',
                   m.member_number || '-' || k, now()
            FROM membership_member m CROSS JOIN generate_series(1, 10) k""")
    services.policy_create(actor=BENCHMARK, effective_from=START, capital_interest_bp=300,
                           interest_cap_bp=5000, reserves_bp=3000, commons_bp=1000,
                           patronage_bp=6000, cash_bp=3000,
                           class_shares_bp={"workers": 5000, "users": 3000,
                                            "contributors": 2000})
    period = ledger.period_create(actor=BENCHMARK, start=START, end=END)
    ledger.entry_post(actor=BENCHMARK, date=END, description="Revenue of the year",
                      idempotency_key="bench:revenue",
                      lines=[Line(account=accounts.BANK, debit_minor=987_654_321),
                             Line(account=accounts.REVENUE, credit_minor=987_654_321)])
    ledger.entry_post(actor=BENCHMARK, date=END, description="Expenses of the year",
                      idempotency_key="bench:expenses",
                      lines=[Line(account=accounts.OPERATING_EXPENSES, debit_minor=123_456_789),
                             Line(account=accounts.BANK, credit_minor=123_456_789)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ledger.period_close(actor=BENCHMARK, period=period).pk


def measure(period_id: int) -> dict:
    """In this (fresh) process: compute and approve a run, with queries and peak RSS."""
    from ledger.models import FiscalPeriod
    from patronage import services
    from patronage.models import DividendRun
    from patronage.services import runs

    period = FiscalPeriod.objects.get(pk=period_id)
    counter = QueryCounter()
    # The lines go by COPY, below Django's execute wrappers: count those statements by call.
    copies, real_insert = [], runs._lines_insert

    def counted_insert(rows):
        copies.append(len(rows))
        real_insert(rows)

    runs._lines_insert = counted_insert
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        run = DividendRun.objects.create(period=period)  # what dividend_run_start inserts
        run = services.dividend_run_compute(run_id=run.pk, attempt=1)
        computed = time.perf_counter()
        compute_queries = counter.count + len(copies)
        run = services.dividend_run_approve(actor=BENCHMARK, run=run)
        approved = time.perf_counter()
    notices_started = time.perf_counter()
    sent = services.statements_ready_notify(run_id=run.pk)
    notices = time.perf_counter() - notices_started
    return {"run": run.pk, "status": run.status, "lines": run.members_count,
            "compute_s": round(computed - started, 2), "approve_s": round(approved - computed, 2),
            "total_s": round(approved - started, 2), "compute_queries": compute_queries,
            "copy_batches": copies,
            "approve_queries": counter.count + len(copies) - compute_queries,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "notices": sent, "notices_s": round(notices, 2)}


def hand_written_sql() -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("""SELECT member_id, SUM(quantity) FROM patronage_contribution
                          WHERE date BETWEEN %s AND %s GROUP BY member_id""", [START, END])
        rows = cursor.fetchall()
    assert rows
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    name = connection.settings_dict["NAME"]
    if "bench" not in name and not args.force:
        sys.exit(f"refusing to write into {name!r}: use a database whose name contains 'bench'")
    from membership.models import Member

    if Member.objects.exists():
        sys.exit("the database already has members: use a fresh, migrated bench database")
    started = time.perf_counter()
    period_id = generate(args.members)
    print(f"generated {args.members:,} members and {args.members * 10:,} contributions "
          f"in {time.perf_counter() - started:.1f} s")
    child = subprocess.run([sys.executable, __file__, "--measure", str(period_id)],
                           capture_output=True, text=True, check=True, env=os.environ)
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    sql = min(hand_written_sql() for _ in range(3))
    figures["hand_written_sql_s"] = round(sql, 3)
    figures["ratio_compute_to_sql"] = round(figures["compute_s"] / sql, 1)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
