"""Vitality's jobs (thin: each calls a service and is safe to run twice)."""

from celery import shared_task

from . import services
from .months import add_months, current_month, label


@shared_task
def snapshots_monthly() -> list[str]:
    """On the 1st (beat): finalise the month just ended and any finished month without a final
    snapshot, refresh the current provisional one, then send the opt-in digest of last month."""
    done = services.snapshots_catch_up()
    services.digest_send(month=add_months(current_month(), -1))
    return [label(month) for month in done]


@shared_task
def snapshot_provisional() -> list[str]:
    """Hourly (beat): the current month's provisional snapshot, recomputed, and any finished
    month still without a final one (so a month ends on time whatever the time zone of the
    cooperative against beat's clock, and a missed monthly run is caught up within the hour).
    Nothing is finalised twice."""
    return [label(month) for month in services.snapshots_catch_up()]
