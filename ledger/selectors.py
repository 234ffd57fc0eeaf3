"""Reads of the books. Balances come from `DayBalance` (kept as entries post), never from
summing every line; a member's capital sums that member's tagged lines (an index)."""

from datetime import date

from django.db.models import Sum

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


__all__ = ["account_balance", "is_closed_on", "member_capital_balance", "open_periods_before",
           "period_containing"]
