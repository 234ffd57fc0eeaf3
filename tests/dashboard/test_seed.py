import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count, Q, Sum

from coop.audit import audit_seal, audit_verify
from coop.models import Cooperative, User
from membership.models import Application, Member, Redemption, ShareCertificate

pytestmark = pytest.mark.django_db(transaction=False)


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()
            if not model._meta.proxy}


def test_seed_demo(capsys, client):
    """One seed for all the checks: it is the slowest fixture of the suite."""
    call_command("seed_demo")
    seeded = capsys.readouterr().out
    check_believable_cooperative(seeded)
    check_demo_accounts_can_sign_in(client)
    check_the_books()
    check_vitality_story()
    check_second_run_changes_nothing(capsys)


def check_vitality_story():
    """36 finished months and the current one; extractive pressure 16 and 15 months ago,
    quorum decay from 10 months ago until the votes recover (vitality/seed.py)."""
    from vitality.models import Alert, Snapshot
    from vitality.months import add_months, current_month

    this_month = current_month()
    assert Snapshot.objects.filter(provisional=False).count() == 36
    assert Snapshot.objects.get(month=this_month).provisional

    def fired(code):
        return {(this_month.year - m.year) * 12 + this_month.month - m.month
                for m in Alert.objects.filter(code=code).values_list("month", flat=True)}

    assert fired("extractive_pressure") == {16, 15}
    assert fired("quorum_decay") == {10, 9, 8, 7, 6, 5}
    assert not fired("quorum_decay") & {12, 11, 4, 3, 2, 1}
    june = Snapshot.objects.get(month=add_months(this_month, -15))
    assert [a["code"] for a in june.alerts] == ["extractive_pressure"]


def check_believable_cooperative(seeded):
    assert "member@demo.coop / demo-member-2026" in seeded
    coop = Cooperative.current()
    assert (coop.name, coop.currency) == ("Lightbox Photographers' Cooperative", "EUR")

    members = Member.objects.all()
    assert 200 <= members.count() <= 600
    statuses = dict(members.values_list("status").annotate(n=Count("pk")))
    assert statuses["active"] > 100
    assert statuses["awaiting_payment"] > 5
    assert statuses["exited"] > 3
    assert members.filter(status="awaiting_payment", paid_minor__gt=0).exists()  # instalments
    assert members.filter(kind="organisation", stakeholder_class__slug="clients").exists()
    assert members.filter(referred_by__isnull=False).exists()
    assert members.filter(directory_visible=False).exists()
    assert set(members.values_list("stakeholder_class__slug", flat=True)) == {
        "photographers", "clients", "staff"}
    assert Application.objects.filter(status="pending").count() >= 10
    assert Application.objects.filter(status="rejected").exists()
    assert Application.objects.filter(source="paper").exists()
    assert Redemption.objects.count() == statuses["exited"]

    # the register is consistent with the money, as the services keep it
    for member in members.select_related("subscription").annotate(
            issued=Count("certificates", filter=Q(certificates__status="issued"))):
        assert member.issued == member.shares_held
        if member.status != "exited":
            assert member.shares_held == min(
                member.paid_minor // member.subscription.share_price_minor,
                member.subscription.shares)
    paid = Member.objects.aggregate(total=Sum("paid_minor"))["total"]
    assert paid > 0
    numbers = sorted(ShareCertificate.objects.values_list("certificate_number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))  # gap-free
    # and the audit trail is real: it seals into a valid chain
    audit_seal()
    assert audit_verify().ok


def check_demo_accounts_can_sign_in(client):
    member_user = User.objects.get(email="member@demo.coop")
    assert member_user.check_password("demo-member-2026")
    assert member_user.member.status == "active"
    assert member_user.member.certificates.filter(status="issued").count() == 4
    staff = User.objects.get(email="staff@demo.coop")
    assert staff.check_password("demo-staff-2026") and staff.is_staff and staff.is_superuser
    for user in (member_user, staff):
        assert EmailAddress.objects.get(user=user).verified
    assert not EmailAddress.objects.filter(verified=False).exists()
    assert client.login(email="member@demo.coop", password="demo-member-2026")


def check_second_run_changes_nothing(capsys):
    before = row_counts()
    call_command("seed_demo")
    assert "already seeded" in capsys.readouterr().out
    assert row_counts() == before


def check_the_books():
    """Issue #9's demo: two closed years each with a posted run, an open year with
    contributions flowing in, a policy changed by a passed proposal and one open for a vote;
    all through the services, so the books balance."""
    from django.utils import timezone

    from ledger.models import DayBalance, FiscalPeriod, JournalEntry
    from patronage.models import AllocationPolicy, Contribution, DividendRun

    today = timezone.localdate()
    periods = list(FiscalPeriod.objects.order_by("start"))
    assert [p.status for p in periods] == ["closed", "closed", "open"]
    assert periods[-1].start <= today <= periods[-1].end
    for period in periods[:2]:
        run = DividendRun.objects.get(period=period, status="posted")
        assert period.surplus_minor > 0 and run.distributable_minor == period.surplus_minor
        assert (run.interest_minor + run.reserves_minor + run.commons_minor
                + run.patronage_minor) == run.distributable_minor
        assert run.allocations.count() == run.members_count > 10
        assert run.entry is not None
    assert Contribution.objects.filter(date__gte=periods[-1].start).count() > 50
    # Every posted entry balances, and so do the books.
    sums = DayBalance.objects.aggregate(d=Sum("debit_minor"), c=Sum("credit_minor"))
    assert sums["d"] == sums["c"] > 0
    assert JournalEntry.objects.filter(kind="dividend_run").count() == 2
    # Each year's payables were paid in a batch: nothing payable is left but this year's.
    from patronage.models import PayoutBatch
    assert PayoutBatch.objects.filter(status="paid").count() == 2
    assert JournalEntry.objects.filter(kind="payout").count() == 2
    assert not Redemption.objects.filter(status="payable").exists()
    from ledger import selectors as ledger_selectors
    assert ledger_selectors.account_balance("2100") == 0  # dividends payable all paid
    assert ledger_selectors.reconciliation().ok
    # Version 2 was put in force by a passed proposal; version 3 waits for an open vote.
    v2 = AllocationPolicy.objects.get(version=2)
    assert v2.status == "in_force" and v2.enacted_by_proposal.outcome == "passed"
    assert DividendRun.objects.get(period=periods[1], status="posted").policy == v2
    v3 = AllocationPolicy.objects.get(version=3)
    assert v3.status == "draft"
    from governance.models import Proposal
    assert Proposal.objects.filter(category__slug="policy", status="voting").count() == 1
