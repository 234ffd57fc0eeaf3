"""The share register in the books (RULES.md §3): every movement posts exactly once, dated as
the movement, through membership's hook; a movement dated in a closed period is refused; the
register import and the history migration post too; reconciliation finds any difference."""

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command

from coop.errors import Conflict
from coop.models import Notice
from ledger import accounts, selectors, services
from ledger.journal import payment_key, redemption_key
from ledger.models import JournalEntry, JournalLine, ReconciliationCheck
from ledger.tasks import reconcile_nightly
from membership import hooks, importer
from membership import services as membership_services
from membership.models import Member, Redemption, SharePayment
from tests.ledger.factories import BOOKKEEPER, make_period, post
from tests.membership.factories import REGISTRAR, StakeholderClassFactory, make_member

pytestmark = pytest.mark.django_db

history = importlib.import_module("ledger.migrations.0006_post_register_history")


def lines_of(entry):
    return sorted((ln.account.code, ln.member_id, ln.debit_minor, ln.credit_minor)
                  for ln in entry.lines.select_related("account"))


@pytest.fixture
def member(time_machine):
    time_machine.move_to(date(2025, 3, 1))
    return make_member(shares=4)  # photographers: 50.00 a share, nothing paid yet


def pay(member, amount, on):
    return membership_services.share_payment_record(member=member, amount_minor=amount,
                                                    paid_on=on, actor=REGISTRAR)


def test_a_payment_posts_once_dated_as_the_payment(member, time_machine):
    time_machine.move_to(date(2025, 4, 1))
    payment = pay(member, 10_000, date(2025, 3, 20))
    entry = JournalEntry.objects.get(idempotency_key=payment_key(payment.pk))
    assert entry.date == date(2025, 3, 20)
    assert lines_of(entry) == [(accounts.BANK, None, 10_000, 0),
                               (accounts.SHARE_CAPITAL, member.pk, 0, 10_000)]
    assert selectors.member_capital_balance(member.pk) == 10_000
    assert selectors.reconciliation().ok


def test_a_reversal_posts_the_opposite_entry_linked_to_the_payment(member, time_machine):
    time_machine.move_to(date(2025, 4, 1))
    payment = pay(member, 10_000, date(2025, 3, 20))
    reversal = membership_services.share_payment_reverse(payment=payment, reason="bounced",
                                                         actor=REGISTRAR, on=date(2025, 3, 25))
    entry = JournalEntry.objects.get(idempotency_key=payment_key(reversal.pk))
    assert entry.reverses.idempotency_key == payment_key(payment.pk)
    assert entry.date == date(2025, 3, 25)
    assert lines_of(entry) == [(accounts.BANK, None, 0, 10_000),
                               (accounts.SHARE_CAPITAL, member.pk, 10_000, 0)]
    assert selectors.member_capital_balance(member.pk) == 0
    assert selectors.account_balance(accounts.BANK) == 0
    assert selectors.reconciliation().ok


def test_a_movement_dated_in_a_closed_period_is_refused_and_nothing_is_written(member,
                                                                                time_machine):
    time_machine.move_to(date(2025, 3, 1))
    payment = pay(member, 5_000, date(2025, 3, 1))
    period = make_period(date(2025, 1, 1), date(2025, 12, 31))
    time_machine.move_to(date(2026, 1, 10))
    services.period_close(actor=BOOKKEEPER, period=period)
    entries = JournalEntry.objects.count()

    with pytest.raises(Conflict, match="closed fiscal period 2025-01-01 – 2025-12-31") as error:
        pay(member, 5_000, date(2025, 12, 31))
    assert "paid_on" in error.value.errors
    with pytest.raises(Conflict, match="A reversal dated 2025-12-30"):
        membership_services.share_payment_reverse(payment=payment, reason="x", actor=REGISTRAR,
                                                  on=date(2025, 12, 30))
    with pytest.raises(Conflict, match="An exit dated 2025-06-30"):
        membership_services.member_exit(member=member, actor=REGISTRAR, on=date(2025, 6, 30))
    member.refresh_from_db()
    assert (member.paid_minor, member.status) == (5_000, Member.Status.AWAITING_PAYMENT)
    assert SharePayment.objects.count() == 1
    assert JournalEntry.objects.count() == entries
    # The correction is dated in an open period.
    pay(member, 5_000, date(2026, 1, 5))
    assert selectors.reconciliation().ok


def test_an_exit_becomes_payable_at_the_close_and_stays_reconciled(member, time_machine):
    time_machine.move_to(date(2025, 5, 1))
    pay(member, 20_000, date(2025, 4, 1))
    period = make_period(date(2025, 1, 1), date(2025, 12, 31))
    membership_services.member_exit(member=member, actor=REGISTRAR, on=date(2025, 5, 1))
    assert not JournalEntry.objects.filter(kind="redemption_payable").exists()  # not yet
    assert selectors.reconciliation().ok  # requested: still capital in both
    time_machine.move_to(date(2026, 1, 10))
    services.period_close(actor=BOOKKEEPER, period=period)
    redemption = Redemption.objects.get(member=member)
    assert redemption.status == Redemption.Status.PAYABLE
    assert selectors.member_capital_balance(member.pk) == 0
    assert selectors.account_balance(accounts.REDEMPTIONS_PAYABLE) == 20_000
    assert selectors.reconciliation().ok


# --- the register import -------------------------------------------------------------------

HEADER = ("member_number,name,class,shares_subscribed,joined_on,status,payments,certificates,"
          "exited_on,redemption_status")
ROWS = [
    "1,Aino,photographers,2,2019-03-01,active,2019-03-05:10000,1-2,,",
    "4,Olga,photographers,2,2018-01-01,exited,2018-01-02:10000,3-4,2021-06-30,paid",
    "5,Piet,photographers,2,2018-01-01,exited,2018-01-02:10000,5-6,2021-06-30,payable",
    "6,Rosa,photographers,2,2018-01-01,exited,2018-01-02:10000,7-8,2021-06-30,requested",
]


def test_the_register_import_posts_its_history_and_reconciles():
    StakeholderClassFactory()
    importer.register_import(text="\n".join([HEADER, *ROWS]) + "\n", actor=REGISTRAR)
    assert JournalEntry.objects.filter(kind="share_payment").count() == 4
    olga, piet, rosa = (Member.objects.get(member_number=n) for n in (4, 5, 6))
    paid = JournalEntry.objects.get(idempotency_key=redemption_key(olga.redemption.pk, "paid"))
    assert paid.date == date(2021, 6, 30)
    assert JournalEntry.objects.filter(
        idempotency_key=redemption_key(piet.redemption.pk, "payable")).exists()
    assert not JournalEntry.objects.filter(
        idempotency_key__startswith=f"redemption:{rosa.redemption.pk}:").exists()
    assert selectors.account_balance(accounts.BANK) == 30_000  # 40,000 in, Olga's 10,000 out
    assert selectors.account_balance(accounts.REDEMPTIONS_PAYABLE) == 10_000  # Piet's
    assert selectors.account_balance(accounts.SHARE_CAPITAL) == 20_000  # Aino's and Rosa's
    assert selectors.reconciliation().ok


def test_the_import_shows_a_date_in_a_closed_period_on_its_row_and_column(time_machine):
    StakeholderClassFactory()
    time_machine.move_to(date(2020, 1, 10))
    services.period_close(actor=BOOKKEEPER,
                          period=make_period(date(2019, 1, 1), date(2019, 12, 31)))
    preview = importer.validate("\n".join([HEADER, *ROWS]) + "\n")
    assert not preview.ok
    errors = preview.errors_dict()
    assert any("closed fiscal period" in message for message in str(errors).split("'")), errors
    row = preview.rows[0]
    assert "closed fiscal period 2019-01-01 – 2019-12-31" in " ".join(row.errors["payments"])
    assert "payments" not in preview.rows[1].errors  # 2018: before any period
    with pytest.raises(Exception, match="error"):
        importer.register_import(text="\n".join([HEADER, *ROWS]) + "\n", actor=REGISTRAR)
    assert not Member.objects.exists()
    assert not JournalEntry.objects.filter(kind="share_payment").exists()


# --- the history recorded before the ledger ------------------------------------------------

def test_the_history_migration_posts_what_the_register_held_once(member, time_machine,
                                                                 monkeypatch):
    # The register as it was before the ledger: movements with no hook to post them.
    monkeypatch.setattr(hooks, "register_hooks", [])
    time_machine.move_to(date(2025, 6, 1))
    first = pay(member, 10_000, date(2025, 3, 2))
    pay(member, 5_000, date(2025, 3, 3))
    membership_services.share_payment_reverse(payment=first, reason="bounced",
                                              actor=REGISTRAR, on=date(2025, 3, 4))
    time_machine.move_to(date(2025, 3, 5))
    other = make_member(paid=True, on=date(2025, 3, 5))
    time_machine.move_to(date(2025, 6, 1))
    membership_services.member_exit(member=other, actor=REGISTRAR, on=date(2025, 4, 1))
    Redemption.objects.filter(member=other).update(status=Redemption.Status.PAID)
    post(7, on=date(2025, 3, 1))  # an entry already there keeps number 1
    assert not selectors.reconciliation().ok

    history.post_history(django_apps, None)
    assert selectors.reconciliation().ok
    numbers = list(JournalEntry.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 8))  # 4 payments/reversals, payable, paid, and the first
    reversal = JournalEntry.objects.get(kind="share_payment_reversal")
    assert reversal.reverses.idempotency_key == payment_key(first.pk)
    assert selectors.account_balance(accounts.BANK) == 7 + 5_000
    assert list(JournalEntry.objects.order_by("number").values_list("date", flat=True)) == [
        date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3), date(2025, 3, 4),
        date(2025, 3, 5), date(2025, 4, 1), date(2025, 4, 1)]
    # Again: nothing new, and the next posting takes the next number.
    history.post_history(django_apps, None)
    assert JournalEntry.objects.count() == 7
    assert post(1, on=date(2025, 5, 1)).number == 8


# --- reconciliation --------------------------------------------------------------------------

def test_a_difference_is_listed_recorded_and_told_to_staff(member, staff, time_machine):
    time_machine.move_to(date(2025, 4, 1))
    pay(member, 10_000, date(2025, 3, 20))
    check = services.reconciliation_check(actor=BOOKKEEPER)
    assert check.ok
    assert not Notice.objects.filter(kind="ledger.reconciliation_difference").exists()
    # A stray entry on the member's capital, not from the register.
    post(250, debit=accounts.BANK, credit=accounts.SHARE_CAPITAL, member_id=member.pk)
    result = selectors.reconciliation()
    assert not result.ok
    assert [(d.member_number, d.register_minor, d.ledger_minor) for d in result.differences] == [
        (member.member_number, 10_000, 10_250)]
    check = services.reconciliation_check(actor=BOOKKEEPER)
    assert check.differences == [{"member_number": member.member_number,
                                  "register_minor": 10_000, "ledger_minor": 10_250}]
    notice = Notice.objects.get(kind="ledger.reconciliation_difference")
    assert notice.recipient_id == staff.pk
    assert str(check.pk) in notice.url


def test_reconciliation_costs_a_fixed_number_of_queries(time_machine,
                                                        django_assert_num_queries):
    time_machine.move_to(date(2025, 4, 1))
    for _ in range(3):
        make_member(paid=True, on=date(2025, 4, 1))
    with django_assert_num_queries(3):
        assert selectors.reconciliation().ok
    post(1, debit=accounts.BANK, credit=accounts.SHARE_CAPITAL,
         member_id=Member.objects.first().pk)
    with django_assert_num_queries(4):
        assert len(selectors.reconciliation().differences) == 1


def test_the_command_and_the_nightly_job(member, time_machine, capsys):
    time_machine.move_to(date(2025, 4, 1))
    pay(member, 10_000, date(2025, 3, 20))
    call_command("reconcile_ledger")
    assert "agree" in capsys.readouterr().out
    assert reconcile_nightly.delay().get() is True
    post(1, debit=accounts.BANK, credit=accounts.SHARE_CAPITAL, member_id=member.pk)
    with pytest.raises(CommandError, match=f"member {member.member_number}: register 10000, "
                                           f"ledger 10001"):
        call_command("reconcile_ledger")
    assert reconcile_nightly.delay().get() is False
    assert ReconciliationCheck.objects.count() == 4
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["ledger-reconcile"]["task"] == (
        "ledger.tasks.reconcile_nightly")


def test_lines_tagged_with_members_are_the_only_capital_in_the_books(member, time_machine):
    time_machine.move_to(date(2025, 4, 1))
    pay(member, 10_000, date(2025, 3, 20))
    untagged = JournalLine.objects.filter(account__code=accounts.SHARE_CAPITAL,
                                          member__isnull=True)
    assert not untagged.exists()
