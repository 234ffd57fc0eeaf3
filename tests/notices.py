"""Helpers for tests that look at coop notices (coop.models.Notice) from an app's side."""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from coop.models import Notice


def about(target, kind: str | None = None):
    """The notices about `target` (a proposal, a comment, a payment...), of `kind` if given."""
    rows = Notice.objects.filter(target_type=ContentType.objects.get_for_model(target),
                                 target_id=target.pk)
    return rows.filter(kind=kind) if kind else rows


def of(recipient):
    return Notice.objects.filter(recipient_type=ContentType.objects.get_for_model(recipient),
                                 recipient_id=recipient.pk)


def emailed(target, kind: str) -> set[int]:
    """The recipient ids of the notices about `target` whose email went out."""
    return set(about(target, kind).filter(emailed_at__isnull=False)
               .values_list("recipient_id", flat=True))


def make(recipient, proposal, n: int, *, start=None, emailed_at=None) -> list[Notice]:
    """n comment notices for `recipient` on `proposal`, one minute apart, the last the newest.
    Each is about another (made-up) comment: one notice per recipient, kind and target."""
    start = start or timezone.now() - timedelta(days=1)
    recipient_type = ContentType.objects.get_for_model(recipient)
    comment_type = ContentType.objects.get_by_natural_key("governance", "comment")
    base = (Notice.objects.order_by("-target_id").values_list("target_id", flat=True).first()
            or 0) + 1_000_000
    return Notice.objects.bulk_create([
        Notice(recipient_type=recipient_type, recipient_id=recipient.pk,
               kind="governance.comment", target_type=comment_type, target_id=base + i,
               title=f"New comment on “{proposal.title}”",
               url=f"/governance/proposals/{proposal.pk}/#discussion",
               created_at=start + timedelta(minutes=i), emailed_at=emailed_at)
        for i in range(n)
    ])


def email_again(target, kind: str):
    """Run the one email task for the notices of `kind` about `target` once more (a retried or
    re-run task): it sends only those whose email has not gone out."""
    from coop.tasks import notices_email

    return notices_email.delay(kind, ContentType.objects.get_for_model(target).pk, target.pk)


def of_kind(kind: str):
    return Notice.objects.filter(kind=kind)
