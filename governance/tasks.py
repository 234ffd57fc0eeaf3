"""Thin Celery tasks: they take ids, call services, and are safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail

from . import services
from .models import Comment, Elector, Notification, Proposal

BATCH = 1000

SUBJECTS = {
    Notification.Kind.VOTE_OPENED: "Voting is open: {title}",
    Notification.Kind.REMINDER: "Reminder: the vote on {title} closes soon",
    Notification.Kind.RESULT: "Result: {title}",
    Notification.Kind.COMMENT: "New comment on {title}",
}


@shared_task
def close_due_votes() -> list[int]:
    return services.close_due_votes()


@shared_task
def send_due_reminders() -> int:
    return services.reminders_send_due()


def _body(proposal: Proposal, kind: str) -> str:
    link = f"{settings.SITE_URL}/governance/proposals/{proposal.pk}/"
    if kind == Notification.Kind.VOTE_OPENED:
        return (
            f'Voting on "{proposal.title}" is open until '
            f"{proposal.closes_at:%Y-%m-%d %H:%M %Z}.\n\nVote here: {link}\n"
        )
    if kind == Notification.Kind.REMINDER:
        return (
            f'You have not voted on "{proposal.title}" yet and the quorum is not met. '
            f"The vote closes at {proposal.closes_at:%Y-%m-%d %H:%M %Z}.\n\n{link}\n"
        )
    if kind == Notification.Kind.RESULT:
        return (
            f'The vote on "{proposal.title}" closed: {proposal.get_outcome_display()}.\n\n{link}\n'
        )
    return f'There is a new comment on "{proposal.title}".\n\n{link}\n'


def _notify(proposal: Proposal, kind: str, electors) -> int:
    """Notification rows (unique per member, proposal and kind, so a retry adds none) and emails
    to those who did not have one yet."""
    subject = f"[{settings.COOP_NAME}] " + SUBJECTS[kind].format(title=proposal.title)
    body = _body(proposal, kind)
    sent = 0
    member_ids = list(electors.values_list("member_id", flat=True))
    for start in range(0, len(member_ids), BATCH):
        chunk = member_ids[start : start + BATCH]
        already = set(
            Notification.objects.filter(
                proposal=proposal, kind=kind, member_id__in=chunk
            ).values_list("member_id", flat=True)
        )
        fresh = [m for m in chunk if m not in already]
        Notification.objects.bulk_create(
            [Notification(member_id=m, proposal=proposal, kind=kind) for m in fresh],
            ignore_conflicts=True,
        )
        emails = (
            Elector.objects.filter(proposal=proposal, member_id__in=fresh)
            .exclude(member__email="")
            .values_list("member__email", flat=True)
        )
        sent += send_mass_mail([(subject, body, None, [e]) for e in emails])
    return sent


@shared_task
def notify_proposal(proposal_id: int, kind: str) -> int:
    proposal = Proposal.objects.get(pk=proposal_id)
    electors = Elector.objects.filter(proposal=proposal)
    if kind == Notification.Kind.REMINDER:
        electors = electors.filter(reminded_at=proposal.reminders_sent_at)
    return _notify(proposal, kind, electors)


@shared_task
def notify_comment(comment_id: int) -> int:
    """Tell the author of the proposal and of the comment replied to (not the commenter)."""
    comment = Comment.objects.select_related("proposal", "parent").get(pk=comment_id)
    targets = {
        m
        for m in (comment.proposal.author_id, comment.parent.author_id if comment.parent else None)
        if m
    }
    targets.discard(comment.author_id)
    Notification.objects.bulk_create(
        [
            Notification(member_id=m, proposal=comment.proposal, kind=Notification.Kind.COMMENT)
            for m in targets
        ]
    )
    from membership.models import Member

    emails = Member.objects.filter(pk__in=targets).exclude(email="").values_list("email", flat=True)
    subject = f"[{settings.COOP_NAME}] " + SUBJECTS[Notification.Kind.COMMENT].format(
        title=comment.proposal.title
    )
    body = _body(comment.proposal, Notification.Kind.COMMENT)
    return send_mass_mail([(subject, body, None, [e]) for e in emails])
