"""Locks of the patronage app (docs/architecture.md, "Locks": after membership's member rows
and the ledger's own, before coop's counters). Advisory lock space 7290."""

from coop.locks import advisory_xact_lock

__all__ = ["PATRONAGE_LOCK_SPACE", "lock_period_runs", "lock_policies", "lock_policy", "lock_run",
           "lock_settings", "lock_batch"]

PATRONAGE_LOCK_SPACE = 7290
_POLICIES = 1


def lock_policies() -> None:
    """Every allocation policy version at once: creating (the first is put in force only while
    none exists) and enacting are serialised, so two versions never race for a number."""
    advisory_xact_lock(PATRONAGE_LOCK_SPACE, _POLICIES)


def lock_policy(policy_id: int):
    """One version, after every version's lock (enacting it)."""
    from .models import AllocationPolicy

    lock_policies()
    return AllocationPolicy.objects.select_for_update().get(pk=policy_id)


def lock_run(run_id: int):
    """A dividend run's row (compute, cancel, approve)."""
    from .models import DividendRun

    return DividendRun.objects.select_for_update().get(pk=run_id)


def lock_period_runs(period_id: int) -> None:
    """The runs of one period: starting a run and approving one are serialised per period,
    so two approvals racing post once (the unique constraint says the same)."""
    advisory_xact_lock(PATRONAGE_LOCK_SPACE + 1, period_id)


def lock_settings():
    """The distribution settings' one row (created if missing), locked for an edit."""
    from .models import PatronageSettings

    PatronageSettings.objects.get_or_create(pk=1)
    return PatronageSettings.objects.select_for_update().get(pk=1)


def lock_batch(batch_id: int):
    """A payout batch's row (marking it paid)."""
    from .models import PayoutBatch

    return PayoutBatch.objects.select_for_update().get(pk=batch_id)
