"""What the open books page shows, read from the ledger's day balances in a fixed number of
queries (pinned in tests/patronage/test_open_books.py).

The page lives in `patronage` because it puts the ledger's statements beside the allocation
history of the dividend runs, and only this layer may read both. Every figure is an aggregate
per account: member capital is one account whose lines are tagged with members, and no line
is read here, so no member's capital can show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from ledger import accounts
from ledger.models import Account, DayBalance, FiscalPeriod, JournalLine


@dataclass
class Row:
    code: str
    name: str
    amount_minor: int


@dataclass
class IncomeStatement:
    period: FiscalPeriod
    revenue: list[Row] = field(default_factory=list)
    expenses: list[Row] = field(default_factory=list)

    @property
    def revenue_minor(self) -> int:
        return sum(r.amount_minor for r in self.revenue)

    @property
    def expenses_minor(self) -> int:
        return sum(r.amount_minor for r in self.expenses)

    @property
    def surplus_minor(self) -> int:
        return self.revenue_minor - self.expenses_minor


@dataclass
class BalanceSheet:
    on: date
    assets: list[Row]
    liabilities: list[Row]
    equity: list[Row]
    # Revenue − expenses not yet closed into Unallocated surplus: part of equity until the close.
    unclosed_result_minor: int

    @property
    def assets_minor(self) -> int:
        return sum(r.amount_minor for r in self.assets)

    @property
    def liabilities_and_equity_minor(self) -> int:
        return (sum(r.amount_minor for r in self.liabilities)
                + sum(r.amount_minor for r in self.equity) + self.unclosed_result_minor)


@dataclass
class TrialRow:
    code: str
    name: str
    debit_minor: int
    credit_minor: int


@dataclass
class TrialBalance:
    on: date
    rows: list[TrialRow]

    @property
    def debits_minor(self) -> int:
        return sum(r.debit_minor for r in self.rows)

    @property
    def credits_minor(self) -> int:
        return sum(r.credit_minor for r in self.rows)


def _signed(account: Account, debit: int, credit: int) -> int:
    return debit - credit if account.type in accounts.DEBIT_NORMAL else credit - debit


def chart_of_accounts() -> list[Account]:
    return list(Account.objects.order_by("code"))


def income_statement(period: FiscalPeriod, chart: list[Account]) -> IncomeStatement:
    """Revenue and expenses of the period by account (the closing entry left out, so a closed
    period still shows them): one query."""
    sums = {row["account_id"]: (row["d"], row["c"]) for row in (
        DayBalance.objects
        .filter(day__gte=period.start, day__lte=period.end, closing=False,
                account__type__in=accounts.RESULT_TYPES)
        .values("account_id").annotate(d=Sum("debit_minor"), c=Sum("credit_minor"))
        .order_by())}
    statement = IncomeStatement(period=period)
    for account in chart:
        if account.type not in accounts.RESULT_TYPES:
            continue
        d, c = sums.get(account.pk, (0, 0))
        row = Row(account.code, account.name, _signed(account, d, c))
        (statement.revenue if account.type == accounts.INCOME else statement.expenses).append(row)
    return statement


def _balances_on(on: date) -> dict[int, tuple[int, int]]:
    return {row["account_id"]: (row["d"], row["c"]) for row in (
        DayBalance.objects.filter(day__lte=on)
        .values("account_id").annotate(d=Sum("debit_minor"), c=Sum("credit_minor"))
        .order_by())}


def books_on(on: date, chart: list[Account]) -> tuple[BalanceSheet, TrialBalance]:
    """The balance sheet and the trial balance at the end of day `on`: one query."""
    sums = _balances_on(on)
    assets, liabilities, equity, rows = [], [], [], []
    unclosed = 0
    for account in chart:
        d, c = sums.get(account.pk, (0, 0))
        net = d - c
        rows.append(TrialRow(account.code, account.name, max(net, 0), max(-net, 0)))
        amount = _signed(account, d, c)
        if account.type == accounts.ASSET:
            assets.append(Row(account.code, account.name, amount))
        elif account.type == accounts.LIABILITY:
            liabilities.append(Row(account.code, account.name, amount))
        elif account.type == accounts.EQUITY:
            equity.append(Row(account.code, account.name, amount))
        else:
            unclosed += c - d
    return (BalanceSheet(on, assets, liabilities, equity, unclosed), TrialBalance(on, rows))


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
    """(period, revenue, expenses) for every period: one query over the months."""
    if not periods:
        return []
    by_month = {m.month: m for m in months(periods[0].start, periods[-1].end)}
    out = []
    for period in periods:
        revenue = expenses = 0
        for month, m in by_month.items():
            if period.start.replace(day=1) <= month <= period.end:
                revenue += m.revenue_minor
                expenses += m.expenses_minor
        out.append((period, revenue, expenses))
    return out


@dataclass
class CapitalLine:
    date: date
    description: str
    account: str  # "Share capital" or "Retained patronage"
    amount_minor: int  # + in, − out
    balance_minor: int  # after this line
    entry_number: int


CAPITAL_ACCOUNTS = {accounts.SHARE_CAPITAL: "Share capital",
                    accounts.MEMBER_CAPITAL: "Retained patronage"}


def capital_account(member_id: int) -> list[CapitalLine]:
    """The member's capital account in the books, oldest first with a running balance: the
    lines tagged with them on share capital and member capital (one query, by the
    (member, account) index). Only this member's lines: the page asks for the viewer's own."""
    rows = (JournalLine.objects
            .filter(member_id=member_id, account__code__in=list(CAPITAL_ACCOUNTS))
            .order_by("entry__date", "entry__number", "pk")
            .values_list("entry__date", "entry__description", "account__code", "debit_minor",
                         "credit_minor", "entry__number"))
    out, balance = [], 0
    for day, description, code, debit, credit, number in rows:
        amount = credit - debit
        balance += amount
        out.append(CapitalLine(day, description, CAPITAL_ACCOUNTS[code], amount, balance,
                               number))
    return out
