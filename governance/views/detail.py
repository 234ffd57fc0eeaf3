"""What the proposal page shows: its context, the viewer's elector and ballot, the comments."""


from django.utils import timezone

from .. import enactments, rules, services
from ..forms import (
    BallotForm,
    CancelForm,
    CommentForm,
    ImplementationForm,
    OpenEarlyForm,
    StatementForm,
)
from ..models import Ballot, Comment, Elector, Proposal
from ._common import CHOICE_LABELS, Viewer, _percent


def _comment_tree(proposal: Proposal) -> list:
    """All comments in one query, threaded in Python: each gets `.children`."""
    comments = list(Comment.objects.filter(proposal=proposal).select_related("author"))
    by_id = {comment.pk: comment for comment in comments}
    roots = []
    for comment in comments:
        comment.children = []
    for comment in comments:
        parent = by_id.get(comment.parent_id)
        (parent.children if parent else roots).append(comment)
    return roots


def _my_elector(proposal: Proposal, viewer: Viewer) -> Elector | None:
    if viewer.member is None or proposal.status in (
        Proposal.Status.DRAFT,
        Proposal.Status.DISCUSSION,
        Proposal.Status.WITHDRAWN,
    ):
        return None
    return Elector.objects.filter(proposal=proposal, member=viewer.member).first()


def _my_open_ballot(proposal: Proposal, viewer: Viewer, elector: Elector | None):
    """The viewer's own current ballot of an open (not secret) vote, to prefill the form. A
    secret choice is never shown next to its voter, not even to the voter."""
    if proposal.secret or elector is None or elector.voted_at is None:
        return None
    return Ballot.objects.filter(proposal=proposal, member=viewer.member).first()


def _turnout(proposal: Proposal) -> dict:
    progress = services.quorum_progress(proposal)
    electorate = progress["electorate"]
    needed = -(-proposal.quorum_percent * electorate // 100)  # ceil, in integers
    classes = []
    for slug, entry in sorted(progress["by_class"].items()):
        class_needed = (
            None
            if proposal.class_quorum_percent is None
            else -(-proposal.class_quorum_percent * entry["electorate"] // 100)
        )
        classes.append({"slug": slug, "needed": class_needed, **entry})
    return {
        **progress,
        "needed": needed,
        "percent": _percent(progress["ballots_cast"], electorate),
        "classes": classes,
    }


# --- detail, discussion and ballot --------------------------------------------------------


def _detail_context(request, viewer: Viewer, proposal: Proposal, **extra) -> dict:
    options = list(proposal.options.all())
    elector = _my_elector(proposal, viewer)
    may_vote = proposal.is_open and elector is not None and rules.may_vote(viewer.member)
    ballot_form = extra.pop("ballot_form", None)
    if may_vote and ballot_form is None:
        ballot_form = BallotForm(
            proposal=proposal,
            options=options,
            initial=_ballot_initial(_my_open_ballot(proposal, viewer, elector)),
        )
    context = {
        "proposal": proposal,
        "options": options,
        "viewer": viewer,
        "is_author": viewer.is_author(proposal),
        "may_edit": viewer.may_edit(proposal) and rules.is_editable(proposal),
        "elector": elector,
        "may_vote": may_vote,
        "ballot_form": ballot_form,
        "receipt": services.receipt_for(proposal.pk, viewer.member.pk)
        if elector is not None and elector.voted_at
        else None,
        "turnout": _turnout(proposal) if proposal.is_open else None,
        "comments": _comment_tree(proposal),
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "may_comment": rules.may_comment(viewer.member)
        and rules.is_open_for_discussion(proposal),
        "cancel_form": CancelForm(),
        # Before the discussion period has run, voting opens only early, with a reason.
        "discussion_has_run": rules.discussion_has_run(proposal, timezone.now()),
        "may_open_early": rules.may_open_early(viewer.user),
        "open_early_form": OpenEarlyForm(),
        "statement_form": StatementForm(initial={"statement": proposal.outcome_statement}),
        "implementation_form": ImplementationForm(initial={"on": timezone.localdate()}),
        "implementation_updates": list(proposal.implementation_updates.all())
        if proposal.outcome == Proposal.Outcome.PASSED
        else [],
        "choice_labels": CHOICE_LABELS,
        "enactment": enactments.enactment_of(proposal),
    }
    context.update(extra)
    return context


def _ballot_initial(ballot: Ballot | None) -> dict:
    if ballot is None:
        return {}
    initial = {"choice": ballot.choice, "reason": ballot.reason, "approvals": ballot.approvals}
    for n, option in enumerate(ballot.ranking, start=1):
        initial[f"rank_{n}"] = option
    return initial
