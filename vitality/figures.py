"""Every figure of RULES §5 for one calendar month, overall and per class, in a constant number
of queries whatever the number of members, votes, answers or months of history: each source is
read with one set-based query (aggregates grouped in the database; the few rows per vote closed
in the month are the only rows read back).

Values are stored as the API shows them: ints for counts and minor units, decimal strings for
ratios, means and days, None where a ratio's denominator is 0 or the source has nothing."""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import connection
from django.db.models import Avg, Count, Exists, Min, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from coop.models import Heartbeat
from governance.models import Elector, Proposal
from governance.rules import hidden_classes
from ledger import accounts
from ledger import selectors as ledger_selectors
from ledger.models import Account, FiscalPeriod
from membership.models import Member, StakeholderClass
from patronage.models import DividendRun

from . import alerts
from .models import PulseAnswer
from .months import add_months, bounds, last_day

SMALL_CLASS = 5  # RULES §5: per-class satisfaction only with at least 5 answers

# The figures, in the order the dashboard shows them, with what they mean in plain words.
FIGURES = {
    "members_active": "Active members at the end of the month",
    "members_joined": "Members admitted in the month",
    "members_exited": "Members who left in the month",
    "growth_3m": "Growth of active members over three months",
    "referral_share": "Share of new members referred by a member",
    "turnout_mean": "Mean turnout of the votes closed in the month",
    "quorum_met_rate": "Share of the month's votes that met quorum",
    "reminder_rate": "Share of the month's votes that needed reminders",
    "quorum_met_rate_3m": "Share of votes meeting quorum, last three months",
    "reminder_rate_3m": "Share of votes needing reminders, last three months",
    "core_share": "Share of ballots cast by the most active 10 % (six months)",
    "satisfaction_answers": "Pulse survey answers",
    "satisfaction_mean": "Satisfaction (mean score out of 5)",
    "satisfaction_response_rate": "Share of active members who answered the pulse survey",
    "decision_days_median": "Median days from opening a vote to its close",
    "implementation_days_median": "Median days from a decision to its implementation",
    "implementation_lagging": "Passed proposals waiting too long for implementation",
    "revenue": "Revenue",
    "expenses": "Expenses",
    "surplus": "Surplus",
    "reserves_balance": "Indivisible reserve",
    "circulation_ratio_12m": "Surplus put back into circulation (periods of the last 2 years)",
    "governance_spend_share_12m": "Governance share of expenses, last twelve months",
    "uptime": "Platform uptime",
}
MONEY = {"revenue", "expenses", "surplus", "reserves_balance"}
CLASS_FIGURES = ("members_active", "members_joined", "members_exited", "turnout_mean",
                 "satisfaction_mean")


def dec(value, places: int = 4) -> str | None:
    """A decimal string with `places` decimals (banker's rounding), None for None."""
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN))


def ratio(numerator, denominator, places: int = 4) -> str | None:
    """RULES §5: a ratio whose denominator is 0 is null."""
    if not denominator:
        return None
    return dec(Decimal(numerator) / Decimal(denominator), places)


@dataclass
class Figures:
    metrics: dict
    by_class: dict
    facts: alerts.Facts
    distribution: dict | None = None  # score -> answers (published months only)


def _active_on(day: date) -> Q:
    """Active at the end of `day`: the buy-in was paid by then and the member had not left."""
    return Q(members__activated_on__lte=day) & (
        Q(members__exited_on__isnull=True) | Q(members__exited_on__gt=day))


def _members(month: date) -> dict[str, dict]:
    """One query: per class, active at the end of M and of M−3, joined, referred, exited."""
    end, end_3m = last_day(month), last_day(add_months(month, -3))
    in_month = Q(members__joined_on__gte=month, members__joined_on__lte=end)
    rows = StakeholderClass.objects.annotate(
        active=Count("members", filter=_active_on(end)),
        active_3m=Count("members", filter=_active_on(end_3m)),
        joined=Count("members", filter=in_month),
        referred=Count("members", filter=in_month & Q(members__referred_by__isnull=False)),
        exited=Count("members", filter=Q(members__exited_on__gte=month,
                                         members__exited_on__lte=end)),
    ).values("slug", "active", "active_3m", "joined", "referred", "exited").order_by("slug")
    return {row.pop("slug"): row for row in rows}


def _closed_in(start: datetime, end: datetime):
    return Proposal.objects.filter(status=Proposal.Status.CLOSED, closed_at__gte=start,
                                   closed_at__lt=end)


def _days(delta: timedelta) -> Decimal:
    return Decimal(delta.total_seconds()) / Decimal(86400)


def _votes(month: date) -> dict:
    """The votes closed in M (one query, a row per vote) and their per-class turnout (one
    grouped query), the trailing three months' quorum figures (one aggregate)."""
    start, end = bounds(month)
    votes = list(_closed_in(start, end).values_list(
        "opens_at", "closed_at", "electorate_size", "ballots_cast", "outcome",
        "reminders_needed"))
    turnouts = [Decimal(cast) / Decimal(size) for _, _, size, cast, _, _ in votes if size]
    decision = [_days(closed - opened) for opened, closed, *_ in votes if opened and closed]
    figures = {
        "turnout_mean": dec(sum(turnouts) / len(turnouts)) if turnouts else None,
        "quorum_met_rate": ratio(sum(1 for v in votes if v[4] != Proposal.Outcome.NO_QUORUM),
                                 len(votes)),
        "reminder_rate": ratio(sum(1 for v in votes if v[5]), len(votes)),
        "decision_days_median": dec(statistics.median(decision), 1) if decision else None,
    }
    trailing = _closed_in(bounds(add_months(month, -2))[0], end).aggregate(
        closed=Count("pk"),
        met=Count("pk", filter=~Q(outcome=Proposal.Outcome.NO_QUORUM)),
        reminded=Count("pk", filter=Q(reminders_needed=True)),
    )
    figures["quorum_met_rate_3m"] = ratio(trailing["met"], trailing["closed"])
    figures["reminder_rate_3m"] = ratio(trailing["reminded"], trailing["closed"])

    by_class: dict[str, list[Decimal]] = {}
    rows = (Elector.objects.filter(proposal__status=Proposal.Status.CLOSED,
                                   proposal__closed_at__gte=start, proposal__closed_at__lt=end)
            .values("proposal_id", "class_slug")
            .annotate(size=Count("pk"), voted=Count("pk", filter=Q(voted_at__isnull=False)))
            .order_by())
    for row in rows:
        by_class.setdefault(row["class_slug"], []).append(
            Decimal(row["voted"]) / Decimal(row["size"]))
    figures["by_class_turnout"] = {slug: dec(sum(v) / len(v)) for slug, v in by_class.items()}
    return figures


def _implementation(month: date, lag_days: int, now: datetime) -> dict:
    """Median days from close to done over proposals done in M (one query, a row each), and
    the passed proposals that were still not done at the end of M more than `lag_days` after
    their close (one count; for the current month, as of now). A proposal done since counts
    as lagging in the months before."""
    end_day = last_day(month)
    done = Proposal.objects.filter(implementation_done_on__gte=month,
                                   implementation_done_on__lte=end_day,
                                   closed_at__isnull=False).values_list(
        "closed_at", "implementation_done_on")
    days = [(done_on - timezone.localdate(closed)).days for closed, done_on in done]
    end = min(bounds(month)[1], now)
    lagging = Proposal.objects.filter(
        outcome=Proposal.Outcome.PASSED,
        implementation_status__in=[Proposal.Implementation.PLANNED,
                                   Proposal.Implementation.IN_PROGRESS,
                                   Proposal.Implementation.DONE],
        closed_at__lt=end - timedelta(days=lag_days),
    ).filter(Q(implementation_done_on__isnull=True) | Q(implementation_done_on__gt=end_day))
    return {
        "implementation_days_median": dec(statistics.median(days), 1) if days else None,
        "implementation_lagging": lagging.count(),
    }


# RULES §5 core_share: members who took part at least once in the votes closed in the
# trailing six months, ranked by the number of votes they took part in (ties by member
# number); the most active ceil(10 %) are the core. One query, ranked in the database.
_CORE_SQL = """
WITH taking_part AS (
    SELECT e.member_id, COUNT(*) AS n
    FROM {elector} e JOIN {proposal} p ON p.id = e.proposal_id
    WHERE e.voted_at IS NOT NULL AND p.status = 'closed'
      AND p.closed_at >= %s AND p.closed_at < %s
    GROUP BY e.member_id
), ranked AS (
    SELECT t.n,
           ROW_NUMBER() OVER (ORDER BY t.n DESC, m.member_number) AS position,
           COUNT(*) OVER () AS people
    FROM taking_part t JOIN {member} m ON m.id = t.member_id
)
SELECT COALESCE(SUM(CASE WHEN position <= (people + 9) / 10 THEN n ELSE 0 END), 0),
       COALESCE(SUM(n), 0)
FROM ranked
"""


def _core_share(month: date) -> str | None:
    start, _ = bounds(add_months(month, -5))
    _, end = bounds(month)
    sql = _CORE_SQL.format(elector=Elector._meta.db_table, proposal=Proposal._meta.db_table,
                           member=Member._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        core, total = cursor.fetchone()
    return ratio(core, total)


def _survey(month: date, published: bool, active: int, active_by_class: dict) -> dict:
    """The pulse survey's figures for M: one grouped query (answers per class and score). While
    M lasts only the number of answers is published (RULES §5)."""
    rows = (PulseAnswer.objects.filter(month=month).values("class_slug", "score")
            .annotate(n=Count("pk")).order_by())
    per_class: dict[str, dict[int, int]] = {}
    for row in rows:
        per_class.setdefault(row["class_slug"], {})[row["score"]] = row["n"]
    count = sum(sum(scores.values()) for scores in per_class.values())
    figures = {"satisfaction_answers": count,
               "satisfaction_response_rate": ratio(count, active)}
    if not published:
        figures.update(satisfaction_mean=None, distribution=None, by_class={})
        return figures
    total = sum(score * n for scores in per_class.values() for score, n in scores.items())
    figures["satisfaction_mean"] = ratio(total, count, 2)
    figures["distribution"] = {
        str(score): sum(scores.get(score, 0) for scores in per_class.values())
        for score in range(1, 6)} if count else None
    answers = {slug: 0 for slug in active_by_class} | {
        slug: sum(scores.values()) for slug, scores in per_class.items()}
    hidden = hidden_classes(secret=True, cast_by_class=answers)
    figures["by_class"] = {
        slug: None if slug in hidden else ratio(
            sum(s * n for s, n in per_class.get(slug, {}).items()), n_answers, 2)
        for slug, n_answers in answers.items()}
    return figures


def _previous_satisfaction(month: date) -> list[Decimal]:
    """The monthly means of the 3 months before M that have answers (one grouped query)."""
    rows = (PulseAnswer.objects.filter(month__gte=add_months(month, -3), month__lt=month)
            .values("month").annotate(mean=Avg("score")).order_by("month"))
    return [Decimal(dec(row["mean"], 2)) for row in rows]


def _uptime(month: date, now: datetime) -> str | None:
    """Share of the minutes of M with a heartbeat, counted from the first heartbeat ever (the
    platform was not monitored before: null for the months before it) and, for the current
    month, up to now. One query."""
    start, end = bounds(month)
    until = min(end, now)
    beats = Heartbeat.objects.aggregate(
        first=Min("minute"), n=Count("pk", filter=Q(minute__gte=start, minute__lt=until)))
    if beats["first"] is None or beats["first"] >= until:
        return None
    since = max(start, beats["first"])
    minutes = int((until - since).total_seconds() // 60)
    return ratio(min(beats["n"], minutes), minutes)


def ledger_figures(month: date) -> dict:
    """The economic figures of RULES §5 from the books: the ledger's `month_figures` (revenue,
    expenses, surplus, the reserve) and, for the governance share, the accounts' totals of the
    trailing twelve months; both sum day balances (closing entries left out), never lines.
    Six queries."""
    month_end = last_day(month)
    try:
        books = ledger_selectors.month_figures(month, month_end)
    except Account.DoesNotExist:  # no chart of accounts (books not set up): no figures
        return dict.fromkeys(("revenue", "expenses", "surplus", "reserves_balance",
                              "governance_spend_share_12m"))
    year = ledger_selectors.account_totals(start=add_months(month, -11), on=month_end,
                                           include_closing=False)
    expenses = sum(t.balance_minor for t in year if t.type == accounts.EXPENSE)
    governance = sum(t.balance_minor for t in year if t.code == accounts.GOVERNANCE_EXPENSES)
    return {
        "revenue": books["revenue_minor"],
        "expenses": books["expenses_minor"],
        "surplus": books["surplus_minor"],
        "reserves_balance": books["reserves_minor"],
        "governance_spend_share_12m": ratio(governance, expenses),
    }


def circulation_figures(month: date, unposted_months: int = 6,
                        now: datetime | None = None) -> dict:
    """RULES §5: `circulation_ratio_12m` over the periods that ended in the trailing 24 months
    and have a run posted by the end of M, (interest + patronage + commons of those runs) /
    their positive surplus; and the periods with a positive surplus closed more than
    `unposted_months` before the end of M without a posted run. Two queries."""
    end = min(bounds(month)[1], now) if now else bounds(month)[1]
    posted = DividendRun.objects.filter(status=DividendRun.Status.POSTED, posted_at__lt=end)
    sums = posted.filter(period__end__gte=add_months(month, -23),
                         period__end__lte=last_day(month)).aggregate(
        given=Sum(Coalesce("interest_minor", 0) + Coalesce("patronage_minor", 0)
                  + Coalesce("commons_minor", 0), default=0),
        surplus=Sum(Greatest(Coalesce("period__surplus_minor", 0), 0), default=0))
    cutoff = bounds(add_months(month, 1 - unposted_months))[0]
    unposted = FiscalPeriod.objects.filter(
        status=FiscalPeriod.Status.CLOSED, surplus_minor__gt=0, closed_at__lt=cutoff,
    ).exclude(Exists(posted.filter(period=OuterRef("pk")))).count()
    return {"circulation_ratio_12m": ratio(sums["given"], sums["surplus"]),
            "unposted_periods": unposted}


def compute(month: date, *, now: datetime | None = None,
            limits: alerts.Thresholds | None = None) -> Figures:
    """All figures of month M (and the alerts' facts), as of `now`."""
    now = now or timezone.now()
    limits = limits or alerts.Thresholds()
    _, end = bounds(month)
    published = end <= now  # the survey's figures only once the month has ended
    classes = _members(month)
    active = sum(c["active"] for c in classes.values())
    active_3m = sum(c["active_3m"] for c in classes.values())
    joined = sum(c["joined"] for c in classes.values())
    metrics = {
        "members_active": active,
        "members_joined": joined,
        "members_exited": sum(c["exited"] for c in classes.values()),
        "growth_3m": ratio(active - active_3m, active_3m),
        "referral_share": ratio(sum(c["referred"] for c in classes.values()), joined),
    }
    votes = _votes(month)
    turnout_by_class = votes.pop("by_class_turnout")
    metrics |= votes
    metrics["core_share"] = _core_share(month)
    survey = _survey(month, published, active, classes)
    satisfaction_by_class = survey.pop("by_class")
    distribution = survey.pop("distribution")
    metrics |= survey
    metrics |= _implementation(month, limits.implementation_lag_days, now)
    metrics |= ledger_figures(month)
    circulation = circulation_figures(month, limits.unposted_months, now)
    unposted = circulation.pop("unposted_periods")
    metrics |= circulation
    metrics["uptime"] = _uptime(month, now)
    metrics = {name: metrics[name] for name in FIGURES}  # the one order

    by_class = {
        slug: {
            "members_active": c["active"],
            "members_joined": c["joined"],
            "members_exited": c["exited"],
            "turnout_mean": turnout_by_class.get(slug),
            "satisfaction_mean": satisfaction_by_class.get(slug),
        }
        for slug, c in classes.items()
    }
    facts = alerts.Facts(
        previous_satisfaction=_previous_satisfaction(month) if published else (),
        survey_published=published,
        unposted_periods=unposted,
    )
    return Figures(metrics=metrics, by_class=by_class, facts=facts, distribution=distribution)
