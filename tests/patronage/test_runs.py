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
    proposal = new_proposal(category=policy_category, threshold="2/3", hours=200,
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
    proposal = new_proposal(category=policy_category, threshold="2/3", hours=200,
                            enacts={"kind": "dividend_run_approval", "run_id": run.pk})
    governance.proposal_open(actor=TEST_JOB, proposal=proposal)
    services.dividend_run_approve(actor=PATRONAGE_JOB, run=other)  # staff posted another
    cast_all(proposal, list(Member.objects.filter(status="active")), choice="yes")
    proposal = close_at_deadline(proposal)
    assert proposal.outcome == Proposal.Outcome.PASSED
    assert proposal.enactment_status == Proposal.Enactment.FAILED
    assert "cancelled" in proposal.enactment_error or "posted" in proposal.enactment_error
    assert JournalEntry.objects.filter(kind="dividend_run").count() == 1


@pytest.mark.django_db
def test_a_loss_carried_forward_less_what_the_reserve_covered(django_capture_on_commit_callbacks):
    from ledger.journal import Line
    from ledger.services import entry_post
    from patronage.services import uncovered_losses_before
    from tests.ledger.factories import BOOKKEEPER

    klass = StakeholderClassFactory(slug="workers", share_price_minor=0, min_shares=1,
                                    max_shares=1)
    member = imported(1, klass, date(2023, 1, 1), 1)
    make_policy(effective_from=date(2023, 1, 1), class_shares_bp={"workers": 10000})
    closed_period(date(2023, 1, 1), date(2023, 12, 31), expenses=3_000)  # a loss of 3,000
    services.contribution_record(actor=PATRONAGE_JOB, member=member, date=date(2024, 5, 5),
                                 quantity="1", external_id="a")
    second = closed_period(date(2024, 1, 1), date(2024, 12, 31), revenue=10_000)
    assert uncovered_losses_before(second) == 3_000
    # The reserve covers 1,000 of it (the ledger's loss_cover posts this entry).
    entry_post(actor=BOOKKEEPER, date=date(2025, 2, 1), kind="loss_cover",
               description="Loss covered", idempotency_key="cover:1",
               lines=[Line(accounts.RESERVE, debit_minor=1_000),
                      Line(accounts.UNALLOCATED_SURPLUS, credit_minor=1_000)])
    assert uncovered_losses_before(second) == 2_000
    run = computed(second, django_capture_on_commit_callbacks)
    assert (run.surplus_minor, run.uncovered_losses_minor, run.distributable_minor) == (
        10_000, 2_000, 8_000)


REGISTER_CSV = """\
member_number,name,class,shares_subscribed,joined_on,status,payments,certificates,exited_on,redemption_status
1,Aino Virtanen,workers,2,2024-03-01,active,2024-03-01:100000,1-2,,
2,Bram Bakker,workers,1,2025-06-20,active,2025-07-01:50000,3,,
3,Chen Li,users,2,2024-01-10,exited,2024-01-10:20000,4-5,2025-06-30,requested
4,Dara Okafor,users,3,2025-02-01,active,2025-02-01:20000;2025-05-01:10000,6-8,,
5,Eli Novak,contributors,1,2024-05-05,active,,9,,
"""


@pytest.mark.django_db
def test_the_full_example_the_way_an_existing_cooperative_would(
        django_capture_on_commit_callbacks):
    """S = 1,000,000: the register imported from its CSV with history, a payment returned by
    the bank, revenue and expenses recorded, contributions sent by a partner, the year closed,
    the run started, computed and approved through the API."""
    from ledger import selectors as books
    from ledger import services as ledger
    from membership import importer as register_importer
    from membership import services as register
    from tests.ledger.factories import BOOKKEEPER
    from tests.patronage.factories import ensure_accounts

    ensure_accounts()
    for slug, price, maximum, measure in (("workers", 50_000, 10, "hours"),
                                          ("users", 10_000, 10, "purchases"),
                                          ("contributors", 0, 1, "photos licensed")):
        StakeholderClassFactory(slug=slug, name=slug.title(), share_price_minor=price,
                                min_shares=1, max_shares=maximum, patronage_measure=measure)
    register_importer.register_import(text=REGISTER_CSV, actor=PATRONAGE_JOB)
    members = {m.member_number: m for m in Member.objects.all()}
    returned = SharePayment.objects.get(member=members[4], amount_minor=10_000)
    register.share_payment_reverse(payment=returned, reason="returned by the bank",
                                   actor=PATRONAGE_JOB, on=date(2025, 5, 20))
    make_policy(effective_from=date(2024, 1, 1), class_shares_bp={
        "workers": 5000, "users": 3000, "contributors": 2000})
    period = ledger.period_create(actor=BOOKKEEPER, start=date(2025, 1, 1), end=date(2025, 12, 31))
    ledger.revenue_record(actor=BOOKKEEPER, amount_minor=1_500_000, date=date(2025, 9, 30),
                          description="Licences sold")
    ledger.expense_record(actor=BOOKKEEPER, amount_minor=450_000, date=date(2025, 10, 31),
                          description="Hosting and salaries", category="operations")
    ledger.expense_record(actor=BOOKKEEPER, amount_minor=50_000, date=date(2025, 11, 30),
                          description="General assembly", category="governance")
    partner = client_for(key=api_key("ledger:write"))
    for number, quantity in ((1, "120.5"), (2, "60.25"), (3, "40"), (4, "80")):
        response = partner.post("/api/v1/contributions/", {
            "member_number": number, "date": "2025-11-03", "quantity": quantity,
            "external_id": f"shift-{number}"}, format="json")
        assert response.status_code == 201, response.content
    period = ledger.period_close(actor=BOOKKEEPER, period=period)
    assert period.surplus_minor == 1_000_000
    with django_capture_on_commit_callbacks(execute=True):
        started = partner.post("/api/v1/dividend-runs/", {"period": period.pk}, format="json")
    run_id = started.json()["id"]
    run = DividendRun.objects.get(pk=run_id)
    assert run.status == R.COMPUTED and lines(run) == FULL
    approved = partner.post(f"/api/v1/dividend-runs/{run_id}/approve/")
    assert approved.status_code == 200, approved.content
    # Every figure is in the books: S left Unallocated surplus, the retained parts are
    # member capital, and the register still reconciles with the books.
    assert books.account_balance(accounts.UNALLOCATED_SURPLUS) == 0
    assert books.account_balance(accounts.COMMONS) == 99_569
    assert books.account_balance(accounts.RESERVE) == 418_192
    assert books.account_balance(accounts.DIVIDENDS_PAYABLE) == 189_505
    assert books.member_capital_balance(members[1].pk) == 100_000 + 139_397
    assert ledger.reconciliation_check(actor=BOOKKEEPER).ok
