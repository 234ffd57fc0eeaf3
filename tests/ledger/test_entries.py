"""Posting and reversing entries: RULES.md §3's shape, gap-free numbers, idempotency, closed
periods, and the day balances kept as entries post."""

from datetime import date

import pytest
from django.db.models import Sum

from coop.errors import Conflict, InvalidInput, NotAllowed
from ledger import accounts, selectors, services
from ledger.journal import Line
from ledger.models import Account, DayBalance, JournalEntry, JournalLine
from tests.ledger.factories import BOOKKEEPER, make_period, next_key, post
from tests.membership.factories import UserFactory

pytestmark = pytest.mark.django_db

ON = date(2025, 3, 1)


def nothing_written():
    return (JournalEntry.objects.count(), JournalLine.objects.count(),
            DayBalance.objects.count()) == (0, 0, 0)


def test_the_chart_of_accounts_is_seeded_by_the_migration():
    seeded = list(Account.objects.order_by("code").values_list("code", "name", "type"))
    assert seeded == sorted(accounts.CHART)


def test_a_balanced_entry_posts_with_its_lines_and_balances():
    entry = post(12_500)
    assert entry.number == 1
    assert [(ln.account.code, ln.debit_minor, ln.credit_minor) for ln in entry.lines.all()] == [
        (accounts.BANK, 12_500, 0), (accounts.REVENUE, 0, 12_500)]
    assert selectors.account_balance(accounts.BANK) == 12_500
    assert selectors.account_balance(accounts.REVENUE) == 12_500
    assert selectors.account_balance(accounts.BANK, on=date(2025, 2, 28)) == 0


def test_entry_numbers_are_gap_free_even_after_refusals():
    post(100)
    with pytest.raises(InvalidInput):
        services.entry_post(actor=BOOKKEEPER, date=ON, description="bad", idempotency_key="k",
                            lines=[Line(accounts.BANK, debit_minor=1),
                                   Line(accounts.REVENUE, credit_minor=2)])
    post(200)
    post(300)
    assert list(JournalEntry.objects.values_list("number", flat=True)) == [1, 2, 3]


@pytest.mark.parametrize(("lines", "message"), [
    ([Line(accounts.BANK, debit_minor=100), Line(accounts.REVENUE, credit_minor=99)],
     "unbalanced"),
    ([Line(accounts.BANK, debit_minor=100)], "at least two lines"),
    ([Line(accounts.BANK, debit_minor=-100), Line(accounts.REVENUE, credit_minor=-100)],
     "negative"),
    ([Line(accounts.BANK, debit_minor=0), Line(accounts.REVENUE, credit_minor=0)],
     "positive amount"),
    ([Line(accounts.BANK, debit_minor=12.5), Line(accounts.REVENUE, credit_minor=12.5)],
     "whole number"),
    ([Line(accounts.BANK, debit_minor=True), Line(accounts.REVENUE, credit_minor=True)],
     "whole number"),
    ([Line(accounts.BANK, debit_minor=5, credit_minor=5),
      Line(accounts.REVENUE, credit_minor=5, debit_minor=5)], "positive amount"),
    ([Line("9999", debit_minor=5), Line(accounts.REVENUE, credit_minor=5)], "Unknown account"),
])
def test_a_bad_entry_is_refused_and_nothing_is_written(lines, message):
    with pytest.raises(InvalidInput, match=message):
        services.entry_post(actor=BOOKKEEPER, date=ON, description="bad", lines=lines,
                            idempotency_key="bad")
    assert nothing_written()


@pytest.mark.parametrize(("field", "kwargs"), [
    ("idempotency_key", {"idempotency_key": ""}),
    ("idempotency_key", {"idempotency_key": "k" * 201}),
    ("description", {"description": "  "}),
])
def test_key_and_description_are_required(field, kwargs):
    values = {"actor": BOOKKEEPER, "date": ON, "description": "ok", "idempotency_key": "ok",
              "lines": [Line(accounts.BANK, debit_minor=1), Line(accounts.REVENUE,
                                                                 credit_minor=1)]}
    with pytest.raises(InvalidInput) as error:
        services.entry_post(**{**values, **kwargs})
    assert field in error.value.errors
    assert nothing_written()


def test_the_same_key_and_payload_returns_the_entry_already_posted():
    first = post(500, key="sale:1")
    again = post(500, key="sale:1")
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert selectors.account_balance(accounts.BANK) == 500  # added once


def test_the_same_key_with_another_payload_is_a_conflict():
    first = post(500, key="sale:1")
    with pytest.raises(Conflict, match="different payload"):
        post(501, key="sale:1")
    assert list(JournalEntry.objects.all()) == [first]
    assert len(first.payload_hash) == 64


def test_a_reversal_posts_the_opposite_lines_once():
    entry = post(800, member_id=None)
    reversal = services.entry_reverse(actor=BOOKKEEPER, entry=entry, date=date(2025, 3, 2),
                                      reason="typed twice", idempotency_key="rev:1")
    assert reversal.reverses == entry
    assert reversal.kind == services.REVERSAL_KIND
    assert [(ln.account.code, ln.debit_minor, ln.credit_minor)
            for ln in reversal.lines.all()] == [(accounts.BANK, 0, 800),
                                                 (accounts.REVENUE, 800, 0)]
    assert selectors.account_balance(accounts.BANK) == 0
    assert selectors.account_balance(accounts.BANK, on=date(2025, 3, 1)) == 800
    # The same request again is the same reversal; another one is refused.
    assert services.entry_reverse(actor=BOOKKEEPER, entry=entry, date=date(2025, 3, 2),
                                  reason="typed twice", idempotency_key="rev:1") == reversal
    with pytest.raises(Conflict, match="already reversed"):
        services.entry_reverse(actor=BOOKKEEPER, entry=entry, date=date(2025, 3, 2),
                               reason="again", idempotency_key="rev:2")
    with pytest.raises(Conflict, match="itself a reversal"):
        services.entry_reverse(actor=BOOKKEEPER, entry=reversal, date=date(2025, 3, 2),
                               reason="undo", idempotency_key="rev:3")


def test_a_reversal_needs_a_reason_a_date_not_before_the_entry_and_a_bookkeeper():
    entry = post(800)
    with pytest.raises(InvalidInput, match="why"):
        services.entry_reverse(actor=BOOKKEEPER, entry=entry, date=ON, reason=" ",
                               idempotency_key="r")
    with pytest.raises(InvalidInput, match="before the entry"):
        services.entry_reverse(actor=BOOKKEEPER, entry=entry, date=date(2025, 2, 1),
                               reason="x", idempotency_key="r")
    with pytest.raises(NotAllowed):
        services.entry_reverse(actor=UserFactory(), entry=entry, date=ON, reason="x",
                               idempotency_key="r")
    assert JournalEntry.objects.count() == 1


def test_an_entry_dated_in_a_closed_period_is_refused_naming_the_period(time_machine):
    time_machine.move_to(date(2026, 2, 1))
    period = make_period()
    services.period_close(actor=BOOKKEEPER, period=period)
    before = JournalEntry.objects.count()
    with pytest.raises(Conflict, match="closed fiscal period 2025-01-01 – 2025-12-31"):
        post(100, on=date(2025, 6, 30))
    assert JournalEntry.objects.count() == before
    assert post(100, on=date(2026, 1, 1)).number == before + 1  # the next, open, year
    assert post(100, on=date(2024, 12, 31)).number  # before any period: history


def test_posting_many_lines_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    def entry(n, key):
        lines = [Line(accounts.MEMBER_CAPITAL, credit_minor=1) for _ in range(n)]
        return lines + [Line(accounts.UNALLOCATED_SURPLUS, debit_minor=n)]

    post(1)  # the counter row exists from here on
    with django_assert_max_num_queries(14) as small:
        services.entry_post(actor=BOOKKEEPER, date=ON, description="few",
                            lines=entry(3, "a"), idempotency_key="few")
    with django_assert_max_num_queries(len(small.captured_queries)):
        services.entry_post(actor=BOOKKEEPER, date=ON, description="many",
                            lines=entry(5000, "b"), idempotency_key="many")
    assert JournalLine.objects.filter(entry__idempotency_key="many").count() == 5001


def test_day_balances_sum_to_the_lines():
    for i in range(5):
        post(100 * (i + 1), on=date(2025, 3, 1 + i % 2), key=next_key())
    by_lines = JournalLine.objects.aggregate(d=Sum("debit_minor"), c=Sum("credit_minor"))
    by_days = DayBalance.objects.aggregate(d=Sum("debit_minor"), c=Sum("credit_minor"))
    assert by_lines == by_days == {"d": 1500, "c": 1500}
    assert DayBalance.objects.count() == 4  # two accounts on two days
