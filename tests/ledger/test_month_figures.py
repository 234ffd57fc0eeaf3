"""ledger.selectors.month_figures: a month's revenue, expenses, surplus and the reserve, for the
vitality dashboard; a period's closing entries do not empty the month that ends it."""

from datetime import date

import pytest

from ledger import accounts, selectors, services
from tests.ledger.factories import BOOKKEEPER, make_period, post

pytestmark = pytest.mark.django_db


def test_month_figures(django_assert_num_queries):
    period = make_period(date(2025, 1, 1), date(2025, 12, 31))
    post(100_000, on=date(2025, 12, 3))
    post(20_000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2025, 12, 10))
    post(5_000, debit=accounts.GOVERNANCE_EXPENSES, credit=accounts.BANK, on=date(2025, 12, 11))
    post(1_000, on=date(2025, 11, 30))  # November
    post(7_000, debit=accounts.BANK, credit=accounts.RESERVE, on=date(2025, 6, 1))
    services.period_close(actor=BOOKKEEPER, period=period)
    with django_assert_num_queries(1):
        december = selectors.month_figures(date(2025, 12, 1), date(2025, 12, 31))
    assert december == {"revenue": 100_000, "expenses": 25_000, "governance_expenses": 5_000,
                        "surplus": 75_000, "reserves_balance": 7_000}
    assert selectors.month_figures(date(2026, 1, 1), date(2026, 1, 31)) == {
        "revenue": 0, "expenses": 0, "governance_expenses": 0, "surplus": 0,
        "reserves_balance": 7_000}
