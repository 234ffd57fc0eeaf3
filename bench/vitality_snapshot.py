"""Vitality benchmarks (PostgreSQL): one month's snapshot at scale, and the dashboard page
built from 36 snapshots.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_bench_vitality \\
        .venv/bin/python bench/vitality_snapshot.py

Generates, in a database whose name contains "bench" (created and migrated if needed, refused
if it already has members): 100,000 active members in 3 classes (some joined and some left in
the month, a tenth referred), 15 votes closed in the month and the five before it with the
whole membership as electorate (1,500,000 electors) of whom two thirds took part (1,000,000
ballots: `Elector.voted_at` and a `Ballot` row each), 1,000,000 journal lines (500,000
two-line entries over two years, with their day balances), 30,000 pulse answers and a heartbeat
for every minute of the month. Bulk SQL (`session_replication_role = replica` skips the
ledger's per-line balance trigger while loading: the lines are balanced by construction).

Then times `vitality.figures.compute` and the snapshot service (`snapshot_refresh`, which
finalises the month: figures, alerts, audit) wall-clock with their query counts, and the page
`/vitality/` from 36 snapshots through Django's test client (in process: no server, no
network), 50 requests after 5 warm-ups. Prints RESULT lines (JSON) for docs/benchmarks.md."""

import json
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.server_env import server_env  # noqa: E402

# Production settings, as the benchmark servers run (tasks inline: nothing else consumes them).
os.environ.update(server_env(CELERY_TASK_ALWAYS_EAGER="true"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from membership.models import Member  # noqa: E402
from vitality import figures, services  # noqa: E402
from vitality.models import Snapshot  # noqa: E402
from vitality.months import add_months, bounds  # noqa: E402

MONTH = date(2026, 10, 1)
MEMBERS = 100_000
VOTES = 15
ENTRIES = 500_000


def result(name: str, **figures_) -> None:
    print("RESULT " + json.dumps({"bench": name, **figures_}), flush=True)


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def generate() -> None:
    started = time.perf_counter()
    # Raw SQL like the rest: the register is written only by membership's services (the scan
    # in tests/membership/test_register_writes.py), and this is a synthetic database.
    sql("""INSERT INTO membership_stakeholderclass (slug, name, description, share_price_minor,
          min_shares, max_shares, vote_weight, patronage_measure)
        SELECT slug, initcap(slug), '', 1000, 1, 10, 1, ''
        FROM unnest(ARRAY['photographers', 'clients', 'supporters']) slug""")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM membership_stakeholderclass ORDER BY id")
        classes = [row[0] for row in cursor.fetchall()]
    start, end = bounds(MONTH)
    with transaction.atomic():
        sql("SET LOCAL session_replication_role = replica")
        # Members: joined over three years; 1,000 joined in the month, 300 left in it.
        sql(f"""INSERT INTO membership_member (member_number, kind, name, email,
              registration_number, contact_person, stakeholder_class_id, status,
              referred_by_id, joined_on, activated_on, exited_on, exit_reason,
              directory_visible, shares_subscribed, shares_held, paid_minor)
            SELECT n, 'person', 'Member ' || n, '', '', '', (ARRAY{classes})[1 + n %% 3],
              CASE WHEN n %% 333 = 0 THEN 'exited' ELSE 'active' END, NULL,
              CASE WHEN n > {MEMBERS - 1000} THEN %s::date + (n %% 28)
                   ELSE %s::date - (n %% 1000) END,
              CASE WHEN n > {MEMBERS - 1000} THEN %s::date + (n %% 28)
                   ELSE %s::date - (n %% 1000) END,
              CASE WHEN n %% 333 = 0 THEN %s::date + (n %% 28) END, '', true, 1, 1, 1000
            FROM generate_series(1, {MEMBERS}) n""", [MONTH, MONTH, MONTH, MONTH, MONTH])
        sql("""UPDATE membership_member SET referred_by_id = (SELECT min(id) FROM
               membership_member) WHERE member_number %% 10 = 0""")
        # Votes closed in the month and the five before it (the core_share window).
        sql("""INSERT INTO governance_proposal (title, body, category_id, author_id,
              created_by_key, status, outcome, method, tally_mode, threshold, quorum_percent,
              secret, early_close_allowed, seats, created_at, opens_at, closes_at, closed_at,
              electorate_size, ballots_cast, tie_seed, tie_seed_hash, reminders_needed,
              reminders_sent, cancel_reason, outcome_statement, implementation_status,
              enactment_kind, enactment_status, enactment_error, enactment_description)
            SELECT 'Vote ' || v, '', (SELECT id FROM governance_category WHERE slug='general'),
              NULL, '', 'closed', CASE WHEN v %% 4 = 0 THEN 'no_quorum' ELSE 'passed' END,
              'yes_no', 'member', 'majority', 10, false, false, 1, c - interval '10 days',
              c - interval '7 days', c, c, %s, 0, '', '', v %% 3 = 0, 0, '', '',
              CASE WHEN v %% 4 = 0 THEN '' ELSE 'planned' END, '', 'none', '', '[]'
            FROM generate_series(1, %s) v,
                 LATERAL (SELECT %s::timestamptz - (v %% 6) * interval '1 month'
                          + (v %% 20) * interval '1 day' AS c) t""",
            [MEMBERS, VOTES, start + (end - start) / 2])
        sql("""INSERT INTO governance_elector (proposal_id, member_id, class_slug, vote_weight,
              voted_at)
            SELECT p.id, m.id, 'x', 1,
              CASE WHEN (m.member_number + p.id) %% 3 <> 0 THEN p.closed_at - interval '1 hour'
              END
            FROM governance_proposal p CROSS JOIN membership_member m""")
        sql("""INSERT INTO governance_ballot (proposal_id, member_id, class_slug, choice,
              approvals, ranking, reason, receipt, cast_at, revision)
            SELECT proposal_id, member_id, class_slug, 'yes', '[]', '[]', '',
              md5(proposal_id || '-' || member_id), voted_at, 1
            FROM governance_elector WHERE voted_at IS NOT NULL""")
        sql("""UPDATE governance_proposal p SET ballots_cast = (SELECT count(*) FROM
               governance_elector e WHERE e.proposal_id = p.id AND e.voted_at IS NOT NULL)""")
        # The books: 500,000 two-line entries over two years (revenue, expenses, governance).
        sql(f"""INSERT INTO ledger_journalentry (number, date, description, kind,
              idempotency_key, payload_hash, created_at)
            SELECT n, %s::date - (n %% 730), 'Bench entry', '', 'bench:' || n, '', now()
            FROM generate_series(1, {ENTRIES}) n""", [MONTH + (date(2026, 11, 1) - MONTH)])
        sql("""INSERT INTO ledger_journalline (entry_id, account_id, debit_minor, credit_minor)
            SELECT e.id, a.id, CASE WHEN side = 'd' THEN 1000 + e.number %% 500 ELSE 0 END,
                   CASE WHEN side = 'c' THEN 1000 + e.number %% 500 ELSE 0 END
            FROM ledger_journalentry e,
                 LATERAL (VALUES ('d', CASE e.number %% 10 WHEN 0 THEN '5100' WHEN 1 THEN '5000'
                                     WHEN 2 THEN '5000' ELSE '1000' END),
                                 ('c', CASE WHEN e.number %% 10 < 3 THEN '1000'
                                       ELSE '4000' END)) s(side, code)
                 JOIN ledger_account a ON a.code = s.code""")
        sql("""INSERT INTO ledger_daybalance (account_id, day, closing, debit_minor,
              credit_minor)
            SELECT l.account_id, e.date, false, sum(l.debit_minor), sum(l.credit_minor)
            FROM ledger_journalline l JOIN ledger_journalentry e ON e.id = l.entry_id
            GROUP BY l.account_id, e.date""")
        # The pulse survey and the heartbeat.
        sql("""INSERT INTO vitality_pulseanswer (member_id, month, class_slug, score, comment,
              answered_at)
            SELECT id, %s, 'x', 1 + member_number %% 5, '', %s FROM membership_member
            WHERE member_number %% 10 < 3""", [MONTH, start])
        sql("""INSERT INTO coop_heartbeat (minute) SELECT generate_series(%s::timestamptz,
               %s::timestamptz - interval '1 minute', interval '1 minute')""", [start, end])
    sql("ANALYZE")
    result("vitality_generate", seconds=round(time.perf_counter() - started, 1),
           members=Member.objects.count())


def timed(call):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        value = call()
        seconds = time.perf_counter() - started
    return value, seconds, len(queries.captured_queries)


def bench_snapshot() -> Snapshot:
    now = datetime(2026, 11, 15, tzinfo=UTC)
    runs = [timed(lambda: figures.compute(MONTH, now=now))[1:] for _ in range(3)]
    result("vitality_figures_compute", seconds=[round(s, 2) for s, _ in runs],
           queries=runs[0][1])
    Snapshot.objects.filter(month=MONTH).delete()
    snapshot, seconds, queries = timed(lambda: services.snapshot_refresh(month=MONTH, now=now))
    result("vitality_snapshot_refresh", seconds=round(seconds, 2), queries=queries,
           provisional=snapshot.provisional, alerts=[a["code"] for a in snapshot.alerts],
           metrics=snapshot.metrics)
    return snapshot


def bench_page(snapshot: Snapshot) -> None:
    from coop.models import User

    Snapshot.objects.exclude(pk=snapshot.pk).delete()
    Snapshot.objects.bulk_create([
        Snapshot(month=add_months(MONTH, -i), provisional=False, computed_at=snapshot.computed_at,
                 metrics=snapshot.metrics, by_class=snapshot.by_class, alerts=snapshot.alerts)
        for i in range(1, 36)])
    # A member reads it (staff need two-factor under production settings).
    reader = User.objects.filter(email="reader@bench.example").first()
    if reader is None:
        reader = User.objects.create_user(email="reader@bench.example", password="bench-pw")
        sql("UPDATE membership_member SET user_id = %s WHERE member_number = 1", [reader.pk])
    client = Client()
    client.force_login(reader)
    url = "/vitality/?months=36"
    for _ in range(5):
        assert client.get(url).status_code == 200
    times, queries = [], 0
    for _ in range(50):
        response, seconds, queries = timed(lambda: client.get(url))
        assert response.status_code == 200
        times.append(seconds * 1000)
    times.sort()
    result("vitality_page_36_snapshots", snapshots=Snapshot.objects.count(), queries=queries,
           median_ms=round(statistics.median(times), 1), p95_ms=round(times[47], 1),
           max_ms=round(times[-1], 1), bytes=len(response.content))


def main() -> None:
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        sys.exit(f"Refusing to write into {name!r}: its name must contain 'bench'.")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    if not Member.objects.exists():
        generate()
    snapshot = bench_snapshot()
    bench_page(snapshot)


if __name__ == "__main__":
    main()
