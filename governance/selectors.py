"""Every non-trivial read of the governance pillar, for the API and the browser views.

None of these decides *who* may see what: callers check that first, then ask for the rows.
They never return a choice next to a voter, and never a choice at all while a vote is open:
turnout (participation, from `Elector.voted_at`) is live, choices come only from the stored
result of a closed vote.

Query counts are constant in the number of proposals and in the size of the electorate: the
live turnout is a correlated subquery evaluated only for open (or cancelled) votes, the options
one prefetch. The tests pin them.
"""

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from coop import notices
from coop.models import Notice
from membership.models import Member

from . import rules
from .models import (
    Ballot,
    Category,
    Elector,
    Proposal,
    ProposalOption,
    SecretBallot,
)

# Statuses whose electorate was frozen but whose count is not stored (yet): count live.
_LIVE_COUNT = (Proposal.Status.VOTING, Proposal.Status.CANCELLED)


def categories() -> QuerySet[Category]:
    return Category.objects.order_by("slug")


def _live_ballots_cast() -> Coalesce:
    voted = (
        Elector.objects.filter(proposal=OuterRef("pk"), voted_at__isnull=False)
        .order_by()
        .values("proposal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(voted, output_field=IntegerField()), Value(0))


def _proposals(*, viewer, member: Member | None = None):
    proposals = (
        Proposal.objects.select_related("category", "author")
        .prefetch_related(
            Prefetch("options", queryset=ProposalOption.objects.order_by("position", "pk"))
        )
        .annotate(
            # The stored count once closed; the live turnout while open; nothing before.
            ballots_cast_now=Case(
                When(status__in=_LIVE_COUNT, then=_live_ballots_cast()),
                When(status=Proposal.Status.CLOSED, then="ballots_cast"),
                default=None,
                output_field=IntegerField(),
            )
        )
    )
    if member is not None:
        electors = Elector.objects.filter(proposal=OuterRef("pk"), member_id=member.pk)
        proposals = proposals.annotate(
            is_elector=Exists(electors),
            has_voted=Exists(electors.filter(voted_at__isnull=False)),
        )
    # A draft is its author's work in progress: governance.rules says who else sees it.
    return rules.visible_proposals(viewer, proposals)


def proposals_for_list(
    *,
    viewer,
    member: Member | None = None,
    status: str | None = None,
) -> QuerySet[Proposal]:
    """The proposals `viewer` (an actor, see governance.rules) may see, newest first, with
    `ballots_cast_now` and (given a member) `is_elector` and `has_voted`."""
    proposals = _proposals(viewer=viewer, member=member)
    if status:
        proposals = proposals.filter(status=status)
    return proposals.order_by("-created_at", "-pk")


def proposal_detail(
    *, proposal_id: int, viewer, member: Member | None = None
) -> Proposal | None:
    """One proposal annotated like the list, or None when unknown or not visible."""
    return (
        _proposals(viewer=viewer, member=member)
        .filter(pk=proposal_id)
        .first()
    )


def result_for_api(proposal: Proposal) -> dict:
    """The stored result of a closed vote in the shape of API.md. Call it only once the vote is
    closed; `Proposal.result` is written by the close and never changes afterwards."""
    stored = proposal.result or {}
    by_class = {}
    stored_classes = stored.get("by_class") or {}
    # Asked on every read, so results stored under an older rule are hidden by today's.
    hidden_slugs = rules.hidden_classes(
        secret=proposal.secret,
        cast_by_class={slug: entry.get("cast", 0) for slug, entry in stored_classes.items()},
    )
    for slug, entry in stored_classes.items():
        cast = entry.get("cast", 0)
        hidden = slug in hidden_slugs
        by_class[slug] = {
            "electorate": entry.get("electorate", 0),
            "cast": cast,
            # None for a class of a secret vote hidden by rules.hidden_classes (too few voters,
            # or the next smallest one, so that the other cannot be worked out from the total).
            "totals": None if hidden else entry.get("totals"),
            "quorum_met": entry.get("quorum_met"),
            "share": None if hidden else entry.get("share"),
            "passed": entry.get("passed"),
        }
    data = {
        "outcome": stored.get("outcome", proposal.outcome),
        "electorate": stored.get("electorate", proposal.electorate_size),
        "ballots_cast": stored.get("ballots_cast", proposal.ballots_cast),
        "turnout": stored.get("turnout"),
        "quorum_met": stored.get("quorum_met"),
        "totals": stored.get("totals") or {},
        "by_class": by_class,
        "weighted_yes": stored.get("weighted_yes"),
        "tie_seed": stored.get("tie_seed") or proposal.tie_seed or None,
        "tie_seed_hash": stored.get("tie_seed_hash") or proposal.tie_seed_hash or None,
        "tie_break_used": bool(stored.get("tie_break_used")),
    }
    if proposal.uses_options:
        data["winners"] = list(stored.get("winners") or [])
        data["rounds"] = list(stored.get("rounds") or [])
    return data


def published_receipts(proposal: Proposal) -> QuerySet:
    """The receipts and their ballots after the close, so that every voter can check their own:
    receipt → choice, never a member, never a class (a class of one would name its voter; no
    class at all is stricter than rules.hidden_classes, which a receipt would otherwise ask).
    Ordered by receipt, an HMAC, so the order says nothing about who voted or when."""
    box = SecretBallot.objects if proposal.secret else Ballot.objects
    return (
        box.filter(proposal=proposal)
        .order_by("receipt")
        .values("receipt", "choice", "approvals", "ranking", "reason")
    )


# --- notifications ------------------------------------------------------------------------



def notifications_for(member: Member) -> QuerySet[Notice]:
    """A member's notices of every app, newest first (one query per page: title and link are
    stored with each)."""
    return notices.notices_of(member).only("kind", "title", "url", "created_at", "read_at")

