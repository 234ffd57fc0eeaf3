"""Vitality's permission rules, one home each; pages, API, admin and services ask these.

- read the dashboard and snapshots: a current member, staff, a `vitality:read` key;
- recompute a snapshot: staff, a `vitality:write` key, a system job;
- answer the pulse survey: an active member, for themself (never a key, never staff as such);
- read answers: nobody, one by one. Only aggregates leave the database."""

from coop.actors import is_system
from coop.api_auth import key_allows
from membership import rules as membership_rules
from membership.models import Member

READ, WRITE = "vitality:read", "vitality:write"
READING_STATUSES = (Member.Status.ACTIVE, Member.Status.AWAITING_PAYMENT)


def is_staff(actor) -> bool:
    return membership_rules.is_staff(actor)


def may_read(actor, member: Member | None) -> bool:
    return (is_staff(actor) or key_allows(actor, READ)
            or (member is not None and member.status in READING_STATUSES))


def may_recompute(actor) -> bool:
    return is_staff(actor) or key_allows(actor, WRITE) or is_system(actor)


def may_answer(member: Member | None) -> bool:
    return member is not None and member.status == Member.Status.ACTIVE
