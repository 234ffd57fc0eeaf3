import contextlib

from celery import shared_task
from django.db import IntegrityError
from django.utils import timezone

from . import mail, notices
from .audit import audit_seal as _audit_seal
from .idempotency import idempotency_purge as _idempotency_purge
from .models import Heartbeat


@shared_task
def heartbeat() -> None:
    """Record that the background jobs ran this minute (uptime for the vitality dashboard)."""
    minute = timezone.now().replace(second=0, microsecond=0)
    with contextlib.suppress(IntegrityError):  # another worker recorded this minute first
        Heartbeat.objects.get_or_create(minute=minute)


@shared_task
def audit_seal() -> int:
    return _audit_seal()


@shared_task
def idempotency_purge() -> int:
    return _idempotency_purge()


@shared_task(bind=True, **mail.RETRY)
def notices_email(self, kind: str, target_type_id: int | None, target_id: int | None) -> int:
    """Email the notices of one kind about one target that have not gone out (every app's
    notices come here); a retry sends only the rest."""
    return notices.notices_email(task=self, kind=kind, target_type_id=target_type_id,
                                 target_id=target_id)
