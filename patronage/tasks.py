"""Patronage's background jobs: thin, they take ids and call the services."""

from celery import shared_task


@shared_task(acks_late=True)
def dividend_run_compute(run_id: int, attempt: int) -> None:
    """Compute a run (safe to run twice: only the attempt that owns the run writes)."""
    from .services import dividend_run_compute as compute

    compute(run_id=run_id, attempt=attempt)


@shared_task(acks_late=True)
def statements_ready_notify(run_id: int) -> None:
    """Tell each member with a line in a posted run that their statement is ready (after the
    posting, outside its transaction; idempotent by the notices' unique constraint)."""
    from .services import statements_ready_notify as notify

    notify(run_id=run_id)
