"""Share payments, their reversal, and keeping the register's holdings in step."""

from datetime import date

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from coop.audit import audit_record
from coop.counters import counter_take
from coop.errors import Conflict, InvalidInput
from coop.models import Cooperative
from coop.money import format_minor, positive_minor
from coop.notices import notice_send

from .. import hooks, rules
from ..locks import lock_member
from ..models import (
    Member,
    RegisterEvent,
    ShareCertificate,
    SharePayment,
    ShareSubscription,
)
from ._common import _REGISTRAR, _not_in_the_future, _on_commit_email, _require

# --- payments and the register ------------------------------------------------------------

def _lock_member(member: Member) -> Member:
    return lock_member(member.pk)


def _shares_paid_for(subscription: ShareSubscription, paid_minor: int) -> int:
    if subscription.share_price_minor == 0:
        return subscription.shares
    return min(paid_minor // subscription.share_price_minor, subscription.shares)


def _certificates_to_cancel(member: Member, count: int,
                            reversed_payment_id: int | None) -> list[ShareCertificate]:
    # The shares the reversed payment completed go first (RULES.md §1: "shares it paid for
    # are cancelled"), then the latest issued ones.
    if count <= 0:
        return []
    order = ["-certificate_number"]
    if reversed_payment_id is not None:
        order.insert(0, Case(When(payment_id=reversed_payment_id, then=Value(0)),
                             default=Value(1)))
    issued = ShareCertificate.objects.filter(member=member, status=ShareCertificate.Status.ISSUED)
    return list(issued.order_by(*order)[:count])


def _reconcile_holding(member: Member, *, on: date, payment: SharePayment | None, actor,
                       certificate_numbers: list[int] | None = None,
                       imported: bool = False) -> None:
    """Bring issued certificates and status in line with what has been paid (RULES.md §1).

    `certificate_numbers`: the numbers an imported register already gave these shares (the
    importer checked them and holds the counter); otherwise the next ones of the counter.
    `imported`: history being entered, not news: the events say so and nobody is emailed."""
    target = _shares_paid_for(member.subscription, member.paid_minor)
    current = member.shares_held
    if target > current:
        if certificate_numbers is None:
            numbers = counter_take(name="certificate_number", count=target - current)
        else:
            numbers = list(certificate_numbers)
            if len(numbers) != target - current:
                raise InvalidInput(
                    f"{len(numbers)} certificate number(s) given for {target - current} share(s).",
                    errors={"certificates": [f"Give {target - current} number(s)."]})
        certificates = ShareCertificate.objects.bulk_create(
            ShareCertificate(certificate_number=n, member=member, issued_on=on, payment=payment)
            for n in numbers
        )
        RegisterEvent.objects.bulk_create(
            RegisterEvent(kind=RegisterEvent.Kind.ISSUE, member=member, certificate=c,
                          event_date=on, payment=payment,
                          note="register import" if imported else "")
            for c in certificates
        )
        audit_record(action="shares.issued", object_type="member", object_id=member.member_number,
                     actor=actor, facts={"certificates": numbers, "on": on.isoformat()})
    elif target < current:
        cancelled = _certificates_to_cancel(member, current - target,
                                            payment.reverses_id if payment else None)
        for certificate in cancelled:
            certificate.status = ShareCertificate.Status.CANCELLED
        ShareCertificate.objects.bulk_update(cancelled, ["status"])
        RegisterEvent.objects.bulk_create(
            RegisterEvent(kind=RegisterEvent.Kind.CANCEL, member=member, certificate=c,
                          event_date=on, payment=payment, note="payment reversed")
            for c in cancelled
        )
        audit_record(action="shares.cancelled", object_type="member",
                     object_id=member.member_number, actor=actor,
                     facts={"certificates": [c.certificate_number for c in cancelled]})
    member.shares_held = target

    fields = ["shares_held", "paid_minor"]
    if member.status in (Member.Status.AWAITING_PAYMENT, Member.Status.ACTIVE):
        should_be_active = target >= member.stakeholder_class.min_shares
        new_status = Member.Status.ACTIVE if should_be_active else Member.Status.AWAITING_PAYMENT
        if new_status != member.status:
            member.status = new_status
            member.activated_on = on if should_be_active else None
            fields += ["status", "activated_on"]
            audit_record(action=f"member.{new_status}", object_type="member",
                         object_id=member.member_number, actor=actor,
                         facts={"on": on.isoformat(), "shares_held": target})
            if should_be_active and not imported:
                _on_commit_email("member_active", member_id=member.pk)
    member.save(update_fields=fields)


@transaction.atomic
def share_payment_record(*, member: Member, amount_minor: int, paid_on: date,
                         reference: str = "", actor,
                         certificate_numbers: list[int] | None = None,
                         imported: bool = False) -> SharePayment:
    """Record money paid for shares; the shares it completes are issued on paid_on.

    The register import passes `certificate_numbers` (the numbers its file gives the shares
    this payment completes) and `imported=True` (history: no emails)."""
    _require(rules.may_manage_register(actor), _REGISTRAR)
    amount_minor = positive_minor(amount_minor)
    member = _lock_member(member)
    if not rules.is_current(member):
        raise Conflict(f"Member {member.member_number} has {member.status}; no payment accepted.")
    # The money pays for shares of this member: the subscription, its frozen price and the
    # shares the payment completes (issued on paid_on) all start at admission (RULES.md §1), so
    # a payment before joined_on would put certificates and an activation before the member
    # existed.
    if paid_on < member.joined_on:
        message = (f"A payment cannot be dated before the member joined "
                   f"({member.joined_on.isoformat()}).")
        raise InvalidInput(message, errors={"paid_on": [
            f"Must not be before {member.joined_on.isoformat()}, the day the member joined."]})
    # Today in the cooperative's time zone (TIME_ZONE), as every date the services default to.
    _not_in_the_future(paid_on, timezone.localdate(), "A payment", "paid_on")
    outstanding = member.subscription.total_minor - member.paid_minor
    if amount_minor > outstanding:
        shown = format_minor(outstanding, Cooperative.current_currency())
        message = f"This would overpay the subscription: only {shown} is outstanding."
        raise InvalidInput(message, errors={"amount_minor": [message]})
    hooks.movement_check(hooks.PAYMENT, paid_on, field="paid_on")
    payment = SharePayment.objects.create(
        member=member, amount_minor=amount_minor, paid_on=paid_on, reference=reference,
        recorded_by=rules.staff_or_none(actor),
    )
    member.paid_minor += amount_minor
    audit_record(action="payment.recorded", object_type="member", object_id=member.member_number,
                 actor=actor, facts={"payment": payment.pk, "amount_minor": amount_minor,
                                     "paid_on": paid_on.isoformat()})
    # Queued before the reconciliation's "you are now active" email, so the receipt comes first.
    if not imported:
        notice_send(kind="membership.payment_recorded", recipient=member, target=payment)
    _reconcile_holding(member, on=paid_on, payment=payment, actor=actor,
                       certificate_numbers=certificate_numbers, imported=imported)
    # Last: the ledger's posting takes the journal_entry counter, after certificate_number
    # (counters are taken in name order; docs/architecture.md, "Locks").
    hooks.movement_recorded(hooks.Movement(kind=hooks.PAYMENT, member=member, on=paid_on,
                                           amount_minor=amount_minor, payment=payment,
                                           imported=imported), actor=actor)
    return payment


def _check_reversal_date(member: Member, payment: SharePayment, on: date, today: date) -> None:
    """A reversal is dated from the payment it reverses to today, and never before a share it
    cancels was issued: the register would cancel a certificate that did not exist yet."""
    if on < payment.paid_on:
        raise InvalidInput(
            f"A reversal cannot be dated before the payment it reverses "
            f"({payment.paid_on.isoformat()}).",
            errors={"on": [f"Must not be before {payment.paid_on.isoformat()}, the day of the "
                           f"payment."]})
    _not_in_the_future(on, today, "A reversal", "on")
    # Beyond the shares the payment completed, the latest issued shares go (RULES.md §1); a
    # later payment may have issued them after `on`.
    held_after = _shares_paid_for(member.subscription, member.paid_minor - payment.amount_minor)
    cancelled = _certificates_to_cancel(member, member.shares_held - held_after, payment.pk)
    latest = max(cancelled, key=lambda c: c.issued_on, default=None)
    if latest is not None and latest.issued_on > on:
        day = latest.issued_on.isoformat()
        raise InvalidInput(
            f"A reversal cannot be dated before a share it cancels was issued: certificate "
            f"{latest.certificate_number} was issued on {day}.",
            errors={"on": [f"Must not be before {day}: the reversal cancels certificate "
                           f"{latest.certificate_number}, issued that day."]})


@transaction.atomic
def share_payment_reverse(*, payment: SharePayment, reason: str, actor,
                          on: date | None = None) -> SharePayment:
    _require(rules.may_manage_register(actor), _REGISTRAR)
    if not reason or not reason.strip():
        raise InvalidInput("Say why the payment is reversed.",
                           errors={"reason": ["This field is required."]})
    member = _lock_member(payment.member)
    payment = SharePayment.objects.get(pk=payment.pk)
    if payment.kind != SharePayment.Kind.PAYMENT:
        raise Conflict("A reversal cannot itself be reversed.")
    if SharePayment.objects.filter(reverses=payment).exists():
        raise Conflict("This payment was already reversed.")
    if not rules.is_current(member):
        raise Conflict(f"Member {member.member_number} has {member.status}; its capital is "
                       f"being redeemed instead.")
    today = timezone.localdate()
    on = on or today
    _check_reversal_date(member, payment, on, today)
    hooks.movement_check(hooks.REVERSAL, on, field="on")
    reversal = SharePayment.objects.create(
        member=member, kind=SharePayment.Kind.REVERSAL, amount_minor=payment.amount_minor,
        paid_on=on, reference=payment.reference, reverses=payment, reason=reason.strip(),
        recorded_by=rules.staff_or_none(actor),
    )
    member.paid_minor -= payment.amount_minor
    audit_record(action="payment.reversed", object_type="member", object_id=member.member_number,
                 actor=actor, facts={"payment": payment.pk, "reversal": reversal.pk,
                                     "amount_minor": payment.amount_minor})
    _reconcile_holding(member, on=on, payment=reversal, actor=actor)
    hooks.movement_recorded(hooks.Movement(kind=hooks.REVERSAL, member=member, on=on,
                                           amount_minor=payment.amount_minor, payment=reversal),
                            actor=actor)
    return reversal
