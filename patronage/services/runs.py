"""Dividend runs (RULES §4): start, compute (the Celery task's work), cancel, rerun, approve.

Computing reads its inputs with a fixed number of set-based queries (members, share payments
with a "reversed" flag, contributions summed per member in SQL), calls the pure
`patronage.allocation`, and writes the lines with `bulk_create` in batches, each batch in its
own transaction with the run's progress. A run's status turns `computed` only in the
transaction of its last batch, so a worker killed in the middle leaves a run that is still
`running` with lines nobody reads; its rerun deletes them and starts again with a new attempt.
"""

from datetime import date
from fractions import Fraction

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from coop.audit import audit_record
from coop.errors import Conflict, NotAllowed
from membership.models import Member, SharePayment

from .. import allocation, rules
from ..locks import lock_period_runs, lock_run
from ..models import Allocation, Contribution, DividendRun, PatronageSettings, Payable
from ..selectors import policy_in_force
from ._common import require, user_of
from .policies import policy_of

R = DividendRun.Status
BATCH_SIZE = 20_000  # rows per INSERT: one query per ≥ 10,000 rows (issue #9, Performance)


def _batch_size() -> int:
    return int(getattr(settings, "PATRONAGE_RUN_BATCH_SIZE", BATCH_SIZE))


def _enqueue(run: DividendRun) -> None:
    from .. import tasks

    run_id, attempt = run.pk, run.attempt
    transaction.on_commit(lambda: tasks.dividend_run_compute.delay(run_id, attempt))


def _closed_period(period):
    if period.status != "closed":
        raise Conflict(f"The period {period.start} – {period.end} is still open: a run needs "
                       f"a closed period (its surplus is known only at the close).",
                       errors={"period": ["Open."]})


def _no_posted_run(period) -> None:
    if DividendRun.objects.filter(period=period, status=R.POSTED).exists():
        raise Conflict(f"The period {period.start} – {period.end} already has a posted run.",
                       errors={"period": ["Has a posted run."]})


@transaction.atomic
def dividend_run_start(*, actor, period) -> DividendRun:
    """Queue a run of a closed period with no posted run; the task computes it."""
    require(rules.may_write(actor))
    lock_period_runs(period.pk)
    _closed_period(period)
    _no_posted_run(period)
    if policy_in_force(period.end) is None:
        raise Conflict(f"No allocation policy is in force on {period.end}: create one first.",
                       errors={"period": ["No policy in force on its last day."]})
    run = DividendRun.objects.create(
        period=period, created_by=user_of(actor))
    audit_record(action="dividend_run.started", object_type="dividend_run", object_id=run.pk,
                 actor=actor, facts={"period": period.pk})
    _enqueue(run)
    return run


@transaction.atomic
def dividend_run_rerun(*, actor, run: DividendRun) -> DividendRun:
    """Start a run again (after a failure, a cancel, or a worker that died): a new attempt, so
    a task of the old one still in flight stops at its next batch."""
    require(rules.may_write(actor))
    lock_period_runs(run.period_id)
    run = lock_run(run.pk)
    if run.status == R.POSTED:
        raise Conflict("A posted run cannot be computed again.")
    _no_posted_run(run.period)
    run.attempt += 1
    run.status, run.progress, run.error = R.QUEUED, 0, ""
    run.save(update_fields=["attempt", "status", "progress", "error"])
    audit_record(action="dividend_run.rerun", object_type="dividend_run", object_id=run.pk,
                 actor=actor, facts={"attempt": run.attempt})
    _enqueue(run)
    return run


@transaction.atomic
def dividend_run_cancel(*, actor, run: DividendRun) -> DividendRun:
    require(rules.may_write(actor))
    run = lock_run(run.pk)
    if run.status not in (R.QUEUED, R.RUNNING, R.COMPUTED):
        raise Conflict(f"A {run.status} run cannot be cancelled.")
    run.status = R.CANCELLED
    run.save(update_fields=["status"])
    audit_record(action="dividend_run.cancelled", object_type="dividend_run", object_id=run.pk,
                 actor=actor, facts={})
    return run


# --- computing ------------------------------------------------------------------------------


LOSS_COVER_KIND = "loss_cover"  # ledger.services.loss_cover's entries


def uncovered_losses_before(period) -> int:
    """Losses of earlier periods not yet covered (RULES §4 step 1): the closed periods'
    surpluses in order (`allocation.uncovered_losses`), less what the reserve has covered
    (the ledger's `loss_cover` entries credit Unallocated surplus; a reversal of one counts
    against it)."""
    from ledger import accounts
    from ledger.models import FiscalPeriod, JournalLine

    surpluses = (FiscalPeriod.objects.filter(end__lt=period.start, status="closed")
                 .order_by("start").values_list("surplus_minor", flat=True))
    covered = JournalLine.objects.filter(
        Q(entry__kind=LOSS_COVER_KIND) | Q(entry__reverses__kind=LOSS_COVER_KIND),
        account__code=accounts.UNALLOCATED_SURPLUS,
    ).aggregate(c=Sum("credit_minor", default=0), d=Sum("debit_minor", default=0))
    return allocation.uncovered_losses((s or 0 for s in surpluses),
                                       covered_minor=covered["c"] - covered["d"])


def run_inputs(period, *, policy) -> tuple[allocation.Inputs, dict[int, int]]:
    """The frozen inputs of a run, in three set-based queries, and member number → id."""
    end = period.end
    active_at_end = Q(activated_on__lte=end) & (Q(exited_on__isnull=True) | Q(exited_on__gt=end))
    in_period = Contribution.objects.filter(date__gte=period.start, date__lte=end)
    totals = dict(in_period.values("member_id").annotate(total=Sum("quantity"))
                  .values_list("member_id", "total"))
    members, ids = [], {}
    contributed = Exists(in_period.filter(member_id=OuterRef("pk")))
    rows = (Member.objects.filter(active_at_end | contributed)
            .values_list("pk", "member_number", "stakeholder_class__slug", "activated_on",
                         "exited_on", "status").iterator(chunk_size=10_000))
    contributions = {}
    for pk, number, slug, activated, exited, status in rows:
        ids[number] = pk
        members.append(allocation.MemberIn(number, slug, activated, exited,
                                           expelled=status == Member.Status.EXPELLED))
        if pk in totals:
            contributions[number] = totals[pk]
    reversal = SharePayment.objects.filter(reverses=OuterRef("pk"))
    payments = (SharePayment.objects.filter(kind=SharePayment.Kind.PAYMENT, paid_on__lte=end)
                .filter(member__in=Member.objects.filter(active_at_end))
                .annotate(was_reversed=Exists(reversal))
                .values_list("member__member_number", "amount_minor", "paid_on", "was_reversed")
                .iterator(chunk_size=10_000))
    inputs = allocation.Inputs(
        period_start=period.start, period_end=end, surplus_minor=period.surplus_minor or 0,
        uncovered_losses_minor=uncovered_losses_before(period), policy=policy_of(policy),
        members=tuple(members),
        payments=tuple(allocation.PaymentIn(*row) for row in payments),
        contributions=contributions)
    return inputs, ids


def _step(run_id: int, attempt: int, **fields) -> bool:
    """Update the run if this attempt still owns it (running, not cancelled, not superseded)."""
    return DividendRun.objects.filter(pk=run_id, attempt=attempt, status=R.RUNNING).update(
        **fields) == 1


def _fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def dividend_run_compute(*, run_id: int, attempt: int) -> DividendRun | None:
    """The task's work. Safe to run twice: only the attempt that owns the run writes, and it
    begins by deleting what an earlier, killed execution left."""
    claimed = DividendRun.objects.filter(
        pk=run_id, attempt=attempt, status__in=[R.QUEUED, R.RUNNING]).update(
        status=R.RUNNING, progress=1, started_at=timezone.now())
    if not claimed:
        return None
    run = DividendRun.objects.select_related("period").get(pk=run_id)
    try:
        Allocation.objects.filter(run_id=run_id).delete()  # a killed attempt's partial lines
        policy = policy_in_force(run.period.end)
        if policy is None:
            raise Conflict(f"No allocation policy is in force on {run.period.end}.")
        inputs, ids = run_inputs(run.period, policy=policy)
        if not _step(run_id, attempt, progress=20):
            return None
        result = allocation.distribute(inputs)
        digest = allocation.inputs_hash(inputs)
        if not _step(run_id, attempt, progress=40):
            return None
        rows = [(run_id, ids[line.member_number], line.member_number, line.class_slug,
                 line.contribution, _fraction_text(line.interest_exact), line.interest_minor,
                 line.patronage_minor, line.cash_minor, line.retained_minor, line.exited)
                for line in result.lines]
        del inputs
        size = _batch_size()
        batches = [rows[i:i + size] for i in range(0, len(rows), size)] or [[]]
        for index, batch in enumerate(batches):
            last = index == len(batches) - 1
            with transaction.atomic():
                if last:
                    fields = _pools(result, policy)
                    fields.update(inputs_hash=digest, members_count=len(rows), progress=100,
                                  status=R.COMPUTED, computed_at=timezone.now())
                else:
                    fields = {"progress": 40 + 60 * (index + 1) // len(batches)}
                if not _step(run_id, attempt, **fields):
                    transaction.set_rollback(True)
                    return None
                if batch:
                    _lines_insert(batch)
    except Exception as exc:
        DividendRun.objects.filter(pk=run_id, attempt=attempt).update(
            status=R.FAILED, error=getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")
        raise
    run.refresh_from_db()
    return run


def _pools(result: allocation.Result, policy) -> dict:
    names = ("surplus_minor", "uncovered_losses_minor", "distributable_minor",
             "loss_carried_minor", "interest_wanted_minor", "interest_cap_minor",
             "interest_minor", "reserves_minor", "reserves_policy_minor",
             "reserves_leftover_minor", "reserves_forfeited_minor", "commons_minor",
             "patronage_pool_minor", "patronage_minor")
    fields = {name: getattr(result, name) for name in names}
    fields["policy"] = policy
    fields["class_pools"] = {
        slug: {"share_bp": policy.class_shares_bp.get(slug, 0),
               "pool_minor": result.class_pools.get(slug, 0),
               "contribution": f"{result.class_contributions.get(slug, 0):.4f}",
               "forfeited": slug in result.forfeited_classes}
        for slug in sorted(set(result.class_pools) | set(result.class_contributions))}
    return fields


# --- approving: the posting of step 8 -------------------------------------------------------


def _posting_lines(run: DividendRun) -> list:
    """Dr Unallocated surplus S; Cr Indivisible reserve, Cr Commons fund, Cr Dividends payable
    (cash parts and interest, one line), Cr Member capital (each retained part, tagged)."""
    from ledger import accounts
    from ledger.journal import Line

    lines = [Line(account=accounts.UNALLOCATED_SURPLUS, debit_minor=run.distributable_minor)]
    payable = run.interest_minor + (
        run.allocations.aggregate(total=Sum("cash_minor"))["total"] or 0)
    for code, amount in ((accounts.RESERVE, run.reserves_minor),
                         (accounts.COMMONS, run.commons_minor),
                         (accounts.DIVIDENDS_PAYABLE, payable)):
        if amount > 0:
            lines.append(Line(account=code, credit_minor=amount))
    retained = (run.allocations.filter(retained_minor__gt=0)
                .values_list("member_id", "retained_minor").iterator(chunk_size=10_000))
    lines.extend(Line(account=accounts.MEMBER_CAPITAL, credit_minor=amount, member_id=member_id)
                 for member_id, amount in retained)
    return lines


@transaction.atomic
def dividend_run_approve(*, actor, run: DividendRun, proposal=None, on: date | None = None
                         ) -> DividendRun:
    """Post a computed run (RULES §4 step 8), once: the period's runs are locked, a second
    approval finds the run posted (409), and the database allows one posted run per period.
    With `runs_need_assembly` only a passed proposal (`proposal`) may approve."""
    from ledger.services import entry_post

    require(rules.may_approve_run(actor))
    if proposal is None and PatronageSettings.current().runs_need_assembly:
        raise NotAllowed("This cooperative's runs are approved by its members: propose the "
                         "run's approval in a policy proposal.")
    lock_period_runs(run.period_id)
    run = lock_run(run.pk)
    if run.status == R.POSTED:
        raise Conflict("This run is already posted.")
    if run.status != R.COMPUTED:
        raise Conflict(f"Only a computed run can be approved; this one is {run.status}.")
    _no_posted_run(run.period)
    on = on or timezone.localdate()
    if run.distributable_minor and run.distributable_minor > 0:
        entry = entry_post(
            actor=actor, date=on, kind="dividend_run", proposal=proposal,
            description=f"Dividend run {run.pk}: surplus of {run.period.start} – "
                        f"{run.period.end}",
            lines=_posting_lines(run), idempotency_key=f"dividend-run:period:{run.period_id}")
        run.entry = entry
    run.status = R.POSTED
    run.posted_at = timezone.now()
    run.approved_by = user_of(actor)
    run.approved_by_proposal = proposal
    run.save(update_fields=["status", "posted_at", "approved_by", "approved_by_proposal",
                            "entry"])
    _payables_create(run)
    DividendRun.objects.filter(period_id=run.period_id, status__in=[
        R.QUEUED, R.RUNNING, R.COMPUTED]).exclude(pk=run.pk).update(status=R.CANCELLED)
    audit_record(action="dividend_run.posted", object_type="dividend_run", object_id=run.pk,
                 actor=actor, facts={"period": run.period_id, "entry": run.entry_id,
                                     "proposal": getattr(proposal, "pk", None),
                                     "surplus_minor": run.distributable_minor})
    from .. import tasks

    run_id = run.pk
    transaction.on_commit(lambda: tasks.statements_ready_notify.delay(run_id))
    return run


def _payables_create(run: DividendRun) -> None:
    """Cash parts and interest become one payable per member: one INSERT … SELECT from the
    run's lines, whatever their number."""
    payable, line = Payable._meta.db_table, Allocation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {payable} (kind, member_id, amount_minor, run_id, created_at) "  # noqa: S608 - table names from the models
            f"SELECT %s, member_id, cash_minor + interest_minor, run_id, %s FROM {line} "
            f"WHERE run_id = %s AND cash_minor + interest_minor > 0",
            [Payable.Kind.DIVIDEND, timezone.now(), run.pk])


COPY_COLUMNS = ("run_id", "member_id", "member_number", "class_slug", "contribution",
                "interest_exact", "interest_minor", "patronage_minor", "cash_minor",
                "retained_minor", "exited")


def _lines_insert(rows: list[tuple]) -> None:
    """One batch of a run's lines in one statement: COPY on PostgreSQL (Django's bulk_create
    spends ~100 µs of Python per row building the INSERT), bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        table = Allocation._meta.db_table
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    Allocation.objects.bulk_create([Allocation(**dict(zip(COPY_COLUMNS, row, strict=True)))
                                    for row in rows])


@transaction.atomic
def statements_ready_notify(*, run_id: int) -> int:
    """The "statement ready" notice to every member with a line in a posted run."""
    from coop.notices import notices_create

    run = DividendRun.objects.select_related("period").get(pk=run_id)
    if run.status != R.POSTED:
        return 0
    ids = list(run.allocations.values_list("member_id", flat=True))
    notices_create(kind="patronage.statement_ready", recipient_model=Member, recipient_ids=ids,
                   target=run)
    DividendRun.objects.filter(pk=run_id).update(notices_sent_at=timezone.now())
    return len(ids)
