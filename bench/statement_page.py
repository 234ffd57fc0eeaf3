"""Benchmark a member's statement page ("My money" → a period): time and query count.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_bench_money \\
        .venv/bin/python bench/statement_page.py [--lines 100000] [--requests 200]

On a database whose name contains "bench" it migrates, seeds the demo cooperative
(`seed_demo`: two closed years with posted runs) unless it is there, and pads the allocation
table with `--lines` lines of a computed (unposted) run of the same period, so the page's index
lookups run against a table of a large cooperative's size. Then, in this process with Django's
test client signed in as the demo member (the same middleware, templates and database as a
server, without the HTTP hop), it requests the page `--requests` times after 20 warm-up
requests and reports the query count of each request and p50/p95/max of the wall time; the
same for `?format=pdf` (fpdf2 drawing the statement).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def pad(lines: int) -> None:
    from patronage.models import Allocation, DividendRun

    posted = DividendRun.objects.filter(status="posted").order_by("-period__start").first()
    if DividendRun.objects.filter(period=posted.period, status="computed").exists():
        return
    padding = DividendRun.objects.create(period=posted.period, status="computed",
                                         progress=100, policy=posted.policy)
    template = posted.allocations.first()
    batch = [Allocation(run=padding, member_id=template.member_id,
                        member_number=10_000_000 + i, class_slug=template.class_slug,
                        contribution=template.contribution,
                        interest_exact=template.interest_exact,
                        interest_minor=template.interest_minor,
                        patronage_minor=template.patronage_minor, cash_minor=template.cash_minor,
                        retained_minor=template.retained_minor) for i in range(lines)]
    Allocation.objects.bulk_create(batch, batch_size=10_000)


def measure(client: Client, url: str, requests: int) -> tuple[list[int], list[float]]:
    for _ in range(20):
        assert client.get(url).status_code == 200
    counts, times = [], []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
        counts.append(len(queries.captured_queries))
    return counts, times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    name = settings.DATABASES["default"]["NAME"]
    if "bench" not in name:
        sys.exit(f"refusing {name!r}: the database name must contain 'bench'")
    call_command("migrate", verbosity=0)
    from membership.seed import demo_member

    if demo_member() is None:
        started = time.perf_counter()
        call_command("seed_demo")
        print(f"seeded in {time.perf_counter() - started:.1f} s")
    pad(args.lines)
    from patronage.models import Allocation, DividendRun

    member = demo_member()
    run = (DividendRun.objects.filter(status="posted", allocations__member=member)
           .order_by("-period__start").first())
    client = Client()
    client.force_login(member.user)
    print(f"database {name}: {Allocation.objects.count():,} allocation lines, "
          f"member {member.member_number}, period {run.period}")
    url = f"/money/statements/{run.period_id}/"
    for label, path in (("page", url), ("pdf", url + "?format=pdf")):
        counts, times = measure(client, path, args.requests)
        times.sort()
        print(f"{label}: queries {sorted(set(counts))}, p50 {statistics.median(times):.1f} ms, "
              f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms, max {times[-1]:.1f} ms "
              f"over {len(times)} requests")


if __name__ == "__main__":
    main()
