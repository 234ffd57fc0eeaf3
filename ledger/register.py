"""The share register in the books (RULES.md §3): the hook the ledger fills into
`membership.hooks.register_hooks`, so every movement posts exactly once, dated as the movement,
in the movement's transaction.

- payment: Dr Bank / Cr Member share capital (tagged with the member),
  key `share-payment:<payment id>`;
- reversal: Dr Member share capital (tagged) / Cr Bank, `reverses` the payment's entry,
  key `share-payment:<reversal id>`;
- exit: nothing yet, the redemption becomes payable at the close of its period
  (`period_close`: Dr Member share capital / Cr Redemptions payable, both tagged,
  key `redemption:<id>:payable`); an imported exit whose file says payable posts that at the
  exit date, and one already paid also Dr Redemptions payable / Cr Bank
  (key `redemption:<id>:paid`).

The keys derive from the register's ids, so a resend, a retry or the history migration
(`0005_post_register_history`) never posts a movement twice."""

from datetime import date

from membership import hooks
from membership.models import Redemption

from . import accounts
from .journal import (
    Line,
    payment_key,
    redemption_key,
    redemption_paid_lines,
    redemption_payable_lines,
)
from .models import FiscalPeriod, JournalEntry
from .services import entry_post

WHAT = {hooks.PAYMENT: "A payment", hooks.REVERSAL: "A reversal", hooks.EXIT: "An exit"}


class RegisterPostings:
    """The ledger's `membership.hooks.RegisterHook`."""

    def refusal(self, kind: str, on: date) -> str | None:
        period = FiscalPeriod.objects.filter(start__lte=on, end__gte=on,
                                             status=FiscalPeriod.Status.CLOSED).first()
        if period is None:
            return None
        return (f"{WHAT.get(kind, 'An entry')} dated {on.isoformat()} falls in the closed "
                f"fiscal period {period}; the books of that period are closed, so date it in an "
                f"open period.")

    def moved(self, movement: hooks.Movement, *, actor) -> None:
        member = movement.member
        number = member.member_number
        if movement.kind == hooks.PAYMENT:
            entry_post(actor=actor, date=movement.on, kind="share_payment",
                       description=f"Share payment by member {number}",
                       lines=[Line(accounts.BANK, debit_minor=movement.amount_minor),
                              Line(accounts.SHARE_CAPITAL, credit_minor=movement.amount_minor,
                                   member_id=member.pk)],
                       idempotency_key=payment_key(movement.payment.pk))
        elif movement.kind == hooks.REVERSAL:
            original = JournalEntry.objects.filter(
                idempotency_key=payment_key(movement.payment.reverses_id)).first()
            entry_post(actor=actor, date=movement.on, kind="share_payment_reversal",
                       description=f"Reversal of a share payment by member {number}",
                       lines=[Line(accounts.SHARE_CAPITAL, debit_minor=movement.amount_minor,
                                   member_id=member.pk),
                              Line(accounts.BANK, credit_minor=movement.amount_minor)],
                       idempotency_key=payment_key(movement.payment.pk), reverses=original)
        elif movement.kind == hooks.EXIT:
            redemption = movement.redemption
            # A live exit's redemption waits for the close of its period (period_close posts
            # it); an imported one may already be payable or paid, as its file says.
            if redemption.amount_minor == 0 or redemption.status == Redemption.Status.REQUESTED:
                return
            entry_post(actor=actor, date=movement.on, kind="redemption_payable",
                       description=f"Redemption of member {number}'s capital payable",
                       lines=redemption_payable_lines(member.pk, redemption.amount_minor),
                       idempotency_key=redemption_key(redemption.pk, "payable"))
            if redemption.status == Redemption.Status.PAID:
                entry_post(actor=actor, date=movement.on, kind="redemption_paid",
                           description=f"Redemption of member {number}'s capital paid "
                                       f"(register import)",
                           lines=redemption_paid_lines(member.pk, redemption.amount_minor),
                           idempotency_key=redemption_key(redemption.pk, "paid"))


POSTINGS = RegisterPostings()
