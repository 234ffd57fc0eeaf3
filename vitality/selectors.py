"""Vitality's reads for the pages and the API, each a fixed number of queries (pinned by
tests). Pulse answers leave the database only as aggregates: no read here returns an answer
with its member, except `own_answer` (a member's own, for themself)."""

from datetime import date, datetime

from django.db.models import Count, Prefetch

from governance.rules import hidden_classes

from .figures import SMALL_CLASS
from .models import PulseAnswer, Snapshot, SnapshotRecompute, SurveySettings
from .months import add_months, current_month


def snapshots(*, months: int | None = None, now: datetime | None = None) -> list[Snapshot]:
    """The snapshots, oldest first: the last `months` up to the current month, or all.
    One query (two with the recomputes prefetched)."""
    rows = Snapshot.objects.order_by("month")
    if months is not None:
        rows = rows.filter(month__gt=add_months(current_month(now), -months))
    return list(rows)


def snapshots_with_recomputes():
    """For the API: the snapshots, latest first, with their recompute records."""
    return Snapshot.objects.order_by("-month").prefetch_related(
        Prefetch("recomputes", queryset=SnapshotRecompute.objects.order_by("at", "pk")))


def snapshot(month: date) -> Snapshot | None:
    return snapshots_with_recomputes().filter(month=month).first()


def latest_final() -> Snapshot | None:
    return Snapshot.objects.filter(provisional=False).order_by("-month").first()


def survey_settings() -> SurveySettings:
    return SurveySettings.current()


def own_answer(member, month: date) -> PulseAnswer | None:
    """The member's own answer of the month (for the member themself, to change it)."""
    return PulseAnswer.objects.filter(member=member, month=month).only(
        "score", "comment", "month").first()


def comments(month: date, *, now: datetime | None = None) -> list[str]:
    """The comments of a finished month, without names, only from classes with at least 5
    answers and not hidden by privacy by subtraction; in alphabetical order, so their order
    says nothing about who answered when. Two queries; none while the month lasts."""
    if month >= current_month(now):
        return []
    counts = dict(PulseAnswer.objects.filter(month=month).values_list("class_slug")
                  .annotate(n=Count("pk")).order_by().values_list("class_slug", "n"))
    hidden = hidden_classes(secret=True, cast_by_class=counts)
    shown = [slug for slug, n in counts.items() if slug not in hidden and n >= SMALL_CLASS]
    if not shown:
        return []
    return sorted(PulseAnswer.objects.filter(month=month, class_slug__in=shown)
                  .exclude(comment="").values_list("comment", flat=True))


def class_choices() -> dict[str, str]:
    """slug -> name of every stakeholder class (the dashboard's class filter; one query)."""
    from membership.models import StakeholderClass

    return dict(StakeholderClass.objects.order_by("name").values_list("slug", "name"))
