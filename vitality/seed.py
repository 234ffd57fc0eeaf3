"""The demo's vitality history for `seed_demo` (after membership and governance): a monthly
vote and pulse survey for every month the cooperative has existed, then every month's snapshot.
Through the real services (past `now` values), so ballots, answers and audit are real.

The story (months counted back from today), told by the figures and the alerts:
- a healthy start: most months a vote meets its quorum and members answer around 4 of 5;
- extractive pressure, 16–15 months ago: the cooperative keeps growing fast (a tenth more
  members every three months) while satisfaction falls by half a point; it recovers;
- quorum decay, 10–7 months ago: votes fail their quorum, need reminders, and a small core of
  members casts most ballots; the cooperative moves to smaller, monthly decisions and
  participation comes back;
- the platform's heartbeat is recorded for the last two months, with one outage."""

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from coop.actors import SystemActor
from coop.models import Heartbeat
from governance import services as governance
from governance.models import Category, Proposal
from membership.models import Member

from . import services
from .months import add_months, between, bounds, current_month

VITALITY_SEED = SystemActor(name="vitality.seed")
EXTRACTIVE = (-16, -15)  # months back from the current one
DECAY = (-10, -9, -8, -7)
SATISFACTION = {-18: 4.1, -17: 4.15, -16: 3.6, -15: 3.35, -14: 3.6, -13: 3.85, -12: 4.0}
TOPICS = ["Open a darkroom co-working day", "Translate the licence terms into Spanish",
          "Fund a legal clinic on image rights", "Move hosting to a cooperative provider",
          "Add video licences", "Set up a hardship fund", "Publish a yearly impact report",
          "Offer training for new photographers", "Change the meeting schedule",
          "Join a federation of platform cooperatives"]
GOOD = ["Payments arrive on time.", "I feel heard at the assemblies.",
        "Good clients, fair terms.", "The new search works well."]
BAD = ["Too many new members too fast; nobody knows anyone any more.",
       "Decisions are made before we get to discuss them.",
       "Support takes weeks to answer.", "My licences sell less since the growth push."]


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_default_timezone())


def _active_on(day: date) -> list[Member]:
    return list(Member.objects.filter(activated_on__lte=day, status=Member.Status.ACTIVE)
                .select_related("user", "stakeholder_class").order_by("member_number"))


def _monthly_vote(month: date, offset: int, rng: random.Random, core: list[Member]) -> None:
    """The month's vote: in the decay months turnout collapses to a small core, the vote
    needs reminders and fails its quorum (10 %); otherwise 13–20 % vote, before the reminder."""
    opens = _at(month.replace(day=8))
    closes = opens + timedelta(days=5)
    # proposal_open freezes today's active members as the electorate (the services know no
    # other), so the history's electorates are today's members; turnout is a share of them.
    electors = _active_on(timezone.localdate())
    general = Category.objects.get(slug="general")
    proposal = governance.proposal_create(
        actor=VITALITY_SEED, title=TOPICS[offset % len(TOPICS)],
        body="A monthly decision of the cooperative (demo history).", author=electors[0],
        category=general, closes_at=closes, quorum_percent=10, now=opens - timedelta(days=3))
    governance.proposal_open(actor=VITALITY_SEED, proposal=proposal, now=opens)
    decaying = offset in DECAY
    if decaying:
        voters = core[: len(electors) // 20] + rng.sample(electors, len(electors) // 50)
    else:
        voters = rng.sample(electors, int(len(electors) * rng.uniform(0.13, 0.2)))
    for member in dict.fromkeys(voters):
        governance.ballot_cast(proposal=proposal, member=member, now=opens + timedelta(hours=2),
                               choice=rng.choices(["yes", "no", "abstain"], [6, 3, 1])[0])
    governance.reminders_send_due(actor=VITALITY_SEED, now=closes - timedelta(hours=20))
    closed = governance.proposal_close(actor=VITALITY_SEED, proposal=proposal, now=closes,
                                       by_deadline=True)
    if closed is not None and closed.outcome == Proposal.Outcome.PASSED:
        done_on = (closes + timedelta(days=20 + rng.randrange(40))).date()
        if done_on < timezone.localdate():
            governance.implementation_update(proposal=closed, status="done", on=done_on,
                                             actor=VITALITY_SEED, note="Done (demo history).")


def _scores(mood: float, n: int, rng: random.Random) -> list[int]:
    """n scores whose mean is the month's mood (to 1/n), spread a little either side."""
    low = int(mood)
    scores = [low + (1 if i < round((mood - low) * n) else 0) for i in range(n)]
    for i in range(0, n - 1, 5):  # every fifth pair one up, one down: the mean stays
        if scores[i] < 5 and scores[i + 1] > 1:
            scores[i], scores[i + 1] = scores[i] + 1, scores[i + 1] - 1
    rng.shuffle(scores)
    return scores


def _survey(month: date, offset: int, rng: random.Random) -> None:
    """About 40 % of the active members with an account answer (at least a quarter of all
    active members), around the month's mood."""
    mood = SATISFACTION.get(offset, 4.1 if offset not in DECAY else 3.9)
    active = _active_on(month.replace(day=14))
    people = [m for m in active if m.user_id]
    count = min(len(people), max(int(len(people) * 0.4), -(-len(active) // 4)))
    for member, score in zip(rng.sample(people, count), _scores(mood, count, rng), strict=True):
        comment = ""
        if rng.random() < 0.15:
            comment = rng.choice(BAD if score <= 3 else GOOD)
        services.pulse_answer(actor=member.user, member=member, score=score, comment=comment,
                              now=_at(month.replace(day=15 + rng.randrange(10))))


def _heartbeats(today: date, rng: random.Random) -> None:
    """The last two months' heartbeat, every minute, with one four-hour outage."""
    start = bounds(add_months(current_month(), -1))[0]
    end = timezone.now().replace(second=0, microsecond=0)
    outage = start + timedelta(days=9, hours=rng.randrange(24))
    minute, rows = start, []
    while minute < end:
        if not outage <= minute < outage + timedelta(hours=4):
            rows.append(Heartbeat(minute=minute))
        minute += timedelta(minutes=1)
    Heartbeat.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)


def seed_vitality(*, rng: random.Random, today: date) -> str:
    """Every month's vote and survey since the first admission, then the snapshots."""
    first = services.first_month()
    if first is None:
        return "no members: no vitality history"
    this_month = current_month()
    members = list(Member.objects.filter(status=Member.Status.ACTIVE).order_by("member_number"))
    core = members[: max(3, len(members) // 12)]  # the founders, who keep voting
    for month in between(first, add_months(this_month, -1)):
        offset = (month.year - this_month.year) * 12 + month.month - this_month.month
        if month >= add_months(first, 2):  # a few members first, then a vote a month
            _monthly_vote(month, offset, rng, core)
        _survey(month, offset, rng)
    _heartbeats(today, rng)
    finalised = services.snapshots_catch_up()
    return f"{len(finalised)} monthly snapshots"
