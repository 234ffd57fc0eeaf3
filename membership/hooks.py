"""The hooks membership offers the apps above it: the register's movements, and erasing a
person's data (at the end of this module).

Membership cannot import the ledger (layers: the ledger sits above), so the ledger fills
`register_hooks` from its `AppConfig.ready()`. The services call both phases inside their own
transaction, so whatever a hook writes commits or rolls back with the movement:

- `movement_refusal(kind, on)`, before anything is written: a hook may refuse a movement (the
  ledger refuses one dated in a closed fiscal period) with a sentence to show; the services
  raise it as a Conflict (409) and the register import shows it on the row;
- `movement_recorded(movement, actor=...)`, once the movement is written (the ledger posts it).

Movements: a payment, its reversal, an exit (with its redemption). The register import goes
through the same services (`imported=True`)."""

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from coop.errors import Conflict

PAYMENT, REVERSAL, EXIT = "payment", "reversal", "exit"


@dataclass(frozen=True)
class Movement:
    kind: str  # PAYMENT, REVERSAL or EXIT
    member: object  # membership.models.Member
    on: date
    amount_minor: int
    payment: object = None  # the SharePayment row (a payment or a reversal)
    redemption: object = None  # the Redemption an exit created
    imported: bool = False


class RegisterHook(Protocol):
    def refusal(self, kind: str, on: date) -> str | None: ...

    def moved(self, movement: Movement, *, actor) -> None: ...


register_hooks: list[RegisterHook] = []


def movement_refusal(kind: str, on: date) -> str | None:
    """Why a movement of `kind` dated `on` may not be recorded, or None."""
    for hook in register_hooks:
        reason = hook.refusal(kind, on)
        if reason:
            return reason
    return None


def movement_check(kind: str, on: date, *, field: str) -> None:
    reason = movement_refusal(kind, on)
    if reason:
        raise Conflict(reason, errors={field: [reason]})


def movement_recorded(movement: Movement, *, actor) -> None:
    for hook in register_hooks:
        hook.moved(movement, actor=actor)


# --- erasing a person's data ----------------------------------------------------------------
# The apps above membership keep personal data of their own (the patronage app a member's IBAN,
# vitality the pulse survey's comments). `membership.services.member_erase` calls each hook in
# its own transaction, so a refusal or a failure anywhere erases nothing:
#
# - `refusal(member)`, before anything is erased: why this member's data may not be erased yet
#   (money still owed to them, which needs their IBAN), or None;
# - `erase(member, actor=...)`: erase what the app keeps about the person; returns a count per
#   kind of thing erased, for the audit (counts only, never the data).


class ErasureHook(Protocol):
    def refusal(self, member) -> str | None: ...

    def erase(self, member, *, actor) -> dict[str, int]: ...


erasure_hooks: list[ErasureHook] = []


def erasure_refusal(member) -> str | None:
    for hook in erasure_hooks:
        reason = hook.refusal(member)
        if reason:
            return reason
    return None


def erased(member, *, actor) -> dict[str, int]:
    counts: dict[str, int] = {}
    for hook in erasure_hooks:
        counts.update(hook.erase(member, actor=actor))
    return counts
