"""Membership's permission and visibility rules: one predicate each, called by the views, the
API, the admin and the other apps (governance reads `is_current` for who may read and comment).

An actor is what a face passes as the one acting: a user (a person, staff or not), a partner
key (coop.models.PartnerApiKey) or a system job (coop.actors.SystemActor). Predicates that
need the acting person's member take it as an argument (the faces have loaded it already), so
none of these costs a query, except `is_staff` with ADMIN_REQUIRE_2FA on: one query per user
object for its TOTP authenticator (coop.mfa caches the answer on the object).
"""

from coop.actors import is_system
from coop.api_auth import key_allows
from coop.mfa import staff_may_act
from coop.models import PartnerApiKey

from .models import Member

MEMBERS_READ, MEMBERS_WRITE = "members:read", "members:write"

# A current member: admitted and not gone. They read the pages members read and take part in
# discussions; voting and proposing need `active` (governance.rules).
CURRENT_STATUSES = (Member.Status.ACTIVE, Member.Status.AWAITING_PAYMENT)


def is_staff(actor) -> bool:
    """A signed-in staff person (never a key, never a system job) who may use staff powers:
    with ADMIN_REQUIRE_2FA only once two-factor is set up (coop.mfa.staff_may_act), so every
    face that asks this (API, pages, services) follows the admin's gate."""
    return getattr(actor, "pk", None) is not None and staff_may_act(actor)


def staff_or_none(actor):
    """The staff user to record as having decided or recorded something (`decided_by`,
    `recorded_by`); None for a key, a system job or anyone else."""
    return actor if is_staff(actor) else None


def is_current(member: Member | None) -> bool:
    return member is not None and member.status in CURRENT_STATUSES


def is_active(member: Member | None) -> bool:
    return member is not None and member.status == Member.Status.ACTIVE


def may_see_directory(user, member: Member | None) -> bool:
    """The members directory: staff and current members."""
    return is_staff(user) or is_current(member)


def may_see_certificate(user, certificate) -> bool:
    """A share certificate: its holder and staff; to anybody else it does not exist (404)."""
    return is_staff(user) or (
        getattr(user, "pk", None) is not None and certificate.member.user_id == user.pk
    )


def may_manage_register(actor) -> bool:
    """Decide applications, record and reverse payments, create classes, record a resignation
    received: staff, a `members:write` key, or a system job (coop.actors)."""
    return is_system(actor) or is_staff(actor) or key_allows(actor, MEMBERS_WRITE)


def is_self(actor, member: Member) -> bool:
    """The person acting is this member."""
    return (
        not is_system(actor)
        and getattr(actor, "pk", None) is not None
        and member.user_id is not None
        and member.user_id == actor.pk
        and not isinstance(actor, PartnerApiKey)
    )


def may_exit(actor, member: Member) -> bool:
    """A member resigns themself; staff, a `members:write` key or a job record a resignation."""
    return may_manage_register(actor) or is_self(actor, member)


def may_erase(actor) -> bool:
    """Erase a person's data, which cannot be undone: staff, or the system job that erases the
    names whose retention has ended; never a partner key."""
    return is_system(actor) or is_staff(actor)


def may_set_directory_visibility(actor, member: Member) -> bool:
    return is_self(actor, member) or is_system(actor) or is_staff(actor)


def sees_every_member(actor, *, scope: str = MEMBERS_READ) -> bool:
    """Staff and a key with `scope` see every member; a person sees only themself."""
    return is_staff(actor) or key_allows(actor, scope)
