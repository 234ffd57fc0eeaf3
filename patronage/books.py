"""What the open books' charts and "My money" need beyond `ledger.selectors`: revenue and
expenses month by month in one query (the charts), and a member's capital account with a
running balance and words for each kind of movement. Query counts are pinned in
tests/patronage/test_open_books.py and test_my_money.py.

Every figure of the open books is an aggregate per account: member capital is one account whose
lines are tagged with members, and the open books read no line, so no member's capital shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from ledger import accounts
from ledger import selectors as ledger_selectors
from ledger.models import DayBalance, FiscalPeriod


@dataclass
class Month:
    month: date
    revenue_minor: int
    expenses_minor: int


def months(start: date, end: date) -> list[Month]:
    """Revenue and expenses per calendar month between two dates (closing entries left out):
    one query. Months without postings are there with zeros."""
    sums: dict[tuple[date, str], tuple[int, int]] = {}
    for row in (DayBalance.objects
                .filter(day__gte=start, day__lte=end, closing=False,
                        account__type__in=accounts.RESULT_TYPES)
                .annotate(month=TruncMonth("day"))
                .values("month", "account__type")
                .annotate(d=Sum("debit_minor"), c=Sum("credit_minor"))
                .order_by()):
        month = row["month"]
        month = month.date() if hasattr(month, "date") else month
        sums[(month, row["account__type"])] = (row["d"], row["c"])
    out, cursor = [], start.replace(day=1)
    while cursor <= end:
        d_in, c_in = sums.get((cursor, accounts.INCOME), (0, 0))
        d_ex, c_ex = sums.get((cursor, accounts.EXPENSE), (0, 0))
        out.append(Month(cursor, c_in - d_in, d_ex - c_ex))
        cursor = cursor.replace(year=cursor.year + cursor.month // 12,
                                month=cursor.month % 12 + 1)
    return out


def period_results(periods: list[FiscalPeriod]) -> list[tuple[FiscalPeriod, int, int]]:
    """(period, revenue, expenses) for every period, from one query over the months (a
    period's months are those from its start's month to its end's)."""
    if not periods:
        return []
    by_month = months(periods[0].start, periods[-1].end)
    out = []
    for period in periods:
        inside = [m for m in by_month if period.start.replace(day=1) <= m.month <= period.end]
        out.append((period, sum(m.revenue_minor for m in inside),
                    sum(m.expenses_minor for m in inside)))
    return out


@dataclass
class CapitalLine:
    date: date
    what: str
    account: str
    amount_minor: int  # + in, − out
    balance_minor: int  # after this line
    entry_id: int


CAPITAL_ACCOUNTS = {accounts.SHARE_CAPITAL: "Share capital",
                    accounts.MEMBER_CAPITAL: "Retained patronage"}
KINDS = {"share_payment": "Shares paid", "share_payment_reversal": "Payment reversed",
         "redemption_payable": "Shares redeemed (payable to you)",
         "dividend_run": "Patronage retained from the year's surplus",
         "reversal": "Correction"}


def capital_account(member_id: int) -> tuple[int, list[CapitalLine]]:
    """The member's capital account (`ledger.selectors.capital_account`, one query), oldest
    first, with a running balance and words for each movement."""
    account = ledger_selectors.capital_account(member_id)
    out, balance = [], 0
    for line in account["lines"]:
        balance += line["amount_minor"]
        out.append(CapitalLine(line["date"], KINDS.get(line["kind"], line["kind"]),
                               CAPITAL_ACCOUNTS.get(line["account"], line["account"]),
                               line["amount_minor"], balance, line["entry_id"]))
    return account["balance_minor"], out
