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
from .periods import period_close, period_create

__all__ = ["CLOSING_KIND", "ENTRY_COUNTER", "REVERSAL_KIND", "entry_post", "entry_reverse",
           "period_close", "period_create", "refuse_closed_period"]
