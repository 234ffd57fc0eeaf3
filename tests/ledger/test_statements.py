"""Statements (RULES.md §3) from the day balances: the income statement of a period, the
balance sheet at any date, the trial balance, vitality's month figures; fixed query counts."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import accounts, selectors, services
from tests.ledger.factories import BOOKKEEPER, make_period, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(time_machine):
    """2025: capital paid in, revenue, both kinds of expense, a commons allocation; closed."""
    time_machine.move_to(date(2026, 2, 1))
    period = make_period()
    post(50_000, credit=accounts.SHARE_CAPITAL, on=date(2025, 1, 10))
    post(120_000, credit=accounts.REVENUE, on=date(2025, 3, 1))
    post(30_000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2025, 4, 1))
    post(10_000, debit=accounts.GOVERNANCE_EXPENSES, credit=accounts.BANK, on=date(2025, 5, 1))
    post(5_000, debit=accounts.BANK, credit=accounts.DIVIDENDS_PAYABLE, on=date(2025, 6, 1))
    return services.period_close(actor=BOOKKEEPER, period=period)


def test_the_income_statement_of_a_closed_period(year):
    statement = selectors.income_statement(year)
    assert statement.revenue == [{"account": accounts.REVENUE, "name": "Revenue",
                                  "amount_minor": 120_000}]
    assert [(e["account"], e["amount_minor"]) for e in statement.expenses] == [
        (accounts.OPERATING_EXPENSES, 30_000), (accounts.GOVERNANCE_EXPENSES, 10_000)]
    assert statement.surplus_minor == year.surplus_minor == 80_000


def test_the_balance_sheet_balances_on_any_day(year):
    for on in (date(2025, 1, 9), date(2025, 3, 31), date(2025, 12, 30), date(2025, 12, 31),
               date(2026, 1, 31)):
        sheet = selectors.balance_sheet(on)
        assert sheet.assets_minor == sheet.liabilities_and_equity_minor, on
    mid = selectors.balance_sheet(date(2025, 4, 30))
    assert mid.assets_minor == 50_000 + 120_000 - 30_000
    assert mid.equity[-1] == {"account": None, "name": selectors.OPEN_RESULT,
                              "amount_minor": 90_000}
    closed = selectors.balance_sheet(date(2025, 12, 31))
    assert closed.equity[-1]["amount_minor"] == 0  # closed into Unallocated surplus
    surplus = next(e for e in closed.equity if e["account"] == accounts.UNALLOCATED_SURPLUS)
    assert surplus["amount_minor"] == 80_000


def test_the_trial_balance_columns_agree(year):
    trial = selectors.trial_balance(on=date(2025, 6, 30))
    assert trial.debits_minor == trial.credits_minor
    bank = next(a for a in trial.accounts if a["code"] == accounts.BANK)
    assert (bank["debit_minor"], bank["credit_minor"]) == (50_000 + 120_000 - 40_000 + 5_000, 0)


def test_month_figures_for_vitality(time_machine):
    time_machine.move_to(date(2026, 2, 1))
    period = make_period()
    post(120_000, credit=accounts.REVENUE, on=date(2025, 3, 1))
    post(20_000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2025, 3, 31))
    post(9_000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2025, 4, 1))
    post(7_000, debit=accounts.BANK, credit=accounts.RESERVE, on=date(2025, 3, 15))
    post(5_000, credit=accounts.REVENUE, on=date(2025, 12, 20))
    services.period_close(actor=BOOKKEEPER, period=period)
    march = selectors.month_figures(date(2025, 3, 1), date(2025, 3, 31))
    assert march == {"revenue_minor": 120_000, "expenses_minor": 20_000,
                     "surplus_minor": 100_000, "reserves_minor": 7_000}
    december = selectors.month_figures(date(2025, 12, 1), date(2025, 12, 31))
    # The closing entry of the 31st is not December's revenue.
    assert (december["revenue_minor"], december["surplus_minor"]) == (5_000, 5_000)


def test_statements_cost_a_fixed_number_of_queries(year, django_assert_num_queries):
    with django_assert_num_queries(2):
        selectors.trial_balance()
    with django_assert_num_queries(2):
        selectors.balance_sheet(date(2025, 6, 30))
    with django_assert_num_queries(2):
        selectors.income_statement(year)
    with django_assert_num_queries(2):
        selectors.account_balances()
    with django_assert_num_queries(4):
        selectors.month_figures(date(2025, 3, 1), date(2025, 3, 31))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([c for c, _, _ in accounts.CHART]),
                          st.sampled_from([c for c, _, _ in accounts.CHART]),
                          st.integers(1, 10**9), st.integers(0, 364)), min_size=1, max_size=12),
       st.integers(0, 364))
def test_any_books_balance_on_any_day(entries, day):
    from django.db import transaction

    with transaction.atomic():
        for i, (debit, credit, amount, offset) in enumerate(entries):
            post(amount, debit=debit, credit=credit, on=date(2025, 1, 1) + timedelta(offset),
                 key=f"p:{i}")
        on = date(2025, 1, 1) + timedelta(day)
        sheet = selectors.balance_sheet(on)
        trial = selectors.trial_balance(on=on)
        assert sheet.assets_minor == sheet.liabilities_and_equity_minor
        assert trial.debits_minor == trial.credits_minor
        transaction.set_rollback(True)
