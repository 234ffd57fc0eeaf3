"""Money in and out of the books: revenue, expenses (operations or governance), the commons
fund spent and a loss covered from the reserve by a passed proposal (RULES.md §3)."""

import uuid
from datetime import date

from django.db import transaction
from django.utils import timezone

from coop.counters import lock_counters
from coop.errors import Conflict, InvalidInput, NotAllowed
from coop.models import Cooperative
from coop.money import format_minor, positive_minor

from .. import accounts
from ..journal import Line
from ..models import JournalEntry
from ..rules import may_keep_books
from ..selectors import account_balance
from .entries import ENTRY_COUNTER, entry_post

OPERATIONS, GOVERNANCE = "operations", "governance"
EXPENSE_ACCOUNTS = {OPERATIONS: accounts.OPERATING_EXPENSES,
                    GOVERNANCE: accounts.GOVERNANCE_EXPENSES}


def _require_books(actor) -> None:
    if not may_keep_books(actor):
        raise NotAllowed("Only staff, a ledger:write key or a system job keep the books.")


def _day(on) -> date:
    if not isinstance(on, date) or hasattr(on, "hour"):
        raise InvalidInput("Give the date as YYYY-MM-DD.", errors={"date": ["Give a date."]})
    today = timezone.localdate()
    if on > today:
        raise InvalidInput(f"Money cannot be booked in the future (after {today.isoformat()}).",
                           errors={"date": [f"Must not be after {today.isoformat()}."]})
    return on


def _key(idempotency_key: str | None, prefix: str) -> str:
    return idempotency_key or f"{prefix}:{uuid.uuid4()}"


def _shown(minor: int) -> str:
    return format_minor(minor, Cooperative.current_currency())


@transaction.atomic
def revenue_record(*, actor, amount_minor: int, date: date, description: str,
                   idempotency_key: str | None = None) -> JournalEntry:
    """Dr Bank / Cr Revenue."""
    _require_books(actor)
    amount = positive_minor(amount_minor)
    return entry_post(actor=actor, date=_day(date), description=description, kind="revenue",
                      lines=[Line(accounts.BANK, debit_minor=amount),
                             Line(accounts.REVENUE, credit_minor=amount)],
                      idempotency_key=_key(idempotency_key, "revenue"))


@transaction.atomic
def expense_record(*, actor, amount_minor: int, date: date, description: str, category: str,
                   idempotency_key: str | None = None) -> JournalEntry:
    """Dr Operating or Governance expenses / Cr Bank."""
    _require_books(actor)
    if category not in EXPENSE_ACCOUNTS:
        raise InvalidInput(f"{category!r} is not an expense category.",
                           errors={"category": [f"Must be one of: {OPERATIONS}, {GOVERNANCE}."]})
    amount = positive_minor(amount_minor)
    return entry_post(actor=actor, date=_day(date), description=description,
                      kind=f"expense_{category}",
                      lines=[Line(EXPENSE_ACCOUNTS[category], debit_minor=amount),
                             Line(accounts.BANK, credit_minor=amount)],
                      idempotency_key=_key(idempotency_key, "expense"))


def _passed(proposal) -> None:
    if proposal is None or proposal.status != "closed" or proposal.outcome != "passed":
        raise Conflict("Only a proposal that passed decides this: name the passed proposal.",
                       errors={"proposal": ["Must be a proposal that passed."]})


@transaction.atomic
def commons_spend(*, actor, amount_minor: int, date: date, description: str, proposal,
                  idempotency_key: str | None = None) -> JournalEntry:
    """Dr Commons fund / Cr Bank, naming the passed proposal that decided it; never more than
    the fund holds."""
    _require_books(actor)
    amount = positive_minor(amount_minor)
    _passed(proposal)
    lock_counters([ENTRY_COUNTER])  # the balance read below cannot move until this commits
    held = account_balance(accounts.COMMONS)
    if amount > held:
        raise Conflict(f"The commons fund holds {_shown(held)}; {_shown(amount)} cannot be spent.",
                       errors={"amount_minor": [f"At most {held}."]})
    return entry_post(actor=actor, date=_day(date), description=description,
                      kind="commons_spend", proposal=proposal,
                      lines=[Line(accounts.COMMONS, debit_minor=amount),
                             Line(accounts.BANK, credit_minor=amount)],
                      idempotency_key=_key(idempotency_key, "commons"))


@transaction.atomic
def loss_cover(*, actor, amount_minor: int, date: date, proposal, description: str = "",
               idempotency_key: str | None = None) -> JournalEntry:
    """Dr Indivisible reserve / Cr Unallocated surplus: a loss carried forward covered from the
    reserve, as a passed proposal decided; never more than the loss or the reserve."""
    _require_books(actor)
    amount = positive_minor(amount_minor)
    _passed(proposal)
    lock_counters([ENTRY_COUNTER])
    loss = -account_balance(accounts.UNALLOCATED_SURPLUS)
    reserve = account_balance(accounts.RESERVE)
    if amount > loss:
        raise Conflict(f"The loss carried forward is {_shown(max(loss, 0))}; "
                       f"{_shown(amount)} would cover more than it.",
                       errors={"amount_minor": [f"At most {max(loss, 0)}."]})
    if amount > reserve:
        raise Conflict(f"The reserve holds {_shown(reserve)}; it cannot cover {_shown(amount)}.",
                       errors={"amount_minor": [f"At most {reserve}."]})
    return entry_post(actor=actor, date=_day(date), kind="loss_cover", proposal=proposal,
                      description=description or f"Loss covered from the reserve "
                                                 f"(proposal {proposal.pk})",
                      lines=[Line(accounts.RESERVE, debit_minor=amount),
                             Line(accounts.UNALLOCATED_SURPLUS, credit_minor=amount)],
                      idempotency_key=_key(idempotency_key, "loss-cover"))
