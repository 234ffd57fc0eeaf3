"""Applications and their approval or rejection."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from coop.audit import audit_record
from coop.counters import counter_take
from coop.errors import Conflict, InvalidInput
from coop.models import Cooperative
from coop.notices import notice_send

from .. import rules
from ..locks import lock_applications
from ..models import (
    Application,
    Kind,
    Member,
    ShareSubscription,
    StakeholderClass,
)
from ._common import _REGISTRAR, _not_in_the_future, _on_commit_email, _require
from .register import _reconcile_holding

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
