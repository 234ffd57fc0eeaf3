"""Governance's notice kinds (registered in GovernanceConfig.ready): a vote opened, a reminder
before it closes, its result, a comment on one's proposal or a reply to one's comment, and (to
staff) a passed proposal's enactment that failed."""

from django.conf import settings
from django.urls import reverse

from coop.notices import NoticeKind, register

from .models import Comment, Proposal


def _link(proposal: Proposal) -> str:
    return f"{settings.SITE_URL}/governance/proposals/{proposal.pk}/"


def _about(proposal: Proposal) -> dict:
    return {
        "proposal": proposal,
        "link": _link(proposal),
        # As the emails have always said it: in the time zone the database hands back (UTC).
        "closes_at": f"{proposal.closes_at:%Y-%m-%d %H:%M %Z}" if proposal.closes_at else "",
    }


def _at(proposal: Proposal, anchor: str) -> str:
    return reverse("governance:detail", args=[proposal.pk]) + anchor


def _comment(comment_id: int) -> Comment:
    return Comment.objects.select_related("proposal").get(pk=comment_id)


KINDS = [
    NoticeKind(
        name="governance.vote_opened",
        label="A vote you can take part in opens",
        title=lambda p: f"Voting is open on “{p.title}”",
        url=lambda p: _at(p, "#vote"),
        context=_about,
        target_model=Proposal,
    ),
    NoticeKind(
        name="governance.reminder",
        label="A reminder before a vote you have not taken part in closes",
        title=lambda p: f"Reminder: the vote on “{p.title}” closes soon",
        url=lambda p: _at(p, "#vote"),
        context=_about,
        target_model=Proposal,
    ),
    NoticeKind(
        name="governance.result",
        label="The result of a vote you could take part in",
        title=lambda p: f"The vote on “{p.title}” has closed: see the result",
        url=lambda p: _at(p, "#vote"),
        context=_about,
        target_model=Proposal,
    ),
    NoticeKind(
        name="governance.comment",
        label="A comment on your proposal or a reply to your comment",
        title=lambda c: f"New comment on “{c.proposal.title}”",
        url=lambda c: _at(c.proposal, "#discussion"),
        context=lambda c: _about(c.proposal) | {"comment": c},
        target_model=Comment,
        load=_comment,
    ),
    # RULES §6: a passed proposal whose enactment could not be applied (the close stands).
    NoticeKind(
        name="governance.enactment_failed",
        label="A passed proposal's enactment failed",
        title=lambda p: f"The enactment of “{p.title}” failed and was not applied",
        url=lambda p: _at(p, ""),
        context=_about,
        target_model=Proposal,
        audience="staff",
    ),
]


def register_kinds() -> None:
    for kind in KINDS:
        register(kind)
