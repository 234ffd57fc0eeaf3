"""Vitality test data: rows written straight into the tables the figures read (members with
their dates, closed votes with their electorates, heartbeats, answers), so a scenario of many
months is built in a few queries. The figures only read these rows; the services that write
them are tested in their own apps."""

from datetime import UTC, date, datetime, timedelta

from coop.models import Heartbeat
from governance.models import Category, Elector, Proposal
from membership.models import Member, StakeholderClass
from vitality.models import PulseAnswer

_numbers = iter(range(1, 10**9))


def klass(slug: str) -> StakeholderClass:
    return StakeholderClass.objects.get_or_create(
        slug=slug, defaults={"name": slug.title(), "share_price_minor": 1000, "min_shares": 1,
                             "max_shares": 10, "vote_weight": 1})[0]


def member(stakeholder_class: StakeholderClass, joined_on: date, *, active: bool = True,
           exited_on: date | None = None, referred_by: Member | None = None,
           user=None) -> Member:
    number = next(_numbers)
    status = Member.Status.EXITED if exited_on else (
        Member.Status.ACTIVE if active else Member.Status.AWAITING_PAYMENT)
    return Member.objects.create(
        member_number=number, name=f"Member {number}", stakeholder_class=stakeholder_class,
        status=status, joined_on=joined_on, activated_on=joined_on if active else None,
        exited_on=exited_on, referred_by=referred_by, user=user,
        email=user.email if user else "")


def members(stakeholder_class, joined_on: date, count: int, **kwargs) -> list[Member]:
    return [member(stakeholder_class, joined_on, **kwargs) for _ in range(count)]


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def vote(closed_at: datetime, electors: list[tuple[Member, bool]], *, outcome: str = "passed",
         reminded: bool = False, days_open: float = 7, secret: bool = False,
         implementation: str = "", done_on: date | None = None) -> Proposal:
    """A closed vote: its frozen electorate and who took part."""
    cast = sum(1 for _, voted in electors if voted)
    if outcome == "passed" and not implementation:
        implementation = Proposal.Implementation.PLANNED
    proposal = Proposal.objects.create(
        title="A vote", body="Body", category=Category.objects.get(slug="general"),
        status=Proposal.Status.CLOSED, outcome=outcome, quorum_percent=10, secret=secret,
        opens_at=closed_at - timedelta(days=days_open), closes_at=closed_at,
        closed_at=closed_at, electorate_size=len(electors), ballots_cast=cast,
        reminders_needed=reminded, implementation_status=implementation,
        implementation_done_on=done_on)
    Elector.objects.bulk_create([
        Elector(proposal=proposal, member=m, class_slug=m.stakeholder_class.slug,
                vote_weight=1, voted_at=closed_at - timedelta(hours=1) if voted else None)
        for m, voted in electors])
    return proposal


def answers(month: date, scored: list[tuple[Member, int]], comment: str = "") -> None:
    PulseAnswer.objects.bulk_create([
        PulseAnswer(member=m, month=month, class_slug=m.stakeholder_class.slug, score=score,
                    comment=comment, answered_at=at(month.replace(day=10)))
        for m, score in scored])


def heartbeats(start: datetime, minutes: int) -> None:
    Heartbeat.objects.bulk_create(
        [Heartbeat(minute=start + timedelta(minutes=i)) for i in range(minutes)])
