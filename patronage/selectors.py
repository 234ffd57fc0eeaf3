"""Reads of surplus distribution for pages, the API, money-ui and vitality."""

from datetime import date

from django.db.models import Q

from .models import AllocationPolicy

ENACTED = Q(enacted_at__isnull=False)


def policy_in_force(on: date) -> AllocationPolicy | None:
    """The version in force on `on` (RULES §6): the enacted version with the latest
    `effective_from` on or before it; between two with the same date, the later enactment."""
    return (AllocationPolicy.objects.filter(ENACTED, effective_from__lte=on)
            .order_by("-effective_from", "-enacted_at", "-version").first())


def allocation_policies():
    """Every version, newest first, with the proposal that enacted it (the policy history)."""
    return AllocationPolicy.objects.select_related("enacted_by_proposal", "created_by").order_by(
        "-version")


def run_allocations(run, *, viewer):
    """A run's lines as `viewer` may see them: all for staff and `ledger:read`, else only the
    viewer's own (a member sees their line, never another's)."""
    from membership.selectors import member_of

    from . import rules
    from .models import Allocation

    lines = Allocation.objects.filter(run=run).order_by("member_number")
    if rules.may_read_all(viewer):
        return lines
    member = member_of(viewer)
    return lines.filter(member=member) if member is not None else lines.none()


def run_for_period(period):
    """The posted run of a period, or None."""
    from .models import DividendRun

    return DividendRun.objects.filter(period=period, status=DividendRun.Status.POSTED).first()
