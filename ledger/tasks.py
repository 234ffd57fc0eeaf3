"""Thin Celery tasks of the ledger (safe to run twice: a check only records what it finds)."""

from celery import shared_task

from coop.actors import SystemActor

from . import services

RECONCILE_NIGHTLY = SystemActor(name="ledger.reconcile_nightly")


@shared_task
def reconcile_nightly() -> bool:
    return services.reconciliation_check(actor=RECONCILE_NIGHTLY).ok
