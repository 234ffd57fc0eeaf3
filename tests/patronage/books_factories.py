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
                  revenue: int = 1_000_000, expenses: int = 0) -> dict:
    """Members join in January 2025, pay shares (one on 1 March) and contribute; revenue is
    booked; on 15 January 2026 the period is closed. Returns the period and the members."""
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
    for member in members:
        if member.subscription.total_minor:
            membership_services.share_payment_record(
                member=member, amount_minor=member.subscription.total_minor,
                paid_on=date(2025, 3, 1), reference="shares", actor=REGISTRAR)
    for i, member in enumerate(members):
        services.contribution_record(actor=PATRONAGE_JOB, member=member, date=date(2025, 6, 1),
                                     quantity=Decimal(10 * (i + 1)), external_id=f"c-{i}")
    if revenue:
        post(revenue, debit=accounts.BANK, credit=accounts.REVENUE, on=date(2025, 11, 30))
    if expenses:
        post(expenses, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK,
             on=date(2025, 11, 30))
    time_machine.move_to(date(2026, 1, 15))
    from ledger import services as ledger_services

    period = ledger_services.period_close(actor=BOOKKEEPER, period=period)
    return {"period": period, "members": members}
