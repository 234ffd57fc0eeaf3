"""Dividend runs (RULES §4): the full example built as an existing cooperative would, the
posting of step 8, and what a run refuses."""

import threading
from datetime import date

import pytest
from django.db import connection

from coop.errors import Conflict, NotAllowed
from governance import enactments
from ledger import accounts
from ledger.models import JournalEntry, JournalLine
from membership.models import Member, SharePayment
from patronage import services
from patronage.models import Allocation, DividendRun, PatronageSettings, Payable
from tests.governance.helpers import api_key, assert_problem, client_for
from tests.membership.factories import StaffFactory, StakeholderClassFactory
from tests.patronage.factories import PATRONAGE_JOB, closed_period, imported, make_policy

R = DividendRun.Status


@pytest.fixture
def cooperative(db):
    """The full example of tests/patronage/test_allocation.py, S = 1,000,000, as books: the
    register imported with its history, then revenue, expenses, contributions, the close."""
    workers = StakeholderClassFactory(slug="workers", name="Workers", share_price_minor=50_000,
                                      min_shares=1, max_shares=10, patronage_measure="hours")
    users = StakeholderClassFactory(slug="users", name="Users", share_price_minor=10_000,
                                    min_shares=1, max_shares=10, patronage_measure="purchases")
    contributors = StakeholderClassFactory(slug="contributors", name="Contributors",
                                           share_price_minor=0, min_shares=1, max_shares=1,
                                           patronage_measure="photos licensed")
    members = {
        1: imported(1, workers, date(2024, 3, 1), 2, (100_000, date(2024, 3, 1))),
        2: imported(2, workers, date(2025, 6, 20), 1, (50_000, date(2025, 7, 1))),
        3: imported(3, users, date(2024, 1, 10), 2, (20_000, date(2024, 1, 10)),
                    exited_on=date(2025, 6, 30)),
        4: imported(4, users, date(2025, 2, 1), 3, (20_000, date(2025, 2, 1)),
                    (10_000, date(2025, 5, 1)), reverse=(1, date(2025, 5, 20))),
        5: imported(5, contributors, date(2024, 5, 5), 1),
    }
    make_policy(effective_from=date(2024, 1, 1), class_shares_bp={
        "workers": 5000, "users": 3000, "contributors": 2000})
    for number, quantity in ((1, "120.5"), (2, "60.25"), (3, "40"), (4, "80")):
        services.contribution_record(actor=PATRONAGE_JOB, member=members[number],
                                     date=date(2025, 11, 3), quantity=quantity,
                                     external_id=f"c{number}")
    # Outside the period: not counted.
    services.contribution_record(actor=PATRONAGE_JOB, member=members[1], date=date(2026, 1, 2),
                                 quantity="999", external_id="next-year")
    period = closed_period(revenue=1_500_000, expenses=500_000)
    assert period.surplus_minor == 1_000_000
    return period, members


def computed(period, on_commit):
    with on_commit(execute=True):
        run = services.dividend_run_start(actor=PATRONAGE_JOB, period=period)
    run.refresh_from_db()
    assert run.status == R.COMPUTED, run.error
    return run


def lines(run) -> dict:
    return {a.member_number: (a.interest_minor, a.patronage_minor, a.cash_minor,
                              a.retained_minor)
            for a in Allocation.objects.filter(run=run)}


FULL = {1: (3000, 199_139, 59_742, 139_397), 2: (756, 99_570, 29_871, 69_699),
        3: (0, 59_742, 59_742, 0), 4: (549, 119_483, 35_845, 83_638), 5: (0, 0, 0, 0)}


@pytest.mark.django_db
def test_the_full_example_computed_from_the_books(cooperative, django_capture_on_commit_callbacks):
    period, members = cooperative
    assert SharePayment.objects.filter(kind="reversal").count() == 1
    run = computed(period, django_capture_on_commit_callbacks)
    assert (run.distributable_minor, run.interest_minor, run.reserves_minor, run.commons_minor,
            run.patronage_minor) == (1_000_000, 4_305, 418_192, 99_569, 477_934)
    assert run.class_pools["contributors"] == {"share_bp": 2000, "pool_minor": 0,
                                               "contribution": "0.0000", "forfeited": True}
    assert lines(run) == FULL
    assert len(run.inputs_hash) == 64 and run.progress == 100 and run.members_count == 5


@pytest.mark.django_db
def test_approving_posts_step_8_once(cooperative, django_capture_on_commit_callbacks):
    period, members = cooperative
    run = computed(period, django_capture_on_commit_callbacks)
    staff = StaffFactory()
    with django_capture_on_commit_callbacks(execute=True):
        run = services.dividend_run_approve(actor=staff, run=run, on=date(2026, 2, 1))
    assert run.status == R.POSTED and run.approved_by == staff
    entry = JournalEntry.objects.get(pk=run.entry_id)
    posted = {(line.account.code, line.member_id, line.debit_minor, line.credit_minor)
              for line in JournalLine.objects.filter(entry=entry).select_related("account")}
    m = {n: member.pk for n, member in members.items()}
    assert posted == {
        (accounts.UNALLOCATED_SURPLUS, None, 1_000_000, 0),
        (accounts.RESERVE, None, 0, 418_192),
        (accounts.COMMONS, None, 0, 99_569),
        # interest 4,305 + cash 59,742 + 29,871 + 59,742 + 35,845
        (accounts.DIVIDENDS_PAYABLE, None, 0, 189_505),
        (accounts.MEMBER_CAPITAL, m[1], 0, 139_397),
        (accounts.MEMBER_CAPITAL, m[2], 0, 69_699),
        (accounts.MEMBER_CAPITAL, m[4], 0, 83_638),
    }
    payables = dict(Payable.objects.filter(run=run).values_list("member_id", "amount_minor"))
    assert payables == {m[1]: 62_742, m[2]: 30_627, m[3]: 59_742, m[4]: 36_394}
    with pytest.raises(Conflict, match="already posted"):
        services.dividend_run_approve(actor=staff, run=run)
    # The members were told, after the posting.
    from coop.models import Notice
    assert Notice.objects.filter(kind="patronage.statement_ready").count() == 5
    # A second run of the period cannot start, nor be posted.
    with pytest.raises(Conflict, match="posted run"):
        services.dividend_run_start(actor=PATRONAGE_JOB, period=period)
    assert JournalEntry.objects.filter(kind="dividend_run").count() == 1


@pytest.mark.django_db
def test_a_rerun_gives_identical_lines(cooperative, django_capture_on_commit_callbacks):
    period, _ = cooperative
    first = computed(period, django_capture_on_commit_callbacks)
    second = computed(period, django_capture_on_commit_callbacks)
    assert lines(first) == lines(second) == FULL
    assert first.inputs_hash == second.inputs_hash
    with django_capture_on_commit_callbacks(execute=True):
        services.dividend_run_rerun(actor=PATRONAGE_JOB, run=second)
    second.refresh_from_db()
    assert (second.status, second.attempt, lines(second)) == (R.COMPUTED, 2, FULL)
    # Approving one cancels the other computed runs of the period.
    services.dividend_run_approve(actor=PATRONAGE_JOB, run=second)
    first.refresh_from_db()
    assert first.status == R.CANCELLED


@pytest.mark.django_db
def test_a_run_on_an_open_period_is_409(cooperative):
    from tests.ledger.factories import make_period

    open_period = make_period(date(2026, 1, 1), date(2026, 12, 31))
    response = client_for(key=api_key("ledger:write")).post(
        "/api/v1/dividend-runs/", {"period": open_period.pk}, format="json")
    assert_problem(response, 409)
    assert not DividendRun.objects.exists()


@pytest.mark.django_db
def test_runs_need_assembly_refuses_staff(cooperative, django_capture_on_commit_callbacks):
    period, _ = cooperative
    run = computed(period, django_capture_on_commit_callbacks)
    PatronageSettings.objects.update_or_create(pk=1, defaults={"runs_need_assembly": True})
    with pytest.raises(NotAllowed, match="approved by its members"):
        services.dividend_run_approve(actor=StaffFactory(), run=run)
    run.refresh_from_db()
    assert run.status == R.COMPUTED and not JournalEntry.objects.filter(kind="dividend_run")


@pytest.mark.django_db
def test_the_api(cooperative, django_capture_on_commit_callbacks):
    period, members = cooperative
    writer = client_for(key=api_key("ledger:write"))
    with django_capture_on_commit_callbacks(execute=True):
        started = writer.post("/api/v1/dividend-runs/", {"period": period.pk}, format="json")
    assert started.status_code == 202 and started.json()["status"] == "queued"
    run_id = started.json()["id"]
    reader = client_for(key=api_key("ledger:read"))
    detail = reader.get(f"/api/v1/dividend-runs/{run_id}/").json()
    assert (detail["status"], detail["surplus_minor"], detail["interest_minor"]) == (
        "computed", 1_000_000, 4_305)
    rows = reader.get(f"/api/v1/dividend-runs/{run_id}/allocations/").json()["results"]
    assert [r["member_number"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["contribution"] == "120.5000"
    # A member sees only their own line.
    user = StaffFactory(is_staff=False, is_superuser=False)
    Member.objects.filter(pk=members[2].pk).update(user=user)
    own = client_for(user).get(f"/api/v1/dividend-runs/{run_id}/allocations/").json()
    assert [r["member_number"] for r in own["results"]] == [2]
    assert reader.post(f"/api/v1/dividend-runs/{run_id}/approve/").status_code == 403
    approved = writer.post(f"/api/v1/dividend-runs/{run_id}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "posted"
    assert_problem(writer.post(f"/api/v1/dividend-runs/{run_id}/approve/"), 409)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_post_once(django_capture_on_commit_callbacks):
    from tests.governance.helpers import ensure_categories

    ensure_categories()
    klass = StakeholderClassFactory(slug="workers", share_price_minor=0, min_shares=1,
                                    max_shares=1)
    member = imported(1, klass, date(2024, 1, 1), 1)
    make_policy(effective_from=date(2024, 1, 1), class_shares_bp={"workers": 10000})
    services.contribution_record(actor=PATRONAGE_JOB, member=member, date=date(2025, 5, 5),
                                 quantity="3", external_id="a")
    period = closed_period(revenue=10_000)
    runs = [computed(period, django_capture_on_commit_callbacks) for _ in range(2)]
    barrier = threading.Barrier(4)
    outcomes = []

    def approve(run):
        try:
            barrier.wait()
            services.dividend_run_approve(actor=PATRONAGE_JOB, run=run)
            outcomes.append("posted")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(run,)) for run in runs + runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 3 + ["posted"]
    assert DividendRun.objects.filter(status=R.POSTED).count() == 1
    assert JournalEntry.objects.filter(kind="dividend_run").count() == 1


@pytest.mark.django_db
def test_with_runs_need_assembly_a_passed_proposal_posts_the_run(
        cooperative, policy_category, django_capture_on_commit_callbacks):
    from governance import services as governance
    from governance.models import Proposal
    from tests.governance.factories import TEST_JOB
    from tests.governance.helpers import cast_all, close_at_deadline, new_proposal

    period, members = cooperative
    run = computed(period, django_capture_on_commit_callbacks)
    PatronageSettings.objects.update_or_create(pk=1, defaults={"runs_need_assembly": True})
    proposal = new_proposal(category=policy_category, threshold="2/3",
                            enacts={"kind": "dividend_run_approval", "run_id": run.pk})
    description = "\n".join(enactments.description("dividend_run_approval",
                                                   proposal.enactment_payload))
    assert "patronage to members: 4,779.34 EUR" in description
    governance.proposal_open(actor=TEST_JOB, proposal=proposal)
    voters = list(Member.objects.filter(status="active"))
    cast_all(proposal, voters, choice="yes")
    proposal = close_at_deadline(proposal)
    assert proposal.enactment_status == Proposal.Enactment.ENACTED, proposal.enactment_error
    run.refresh_from_db()
    assert run.status == R.POSTED and run.approved_by_proposal_id == proposal.pk
    assert JournalEntry.objects.get(pk=run.entry_id).proposal_id == proposal.pk


@pytest.mark.django_db
def test_an_approval_whose_run_was_superseded_fails_and_the_close_stands(
        cooperative, policy_category, django_capture_on_commit_callbacks):
    from governance import services as governance
    from governance.models import Proposal
    from tests.governance.factories import TEST_JOB
    from tests.governance.helpers import cast_all, close_at_deadline, new_proposal

    period, _ = cooperative
    run = computed(period, django_capture_on_commit_callbacks)
    other = computed(period, django_capture_on_commit_callbacks)
    proposal = new_proposal(category=policy_category, threshold="2/3",
                            enacts={"kind": "dividend_run_approval", "run_id": run.pk})
    governance.proposal_open(actor=TEST_JOB, proposal=proposal)
    services.dividend_run_approve(actor=PATRONAGE_JOB, run=other)  # staff posted another
    cast_all(proposal, list(Member.objects.filter(status="active")), choice="yes")
    proposal = close_at_deadline(proposal)
    assert proposal.outcome == Proposal.Outcome.PASSED
    assert proposal.enactment_status == Proposal.Enactment.FAILED
    assert "cancelled" in proposal.enactment_error or "posted" in proposal.enactment_error
    assert JournalEntry.objects.filter(kind="dividend_run").count() == 1
