"""Row locks of the membership app. The order across apps, and why, is in docs/architecture.md
("Locks"): applications before members, members before users and counters; rows of one model
in primary-key order."""

from .models import Application, Bylaws, Member, StakeholderClass

__all__ = ["lock_applications", "lock_bylaws", "lock_member", "lock_members",
           "lock_stakeholder_class"]


def lock_applications(ids) -> list[Application]:
    """The applications with these ids that exist, locked in primary-key order."""
    return list(Application.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def lock_member(member_id: int) -> Member:
    """One member, locked, with the subscription and class read in the same query."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to subscription.
    return (Member.objects.select_for_update(of=("self",))
            .select_related("subscription", "stakeholder_class").get(pk=member_id))


def lock_members(ids) -> list[Member]:
    """The members with these ids that exist, locked in primary-key order (subscription and
    class read in the same query)."""
    return list(Member.objects.select_for_update(of=("self",))
                .select_related("subscription", "stakeholder_class")
                .filter(pk__in=ids).order_by("pk"))


def lock_stakeholder_class(class_id: int) -> StakeholderClass:
    """One stakeholder class, locked (an edit of its price or rules). Classes come before
    members: an approval reads its class and then locks the new member."""
    return StakeholderClass.objects.select_for_update().get(pk=class_id)


def lock_bylaws(bylaws_id: int) -> Bylaws:
    """One version of the bylaws, locked (an edit checked against the stored row: a published
    version is fixed). Locked alone: no transaction holds another row when it takes it."""
    return Bylaws.objects.select_for_update().get(pk=bylaws_id)
