"""Governance test data through the real services (so every rule and audit record applies)."""

from datetime import timedelta

from django.utils import timezone

from coop.actors import SystemActor
from governance import services
from governance.models import Category, Proposal

# The actor of test set-up that is not about who acts (the audit trail shows "tests"). Tests
# about a permission pass the person or key they are about instead.
TEST_JOB = SystemActor(name="tests")


def discussion_began(category: Category | str | None = None, *, now=None):
    """When a proposal's discussion must have begun for voting to open at `now` without a
    reason (RULES §2): the category's discussion period and a minute before. Tests date their
    proposals back this far instead of giving a reason to open early."""
    if not isinstance(category, Category):
        category = Category.objects.get(slug=category or "general")
    now = now or timezone.now()
    return now - timedelta(hours=category.min_discussion_hours, minutes=1)


def discussion_over(proposal: Proposal) -> Proposal:
    """Date back the discussion of a proposal made through a face (the API, a page) so that
    voting may open now without a reason."""
    Proposal.objects.filter(pk=proposal.pk).update(
        discussion_at=timezone.now() - timedelta(hours=proposal.min_discussion_hours, minutes=1))
    proposal.refresh_from_db()
    return proposal


def make_proposal(
    *,
    author=None,
    category: str = "general",
    method: str = "yes_no",
    options: list[str] | None = None,
    seats: int | None = None,
    closes_in: timedelta = timedelta(days=4),
    title: str = "Buy a cargo bike",
    body: str = "For deliveries in town.",
    discussed: bool = True,
    **rules,
) -> Proposal:
    """A proposal in discussion (or a draft with draft=True). Approval and ranked votes get
    three options and one seat unless told otherwise. Without an author it is a partner's.
    Its discussion period is over (it began that long ago) unless discussed=False."""
    if method in ("approval", "ranked") and options is None:
        options = ["Alice", "Bob", "Chandra"]
    category = Category.objects.get(slug=category)
    if discussed:
        rules.setdefault("now", discussion_began(category))
    return services.proposal_create(
        actor=TEST_JOB,
        title=title,
        body=body,
        author=author,
        category=category,
        method=method,
        options=options,
        seats=seats if seats is not None else (1 if options else None),
        closes_at=timezone.now() + closes_in,
        **rules,
    )


def open_proposal(proposal: Proposal | None = None, **kwargs) -> Proposal:
    """Open the vote (needs at least one active member: the electorate is frozen now)."""
    proposal = proposal or make_proposal(**kwargs)
    return services.proposal_open(actor=TEST_JOB, proposal=proposal)
