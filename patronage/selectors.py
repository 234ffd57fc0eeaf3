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
