"""A small cooperative's year, made through the services, for the money pages' tests (the open
books, the runs pages, "My money"): two classes, members who paid shares and contributed in
2025, a policy in force, and the 2025 period closed with its surplus."""

from datetime import date
from decimal import Decimal

from ledger import accounts
from membership import services as membership_services
from patronage import services
from tests.governance.helpers import free_class
from tests.ledger.factories import BOOKKEEPER, make_period, post
from tests.membership.factories import (
    REGISTRAR,
    StakeholderClassFactory,
    UserFactory,
    make_member,
)
from tests.patronage.factories import PATRONAGE_JOB, ensure_accounts, make_policy

YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)


def paying_class(slug: str):
    """A class whose members pay 10.00 per share (so they earn interest on capital)."""
    return StakeholderClassFactory(slug=slug, name=slug.title(), share_price_minor=1000,
                                   min_shares=1, max_shares=100, vote_weight=1)


def year_of_books(time_machine, *, names=("Ana Pérez", "Łukasz Żółć", "Chidi Okafor"),
                  revenue: int = 1_000_000, expenses: int = 0, instalments=()) -> dict:
    """Members join in January 2025, pay shares (from 1 March) and contribute; revenue is
    booked; on 15 January 2026 the period is closed. Returns the period and the members.
    `instalments[i]`: member i pays in that many payments, a day apart, and contributes as
    many times (default 1: more history for the same figures' pages)."""
    ensure_accounts()  # a transactional test (the browser's) has flushed the chart
    time_machine.move_to(date(2025, 1, 2))
    workers, users = paying_class("workers"), free_class("users")
    period = make_period(YEAR_START, YEAR_END)
    make_policy()
    members = []
    for i, name in enumerate(names):
        klass = workers if i % 2 == 0 else users
        member = make_member(stakeholder_class=klass, shares=10 if klass is workers else None,
                             user=UserFactory(full_name=name))
        members.append(member)
    time_machine.move_to(date(2025, 3, 1))
    parts = [instalments[i] if i < len(instalments) else 1 for i in range(len(members))]
    for member, n in zip(members, parts, strict=True):
        total = member.subscription.total_minor
        for k in range(n if total else 0):
            share = total // n + (total % n if k == n - 1 else 0)
            time_machine.move_to(date(2025, 3, 1 + k))
            membership_services.share_payment_record(
                member=member, amount_minor=share, paid_on=date(2025, 3, 1 + k),
                reference="shares", actor=REGISTRAR)
    for i, (member, n) in enumerate(zip(members, parts, strict=True)):
        for k in range(n):
            services.contribution_record(
                actor=PATRONAGE_JOB, member=member, date=date(2025, 6, 1 + k),
                quantity=Decimal(10 * (i + 1)) / n, external_id=f"c-{i}" + (f"-{k}" if k else ""))
    if revenue:
        post(revenue, debit=accounts.BANK, credit=accounts.REVENUE, on=date(2025, 11, 30))
    if expenses:
        post(expenses, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK,
             on=date(2025, 11, 30))
    time_machine.move_to(date(2026, 1, 15))
    from ledger import services as ledger_services

    period = ledger_services.period_close(actor=BOOKKEEPER, period=period)
    return {"period": period, "members": members}
