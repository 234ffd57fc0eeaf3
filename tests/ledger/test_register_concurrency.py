"""Concurrent payments and reversals (PostgreSQL, real transactions, threads) leave the register
reconciled with the books, every movement posted once, entry numbers gap-free."""

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.db.models import Sum

from coop.errors import Conflict
from ledger import selectors, services
from ledger.journal import payment_key
from ledger.models import JournalEntry, JournalLine
from membership import services as membership_services
from membership.models import SharePayment
from tests.concurrency import run_together
from tests.ledger.factories import BOOKKEEPER, make_period
from tests.membership.factories import REGISTRAR, StakeholderClassFactory, make_member

chart = importlib.import_module("ledger.migrations.0002_chart_of_accounts")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_payments_and_reversals_stay_reconciled(time_machine):
    time_machine.move_to(date(2025, 3, 1), tick=True)
    klass = StakeholderClassFactory(share_price_minor=1000, min_shares=1, max_shares=20)
    members = [make_member(stakeholder_class=klass, shares=20) for _ in range(4)]
    first = [membership_services.share_payment_record(member=m, amount_minor=3000,
                                                      paid_on=date(2025, 3, 1), actor=REGISTRAR)
             for m in members]
    calls = []
    for i, member in enumerate(members):
        # Two payments of each member race each other and the reversal of its first payment.
        for amount in (1000, 2500):
            calls.append(lambda m=member, a=amount: membership_services.share_payment_record(
                member=m, amount_minor=a, paid_on=date(2025, 3, 1), actor=REGISTRAR))
        calls.append(lambda p=first[i]: membership_services.share_payment_reverse(
            payment=p, reason="bounced", actor=REGISTRAR, on=date(2025, 3, 1)))
    # The same reversal twice: one wins, the other is refused; nothing posts twice.
    calls.append(lambda: membership_services.share_payment_reverse(
        payment=first[0], reason="again", actor=REGISTRAR, on=date(2025, 3, 1)))

    _, errors = run_together(calls)
    assert len([e for e in errors if e is not None]) == 1, errors

    assert selectors.reconciliation().ok
    movements = SharePayment.objects.count()
    assert movements == 4 + 4 * 3
    assert JournalEntry.objects.count() == movements
    assert set(JournalEntry.objects.values_list("idempotency_key", flat=True)) == {
        payment_key(pk) for pk in SharePayment.objects.values_list("pk", flat=True)}
    numbers = sorted(JournalEntry.objects.values_list("number", flat=True))
    assert numbers == list(range(1, movements + 1))
    sums = JournalLine.objects.aggregate(d=Sum("debit_minor"), c=Sum("credit_minor"))
    assert sums["d"] == sums["c"]
    assert selectors.account_balance("1000") == 4 * (1000 + 2500)


def test_postings_racing_the_close_are_in_its_surplus_or_refused(time_machine):
    """The close holds the entry counter while it totals: a revenue posting dated in the period
    either commits first (and is in the surplus) or waits and is refused (409)."""
    time_machine.move_to(date(2026, 1, 10), tick=True)
    # An earlier transactional test's flush emptied the chart; if every posting is refused,
    # none puts it back, so seed it as the migration does.
    chart.seed(django_apps, None)
    period = make_period(date(2025, 1, 1), date(2025, 12, 31))
    calls = [lambda i=i: services.revenue_record(actor=BOOKKEEPER, amount_minor=100 + i,
                                                 date=date(2025, 12, 31), description="Sale")
             for i in range(8)]
    calls.insert(4, lambda: services.period_close(actor=BOOKKEEPER, period=period))
    results, errors = run_together(calls)
    assert errors[4] is None
    posted = [r for r, e in zip(results, errors, strict=True) if e is None and r is not None
              and getattr(r, "kind", "") == "revenue"]
    refused = [e for e in errors if e is not None]
    assert all(isinstance(e, Conflict) and "closed fiscal period" in e.message for e in refused)
    assert len(posted) + len(refused) == 8
    period.refresh_from_db()
    assert period.surplus_minor == sum(e.lines.get(debit_minor__gt=0).debit_minor
                                       for e in posted)
    assert selectors.account_balance("4000", on=date(2025, 12, 31)) == 0


def test_the_register_import_and_live_payments_do_not_deadlock(time_machine):
    """The import holds the certificate and member counters while its payments post (journal
    counter); a live payment takes the certificate counter before the journal's (name order),
    so neither waits for the other in a circle."""
    from membership import importer

    time_machine.move_to(date(2025, 3, 1), tick=True)
    klass = StakeholderClassFactory(share_price_minor=1000, min_shares=1, max_shares=20)
    live = [make_member(stakeholder_class=klass, shares=10) for _ in range(3)]
    rows = ["member_number,name,class,shares_subscribed,joined_on,status,payments,certificates"]
    for i in range(12):
        number, first = 100 + i, 1000 + 2 * i
        rows.append(f"{number},Imported {i},{klass.slug},2,2020-01-01,active,"
                    f"2020-01-02:2000,{first}-{first + 1}")
    text = "\n".join(rows) + "\n"
    calls = [lambda: importer.register_import(text=text, actor=REGISTRAR)]
    calls += [lambda m=m: membership_services.share_payment_record(
        member=m, amount_minor=3000, paid_on=date(2025, 3, 1), actor=REGISTRAR) for m in live]
    _, errors = run_together(calls)
    assert errors == [None] * len(calls)
    assert selectors.reconciliation().ok
    assert JournalEntry.objects.filter(kind="share_payment").count() == 12 + 3
    numbers = sorted(JournalEntry.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
