"""A dividend run on a real Celery worker (Redis), killed with SIGKILL in the middle: the rerun
completes with identical lines, and the run posts once (RULES §4 step 9)."""

import signal
import time
from datetime import date

import pytest
from django.db import connection

from ledger.models import JournalEntry
from patronage import services
from patronage.models import Allocation, DividendRun
from tests.membership.factories import StakeholderClassFactory
from tests.patronage.factories import PATRONAGE_JOB, closed_period, imported, make_policy

R = DividendRun.Status


def small_cooperative():
    workers = StakeholderClassFactory(slug="workers", share_price_minor=10_000, min_shares=1,
                                      max_shares=5)
    users = StakeholderClassFactory(slug="users", share_price_minor=0, min_shares=1,
                                    max_shares=1)
    members = [imported(n, workers, date(2024, 1, 1), 3, (10_000 * (1 + n % 3), date(2024, 1, 1)))
               for n in range(1, 8)]
    members += [imported(n, users, date(2024, 1, 1), 1) for n in range(8, 15)]
    make_policy(effective_from=date(2024, 1, 1), class_shares_bp={"workers": 7000, "users": 3000})
    for member in members:
        services.contribution_record(actor=PATRONAGE_JOB, member=member, date=date(2025, 4, 4),
                                     quantity=str(member.member_number * 3),
                                     external_id=f"m{member.member_number}")
    return closed_period(revenue=777_777, expenses=12_345)


def lines_of(run_id):
    return list(Allocation.objects.filter(run_id=run_id).order_by("member_number").values_list(
        "member_number", "contribution", "interest_exact", "interest_minor", "patronage_minor",
        "cash_minor", "retained_minor"))


@pytest.mark.postgres
@pytest.mark.redis
def test_a_worker_killed_mid_run_leaves_a_run_whose_rerun_is_identical(celery_worker_process):
    period = small_cooperative()
    # The reference: the same period computed here, in this process.
    reference = DividendRun.objects.create(period=period, status=R.QUEUED)
    services.dividend_run_compute(run_id=reference.pk, attempt=1)
    reference.refresh_from_db()
    assert reference.status == R.COMPUTED

    # Every INSERT of lines now takes 3 s (a statement trigger), so the worker is surely inside
    # its write when it is killed.
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION patronage_test_slow() RETURNS trigger AS $$
            BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER patronage_test_slow BEFORE INSERT ON patronage_allocation
            FOR EACH STATEMENT EXECUTE FUNCTION patronage_test_slow();""")
    try:
        run = services.dividend_run_start(actor=PATRONAGE_JOB, period=period)  # → the worker
        worker = celery_worker_process
        worker.wait_until(
            lambda: DividendRun.objects.filter(pk=run.pk, progress__gte=40).exists(),
            what="the worker to reach the writing of the lines")
        time.sleep(0.5)
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(timeout=10)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER patronage_test_slow ON patronage_allocation;"
                           "DROP FUNCTION patronage_test_slow();")

    # Killed in the middle: the run is not computed and has no line anyone reads.
    run.refresh_from_db()
    assert run.status == R.RUNNING and run.inputs_hash == ""
    assert "succeeded" not in worker.log()

    # The rerun (a new attempt; the old task, were it redelivered, would find it not its own).
    rerun = services.dividend_run_rerun(actor=PATRONAGE_JOB, run=run)
    assert services.dividend_run_compute(run_id=run.pk, attempt=1) is None  # the old attempt
    services.dividend_run_compute(run_id=run.pk, attempt=rerun.attempt)
    run.refresh_from_db()
    assert run.status == R.COMPUTED
    assert run.inputs_hash == reference.inputs_hash
    assert lines_of(run.pk) == lines_of(reference.pk)
    assert len(lines_of(run.pk)) == 14

    services.dividend_run_approve(actor=PATRONAGE_JOB, run=run)
    with pytest.raises(Exception, match="already posted"):
        services.dividend_run_approve(actor=PATRONAGE_JOB, run=run)
    assert JournalEntry.objects.filter(kind="dividend_run").count() == 1


@pytest.mark.django_db
def test_a_killed_attempts_partial_lines_are_replaced(django_capture_on_commit_callbacks):
    period = small_cooperative()
    with django_capture_on_commit_callbacks(execute=True):
        run = services.dividend_run_start(actor=PATRONAGE_JOB, period=period)
    expected = lines_of(run.pk)
    # What a worker killed between two committed batches leaves: a running run, some lines.
    DividendRun.objects.filter(pk=run.pk).update(status=R.RUNNING, progress=60, inputs_hash="")
    Allocation.objects.filter(run=run, member_number__gt=5).delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.dividend_run_rerun(actor=PATRONAGE_JOB, run=run)
    run.refresh_from_db()
    assert run.status == R.COMPUTED and lines_of(run.pk) == expected


@pytest.mark.django_db
def test_cancelling_stops_a_run(django_capture_on_commit_callbacks):
    period = small_cooperative()
    run = services.dividend_run_start(actor=PATRONAGE_JOB, period=period)  # not yet computed
    services.dividend_run_cancel(actor=PATRONAGE_JOB, run=run)
    assert services.dividend_run_compute(run_id=run.pk, attempt=1) is None
    run.refresh_from_db()
    assert run.status == R.CANCELLED and not Allocation.objects.filter(run=run).exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_computing_costs_a_fixed_number_of_queries_plus_two_per_batch(settings, monkeypatch):
    """Fixed queries (claim, delete, policy, inputs, steps) plus, per batch of lines, one
    progress UPDATE and one COPY: at the production batch size (20,000) that is one query per
    10,000 rows. (Inside a test's transaction each batch's atomic block is a SAVEPOINT and a
    RELEASE too; in the worker it is the batch's own transaction. The COPY goes to psycopg
    directly, below Django's query log, so it is counted here by its calls.)"""
    from django.test.utils import CaptureQueriesContext

    from patronage.services import runs

    period = small_cooperative()  # 14 member lines
    copies = []
    real_insert = runs._lines_insert

    def counted_insert(rows):
        copies.append(len(rows))
        real_insert(rows)

    monkeypatch.setattr(runs, "_lines_insert", counted_insert)

    def queries(batch_size: int) -> int:
        settings.PATRONAGE_RUN_BATCH_SIZE = batch_size
        copies.clear()
        run = DividendRun.objects.create(period=period)
        with CaptureQueriesContext(connection) as captured:
            services.dividend_run_compute(run_id=run.pk, attempt=1)
        run.refresh_from_db()
        assert run.status == R.COMPUTED and run.members_count == 14
        return len(captured) + len(copies)

    one_batch = queries(20_000)
    assert copies == [14]
    seven_batches = queries(2)
    assert copies == [2] * 7
    savepoints = 2
    assert seven_batches - one_batch == (2 + savepoints) * 6
    assert one_batch <= 16  # fixed: does not grow with the members
