import contextlib

from celery import shared_task
from django.db import IntegrityError
from django.utils import timezone

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
