"""Demo proposals for `seed_demo`: open, closed, passed and implemented, of every method (open
votes too).

Everything goes through the services (with past `now` values for the closed ones), so the
electorates, ballots, tallies and audit trail are real."""

import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from coop.actors import GOVERNANCE_SEED
from coop.models import Notice
from membership.models import Member

from . import services
from .models import Category, Proposal


def _vote(proposal, members, rng, now, pick):
    """`pick(rng, option_ids)` returns the ballot's fields."""
    option_ids = list(proposal.options.values_list("pk", flat=True))
    for member in members:
        services.ballot_cast(proposal=proposal, member=member, now=now, **pick(rng, option_ids))


def discussion_began(category: Category, opened):
    """The demo's proposals were discussed a day longer than their category's floor before
    voting opened (RULES §2), so no vote of the demo opened early."""
    return opened - timedelta(hours=category.min_discussion_hours + 24)


def seed_governance(*, rng: random.Random | None = None, demo_member: Member | None = None) -> int:
    if Proposal.objects.exists():
        return 0
    rng = rng or random.Random(2026)
    active = list(Member.objects.filter(status=Member.Status.ACTIVE).select_related("user")
                  .order_by("member_number"))
    if len(active) < 10:
        return 0
    author = demo_member if demo_member and demo_member.is_active else active[0]
    others = [m for m in active if m.pk != getattr(demo_member, "pk", None)]
    now = timezone.now()
    general = Category.objects.get(slug="general")
    bylaws = Category.objects.get(slug="bylaws")
    election = Category.objects.get(slug="election")
    created = 0

    def closed(title, body, *, category, days_ago, turnout, pick, **rules):
        nonlocal created
        opened = now - timedelta(days=days_ago + category.min_voting_hours / 24 + 1)
        closes = now - timedelta(days=days_ago)
        proposal = services.proposal_create(actor=GOVERNANCE_SEED,
                                            title=title, body=body, author=author,
                                            category=category, closes_at=closes,
                                            now=discussion_began(category, opened), **rules)
        services.proposal_open(actor=GOVERNANCE_SEED, proposal=proposal, now=opened)
        voters = rng.sample(others, int(len(others) * turnout))
        _vote(proposal, voters, rng, opened + timedelta(hours=1), pick)
        services.proposal_close(actor=GOVERNANCE_SEED,
                                proposal=proposal, now=closes, by_deadline=True)
        created += 1
        proposal.refresh_from_db()
        return proposal

    def yes_no(weights):
        return lambda r, _: {"choice": r.choices(["yes", "no", "abstain"], weights)[0]}

    passed = closed(
        "Raise the photographers' licence share to 70 %",
        "Photographers receive 70 % of each licence fee instead of 65 %, funded by lower "
        "platform margins.", category=general, days_ago=40, turnout=0.45, pick=yes_no([6, 3, 1]),
        tally_mode="class_weighted")
    services.outcome_statement_set(actor=GOVERNANCE_SEED,
                                   proposal=passed, statement="Applies to licences sold from "
                                   "the first day of next month.")
    services.implementation_update(actor=GOVERNANCE_SEED, proposal=passed, status="in_progress",
                                   note="Payout rules changed in the billing system.",
                                   on=(now - timedelta(days=30)).date())
    services.implementation_update(actor=GOVERNANCE_SEED,
                                   proposal=passed, status="done", note="Live since the 1st.",
                                   on=(now - timedelta(days=20)).date())
    closed("Adopt a code of conduct for client feedback", "Clients rate licences and write "
           "reviews under a code of conduct drafted by the ethics circle.", category=general,
           days_ago=25, turnout=0.35, pick=lambda r, _: {"choice": r.choices(
               ["agree", "abstain", "disagree", "block"], [8, 2, 2, 0])[0]}, method="consent")
    closed("Open a second archive for video", "Extend the catalogue to short video clips.",
           category=general, days_ago=15, turnout=0.04, pick=yes_no([1, 1, 1]))
    closed("Bylaws: allow investor members", "Add a class of investor members without votes.",
           category=bylaws, days_ago=10, turnout=0.5, pick=yes_no([3, 5, 1]),
           threshold="2/3", quorum_percent=30, secret=True)
    closed("Elect the board (3 seats)", "Candidates introduced themselves at the "
                   "spring assembly.", category=election, days_ago=5, turnout=0.4,
                   method="ranked", seats=3,
                   options=["Amara Diallo", "Bruno Keller", "Chen Wei", "Dana Novak",
                            "Emil Laurent"],
                   pick=lambda r, ids: {"ranking": r.sample(ids, r.randint(1, len(ids)))})

    # Open votes: the demo member has not voted yet.
    def open_vote(title, body, *, category=general, hours_left=48, pick=None, voters=0.15,
                  **rules):
        nonlocal created
        opened = now - timedelta(hours=category.min_voting_hours + 1 - hours_left)
        proposal = services.proposal_create(actor=GOVERNANCE_SEED,
                                            title=title, body=body, author=author,
                                            category=category,
                                            closes_at=now + timedelta(hours=hours_left),
                                            now=discussion_began(category, opened), **rules)
        services.proposal_open(actor=GOVERNANCE_SEED, proposal=proposal, now=opened)
        if pick:
            _vote(proposal, rng.sample(others, int(len(others) * voters)), rng,
                  opened + timedelta(hours=1), pick)
        created += 1
        return proposal

    open_vote("Fund a commons archive of public-domain photography", "Allocate 5 % of the "
              "commons fund to digitising public-domain collections.", pick=yes_no([5, 2, 1]),
              early_close_allowed=True)
    cover = open_vote("Choose next season's cover themes", "Approve any themes you like; the "
                      "two with most approvals win.", method="approval", seats=2,
                      options=["Cities at night", "Farming futures", "Rivers", "Hands at work"])
    _vote(cover, rng.sample(others, len(others) // 8), rng, now - timedelta(hours=1),
          lambda r, ids: {"approvals": r.sample(ids, r.randint(1, 3))})
    open_vote("Secret ballot: pay rise for the staff team", "A 4 % pay rise for the staff "
              "class from January.", secret=True, tally_mode="concurrent",
              pick=yes_no([4, 3, 1]), voters=0.08)
    open_vote("Adopt the shared darkroom rota", "Members book the darkroom in two-hour slots "
              "through the site; the facilities circle settles clashes.", method="consent",
              pick=lambda r, _: {"choice": r.choices(
                  ["agree", "abstain", "disagree", "block"], [7, 2, 1, 0])[0]})
    open_vote("Choose the city of the autumn photo walk", "Rank the cities you would travel "
              "to; the one most members prefer wins.", method="ranked", seats=1,
              options=["Lisbon", "Ljubljana", "Ghent", "Porto"], hours_left=60,
              pick=lambda r, ids: {"ranking": r.sample(ids, r.randint(1, len(ids)))})
    services.proposal_create(actor=GOVERNANCE_SEED,
                             title="Partner with the regional news cooperative",
                             body="Share a syndication feed with the regional news "
                             "cooperative at cost price.", author=author,
                             # Discussed for its category's 48 hours and a day more; then the
                             # scheduled job opens the vote.
                             opens_at=now + timedelta(days=3),
                             closes_at=now + timedelta(days=10))
    services.proposal_create(actor=GOVERNANCE_SEED,
                             title="Draft: a mentoring programme for new photographers",
                             body="Experienced members mentor newcomers for their first "
                             "three months.", author=author, closes_at=now + timedelta(days=20),
                             draft=True)
    date_by_history()
    return created + 2


def date_by_history() -> None:
    """The services stamp "proposed on" and the notices with the moment the seed runs; date them
    by each proposal's own history instead (proposed when its discussion began, "voting is
    open" when it opened, the result when it closed), so the demo's pages and inbox agree.
    Inside a transaction the notices are made on commit: `seed_demo` calls this again after."""
    proposal_type = ContentType.objects.get_for_model(Proposal)
    for proposal in Proposal.objects.all():
        if proposal.discussion_at:
            Proposal.objects.filter(pk=proposal.pk).update(created_at=proposal.discussion_at)
        about = Notice.objects.filter(target_type=proposal_type, target_id=proposal.pk)
        for kind, at in (("governance.vote_opened", proposal.opens_at),
                         ("governance.result", proposal.closed_at)):
            if at:
                about.filter(kind=kind).update(created_at=at)
                about.filter(kind=kind, emailed_at__isnull=False).update(emailed_at=at)
