"""Vitality's locks (the order across apps: docs/architecture.md, "Locks"). Advisory lock key
spaces: 7373 a snapshot's month, 7374 one member's pulse answer. Both are taken alone."""

from datetime import date

from coop.locks import advisory_xact_lock

__all__ = ["lock_month", "lock_pulse"]

MONTH_LOCK_SPACE = 7373
PULSE_LOCK_SPACE = 7374


def lock_month(month: date) -> None:
    """One month's snapshot: computing, finalising and recomputing it are serialised, so the
    monthly job, a retry and a staff recompute never write it twice at once."""
    advisory_xact_lock(MONTH_LOCK_SPACE, month.year * 12 + month.month)


def lock_pulse(member_id: int) -> None:
    """One member's pulse answers (two answers sent at once leave exactly one row)."""
    advisory_xact_lock(PULSE_LOCK_SPACE, member_id)
