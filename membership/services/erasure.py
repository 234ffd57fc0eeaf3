"""Erasing a person's data (the right to erasure), once they have left and are owed nothing.

What goes: the sign-in account (with its addresses, two-factor keys and sessions), the
member's email, contact person and exit reason, their applications' details, their notices,
and what the apps above keep through `membership.hooks.erasure_hooks` (the IBAN, the pulse
survey's comments). What stays: the register's facts (number, class, dates, shares,
payments, certificates) and the books, which the cooperative must keep, and the member's
ballots and comments, which are the cooperative's record of its decisions; they show the
member's name, and so the pseudonym once the name is erased.

The name: the register keeps a former member's name for `Cooperative.register_retention_years`
after the exit (the law of many countries asks for it). Erased before then, the name stays
until that day, when the daily job `erase_names_due` replaces it with "Former member N".

An organisation's legal name and registration number are not a person's data and stay; its
contact person and email go."""

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from coop.audit import audit_record
from coop.errors import Conflict
from coop.models import Cooperative
from coop.money import format_minor
from coop.notices import notices_forget

from .. import hooks, rules
from ..locks import lock_members
from ..models import Application, Kind, Member, Redemption
from ._common import _require
from .register import _lock_member

ERASED_NAME = "Former member {number}"
ERASED_APPLICANT = "Erased applicant"


@dataclass
class ErasureResult:
    member: Member
    # The day the name goes, when the register keeps it a while longer; None: gone already.
    name_kept_until: date | None
    counts: dict[str, int] = field(default_factory=dict)


def name_retention_end(exited_on: date, years: int) -> date:
    """The day the register may let go of a former member's name (29 February + 1 year is
    1 March: the retention is never cut short)."""
    try:
        return exited_on.replace(year=exited_on.year + years)
    except ValueError:
        return date(exited_on.year + years, 3, 1)


def erasure_refusal(member: Member) -> str | None:
    """Why this member's data cannot be erased yet (checked again under the lock), or None.
    The admin asks it to show the button or say why not."""
    if member.erased_on is not None:
        return f"Member {member.member_number}'s data was erased on {member.erased_on}."
    if rules.is_current(member):
        return (f"Member {member.member_number} is still a member: a person's data is erased "
                f"only after they have left (record the exit first).")
    redemption = Redemption.objects.filter(member=member).first()
    if (redemption is not None and redemption.amount_minor > 0
            and redemption.status != Redemption.Status.PAID):
        owed = format_minor(redemption.amount_minor, Cooperative.current_currency())
        return (f"The cooperative still owes member {member.member_number} their capital "
                f"({owed}, {redemption.get_status_display().lower()}): pay it before erasing "
                f"their data, which includes the account it is paid to.")
    user = member.user
    if user is not None and (user.is_staff or user.is_superuser):
        return (f"Member {member.member_number}'s account is a staff account: take away its "
                f"staff rights first.")
    return hooks.erasure_refusal(member)


@transaction.atomic
def member_erase(*, member: Member, actor) -> ErasureResult:
    """Erase a former member's personal data; all or nothing (see the module's text)."""
    _require(rules.may_erase(actor), "Only staff erase a person's data.")
    member = _lock_member(member)
    reason = erasure_refusal(member)
    if reason:
        raise Conflict(reason)
    today = timezone.localdate()
    user = member.user
    counts: dict[str, int] = {}

    applications = Application.objects.filter(
        Q(pk=member.application_id) | (Q(user=user) if user else Q(pk__in=[])))
    application_ids = list(applications.values_list("pk", flat=True))
    counts["applications"] = _applications_erase(application_ids)
    counts["notices"] = (notices_forget(Member, [member.pk])
                         + notices_forget(Application, application_ids)
                         + (notices_forget(get_user_model(), [user.pk]) if user else 0))
    if user is not None:
        counts["accounts"] = _account_delete(user)

    # An expulsion has no service yet and may leave no exit date: the retention counts from
    # today then, never from nothing.
    keep_until = name_retention_end(member.exited_on or today,
                                    Cooperative.current().register_retention_years)
    member.email = ""
    member.contact_person = ""
    member.exit_reason = ""
    member.directory_visible = False
    member.user = None
    member.erased_on = today
    if member.kind == Kind.PERSON:
        member.registration_number = ""
    if member.kind == Kind.PERSON and keep_until > today:
        member.name_kept_until = keep_until
    elif member.kind == Kind.PERSON:
        member.name = ERASED_NAME.format(number=member.member_number)
    member.save(update_fields=["email", "contact_person", "exit_reason", "directory_visible",
                               "user", "erased_on", "registration_number", "name",
                               "name_kept_until"])
    counts |= hooks.erased(member, actor=actor)
    # Counts and a date: never the data.
    audit_record(action="member.erased", object_type="member", object_id=member.member_number,
                 actor=actor, facts={"counts": counts, "name_kept_until": (
                     member.name_kept_until.isoformat() if member.name_kept_until else None)})
    return ErasureResult(member=member, name_kept_until=member.name_kept_until, counts=counts)


def _applications_erase(ids: list[int]) -> int:
    # An organisation's legal name and number are not personal data; its contact's are.
    Application.objects.filter(pk__in=ids, kind=Kind.PERSON).update(registration_number="")
    return Application.objects.filter(pk__in=ids).update(
        name=ERASED_APPLICANT, email="", motivation="", rejection_reason="", user=None)


def _account_delete(user) -> int:
    """The sign-in account goes whole: its sessions end now, and its email addresses,
    two-factor keys and session records go with it (they cascade). What it did stays in
    the audit by id (`actor_id`), which names nobody once the account is gone."""
    from allauth.usersessions.models import UserSession

    for session in UserSession.objects.filter(user=user):
        session.end()
    user.delete()
    return 1


@transaction.atomic
def erase_names_due(*, actor, today: date | None = None) -> int:
    """The names of erased former members whose retention has ended (the daily job)."""
    _require(rules.may_erase(actor), "Only staff or a system job erase a person's data.")
    today = today or timezone.localdate()
    ids = Member.objects.filter(name_kept_until__lte=today).values_list("pk", flat=True)
    due = [m for m in lock_members(list(ids)) if m.name_kept_until and m.name_kept_until <= today]
    for member in due:
        member.name = ERASED_NAME.format(number=member.member_number)
        member.name_kept_until = None
        member.save(update_fields=["name", "name_kept_until"])
        audit_record(action="member.name_erased", object_type="member",
                     object_id=member.member_number, actor=actor, facts={})
    return len(due)
