"""Every write of the membership pillar (RULES.md §1). Views, API and tasks call these."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Case, Max, Value, When
from django.utils import timezone

from coop.audit import audit_record
from coop.counters import counter_take
from coop.errors import Conflict, InvalidInput, NotAllowed
from coop.locks import lock_user
from coop.models import Cooperative
from coop.notices import notice_send

from . import rules
from .locks import lock_applications, lock_member, lock_stakeholder_class
from .models import (
    Application,
    Kind,
    Member,
    Redemption,
    RegisterEvent,
    ShareCertificate,
    SharePayment,
    ShareSubscription,
    StakeholderClass,
)

_REGISTRAR = "Only staff or a partner key with members:write can do this."


def _require(allowed: bool, message: str) -> None:
    """The services check their actor themselves (membership.rules), whatever the face."""
    if not allowed:
        raise NotAllowed(message)


def _on_commit_email(kind: str, **ids) -> None:
    from .tasks import send_membership_email

    transaction.on_commit(lambda: send_membership_email.delay(kind, **ids))


# --- applications -------------------------------------------------------------------------

def _check_shares(stakeholder_class: StakeholderClass, shares) -> int:
    try:
        shares = int(shares)
    except (TypeError, ValueError):
        raise InvalidInput("The number of shares must be a whole number.",
                           errors={"shares": ["Must be a whole number."]}) from None
    if not stakeholder_class.min_shares <= shares <= stakeholder_class.max_shares:
        message = (f"{stakeholder_class.name} members subscribe between "
                   f"{stakeholder_class.min_shares} and {stakeholder_class.max_shares} shares.")
        raise InvalidInput(message, errors={"shares": [message]})
    return shares


@transaction.atomic
def application_submit(
    *,
    stakeholder_class: StakeholderClass,
    shares: int,
    name: str,
    email: str,
    user=None,
    motivation: str = "",
    referred_by: Member | None = None,
    organisation_name: str = "",
    registration_number: str = "",
    bylaws_version: str | None = None,
    source: str = Application.Source.WEB,
    actor=None,
) -> Application:
    """A person (or staff, for a paper application) applies for membership."""
    shares = _check_shares(stakeholder_class, shares)
    if user is not None:
        if Member.objects.filter(user=user).exists():
            raise Conflict("You are already a member.")
        if Application.objects.filter(user=user, status__in=["pending", "approved"]).exists():
            raise Conflict("You already have an application in progress.")
    if referred_by is not None and not rules.is_current(referred_by):
        raise InvalidInput("The referring member must be a current member.",
                           errors={"referred_by": ["Not a current member."]})
    if organisation_name and not registration_number:
        raise InvalidInput("An organisation needs its registration number.",
                           errors={"registration_number": ["Required for an organisation."]})
    application = Application.objects.create(
        user=user,
        name=name.strip(),
        email=email,
        kind=Kind.ORGANISATION if organisation_name else Kind.PERSON,
        organisation_name=organisation_name.strip(),
        registration_number=registration_number.strip(),
        stakeholder_class=stakeholder_class,
        shares=shares,
        motivation=motivation,
        bylaws_version=bylaws_version or Cooperative.current().bylaws_version,
        referred_by=referred_by,
        source=source,
    )
    audit_record(action="application.submitted", object_type="application",
                 object_id=application.pk, actor=actor or user,
                 facts={"class": stakeholder_class.slug, "shares": shares, "source": source,
                        "bylaws_version": application.bylaws_version,
                        "referred_by": referred_by.member_number if referred_by else None})
    _on_commit_email("application_received", application_id=application.pk)
    return application


def _lock_pending(application_ids: list[int]) -> list[Application]:
    applications = lock_applications(application_ids)
    found = {a.pk for a in applications}
    missing = [pk for pk in application_ids if pk not in found]
    if missing:
        raise InvalidInput(f"Unknown application(s): {', '.join(map(str, missing))}.")
    for application in applications:
        if application.status != Application.Status.PENDING:
            raise Conflict(f"Application #{application.pk} was already {application.status}.")
    return applications


def _not_in_the_future(day: date, today: date, what: str, field: str) -> None:
    """The register records what happened: no date after today (the cooperative's local date)."""
    if day > today:
        raise InvalidInput(f"{what} cannot be dated in the future.",
                           errors={field: ["Must not be in the future."]})


def _check_approval_date(applications: list[Application], on: date, today: date) -> None:
    """joined_on runs from the day of the (latest) application to today. A future joined_on
    would refuse every payment until then (none may predate joining); one before the
    application would admit a member before they asked to be one."""
    _not_in_the_future(on, today, "An approval", "on")
    # In the cooperative's time zone, like `on` and today: a submission late in the evening
    # UTC may already be the next day here.
    latest = max(applications, key=lambda a: (timezone.localdate(a.submitted_at), a.pk),
                 default=None)
    if latest is not None and on < (submitted := timezone.localdate(latest.submitted_at)):
        day = submitted.isoformat()
        raise InvalidInput(
            f"An approval cannot be dated before the application was submitted: application "
            f"#{latest.pk} was submitted on {day}.",
            errors={"on": [f"Must not be before {day}, the day application #{latest.pk} was "
                           f"submitted."]})


@transaction.atomic
def applications_approve(*, application_ids: list[int], actor,
                         on: date | None = None) -> list[Member]:
    """Approve applications together: numbered in the order they were submitted."""
    _require(rules.may_manage_register(actor), _REGISTRAR)
    today = timezone.localdate()
    on = on or today
    applications = _lock_pending(application_ids)
    applications.sort(key=lambda a: (a.submitted_at, a.pk))
    # Checked before any member number is taken (the transaction would roll back anyway).
    _check_approval_date(applications, on, today)
    numbers = counter_take(name="member_number", count=len(applications))
    members = []
    decided_by = rules.staff_or_none(actor)
    for application, number in zip(applications, numbers, strict=True):
        application.status = Application.Status.APPROVED
        application.decided_at = timezone.now()
        application.decided_by = decided_by
        application.save(update_fields=["status", "decided_at", "decided_by"])
        member = Member.objects.create(
            member_number=number,
            user=application.user,
            application=application,
            kind=application.kind,
            name=application.organisation_name or application.name,
            email=application.email,
            registration_number=application.registration_number,
            contact_person=application.name if application.organisation_name else "",
            stakeholder_class=application.stakeholder_class,
            referred_by=application.referred_by,
            joined_on=on,
            shares_subscribed=application.shares,
        )
        price = application.stakeholder_class.share_price_minor
        ShareSubscription.objects.create(member=member, shares=application.shares,
                                         share_price_minor=price, subscribed_on=on)
        audit_record(action="member.admitted", object_type="member", object_id=number,
                     actor=actor, facts={"application": application.pk, "member_number": number,
                                         "class": application.stakeholder_class.slug,
                                         "shares": application.shares, "share_price_minor": price})
        if price == 0:
            # Free shares are issued at approval (RULES.md §1).
            _reconcile_holding(member, on=on, payment=None, actor=actor)
        notice_send(kind="membership.application_approved", recipient=member, target=member)
        members.append(member)
    return members


def application_approve(*, application: Application, actor) -> Member:
    return applications_approve(application_ids=[application.pk], actor=actor)[0]


@transaction.atomic
def application_reject(*, application: Application, reason: str, actor) -> Application:
    _require(rules.may_manage_register(actor), _REGISTRAR)
    if not reason or not reason.strip():
        raise InvalidInput("Say why the application is rejected.",
                           errors={"reason": ["This field is required."]})
    (application,) = _lock_pending([application.pk])
    application.status = Application.Status.REJECTED
    application.rejection_reason = reason.strip()
    application.decided_at = timezone.now()
    application.decided_by = rules.staff_or_none(actor)
    application.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
    audit_record(action="application.rejected", object_type="application",
                 object_id=application.pk, actor=actor, facts={})
    # The applicant is no member: the notice goes to the application's address.
    notice_send(kind="membership.application_rejected", recipient=application,
                target=application)
    return application


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


def _parse_amount(amount_minor) -> int:
    # bool is an int in Python; a "true" amount is a client bug, not one cent.
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidInput("The amount must be a whole number of minor units.",
                           errors={"amount_minor": ["Must be a whole number of minor units."]})
    if amount_minor <= 0:
        raise InvalidInput("The amount must be positive.",
                           errors={"amount_minor": ["Must be greater than zero."]})
    return amount_minor


@transaction.atomic
def share_payment_record(*, member: Member, amount_minor: int, paid_on: date,
                         reference: str = "", actor,
                         certificate_numbers: list[int] | None = None,
                         imported: bool = False) -> SharePayment:
    """Record money paid for shares; the shares it completes are issued on paid_on.

    The register import passes `certificate_numbers` (the numbers its file gives the shares
    this payment completes) and `imported=True` (history: no emails)."""
    _require(rules.may_manage_register(actor), _REGISTRAR)
    amount_minor = _parse_amount(amount_minor)
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
        message = (f"This would overpay the subscription: {outstanding} minor units are "
                   f"outstanding.")
        raise InvalidInput(message, errors={"amount_minor": [message]})
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
    return reversal


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
    return ExitResult(member=member, redemption=redemption)


@transaction.atomic
def member_directory_visibility_set(*, member: Member, visible: bool, actor) -> Member:
    _require(rules.may_set_directory_visibility(actor, member),
             "Only the member (or staff) chooses whether they are listed.")
    Member.objects.filter(pk=member.pk).update(directory_visible=visible)
    member.directory_visible = visible
    audit_record(action="member.directory_visibility", object_type="member",
                 object_id=member.member_number, actor=actor, facts={"visible": visible})
    return member


@transaction.atomic
def profile_update(*, user, full_name: str, actor=None):
    """A person changes their own account's name. Only the account: the register's
    Member.name, the name they were admitted under, stays as it is."""
    user_model = get_user_model()
    full_name = (full_name or "").strip()
    limit = user_model._meta.get_field("full_name").max_length
    if not full_name:
        raise InvalidInput("Your name cannot be empty.",
                           errors={"full_name": ["This field is required."]})
    if len(full_name) > limit:
        message = f"A name has at most {limit} characters (this one has {len(full_name)})."
        raise InvalidInput(message, errors={"full_name": [message]})
    # Compared with the stored row under its lock, not with the caller's copy, which may be
    # stale: saving the same name again writes nothing and records nothing.
    stored = lock_user(user.pk)
    user.full_name = full_name
    if stored.full_name == full_name:
        return user
    user_model.objects.filter(pk=user.pk).update(full_name=full_name)
    # Which fields changed, not their values: the audit trail keeps no more personal data
    # than it needs.
    audit_record(action="user.profile_updated", object_type="user", object_id=user.pk,
                 actor=actor or user, facts={"fields": ["full_name"]})
    return user


@transaction.atomic
def stakeholder_class_create(*, actor, **fields) -> StakeholderClass:
    _require(rules.may_manage_register(actor), _REGISTRAR)
    if StakeholderClass.objects.filter(slug=fields.get("slug")).exists():
        raise Conflict(f"A class with slug {fields.get('slug')!r} already exists.",
                       errors={"slug": ["Already exists."]})
    _check_class_fields(fields)
    if fields.get("max_shares", 1) < fields.get("min_shares", 1):
        raise InvalidInput("max_shares must be at least min_shares.",
                           errors={"max_shares": ["Must be at least min_shares."]})
    stakeholder_class = StakeholderClass.objects.create(**fields)
    audit_record(action="class.created", object_type="stakeholder_class",
                 object_id=stakeholder_class.slug, actor=actor,
                 facts={k: v for k, v in fields.items() if k != "description"})
    return stakeholder_class


# --- stakeholder classes, member details, the register import -------------------------------
# (added for issue #7: every write of the register goes through this module, so the ledger can
# hook into one place; see docs/architecture.md, "Every write through services")

CLASS_FIELDS = ("name", "description", "share_price_minor", "min_shares", "max_shares",
                "vote_weight", "patronage_measure")


def _check_class_fields(fields: dict) -> None:
    """The class's numbers as its check constraints want them, as field errors (not a 500)."""
    errors: dict[str, list[str]] = {}
    for name, minimum in (("share_price_minor", 0), ("min_shares", 1), ("max_shares", 1),
                          ("vote_weight", 1)):
        if name not in fields:
            continue
        value = fields[name]
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = ["Must be a whole number."]
        elif value < minimum:
            errors[name] = [f"Must be at least {minimum}."]
    if "name" in fields and not (fields["name"] or "").strip():
        errors["name"] = ["This field is required."]
    if errors:
        raise InvalidInput("The class's values are not valid.", errors=errors)


@transaction.atomic
def stakeholder_class_update(*, stakeholder_class: StakeholderClass, actor,
                             **changes) -> StakeholderClass:
    """Change a class. The slug never changes (members and the API know the class by it).

    A new share price applies to later admissions only: each ShareSubscription froze the price
    at approval (or import), and payments, certificates and redemptions read that frozen price.
    The audit record keeps the old and the new value of each changed field."""
    _require(rules.may_manage_register(actor), _REGISTRAR)
    unknown = sorted(set(changes) - set(CLASS_FIELDS))
    if unknown:
        raise InvalidInput(f"These fields of a class cannot be changed: {', '.join(unknown)}.",
                           errors={name: ["Cannot be changed."] for name in unknown})
    stored = lock_stakeholder_class(stakeholder_class.pk)
    _check_class_fields(changes)
    min_shares = changes.get("min_shares", stored.min_shares)
    if changes.get("max_shares", stored.max_shares) < min_shares:
        raise InvalidInput("max_shares must be at least min_shares.",
                           errors={"max_shares": ["Must be at least min_shares."]})
    changed = {name: value for name, value in changes.items() if getattr(stored, name) != value}
    if not changed:
        return stored
    facts = {name: {"old": getattr(stored, name), "new": value}
             for name, value in changed.items() if name != "description"}
    if "description" in changed:
        facts["description"] = "changed"  # free text: the record says that, not what
    for name, value in changed.items():
        setattr(stored, name, value)
    stored.save(update_fields=sorted(changed))
    audit_record(action="class.changed", object_type="stakeholder_class",
                 object_id=stored.slug, actor=actor, facts=facts)
    return stored


MEMBER_DETAIL_FIELDS = ("name", "email", "contact_person", "registration_number", "user",
                        "referred_by")


@transaction.atomic
def member_details_update(*, member: Member, changes: dict, actor) -> Member:
    """Change a member's contact details (what the admin lets staff edit), or the referrer an
    imported register names. Numbers, class, shares, status and dates belong to the other
    services; directory visibility to member_directory_visibility_set."""
    _require(rules.may_manage_register(actor), _REGISTRAR)
    unknown = sorted(set(changes) - set(MEMBER_DETAIL_FIELDS))
    if unknown:
        raise InvalidInput(f"These member fields are not details: {', '.join(unknown)}.",
                           errors={name: ["Cannot be changed here."] for name in unknown})
    stored = lock_member(member.pk)
    changes = {name: (value.strip() if isinstance(value, str) else value)
               for name, value in changes.items()}
    errors: dict[str, list[str]] = {}
    if "name" in changes:
        limit = Member._meta.get_field("name").max_length
        if not changes["name"]:
            errors["name"] = ["This field is required."]
        elif len(changes["name"]) > limit:
            errors["name"] = [f"At most {limit} characters."]
    if changes.get("email"):
        try:
            validate_email(changes["email"])
        except ValidationError:
            errors["email"] = ["Not an email address."]
    if (stored.kind == Kind.ORGANISATION and "registration_number" in changes
            and not changes["registration_number"]):
        errors["registration_number"] = ["Required for an organisation."]
    user = changes.get("user")
    if user is not None and Member.objects.filter(user=user).exclude(pk=stored.pk).exists():
        errors["user"] = ["This account belongs to another member."]
    referrer = changes.get("referred_by")
    if referrer is not None and referrer.pk == stored.pk:
        errors["referred_by"] = ["A member cannot refer themself."]
    if errors:
        raise InvalidInput("The member's details are not valid.", errors=errors)
    changed = sorted(name for name, value in changes.items() if getattr(stored, name) != value)
    for name in changed:
        setattr(stored, name, changes[name])
        setattr(member, name, changes[name])
    if not changed:
        return member
    stored.save(update_fields=changed)
    # Which fields changed, never their values: the audit holds no personal data.
    audit_record(action="member.details_changed", object_type="member",
                 object_id=stored.member_number, actor=actor, facts={"fields": changed})
    return member


@transaction.atomic
def member_import(
    *,
    member_number: int,
    stakeholder_class: StakeholderClass,
    shares: int,
    share_price_minor: int,
    joined_on: date,
    name: str,
    kind: str = Kind.PERSON,
    email: str = "",
    registration_number: str = "",
    contact_person: str = "",
    directory_visible: bool = True,
    referred_by: Member | None = None,
    certificate_numbers: list[int] | None = None,
    actor,
) -> Member:
    """Admit a member of an imported register: the number, the admission date and the share
    price its file gives (the price the member subscribed at then), no application.

    What happened after admission goes through the same services as live members:
    share_payment_record and member_exit with `imported=True`. Free shares (price 0) are
    issued here, on joined_on, under the `certificate_numbers` given. Nobody is emailed."""
    _require(rules.may_manage_register(actor), _REGISTRAR)
    shares = _check_shares(stakeholder_class, shares)
    errors: dict[str, list[str]] = {}
    if isinstance(member_number, bool) or not isinstance(member_number, int) or member_number < 1:
        errors["member_number"] = ["Must be a whole number of at least 1."]
    elif Member.objects.filter(member_number=member_number).exists():
        errors["member_number"] = [f"Member number {member_number} is already in the register."]
    if isinstance(share_price_minor, bool) or not isinstance(share_price_minor, int) \
            or share_price_minor < 0:
        errors["share_price_minor"] = ["Must be a whole number of minor units, at least 0."]
    if kind not in Kind.values:
        errors["kind"] = [f"Must be one of: {', '.join(Kind.values)}."]
    elif kind == Kind.ORGANISATION and not registration_number:
        errors["registration_number"] = ["Required for an organisation."]
    if not (name or "").strip():
        errors["name"] = ["This field is required."]
    if errors:
        raise InvalidInput("The member cannot be imported.", errors=errors)
    _not_in_the_future(joined_on, timezone.localdate(), "An admission", "joined_on")
    member = Member.objects.create(
        member_number=member_number, kind=kind, name=name.strip(), email=email,
        registration_number=registration_number, contact_person=contact_person,
        stakeholder_class=stakeholder_class, referred_by=referred_by, joined_on=joined_on,
        directory_visible=directory_visible, shares_subscribed=shares,
    )
    member.subscription = ShareSubscription.objects.create(
        member=member, shares=shares, share_price_minor=share_price_minor,
        subscribed_on=joined_on)
    audit_record(action="member.admitted", object_type="member", object_id=member_number,
                 actor=actor, facts={"imported": True, "member_number": member_number,
                                     "class": stakeholder_class.slug, "shares": shares,
                                     "share_price_minor": share_price_minor,
                                     "joined_on": joined_on.isoformat()})
    if share_price_minor == 0:
        # Free shares are issued at admission (RULES.md §1), as applications_approve does.
        _reconcile_holding(member, on=joined_on, payment=None, actor=actor,
                           certificate_numbers=certificate_numbers, imported=True)
    return member
