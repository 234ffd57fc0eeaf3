"""What callers hand to `ledger.services.entry_post`: plain values, no model."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One side of a journal entry: exactly one of `debit_minor`, `credit_minor` is positive.
    `member_id` tags a line of member capital with the member it belongs to."""

    account: str
    debit_minor: int = 0
    credit_minor: int = 0
    member_id: int | None = None
