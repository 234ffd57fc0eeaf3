"""What callers hand to `ledger.services.entry_post`: plain values, no model; and the keys and
lines of the register's entries, which the hook, the close and the history migration share."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from . import accounts


@dataclass(frozen=True)
class Line:
    """One side of a journal entry: exactly one of `debit_minor`, `credit_minor` is positive.
    `member_id` tags a line of member capital with the member it belongs to."""

    account: str
    debit_minor: int = 0
    credit_minor: int = 0
    member_id: int | None = None


def payment_key(payment_id: int) -> str:
    return f"share-payment:{payment_id}"


def redemption_key(redemption_id: int, step: str) -> str:
    return f"redemption:{redemption_id}:{step}"


def redemption_payable_lines(member_id: int, amount_minor: int) -> list[Line]:
    return [Line(accounts.SHARE_CAPITAL, debit_minor=amount_minor, member_id=member_id),
            Line(accounts.REDEMPTIONS_PAYABLE, credit_minor=amount_minor, member_id=member_id)]


def redemption_paid_lines(member_id: int, amount_minor: int) -> list[Line]:
    return [Line(accounts.REDEMPTIONS_PAYABLE, debit_minor=amount_minor, member_id=member_id),
            Line(accounts.BANK, credit_minor=amount_minor)]


def entry_payload_hash(*, date_: date, description: str, kind: str, lines, reverses_id,
                       proposal_id) -> str:
    """SHA-256 of what an entry says, stored with its idempotency key: a resend with the same
    key must say the same, or it is a conflict."""
    payload = {
        "date": date_.isoformat(), "description": description, "kind": kind,
        "lines": [[ln.account, ln.debit_minor, ln.credit_minor, ln.member_id] for ln in lines],
        "reverses": reverses_id, "proposal": proposal_id,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
