"""Locks of the governance app. The order across apps is in docs/architecture.md ("Locks"):
a proposal's advisory lock first, then its row, then elector rows.

Casting and closing are serialised per proposal: a ballot takes the proposal's lock *shared*,
every other change (close, open, edit, cancel...) takes it *exclusive*. On PostgreSQL these are
transaction-level advisory locks, not row locks: a row's FOR SHARE lets new sharers in past a
waiting FOR UPDATE, so a stream of ballots could postpone a close indefinitely, whereas the
lock manager queues new shared requests behind a waiting exclusive one. On SQLite every writing
transaction is IMMEDIATE, which serialises them all and gives the same guarantee.
"""

from coop.locks import advisory_xact_lock

from .models import Category, Elector, Proposal

__all__ = [
    "PROPOSAL_LOCK_SPACE", "lock_category", "lock_elector", "lock_proposal", "lock_proposal_shared",
]

PROPOSAL_LOCK_SPACE = 7272  # the first key of the advisory locks on proposals


def lock_proposal(proposal_id: int) -> Proposal:
    """The proposal, exclusively: its advisory lock, then its row (with its category)."""
    advisory_xact_lock(PROPOSAL_LOCK_SPACE, proposal_id)
    return Proposal.objects.select_for_update().select_related("category").get(pk=proposal_id)


def lock_proposal_shared(proposal_id: int) -> None:
    """The proposal's advisory lock, shared (a ballot). Take it in a statement of its own before
    reading the proposal: what is read after it is the state after any close."""
    advisory_xact_lock(PROPOSAL_LOCK_SPACE, proposal_id, shared=True)


def lock_elector(*, proposal_id: int, member_id: int) -> Elector:
    """A member's elector row on a proposal, locked, with the proposal read in the same query
    (without its body and result: this is the ballot's hot path). Raises Elector.DoesNotExist."""
    return (Elector.objects.select_for_update(of=("self",))
            .select_related("proposal")
            .defer("proposal__body", "proposal__result")
            .get(proposal_id=proposal_id, member_id=member_id))


def lock_category(category_id: int) -> Category:
    """One proposal category, locked (an edit of its rules: proposals copy them at creation)."""
    return Category.objects.select_for_update().get(pk=category_id)
