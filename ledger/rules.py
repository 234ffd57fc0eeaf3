"""The ledger's permission rules (one predicate each; faces and services call them)."""

from coop.actors import is_system
from coop.api_auth import key_allows
from membership.rules import is_current, is_staff

LEDGER_READ, LEDGER_WRITE = "ledger:read", "ledger:write"


def may_keep_books(actor) -> bool:
    """Record revenue and expenses, create and close periods, reverse an entry: staff, a
    `ledger:write` key, or a system job."""
    return is_system(actor) or is_staff(actor) or key_allows(actor, LEDGER_WRITE)


def may_read_books(actor, member=None) -> bool:
    """The open books (accounts, statements): staff, a `ledger:read` key, current members."""
    return is_staff(actor) or key_allows(actor, LEDGER_READ) or is_current(member)


def may_read_journal(actor) -> bool:
    """Entries line by line name members: staff and `ledger:read` keys only."""
    return is_staff(actor) or key_allows(actor, LEDGER_READ)
