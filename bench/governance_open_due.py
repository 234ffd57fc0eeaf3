"""What the scheduled-opening job (governance.tasks.open_due_votes, every minute) costs when
many proposals are in discussion (issue #8 item 17). PostgreSQL, a scratch database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_bench_open \\
        .venv/bin/python bench/governance_open_due.py [--proposals 20000]

Migrates the database, adds `--proposals` proposals in discussion (bulk, half of them scheduled
in the future, half not) and times the job when nothing is due (the common minute): wall clock
in this process, best and median of 20 runs, with its query count and PostgreSQL's plan.
Opening a due vote is proposal_open, timed at 100,000 electors by bench/governance_run.py.
Prints RESULT lines (JSON) for docs/benchmarks.md.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from governance import services, tasks  # noqa: E402
from governance.models import Category, Proposal  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--proposals", type=int, default=20_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    Proposal.objects.all().delete()
    general = Category.objects.get(slug="general")
    now = timezone.now()
    Proposal.objects.bulk_create(
        [Proposal(title=f"P{i}", body="Bench.", category=general, quorum_percent=10,
                  status=Proposal.Status.DISCUSSION, discussion_at=now,
                  opens_at=now + timedelta(hours=49 + i % 100) if i % 2 else None,
                  closes_at=now + timedelta(days=10), min_discussion_hours=48,
                  min_voting_hours=72)
         for i in range(args.proposals)],
        batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE governance_proposal")
    runs = []
    for _ in range(20):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            assert services.open_due_votes(actor=tasks.OPEN_DUE_VOTES) == []
            runs.append(time.perf_counter() - start)
    sql = queries.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")  # noqa: S608 - the job's own query
        plan = [row[0] for row in cursor.fetchall()]
    print("RESULT", json.dumps({
        "bench": "open_due_votes, nothing due", "proposals_in_discussion": args.proposals,
        "best_ms": round(min(runs) * 1000, 2),
        "median_ms": round(statistics.median(runs) * 1000, 2),
        "queries": len(queries.captured_queries), "plan": plan}))


if __name__ == "__main__":
    main()
