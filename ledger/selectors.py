"""Reads of the books. Balances come from `DayBalance` (kept as entries post), never from
summing every line; a member's capital sums that member's tagged lines (an index)."""

from datetime import date

from django.db.models import Q, Sum

from . import accounts
from .models import Account, DayBalance, FiscalPeriod, JournalLine


def period_containing(d: date) -> FiscalPeriod | None:
    return FiscalPeriod.objects.filter(start__lte=d, end__gte=d).first()


def is_closed_on(d: date) -> bool:
    """True when `d` falls in a closed period: nothing may be posted dated that day."""
    return FiscalPeriod.objects.filter(start__lte=d, end__gte=d,
                                       status=FiscalPeriod.Status.CLOSED).exists()


def _signed(account_type: str, debit: int, credit: int) -> int:
    return debit - credit if account_type in accounts.DEBIT_NORMAL else credit - debit


def account_balance(code: str, *, on: date | None = None) -> int:
    """The balance of an account at the end of day `on` (all entries when None), on its normal
    side: debits − credits for assets and expenses, credits − debits otherwise."""
    account = Account.objects.get(code=code)
    days = DayBalance.objects.filter(account=account)
    if on is not None:
        days = days.filter(day__lte=on)
    sums = days.aggregate(d=Sum("debit_minor", default=0), c=Sum("credit_minor", default=0))
    return _signed(account.type, sums["d"], sums["c"])


def member_capital_balance(member_id: int, *, on: date | None = None) -> int:
    """The member's capital in the books: share capital and retained patronage on the lines
    tagged with them (credits − debits)."""
    lines = JournalLine.objects.filter(
        member_id=member_id,
        account__code__in=[accounts.SHARE_CAPITAL, accounts.MEMBER_CAPITAL])
    if on is not None:
        lines = lines.filter(entry__date__lte=on)
    sums = lines.aggregate(d=Sum("debit_minor", default=0), c=Sum("credit_minor", default=0))
    return sums["c"] - sums["d"]


def open_periods_before(d: date):
    return FiscalPeriod.objects.filter(end__lt=d, status=FiscalPeriod.Status.OPEN)


def month_figures(start: date, end: date) -> dict[str, int]:
    """Revenue, expenses (operating and governance), surplus over the days `start` to `end`
    (both included; a period's closing entries left out, so a month that ends a period keeps
    its result) and the Indivisible reserve's balance at the end of `end`, in minor units.
    One query over the day balances, whatever the number of lines (vitality's figures)."""
    codes = [accounts.REVENUE, accounts.OPERATING_EXPENSES, accounts.GOVERNANCE_EXPENSES,
             accounts.RESERVE]
    in_range = Q(day__gte=start, day__lte=end, closing=False)

    def side(code: str, field: str, when: Q):
        return Sum(field, filter=Q(account__code=code) & when, default=0)

    sums = DayBalance.objects.filter(account__code__in=codes, day__lte=end).aggregate(
        revenue_c=side(accounts.REVENUE, "credit_minor", in_range),
        revenue_d=side(accounts.REVENUE, "debit_minor", in_range),
        operating_d=side(accounts.OPERATING_EXPENSES, "debit_minor", in_range),
        operating_c=side(accounts.OPERATING_EXPENSES, "credit_minor", in_range),
        governance_d=side(accounts.GOVERNANCE_EXPENSES, "debit_minor", in_range),
        governance_c=side(accounts.GOVERNANCE_EXPENSES, "credit_minor", in_range),
        reserve_c=side(accounts.RESERVE, "credit_minor", Q()),
        reserve_d=side(accounts.RESERVE, "debit_minor", Q()),
    )
    revenue = sums["revenue_c"] - sums["revenue_d"]
    governance = sums["governance_d"] - sums["governance_c"]
    expenses = sums["operating_d"] - sums["operating_c"] + governance
    return {"revenue": revenue, "expenses": expenses, "governance_expenses": governance,
            "surplus": revenue - expenses,
            "reserves_balance": sums["reserve_c"] - sums["reserve_d"]}


__all__ = ["account_balance", "is_closed_on", "member_capital_balance", "month_figures",
           "open_periods_before", "period_containing"]
