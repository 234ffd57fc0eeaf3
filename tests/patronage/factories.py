"""Plain functions that make patronage data through the services."""

from datetime import date

from coop.actors import SystemActor
from patronage import services
from tests.governance.helpers import free_class

PATRONAGE_JOB = SystemActor(name="tests.patronage")


def classes(*slugs: str):
    """Free classes (members active at approval), by slug."""
    return {slug: free_class(slug) for slug in slugs}


def policy_fields(**changes) -> dict:
    fields = dict(effective_from=date(2025, 1, 1), capital_interest_bp=300,
                  interest_cap_bp=5000, reserves_bp=3000, commons_bp=1000, patronage_bp=6000,
                  cash_bp=3000, class_shares_bp={"workers": 6000, "users": 4000})
    fields.update(changes)
    return fields


def make_policy(actor=PATRONAGE_JOB, **changes):
    return services.policy_create(actor=actor, **policy_fields(**changes))


def closed_period(start: date = date(2025, 1, 1), end: date = date(2025, 12, 31), *,
                  revenue: int = 0, expenses: int = 0):
    """A fiscal period with its revenue and expenses posted, closed through the ledger."""
    from ledger import accounts
    from ledger import services as ledger
    from tests.ledger.factories import BOOKKEEPER, make_period, post

    period = make_period(start, end)
    if revenue:
        post(revenue, debit=accounts.BANK, credit=accounts.REVENUE, on=end)
    if expenses:
        post(expenses, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=end)
    return ledger.period_close(actor=BOOKKEEPER, period=period)
