"""Reads of surplus distribution for pages, the API, money-ui and vitality."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import Exists, OuterRef, Q

from .models import AllocationPolicy, PayoutAccount

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


# --- statements (for money-ui's pages, the API and the PDF) -----------------------------------


@dataclass(frozen=True)
class InterestExplained:
    rate_bp: int
    terms: list  # allocation.InterestTerm: amount, paid_on, days (NL/365), exact interest
    exact_total: Fraction  # i_m, before the cap and the split
    interest_minor: int  # what the member receives
    capped: bool  # the run's interest was cut to the cap (step 2)
    pool_minor: int  # I
    wanted_minor: int  # floor(Σ i_m) over all members
    cap_minor: int  # floor(S · interest_cap_bp / 10000)


@dataclass(frozen=True)
class PatronageExplained:
    class_slug: str
    measure: str
    contribution: Decimal
    class_contribution: Decimal
    class_share_bp: int
    class_pool_minor: int
    forfeited: bool
    patronage_minor: int
    cash_bp: int
    cash_minor: int
    retained_minor: int
    exited: bool


@dataclass(frozen=True)
class Statement:
    """A member's statement for a period (RULES §3 "Statements", §4 step 7) with the
    arithmetic behind each figure. `run` is None while the period has no posted run."""

    member: object
    period: object
    run: object | None
    line: object | None
    interest: InterestExplained | None
    patronage: PatronageExplained | None

    @property
    def ready(self) -> bool:
        return self.run is not None

    def as_dict(self) -> dict:
        """API.md's fields: {period, contribution, interest_minor, patronage_minor,
        cash_minor, retained_minor, run_id}, plus the explanation."""
        line = self.line
        data = {
            "period": self.period.pk, "period_start": self.period.start,
            "period_end": self.period.end, "run_id": getattr(self.run, "pk", None),
            "contribution": f"{line.contribution:.4f}" if line else "0.0000",
            "interest_minor": line.interest_minor if line else 0,
            "patronage_minor": line.patronage_minor if line else 0,
            "cash_minor": line.cash_minor if line else 0,
            "retained_minor": line.retained_minor if line else 0,
        }
        explanation = {}
        if self.interest is not None:
            i = self.interest
            explanation["interest"] = {
                "rate_bp": i.rate_bp, "exact": f"{i.exact_total.numerator}/"
                                              f"{i.exact_total.denominator}",
                "capped": i.capped, "pool_minor": i.pool_minor, "wanted_minor": i.wanted_minor,
                "cap_minor": i.cap_minor,
                "payments": [{"amount_minor": t.amount_minor, "paid_on": t.paid_on,
                              "days": t.days,
                              "exact": f"{t.exact.numerator}/{t.exact.denominator}"}
                             for t in i.terms]}
        if self.patronage is not None:
            p = self.patronage
            explanation["patronage"] = {
                "stakeholder_class": p.class_slug, "measure": p.measure,
                "contribution": f"{p.contribution:.4f}",
                "class_contribution": f"{p.class_contribution:.4f}",
                "class_share_bp": p.class_share_bp, "class_pool_minor": p.class_pool_minor,
                "forfeited": p.forfeited, "cash_bp": p.cash_bp, "exited": p.exited}
        data["explanation"] = explanation
        return data


def member_statement(member, period) -> Statement:
    """The statement of `member` for `period`, in at most four queries whatever the size of
    the cooperative: the posted run (with its policy), the member's line, their payments (only
    when they earned interest), their class's measure comes with the member."""
    from membership.models import SharePayment

    from .allocation import PaymentIn, interest_terms
    from .models import Allocation, DividendRun

    run = (DividendRun.objects.select_related("policy")
           .filter(period=period, status=DividendRun.Status.POSTED).first())
    if run is None:
        return Statement(member, period, None, None, None, None)
    line = Allocation.objects.filter(run=run, member=member).first()
    if line is None:
        return Statement(member, period, run, None, None, None)
    policy = run.policy
    interest = None
    if line.interest_exact != "0/1":
        reversal = SharePayment.objects.filter(reverses=OuterRef("pk"))
        payments = (SharePayment.objects.filter(member=member, kind=SharePayment.Kind.PAYMENT)
                    .annotate(was_reversed=Exists(reversal))
                    .values_list("amount_minor", "paid_on", "was_reversed"))
        terms = interest_terms(
            [PaymentIn(member.member_number, a, d, r) for a, d, r in payments],
            period_start=period.start, period_end=period.end,
            rate_bp=policy.capital_interest_bp)
        interest = InterestExplained(
            rate_bp=policy.capital_interest_bp, terms=terms,
            exact_total=Fraction(line.interest_exact), interest_minor=line.interest_minor,
            capped=run.interest_minor < run.interest_wanted_minor,
            pool_minor=run.interest_minor, wanted_minor=run.interest_wanted_minor,
            cap_minor=run.interest_cap_minor)
    pools = run.class_pools.get(line.class_slug, {})
    patronage = PatronageExplained(
        class_slug=line.class_slug, measure=member.stakeholder_class.patronage_measure,
        contribution=line.contribution,
        class_contribution=Decimal(pools.get("contribution", "0")),
        class_share_bp=pools.get("share_bp", 0), class_pool_minor=pools.get("pool_minor", 0),
        forfeited=pools.get("forfeited", False), patronage_minor=line.patronage_minor,
        cash_bp=policy.cash_bp, cash_minor=line.cash_minor, retained_minor=line.retained_minor,
        exited=line.exited)
    return Statement(member, period, run, line, interest, patronage)


def member_statements(member) -> list[dict]:
    """Every posted run's line of the member, latest period first (one query)."""
    from .models import Allocation, DividendRun

    rows = (Allocation.objects.filter(member=member, run__status=DividendRun.Status.POSTED)
            .select_related("run__period").order_by("-run__period__start"))
    return [{"period": a.run.period.pk, "period_start": a.run.period.start,
             "period_end": a.run.period.end, "run_id": a.run_id,
             "contribution": f"{a.contribution:.4f}", "interest_minor": a.interest_minor,
             "patronage_minor": a.patronage_minor, "cash_minor": a.cash_minor,
             "retained_minor": a.retained_minor} for a in rows]


def allocation_history() -> list[dict]:
    """Per period with a posted run, oldest first: how much went to reserves, commons,
    interest and patronage, and to each class (open books, vitality). One query; aggregates
    only, never a member's line."""
    from .models import DividendRun

    runs = (DividendRun.objects.filter(status=DividendRun.Status.POSTED)
            .select_related("period").order_by("period__start"))
    return [{"period": run.period.pk, "start": run.period.start, "end": run.period.end,
             "run_id": run.pk, "posted_at": run.posted_at,
             "surplus_minor": run.distributable_minor, "period_surplus_minor": run.surplus_minor,
             "reserves_minor": run.reserves_minor, "commons_minor": run.commons_minor,
             "interest_minor": run.interest_minor, "patronage_minor": run.patronage_minor,
             "classes": {slug: pool["pool_minor"] for slug, pool in run.class_pools.items()}}
            for run in runs]


def payout_account_of(member) -> PayoutAccount | None:
    """The member's payout account, if set (personal: show it only to the member and staff)."""
    return PayoutAccount.objects.filter(member=member).first()
