"""A member's exit (and the redemption it starts)."""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from coop.audit import audit_record
from coop.errors import Conflict, InvalidInput

from .. import hooks, rules
from ..models import (
    Member,
    Redemption,
    RegisterEvent,
    ShareCertificate,
    SharePayment,
)
from ._common import _not_in_the_future, _require
from .register import _lock_member

# --- exit ---------------------------------------------------------------------------------

@dataclass
class ExitResult:
    member: Member
    redemption: Redemption


def _check_exit_date(member: Member, on: date, today: date) -> None:
    """An exit is dated from the member's last entry in the register to today. Before it, the
    register would redeem shares before they were issued, or hold money paid (or returned by
    the bank) after the member left, which no payment or reversal may do (both are refused
    once a member has exited)."""
    # Reported on `exited_on`, as Member and the admin's exit form call it.
    if on < member.joined_on:
        raise InvalidInput(
            f"An exit cannot be dated before the member joined ({member.joined_on.isoformat()}).",
            errors={"exited_on": [f"Must not be before {member.joined_on.isoformat()}, the day "
                                  f"the member joined."]})
    _not_in_the_future(on, today, "An exit", "exited_on")
    # Payments and reversals, and the issues and cancellations dated by them; other events
    # (free shares at approval, imported history) are in the register too.
    last_payment = SharePayment.objects.filter(member=member).aggregate(
        last=Max("paid_on"))["last"]
    last_event = RegisterEvent.objects.filter(member=member).aggregate(
        last=Max("event_date"))["last"]
    last = max(filter(None, (last_payment, last_event)), default=None)
    if last is not None and on < last:
        raise InvalidInput(
            f"An exit cannot be dated before the member's last payment or register entry "
            f"({last.isoformat()}).",
            errors={"exited_on": [f"Must not be before {last.isoformat()}, the date of the "
                                  f"member's last payment or register entry."]})


@transaction.atomic
def member_exit(*, member: Member, actor, reason: str = "",
                on: date | None = None, imported: bool = False,
                redemption_status: str = Redemption.Status.REQUESTED) -> ExitResult:
    """Resignation, effective at once; capital redeemed at the price paid.

    The register import passes `imported=True` and the redemption's state as its file says
    (an old exit's capital is usually paid back already)."""
    _require(rules.may_exit(actor, member),
             "A member resigns themself; staff or a members:write key record a resignation.")
    if redemption_status not in Redemption.Status.values:
        raise InvalidInput(f"{redemption_status!r} is not a redemption status.",
                           errors={"redemption_status": [
                               f"Must be one of: {', '.join(Redemption.Status.values)}."]})
    member = _lock_member(member)
    if not rules.is_current(member):
        raise Conflict(f"Member {member.member_number} has already {member.status}.")
    today = timezone.localdate()
    on = on or today
    _check_exit_date(member, on, today)
    hooks.movement_check(hooks.EXIT, on, field="exited_on")
    certificates = list(ShareCertificate.objects.filter(member=member,
                                                        status=ShareCertificate.Status.ISSUED))
    for certificate in certificates:
        certificate.status = ShareCertificate.Status.REDEEMED
    ShareCertificate.objects.bulk_update(certificates, ["status"])
    RegisterEvent.objects.bulk_create(
        RegisterEvent(kind=RegisterEvent.Kind.REDEEM, member=member, certificate=c, event_date=on,
                      note="register import: member exited" if imported else "member exited")
        for c in certificates
    )
    redemption = Redemption.objects.create(member=member, amount_minor=member.paid_minor,
                                           requested_on=on, status=redemption_status)
    member.status = Member.Status.EXITED
    member.exited_on = on
    member.exit_reason = reason.strip()
    member.shares_held = 0
    member.save(update_fields=["status", "exited_on", "exit_reason", "shares_held"])
    audit_record(action="member.exited", object_type="member", object_id=member.member_number,
                 actor=actor, facts={"on": on.isoformat(), "redemption_minor": member.paid_minor,
                                     "certificates": [c.certificate_number for c in certificates],
                                     **({"imported": True, "redemption_status": redemption_status}
                                        if imported else {})})
    hooks.movement_recorded(hooks.Movement(kind=hooks.EXIT, member=member, on=on,
                                           amount_minor=redemption.amount_minor,
                                           redemption=redemption, imported=imported),
                            actor=actor)
    return ExitResult(member=member, redemption=redemption)


@transaction.atomic
def redemptions_make_payable(*, on: date, actor) -> list[Redemption]:
    """The redemptions requested by exits up to `on` become payable (RULES.md §3: at the close
    of the exit's period; the ledger's `period_close` calls this and posts each one)."""
    _require(rules.may_manage_register(actor),
             "Only staff, a members:write key or a system job make redemptions payable.")
    redemptions = list(Redemption.objects.select_related("member")
                       .filter(status=Redemption.Status.REQUESTED, requested_on__lte=on)
                       .order_by("pk"))
    for redemption in redemptions:
        redemption.status = Redemption.Status.PAYABLE
    Redemption.objects.bulk_update(redemptions, ["status"])
    for redemption in redemptions:
        audit_record(action="redemption.payable", object_type="member",
                     object_id=redemption.member.member_number, actor=actor,
                     facts={"redemption": redemption.pk, "amount_minor": redemption.amount_minor,
                            "on": on.isoformat()})
    return redemptions


@transaction.atomic
def redemptions_mark_paid(*, redemption_ids, on: date, actor) -> int:
    """Payable redemptions paid in a payout batch (RULES.md §3: `paid` with the batch; the
    patronage app posts the payment Dr Redemptions payable / Cr Bank and calls this)."""
    _require(rules.may_manage_register(actor),
             "Only staff, a members:write key or a system job mark redemptions paid.")
    ids = sorted(set(redemption_ids))
    payable = list(Redemption.objects.select_related("member").filter(
        pk__in=ids, status=Redemption.Status.PAYABLE).order_by("pk"))
    if len(payable) != len(ids):
        raise Conflict("Only payable redemptions can be marked paid.")
    for redemption in payable:
        redemption.status = Redemption.Status.PAID
    Redemption.objects.bulk_update(payable, ["status"])
    for redemption in payable:
        audit_record(action="redemption.paid", object_type="member",
                     object_id=redemption.member.member_number, actor=actor,
                     facts={"redemption": redemption.pk, "amount_minor": redemption.amount_minor,
                            "on": on.isoformat()})
    return len(payable)
