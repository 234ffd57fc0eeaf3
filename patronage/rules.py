"""Who may do what with contributions, policies, runs and payouts (one predicate each)."""

from coop.actors import is_system
from coop.api_auth import key_allows
from membership.models import Member
from membership.rules import is_self, is_staff

LEDGER_READ, LEDGER_WRITE = "ledger:read", "ledger:write"


def may_write(actor) -> bool:
    """Record contributions, draft policies, start runs: staff, a `ledger:write` key or a
    system job."""
    return is_system(actor) or is_staff(actor) or key_allows(actor, LEDGER_WRITE)


def may_approve_run(actor) -> bool:
    """Approve a run (post it) or pay a batch: staff, a `ledger:write` key, a system job (a
    passed proposal's close acts as one)."""
    return may_write(actor)


def may_read_all(actor) -> bool:
    """Every member's line and statement: staff or a `ledger:read` key."""
    return is_staff(actor) or key_allows(actor, LEDGER_READ) or key_allows(actor, LEDGER_WRITE)


def may_read_statement(actor, member: Member) -> bool:
    return may_read_all(actor) or is_self(actor, member)


def is_staff_or_system(actor) -> bool:
    return is_system(actor) or is_staff(actor)
