"""Payables and payouts: a run's cash parts and interest, and payable redemptions, become
payables; staff gather the open ones into a batch, export it (CSV, SEPA credit transfer) and
mark it paid, which posts Dr Dividends payable / Dr Redemptions payable, Cr Bank and marks the
redemptions paid through membership's service. Members keep an IBAN for payouts."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from coop.audit import audit_record
from coop.errors import Conflict, InvalidInput, NotAllowed
from membership import rules as membership_rules
from membership.models import Member, Redemption

from .. import rules
from ..locks import lock_batch
from ..models import Payable, PayoutAccount, PayoutBatch
from ._common import require, user_of


def redemption_payables_create(*, actor=None) -> int:
    """A payable for each payable redemption that has none yet (called by the ledger's
    `after_period_close` hook in the close's transaction, and again when a batch is made)."""
    missing = (Redemption.objects.filter(status=Redemption.Status.PAYABLE, amount_minor__gt=0)
               .exclude(pk__in=Payable.objects.filter(redemption__isnull=False)
                        .values("redemption_id"))
               .values_list("pk", "member_id", "amount_minor"))
    rows = [Payable(kind=Payable.Kind.REDEMPTION, redemption_id=pk, member_id=member_id,
                    amount_minor=amount) for pk, member_id, amount in missing]
    Payable.objects.bulk_create(rows, batch_size=10_000)
    return len(rows)


def after_period_close(period, actor) -> None:
    redemption_payables_create(actor=actor)


@transaction.atomic
def payout_batch_create(*, actor) -> PayoutBatch:
    """Gather every open payable into a new batch (Conflict when there is none)."""
    require(rules.may_approve_run(actor))
    redemption_payables_create(actor=actor)
    batch = PayoutBatch.objects.create(created_by=user_of(actor))
    count = Payable.objects.filter(batch__isnull=True).update(batch=batch)
    if not count:
        raise Conflict("Nothing is payable: there is no open payable to gather.")
    audit_record(action="payout_batch.created", object_type="payout_batch", object_id=batch.pk,
                 actor=actor, facts={"payables": count})
    return batch


@transaction.atomic
def payout_batch_pay(*, actor, batch: PayoutBatch, paid_on: date | None = None) -> PayoutBatch:
    """Mark a batch paid: one entry Dr Dividends payable, Dr Redemptions payable, Cr Bank
    (idempotent per batch), and its redemptions paid through membership."""
    from ledger import accounts
    from ledger.journal import Line
    from ledger.services import entry_post

    require(rules.may_approve_run(actor))
    batch = lock_batch(batch.pk)
    if batch.status == PayoutBatch.Status.PAID:
        raise Conflict(f"Payout batch {batch.pk} is already paid.")
    paid_on = paid_on or timezone.localdate()
    sums = dict(batch.payables.values_list("kind").annotate(total=Sum("amount_minor")))
    dividends = sums.get(Payable.Kind.DIVIDEND, 0)
    redemptions = sums.get(Payable.Kind.REDEMPTION, 0)
    lines = []
    if dividends:
        lines.append(Line(account=accounts.DIVIDENDS_PAYABLE, debit_minor=dividends))
    if redemptions:
        lines.append(Line(account=accounts.REDEMPTIONS_PAYABLE, debit_minor=redemptions))
    lines.append(Line(account=accounts.BANK, credit_minor=dividends + redemptions))
    entry = entry_post(actor=actor, date=paid_on, kind="payout",
                       description=f"Payout batch {batch.pk}", lines=lines,
                       idempotency_key=f"payout-batch:{batch.pk}")
    redemption_ids = list(batch.payables.filter(redemption__isnull=False)
                          .values_list("redemption_id", flat=True))
    if redemption_ids:
        from membership import services as membership

        membership.redemptions_mark_paid(redemption_ids=redemption_ids, on=paid_on, actor=actor)
    batch.status, batch.paid_on, batch.entry = PayoutBatch.Status.PAID, paid_on, entry
    batch.save(update_fields=["status", "paid_on", "entry"])
    audit_record(action="payout_batch.paid", object_type="payout_batch", object_id=batch.pk,
                 actor=actor, facts={"entry": entry.pk, "dividends_minor": dividends,
                                     "redemptions_minor": redemptions,
                                     "paid_on": paid_on.isoformat()})
    return batch


# --- exports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutLine:
    member_number: int
    name: str
    iban: str  # "" without a valid IBAN
    dividends_minor: int
    redemptions_minor: int

    @property
    def amount_minor(self) -> int:
        return self.dividends_minor + self.redemptions_minor


def payout_lines(batch: PayoutBatch) -> list[PayoutLine]:
    """One line per member of the batch (two queries)."""
    totals: dict[int, dict] = {}
    for member_id, kind, amount in batch.payables.values_list("member_id", "kind").annotate(
            total=Sum("amount_minor")):
        totals.setdefault(member_id, {})[kind] = amount
    accounts = dict(PayoutAccount.objects.filter(member_id__in=totals)
                    .values_list("member_id", "iban"))
    members = Member.objects.filter(pk__in=totals).values_list("pk", "member_number", "name")
    return sorted((PayoutLine(number, name, accounts.get(pk, ""),
                              totals[pk].get(Payable.Kind.DIVIDEND, 0),
                              totals[pk].get(Payable.Kind.REDEMPTION, 0))
                   for pk, number, name in members), key=lambda line: line.member_number)


def payout_csv(batch: PayoutBatch) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["member_number", "name", "iban", "dividends_minor", "redemptions_minor",
                     "amount_minor"])
    for line in payout_lines(batch):
        writer.writerow([line.member_number, line.name, line.iban, line.dividends_minor,
                         line.redemptions_minor, line.amount_minor])
    return out.getvalue()


def payout_sepa(batch: PayoutBatch, *, execution_date: date | None = None) -> tuple[bytes, list]:
    """A SEPA credit transfer (pain.001.001.03, `sepaxml`, validated against its schema) of
    the batch's members with a valid IBAN, and the lines left out (no IBAN)."""
    from sepaxml import SepaTransfer

    from coop.models import Cooperative

    coop = Cooperative.current()
    if not coop.payment_iban:
        raise Conflict("The cooperative's own IBAN is not set (admin: Cooperative).")
    debtor = {"name": coop.payment_account_holder or coop.name, "IBAN": coop.payment_iban,
              "batch": True, "currency": coop.currency}
    if coop.payment_bic:  # optional in SEPA since 2016 (IBAN-only)
        debtor["BIC"] = coop.payment_bic
    sepa = SepaTransfer(debtor, clean=True)
    left_out = []
    when = execution_date or timezone.localdate()
    for line in payout_lines(batch):
        if not line.iban:
            left_out.append(line)
            continue
        sepa.add_payment({"name": line.name, "IBAN": line.iban, "amount": line.amount_minor,
                          "execution_date": when,
                          "description": f"Payout {batch.pk}, member {line.member_number}",
                          "endtoend_id": f"B{batch.pk}M{line.member_number}"})
    return sepa.export(validate=True), left_out


# --- the member's IBAN ----------------------------------------------------------------------


def iban_clean(value: str) -> str:
    try:
        return IBAN(value or "").compact
    except SchwiftyException as exc:
        raise InvalidInput(f"This IBAN is not valid: {exc}",
                           errors={"iban": ["Not a valid IBAN (check the digits)."]}) from None


@transaction.atomic
def payout_account_set(*, actor, member: Member, iban: str, holder: str = "") -> PayoutAccount:
    """The member (or staff) sets the IBAN payouts go to. The audit says that it changed,
    never the number."""
    if not (membership_rules.is_self(actor, member) or membership_rules.is_staff(actor)):
        raise NotAllowed("Only the member or staff can set the member's IBAN.")
    if member.erased_on is not None:
        raise Conflict(f"Member {member.member_number}'s personal data was erased: no IBAN "
                       f"can be kept for them.")
    compact = iban_clean(iban)
    account, _ = PayoutAccount.objects.update_or_create(
        member=member, defaults={"iban": compact, "holder": (holder or "").strip()[:140]})
    audit_record(action="payout_account.set", object_type="member",
                 object_id=member.member_number, actor=actor, facts={"fields": ["iban"]})
    return account


@transaction.atomic
def payout_account_remove(*, actor, member: Member) -> bool:
    """The member (or staff) removes the IBAN: payouts wait until one is set again."""
    if not (membership_rules.is_self(actor, member) or membership_rules.is_staff(actor)):
        raise NotAllowed("Only the member or staff can remove the member's IBAN.")
    deleted, _ = PayoutAccount.objects.filter(member=member).delete()
    if deleted:
        audit_record(action="payout_account.removed", object_type="member",
                     object_id=member.member_number, actor=actor, facts={"fields": ["iban"]})
    return bool(deleted)


@transaction.atomic
def payout_accounts_erase(*, member_ids, actor) -> int:
    """Erase the IBANs with the persons' data (membership.services.member_erase calls it
    through patronage.erasure)."""
    deleted, _ = PayoutAccount.objects.filter(member_id__in=list(member_ids)).delete()
    if deleted:
        audit_record(action="payout_account.erased", object_type="member", object_id="-",
                     actor=actor, facts={"count": deleted})
    return deleted
