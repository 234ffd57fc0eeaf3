"""The demo cooperative's surplus distribution for `seed_demo` (after `ledger.seed`), through
the services so the books reconcile:

- the first allocation policy, in force from the first fiscal year;
- the contributions of the members active then (licences sold, licence fees paid, hours
  worked: each class its measure), per half-year, and per quarter in the open year, so it has
  contributions flowing in;
- the first year closed, its run computed and approved in March of the next year, and paid
  out (cash parts, interest, redemptions) in a payout batch in April;
- a `policy` proposal that passed in February of last year (cash share of patronage 30 % →
  40 %, from last year), so last year's run follows the new version;
- last year closed, its run approved in March of this year and paid out in April;
- a `policy` proposal open for a vote now (more to the commons from this year).

Deterministic (the seeded random generator and dates from `today`)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from coop.actors import SystemActor
from governance import services as governance_services
from governance.models import Category
from ledger import services as ledger_services
from ledger.models import FiscalPeriod
from membership.models import Member

from . import services
from .models import AllocationPolicy, DividendRun

PATRONAGE_SEED = SystemActor(name="patronage.seed")

FIRST_POLICY = dict(capital_interest_bp=300, interest_cap_bp=5000, reserves_bp=3000,
                    commons_bp=1000, patronage_bp=6000, cash_bp=3000,
                    class_shares_bp={"photographers": 6000, "clients": 2500, "staff": 1500})


def _quantity(rng: random.Random, slug: str) -> Decimal:
    """A contribution over a few months, in the class's measure."""
    if slug == "photographers":  # licences sold
        return Decimal(rng.choice([0, 2, 5, 8, 12, 20, 35, 60]))
    if slug == "clients":  # licence fees paid (EUR)
        return Decimal(rng.randint(5_000, 250_000)) / 100
    return Decimal(rng.randint(120, 480))  # staff: hours worked


def _contribution_days(first_year: int, today: date) -> list[date]:
    """Half-year ends in the closed years, quarter ends in this one (contributions flowing
    in), and today: few enough service calls to keep the seed fast."""
    days = [date(year, month, 30 if month == 6 else 31)
            for year in range(first_year, today.year) for month in (6, 12)]
    days += [date(today.year, month, 30 if month in (6, 9) else 31)
             for month in (3, 6, 9, 12)]
    return [d for d in days if d < today] + [today]


def _contributions(rng: random.Random, first_year: int, today: date) -> int:
    members = list(Member.objects.filter(activated_on__isnull=False)
                   .values_list("pk", "member_number", "stakeholder_class__slug",
                                "activated_on", "exited_on"))
    by_id = {pk: m for pk, m in Member.objects.in_bulk([m[0] for m in members]).items()}
    count = 0
    for day in _contribution_days(first_year, today):
        for pk, number, slug, activated, exited in members:
            if activated > day or (exited is not None and exited <= day):
                continue
            quantity = _quantity(rng, slug)
            if not quantity:
                continue
            services.contribution_record(
                actor=PATRONAGE_SEED, member=by_id[pk], date=day, quantity=quantity,
                external_id=f"demo:{number}:{day.isoformat()}", source="demo")
            count += 1
    return count


def _run(period: FiscalPeriod, approve_on: date, pay_on: date) -> DividendRun:
    """Close the period, compute its run (the task's work, here and now), approve it, and pay
    what became payable (cash parts, interest, the period's redemptions) in one batch."""
    period = ledger_services.period_close(actor=PATRONAGE_SEED, period=period)
    run = services.dividend_run_start(actor=PATRONAGE_SEED, period=period)
    run = services.dividend_run_compute(run_id=run.pk, attempt=run.attempt)
    run = services.dividend_run_approve(actor=PATRONAGE_SEED, run=run, on=approve_on)
    batch = services.payout_batch_create(actor=PATRONAGE_SEED)
    services.payout_batch_pay(actor=PATRONAGE_SEED, batch=batch, paid_on=pay_on)
    return run


def _policy_category() -> Category:
    # Branch `gov` adds the category by migration; a database without it gets the same row.
    category, _ = Category.objects.get_or_create(
        slug="policy", defaults={"name": "Policy", "min_quorum_percent": 20,
                                 "min_threshold": "2/3", "min_voting_hours": 72})
    return category


def _at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _policy_proposal(*, rng, draft: AllocationPolicy, author, voters, title: str, body: str,
                     opens: datetime, closes: datetime, close: bool):
    category = _policy_category()
    proposal = governance_services.proposal_create(
        actor=PATRONAGE_SEED, title=title, body=body, author=author, category=category,
        closes_at=closes, now=opens - timedelta(days=8),  # discussed for a week first
        threshold="2/3", quorum_percent=20,
        enacts={"kind": "allocation_policy", "policy_id": draft.pk})
    governance_services.proposal_open(actor=PATRONAGE_SEED, proposal=proposal, now=opens)
    for member in voters:
        governance_services.ballot_cast(
            proposal=proposal, member=member, now=opens + timedelta(hours=2),
            choice=rng.choices(["yes", "no", "abstain"], [8, 2, 1])[0])
    if close:
        governance_services.proposal_close(actor=PATRONAGE_SEED, proposal=proposal, now=closes,
                                           by_deadline=True)
    return proposal


def seed_patronage(*, rng: random.Random, today: date, demo_member: Member | None) -> str:
    if AllocationPolicy.objects.exists():
        return ""
    periods = list(FiscalPeriod.objects.order_by("start"))
    if len(periods) < 3:
        return ""
    first, last_year, _this_year = periods[-3:]
    services.policy_create(actor=PATRONAGE_SEED, effective_from=first.start,
                           note="Adopted at the founding assembly.", **FIRST_POLICY)
    contributions = _contributions(rng, first.start.year, today)

    run1 = _run(first, date(last_year.start.year, 3, 15), date(last_year.start.year, 4, 2))

    active = list(Member.objects.filter(status=Member.Status.ACTIVE).order_by("member_number"))
    author = demo_member if demo_member is not None and demo_member.status == "active" \
        else active[0]
    voters = rng.sample(active, max(1, len(active) * 3 // 5))
    v2 = services.policy_create(actor=PATRONAGE_SEED, effective_from=last_year.start,
                                note="More of the patronage paid out in cash.",
                                **{**FIRST_POLICY, "cash_bp": 4000})
    _policy_proposal(
        rng=rng, draft=v2, author=author, voters=voters,
        title="Pay 40 % of patronage in cash",
        body="Members asked for more of their patronage in cash while prices rise. From last "
             "year's surplus on, 40 % of each member's patronage is paid out and 60 % retained "
             "in their capital account (instead of 30 % and 70 %).",
        opens=_at(date(last_year.start.year, 2, 1)), closes=_at(date(last_year.start.year, 2, 8)),
        close=True)

    # This year's approval and payout, or today's when the seed runs early in the year.
    run2 = _run(last_year, min(date(today.year, 3, 15), today),
                min(date(today.year, 4, 2), today))

    v3 = services.policy_create(actor=PATRONAGE_SEED, effective_from=date(today.year, 1, 1),
                                note="A larger commons fund.",
                                **{**FIRST_POLICY, "cash_bp": 4000, "reserves_bp": 2500,
                                   "commons_bp": 1500})
    now = timezone.now()
    _policy_proposal(
        rng=rng, draft=v3, author=author, voters=voters[: len(voters) // 4],
        title="Grow the commons fund to 15 % of the surplus",
        body="From this year on, 15 % of the surplus goes to the commons fund (public-domain "
             "archive, training) and 25 % to the indivisible reserve (instead of 10 % and 30 %).",
        opens=now - timedelta(days=1), closes=now + timedelta(days=6), close=False)
    return (f"{contributions} contributions, runs {run1.pk} and {run2.pk} posted, "
            f"policy versions 1–3 (2 by a passed proposal, 3 open for a vote)")
