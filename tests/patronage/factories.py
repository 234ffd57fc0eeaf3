"""Plain functions that make patronage data through the services."""

from datetime import date

from coop.actors import SystemActor
from membership import services as register
from membership.models import Member
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

    ensure_accounts()
    period = make_period(start, end)
    if revenue:
        post(revenue, debit=accounts.BANK, credit=accounts.REVENUE, on=end)
    if expenses:
        post(expenses, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=end)
    return ledger.period_close(actor=BOOKKEEPER, period=period)


def ensure_accounts() -> None:
    """The chart of accounts the ledger's migration seeds; transactional tests flush it."""
    from ledger.accounts import CHART
    from ledger.models import Account

    for code, name, type_ in CHART:
        Account.objects.get_or_create(code=code, defaults={"name": name, "type": type_})


def imported(number, klass, joined_on, shares, *payments, exited_on=None, reverse=None):
    """A member of an imported register, with their history through the register's services."""
    member = register.member_import(
        member_number=number, stakeholder_class=klass, shares=shares,
        share_price_minor=klass.share_price_minor, joined_on=joined_on,
        name=f"Member {number}", actor=PATRONAGE_JOB)
    recorded = [register.share_payment_record(member=member, amount_minor=amount, paid_on=on,
                                              actor=PATRONAGE_JOB, imported=True)
                for amount, on in payments]
    if reverse is not None:
        index, on = reverse
        register.share_payment_reverse(payment=recorded[index], reason="returned by the bank",
                                       actor=PATRONAGE_JOB, on=on)
    if exited_on is not None:
        register.member_exit(member=Member.objects.get(pk=member.pk), actor=PATRONAGE_JOB,
                             reason="moved away", on=exited_on, imported=True)
    return Member.objects.get(pk=member.pk)
