"""The ledger's locks (docs/architecture.md, "Locks": ledger rows come after the members they
concern and before the counters). Posting itself serialises on the journal entry counter
(`coop.counters`), taken last."""

from coop.locks import advisory_xact_lock

from .models import FiscalPeriod

__all__ = ["PERIODS_LOCK_SPACE", "lock_period", "lock_periods"]

PERIODS_LOCK_SPACE = 7273  # the ledger's advisory key space; key 0 guards the list of periods


def lock_periods() -> None:
    """The list of fiscal periods (creating one checks the last one's end): one writer at a
    time. On SQLite the IMMEDIATE transaction already serialises writers."""
    advisory_xact_lock(PERIODS_LOCK_SPACE, 0)


def lock_period(period_id: int) -> FiscalPeriod:
    """A period row, locked until the transaction ends (its close)."""
    return FiscalPeriod.objects.select_for_update().get(pk=period_id)
