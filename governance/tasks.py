"""Thin Celery tasks: they take ids, call services, and are safe to run twice. The ones that
send email retry a transient failure (coop.mail.RETRY) and never send one email twice."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from coop import mail
from coop.actors import CLOSE_DUE_VOTES, SEND_DUE_REMINDERS

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
    return services.close_due_votes(actor=CLOSE_DUE_VOTES)


@shared_task
def send_due_reminders() -> int:
    return services.reminders_send_due(actor=SEND_DUE_REMINDERS)


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


def _notify(task, proposal: Proposal, kind: str, electors) -> int:
    """Notification rows (unique per member, proposal and kind, so a retry adds none), and an
    email for each row whose email has not gone out yet (emailed_at)."""
    subject = f"[{settings.COOP_NAME}] " + SUBJECTS[kind].format(title=proposal.title)
    body = _body(proposal, kind)
    sent = 0
    member_ids = list(electors.values_list("member_id", flat=True))
    starts = range(0, len(member_ids), BATCH)
    for number, start in enumerate(starts, 1):
        chunk = member_ids[start : start + BATCH]
        Notification.objects.bulk_create(
            [Notification(member_id=m, proposal=proposal, kind=kind) for m in chunk],
            ignore_conflicts=True,
        )
        pending = Notification.objects.filter(
            proposal=proposal, kind=kind, member_id__in=chunk, emailed_at=None
        )
        what = f"proposal {proposal.pk} {kind}, batch {number} of {len(starts)}"
        sent += _email(task, what, pending, subject, body)
    return sent


def _email(task, what: str, pending, subject: str, body: str) -> int:
    """Email each of the `pending` notifications and mark them emailed: one UPDATE, made also
    when a later email fails, so a retry sends only the rest. Two queries however many."""
    items = [
        (pk, EmailMessage(subject, body, None, [email]))
        for pk, email in pending.exclude(member__email="")
        .order_by("pk")
        .values_list("pk", "member__email")
    ]
    sent = []
    try:
        for pk in mail.deliver(task, what, items):
            sent.append(pk)
    finally:
        if sent:
            Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    return len(sent)


@shared_task(bind=True, **mail.RETRY)
def notify_proposal(self, proposal_id: int, kind: str) -> int:
    proposal = Proposal.objects.get(pk=proposal_id)
    electors = Elector.objects.filter(proposal=proposal)
    if kind == Notification.Kind.REMINDER:
        electors = electors.filter(reminded_at=proposal.reminders_sent_at)
    return _notify(self, proposal, kind, electors)


@shared_task(bind=True, **mail.RETRY)
def notify_comment(self, comment_id: int) -> int:
    """Tell the author of the proposal and of the comment replied to (not the commenter)."""
    comment = Comment.objects.select_related("proposal", "parent").get(pk=comment_id)
    targets = {
        m
        for m in (comment.proposal.author_id, comment.parent.author_id if comment.parent else None)
        if m
    }
    targets.discard(comment.author_id)
    kind = Notification.Kind.COMMENT
    if not self.request.retries:
        # Comment notifications are not unique (one per comment), so only the first attempt
        # makes them; a retry finds them by their empty emailed_at.
        Notification.objects.bulk_create(
            [Notification(member_id=m, proposal=comment.proposal, kind=kind) for m in targets]
        )
    pending = Notification.objects.filter(
        proposal=comment.proposal,
        kind=kind,
        member_id__in=targets,
        emailed_at=None,
        created_at__gte=comment.created_at,
    )
    subject = f"[{settings.COOP_NAME}] " + SUBJECTS[kind].format(title=comment.proposal.title)
    body = _body(comment.proposal, kind)
    return _email(self, f"comment {comment.pk} on proposal {comment.proposal_id}", pending,
                  subject, body)
