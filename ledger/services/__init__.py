"""The ledger's writes (a package by sub-domain, docs/architecture.md): `entries` (post,
reverse), `periods` (create, close). Every name is re-exported here."""

from .entries import (
    CLOSING_KIND,
    ENTRY_COUNTER,
    REVERSAL_KIND,
    entry_post,
    entry_reverse,
    refuse_closed_period,
)
from .money import (
    EXPENSE_ACCOUNTS,
    GOVERNANCE,
    OPERATIONS,
    commons_spend,
    expense_record,
    loss_cover,
    revenue_record,
)
from .periods import period_close, period_create
from .reconciliation import reconciliation_check

__all__ = ["CLOSING_KIND", "ENTRY_COUNTER", "EXPENSE_ACCOUNTS", "GOVERNANCE", "OPERATIONS",
           "REVERSAL_KIND", "commons_spend", "entry_post", "entry_reverse", "expense_record",
           "loss_cover", "period_close", "period_create", "reconciliation_check",
           "refuse_closed_period", "revenue_record"]
