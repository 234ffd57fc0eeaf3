"""Thin Celery tasks: they take ids, call services, and are safe to run twice. The notices'
emails go out through coop.tasks.notices_email (retried, never sent twice)."""

from celery import shared_task

from coop.actors import CLOSE_DUE_VOTES, SEND_DUE_REMINDERS

from . import services


@shared_task
def close_due_votes() -> list[int]:
    return services.close_due_votes(actor=CLOSE_DUE_VOTES)


@shared_task
def send_due_reminders() -> int:
    return services.reminders_send_due(actor=SEND_DUE_REMINDERS)


@shared_task
def notify_electors(proposal_id: int, kind: str) -> None:
    services.proposal_notices_create(proposal_id=proposal_id, kind=kind)
