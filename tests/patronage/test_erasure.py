"""The IBAN goes with the person's data, once the cooperative owes them nothing
(patronage.erasure, called by membership.services.member_erase)."""

from datetime import date

import pytest

from coop.errors import Conflict
from coop.models import Cooperative
from membership import services as membership
from membership.models import Member
from patronage import services
from patronage.models import DividendRun, PayoutAccount
from tests.membership.factories import StaffFactory
from tests.patronage.factories import PATRONAGE_JOB

pytestmark = pytest.mark.django_db

IBAN = "DE89370400440532013000"


@pytest.fixture
def exited(cooperative):
    """Member 3 left on 2025-06-30; the close made their capital payable; they gave an IBAN."""
    period, members = cooperative
    Cooperative.objects.filter(pk=Cooperative.current().pk).update(register_retention_years=0)
    staff = StaffFactory()
    member = Member.objects.get(pk=members[3].pk)
    services.payout_account_set(actor=staff, member=member, iban=IBAN)
    return period, member, staff


@pytest.fixture
def computed(exited, django_capture_on_commit_callbacks):
    """The run of member 3's period, computed (the task runs at the commit) and not approved."""
    period, member, staff = exited
    with django_capture_on_commit_callbacks(execute=True):
        run = services.dividend_run_start(actor=PATRONAGE_JOB, period=period)
    run.refresh_from_db()
    return run, member, staff


def test_not_while_a_run_of_their_period_awaits_approval(computed):
    run, member, staff = computed
    assert run.status == DividendRun.Status.COMPUTED
    # The capital is paid meanwhile: only the run is left to hold the erasure back.
    services.payout_batch_pay(actor=staff, batch=services.payout_batch_create(actor=staff),
                              paid_on=date(2026, 1, 20))
    with pytest.raises(Conflict, match=f"Dividend run {run.pk}.*is computed"):
        membership.member_erase(member=member, actor=staff)
    assert PayoutAccount.objects.filter(member=member).exists()


def test_not_while_money_is_still_to_be_paid_then_the_iban_goes(computed):
    run, member, staff = computed
    services.dividend_run_approve(actor=PATRONAGE_JOB, run=run, on=date(2026, 2, 1))
    with pytest.raises(Conflict, match="still owes member 3 their capital"):
        membership.member_erase(member=member, actor=staff)
    batch = services.payout_batch_create(actor=staff)
    # The batch is gathered but not paid: the payables are still owed.
    with pytest.raises(Conflict, match="still owes member 3|still to be paid to member 3"):
        membership.member_erase(member=member, actor=staff)
    assert PayoutAccount.objects.filter(member=member).exists()

    services.payout_batch_pay(actor=staff, batch=batch, paid_on=date(2026, 2, 10))
    result = membership.member_erase(member=Member.objects.get(pk=member.pk), actor=staff)
    assert result.counts["payout_accounts"] == 1
    assert not PayoutAccount.objects.filter(member=member).exists()
    # The paid batch's CSV still lists the payment, by number and pseudonym, without an IBAN.
    # (RULES §4's full example: 597.42 of dividends in cash, as exited members get, and the
    # 200.00 of capital.)
    rows = [row for row in services.payout_csv(batch).splitlines() if row.startswith("3,")]
    assert rows == ["3,Former member 3,,59742,20000,79742"]
