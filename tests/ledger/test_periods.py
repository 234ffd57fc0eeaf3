"""Fiscal periods (RULES.md §3): contiguous, the first at most 18 months, then the fiscal year;
closed only after their end, posting revenue and expenses to Unallocated surplus."""

from datetime import date

import pytest

from coop.errors import Conflict, InvalidInput, NotAllowed
from coop.models import Cooperative
from ledger import accounts, hooks, selectors, services
from ledger.models import FiscalPeriod, JournalEntry
from membership import services as membership_services
from membership.models import Redemption
from tests.ledger.factories import BOOKKEEPER, make_period, post
from tests.membership.factories import REGISTRAR, UserFactory, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def after_2025(time_machine):
    time_machine.move_to(date(2026, 1, 15))


def test_the_first_period_may_be_irregular_up_to_18_months():
    period = make_period(date(2024, 7, 1), date(2025, 12, 31))
    assert (period.status, period.surplus_minor) == ("open", None)


def test_the_first_period_may_not_pass_18_months():
    with pytest.raises(InvalidInput, match="at most 18 months") as error:
        make_period(date(2024, 6, 30), date(2025, 12, 31))
    assert "end" in error.value.errors
    assert not FiscalPeriod.objects.exists()


def test_a_period_ends_the_day_before_the_fiscal_year_starts():
    with pytest.raises(InvalidInput, match="last day of a fiscal year"):
        make_period(date(2025, 1, 1), date(2025, 11, 30))
    cooperative = Cooperative.current()
    cooperative.fiscal_year_start = "04-01"
    cooperative.save()
    assert make_period(date(2025, 1, 1), date(2026, 3, 31)).end == date(2026, 3, 31)
    assert make_period(date(2026, 4, 1), date(2027, 3, 31))


def test_later_periods_are_contiguous_one_year_periods():
    make_period(date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(InvalidInput, match="overlaps"):
        make_period(date(2025, 6, 1), date(2026, 12, 31))
    with pytest.raises(InvalidInput, match="leaves a gap"):
        make_period(date(2026, 1, 2), date(2026, 12, 31))
    with pytest.raises(InvalidInput, match="one fiscal year"):
        make_period(date(2026, 1, 1), date(2027, 12, 31))
    with pytest.raises(InvalidInput, match="cannot end before"):
        make_period(date(2026, 1, 1), date(2025, 12, 31))
    assert FiscalPeriod.objects.count() == 1
    make_period(date(2026, 1, 1), date(2026, 12, 31))
    assert FiscalPeriod.objects.count() == 2


def test_only_bookkeepers_create_periods():
    with pytest.raises(NotAllowed):
        services.period_create(actor=UserFactory(), start=date(2025, 1, 1),
                               end=date(2025, 12, 31))


def test_a_period_closes_only_after_its_end_date(time_machine):
    period = make_period()
    time_machine.move_to(date(2025, 12, 31))
    with pytest.raises(Conflict, match="only after its end date"):
        services.period_close(actor=BOOKKEEPER, period=period)
    period.refresh_from_db()
    assert period.status == "open"


def test_closing_moves_revenue_and_expenses_to_unallocated_surplus(after_2025):
    period = make_period()
    post(1_000_000, credit=accounts.REVENUE, on=date(2025, 3, 1))
    post(250_000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2025, 4, 1))
    post(50_000, debit=accounts.GOVERNANCE_EXPENSES, credit=accounts.BANK, on=date(2025, 5, 1))
    post(7, credit=accounts.REVENUE, on=date(2026, 1, 2))  # the next year's stays out
    period = services.period_close(actor=BOOKKEEPER, period=period)
    assert (period.status, period.surplus_minor) == ("closed", 700_000)
    assert period.closed_at is not None
    closing = JournalEntry.objects.get(kind=services.CLOSING_KIND)
    assert closing.date == date(2025, 12, 31)
    assert sorted((ln.account.code, ln.debit_minor, ln.credit_minor)
                  for ln in closing.lines.all()) == [
        (accounts.UNALLOCATED_SURPLUS, 0, 700_000), (accounts.REVENUE, 1_000_000, 0),
        (accounts.OPERATING_EXPENSES, 0, 250_000), (accounts.GOVERNANCE_EXPENSES, 0, 50_000)]
    assert selectors.account_balance(accounts.UNALLOCATED_SURPLUS) == 700_000
    assert selectors.account_balance(accounts.REVENUE, on=date(2025, 12, 31)) == 0
    assert selectors.account_balance(accounts.REVENUE) == 7
    with pytest.raises(Conflict, match="already closed"):
        services.period_close(actor=BOOKKEEPER, period=period)


def test_a_loss_is_carried_in_unallocated_surplus(after_2025):
    period = make_period()
    post(100, credit=accounts.REVENUE)
    post(400, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK)
    period = services.period_close(actor=BOOKKEEPER, period=period)
    assert period.surplus_minor == -300
    assert selectors.account_balance(accounts.UNALLOCATED_SURPLUS) == -300


def test_an_empty_period_closes_with_no_entry(after_2025):
    period = services.period_close(actor=BOOKKEEPER, period=make_period())
    assert period.surplus_minor == 0
    assert not JournalEntry.objects.exists()


def test_an_earlier_open_period_closes_first(time_machine):
    time_machine.move_to(date(2027, 1, 15))
    first = make_period()
    second = make_period(date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(Conflict, match="earlier period"):
        services.period_close(actor=BOOKKEEPER, period=second)
    services.period_close(actor=BOOKKEEPER, period=first)
    assert services.period_close(actor=BOOKKEEPER, period=second).status == "closed"


def test_the_close_makes_the_periods_redemptions_payable_and_posts_them(time_machine):
    time_machine.move_to(date(2025, 3, 1))
    member = make_member(paid=True, on=date(2025, 3, 1))
    paid = member.paid_minor
    period = make_period()
    membership_services.member_exit(member=member, actor=REGISTRAR, on=date(2025, 3, 1))
    time_machine.move_to(date(2026, 1, 15))
    services.period_close(actor=BOOKKEEPER, period=period)
    redemption = Redemption.objects.get(member=member)
    assert redemption.status == Redemption.Status.PAYABLE
    entry = JournalEntry.objects.get(idempotency_key=f"redemption:{redemption.pk}:payable")
    assert entry.date == date(2025, 12, 31)
    assert sorted((ln.account.code, ln.member_id, ln.debit_minor, ln.credit_minor)
                  for ln in entry.lines.all()) == [
        (accounts.REDEMPTIONS_PAYABLE, member.pk, 0, paid),
        (accounts.SHARE_CAPITAL, member.pk, paid, 0)]
    assert selectors.account_balance(accounts.REDEMPTIONS_PAYABLE) == paid


def test_after_period_close_hooks_run_in_the_close(time_machine, monkeypatch):
    time_machine.move_to(date(2027, 1, 15))
    seen = []
    monkeypatch.setattr(hooks, "after_period_close", [lambda p, a: seen.append((p.status, a))])
    period = services.period_close(actor=BOOKKEEPER, period=make_period())
    assert seen == [("closed", BOOKKEEPER)]

    def refuse(p, a):
        raise Conflict("a higher app refuses")

    monkeypatch.setattr(hooks, "after_period_close", [refuse])
    second = make_period(date(2026, 1, 1), date(2026, 12, 31))
    assert period.status == "closed"
    with pytest.raises(Conflict, match="higher app"):
        services.period_close(actor=BOOKKEEPER, period=second)
    second.refresh_from_db()
    assert second.status == "open"  # the close rolled back with the hook
