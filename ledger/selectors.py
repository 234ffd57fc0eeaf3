"""Reads of the books. Balances come from `DayBalance` (kept as entries post), never from
summing every line; a member's capital sums that member's tagged lines (an index)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import BigIntegerField, Case, F, Prefetch, Sum, When

from membership.models import Member, Redemption, SharePayment

from . import accounts
from .models import Account, DayBalance, FiscalPeriod, JournalEntry, JournalLine


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


# --- reconciliation: the register against the books (RULES.md §3) --------------------------

@dataclass(frozen=True)
class Difference:
    member_number: int
    register_minor: int
    ledger_minor: int


@dataclass(frozen=True)
class Reconciliation:
    ok: bool
    differences: list[Difference]


def reconciliation() -> Reconciliation:
    """For every member: paid − reversed − redeemed (payable or paid) in the register against
    that member's share-capital balance in the books (the lines tagged with them). Four
    queries, whatever the number of members."""
    signed = Case(When(kind=SharePayment.Kind.REVERSAL, then=-F("amount_minor")),
                  default=F("amount_minor"), output_field=BigIntegerField())
    register = defaultdict(int)
    for member_id, total in (SharePayment.objects.values("member_id")
                             .annotate(t=Sum(signed)).values_list("member_id", "t")):
        register[member_id] += total
    for member_id, amount in Redemption.objects.filter(
            status__in=[Redemption.Status.PAYABLE, Redemption.Status.PAID],
            amount_minor__gt=0).values_list("member_id", "amount_minor"):
        register[member_id] -= amount
    books = dict(JournalLine.objects
                 .filter(account__code=accounts.SHARE_CAPITAL, member_id__isnull=False)
                 .values("member_id")
                 .annotate(b=Sum("credit_minor") - Sum("debit_minor"))
                 .values_list("member_id", "b"))
    differing = sorted(m for m in register.keys() | books.keys()
                       if register.get(m, 0) != books.get(m, 0))
    numbers = dict(Member.objects.filter(pk__in=differing)
                   .values_list("pk", "member_number")) if differing else {}
    differences = sorted((Difference(member_number=numbers[m], register_minor=register.get(m, 0),
                                     ledger_minor=books.get(m, 0)) for m in differing),
                         key=lambda d: d.member_number)
    return Reconciliation(ok=not differences, differences=differences)


# --- statements (RULES.md §3): sums of day balances, never of every line -------------------

@dataclass(frozen=True)
class AccountTotal:
    code: str
    name: str
    type: str
    debit_minor: int
    credit_minor: int

    @property
    def balance_minor(self) -> int:
        """On the account's normal side (debits − credits for assets and expenses)."""
        return _signed(self.type, self.debit_minor, self.credit_minor)


def account_totals(*, on: date | None = None, start: date | None = None,
                   include_closing: bool = True) -> list[AccountTotal]:
    """Every account with its debits and credits over the days `start`..`on` (both optional,
    inclusive), in code order. Two queries."""
    days = DayBalance.objects.all()
    if on is not None:
        days = days.filter(day__lte=on)
    if start is not None:
        days = days.filter(day__gte=start)
    if not include_closing:
        days = days.filter(closing=False)
    sums = {row["account_id"]: (row["d"], row["c"]) for row in
            days.values("account_id").annotate(d=Sum("debit_minor"), c=Sum("credit_minor"))
            .order_by()}
    return [AccountTotal(a.code, a.name, a.type, *sums.get(a.pk, (0, 0)))
            for a in Account.objects.order_by("code")]


def account_balances(*, on: date | None = None) -> list[AccountTotal]:
    """The open books' list of accounts with their balances (API `ledger/accounts/`). Member
    capital is one account; no member's own capital is listed."""
    return account_totals(on=on)


@dataclass(frozen=True)
class TrialBalance:
    on: date | None
    debits_minor: int
    credits_minor: int
    accounts: list[dict]


def trial_balance(*, on: date | None = None) -> TrialBalance:
    """Each account's balance on the side it falls (debit or credit) at the end of `on`; the
    two columns are equal when the books balance."""
    rows = []
    for t in account_totals(on=on):
        net = t.debit_minor - t.credit_minor
        rows.append({"code": t.code, "name": t.name, "type": t.type,
                     "debit_minor": max(net, 0), "credit_minor": max(-net, 0)})
    return TrialBalance(on=on, debits_minor=sum(r["debit_minor"] for r in rows),
                        credits_minor=sum(r["credit_minor"] for r in rows), accounts=rows)


@dataclass(frozen=True)
class IncomeStatement:
    period: FiscalPeriod
    revenue: list[dict]
    expenses: list[dict]
    revenue_minor: int
    expenses_minor: int
    surplus_minor: int


def income_statement(period: FiscalPeriod) -> IncomeStatement:
    """Revenue and expenses of a period by account (its closing entry left out, so a closed
    period shows what it earned and spent), and its surplus (negative: a loss)."""
    totals = account_totals(start=period.start, on=period.end, include_closing=False)
    revenue = [{"account": t.code, "name": t.name, "amount_minor": t.balance_minor}
               for t in totals if t.type == accounts.INCOME]
    expenses = [{"account": t.code, "name": t.name, "amount_minor": t.balance_minor}
                for t in totals if t.type == accounts.EXPENSE]
    revenue_minor = sum(r["amount_minor"] for r in revenue)
    expenses_minor = sum(e["amount_minor"] for e in expenses)
    return IncomeStatement(period, revenue, expenses, revenue_minor, expenses_minor,
                           revenue_minor - expenses_minor)


@dataclass(frozen=True)
class BalanceSheet:
    on: date
    assets: list[dict]
    liabilities: list[dict]
    equity: list[dict]
    assets_minor: int
    liabilities_and_equity_minor: int


OPEN_RESULT = "Surplus not yet closed"


def balance_sheet(on: date) -> BalanceSheet:
    """Assets = liabilities + equity at the end of any day. Revenue and expenses not yet
    closed to Unallocated surplus (an open period, or one closed after `on`) are shown in
    equity as one line, so the sheet balances on every day, not only at a period's end."""
    totals = account_totals(on=on)

    def rows(type_):
        return [{"account": t.code, "name": t.name, "amount_minor": t.balance_minor}
                for t in totals if t.type == type_]

    assets, liabilities, equity = (rows(accounts.ASSET), rows(accounts.LIABILITY),
                                   rows(accounts.EQUITY))
    open_result = sum(t.credit_minor - t.debit_minor for t in totals
                      if t.type in accounts.RESULT_TYPES)
    equity.append({"account": None, "name": OPEN_RESULT, "amount_minor": open_result})
    return BalanceSheet(
        on=on, assets=assets, liabilities=liabilities, equity=equity,
        assets_minor=sum(r["amount_minor"] for r in assets),
        liabilities_and_equity_minor=sum(r["amount_minor"] for r in liabilities + equity))


def month_figures(start: date, end: date) -> dict:
    """Vitality's monthly figures (RULES.md §5): revenue, expenses and surplus of the days
    `start`..`end` (closing entries left out), and the indivisible reserve at `end`."""
    totals = {t.code: t for t in account_totals(start=start, on=end, include_closing=False)}
    revenue = sum(t.balance_minor for t in totals.values() if t.type == accounts.INCOME)
    expenses = sum(t.balance_minor for t in totals.values() if t.type == accounts.EXPENSE)
    return {"revenue_minor": revenue, "expenses_minor": expenses,
            "surplus_minor": revenue - expenses,
            "reserves_minor": account_balance(accounts.RESERVE, on=end)}


# --- a member's capital account -------------------------------------------------------------

def capital_account(member_id: int) -> dict:
    """The member's capital in the books, line by line (share capital paid, retained
    patronage, redemptions): `{balance_minor, lines: [{date, kind, account, amount_minor,
    entry_id}]}`, amounts positive when they add to the capital. One query."""
    lines = (JournalLine.objects
             .filter(member_id=member_id,
                     account__code__in=[accounts.SHARE_CAPITAL, accounts.MEMBER_CAPITAL])
             .order_by("entry__date", "entry__number", "pk")
             .values("entry__date", "entry__kind", "entry_id", "account__code",
                     "debit_minor", "credit_minor"))
    rows = [{"date": ln["entry__date"], "kind": ln["entry__kind"], "account": ln["account__code"],
             "amount_minor": ln["credit_minor"] - ln["debit_minor"], "entry_id": ln["entry_id"]}
            for ln in lines]
    return {"balance_minor": sum(r["amount_minor"] for r in rows), "lines": rows}


def journal_entries():
    """Entries with their lines, newest first, for the API's list (two queries a page)."""
    return (JournalEntry.objects.order_by("-number")
            .prefetch_related(Prefetch("lines", queryset=JournalLine.objects
                                       .select_related("account", "member").order_by("pk"))))


def periods():
    return FiscalPeriod.objects.order_by("start")
