"""Thin Celery tasks: they take ids, call services, and are safe to run twice. The notices'
emails go out through coop.tasks.notices_email (retried, never sent twice)."""

from celery import shared_task

from coop.actors import CLOSE_DUE_VOTES, SEND_DUE_REMINDERS, SystemActor

from . import services

# Named here, beside its job (coop.actors lists the older ones).
OPEN_DUE_VOTES = SystemActor(name="governance.open_due_votes")


@shared_task
def open_due_votes() -> list[int]:
    """Open the votes whose scheduled `opens_at` has come (RULES §2), each exactly once."""
    return services.open_due_votes(actor=OPEN_DUE_VOTES)


@shared_task
def close_due_votes() -> list[int]:
    return services.close_due_votes(actor=CLOSE_DUE_VOTES)


@shared_task
def send_due_reminders() -> int:
    return services.reminders_send_due(actor=SEND_DUE_REMINDERS)


@shared_task
def notify_electors(proposal_id: int, kind: str) -> None:
    services.proposal_notices_create(proposal_id=proposal_id, kind=kind)
