"""Every figure of RULES §5 on a constructed multi-month scenario (tests/vitality/conftest.py),
worked out by hand, with the edge cases: no votes, no answers, no members three months earlier,
no revenue (the books give 0, their ratios null)."""

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import accounts
from ledger.models import FiscalPeriod
from patronage.models import DividendRun
from tests.ledger.factories import post
from tests.vitality import factories as f
from tests.vitality.conftest import JUNE
from vitality import figures
from vitality.months import add_months

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 15, 9, tzinfo=UTC)


def compute(month, now=NOW):
    return figures.compute(month, now=now)


def test_membership_figures(scenario):
    june = compute(JUNE)
    m = june.metrics
    # End of March: 10 workers + 5 users; end of June: 12 workers (10 + 3 − 1) and 6 users.
    assert m["members_active"] == 18
    assert m["members_joined"] == 5  # the applicant awaiting payment was admitted in June too
    assert m["members_exited"] == 1
    assert m["growth_3m"] == "0.2000"  # 18 / 15 − 1
    assert m["referral_share"] == "0.4000"  # 2 of the 5 joiners were referred by a member
    assert {k: june.by_class["workers"][k] for k in ("members_active", "members_joined",
                                                     "members_exited")} == {
        "members_active": 12, "members_joined": 3, "members_exited": 1}
    assert june.by_class["users"]["members_active"] == 6


def test_no_members_three_months_earlier_is_null(scenario):
    january = compute(date(2026, 1, 1))
    assert january.metrics["members_active"] == 15
    assert january.metrics["growth_3m"] is None  # nobody at the end of October 2025
    february = compute(date(2026, 2, 1))
    assert february.metrics["referral_share"] is None  # nobody joined in February


def test_vote_figures(scenario):
    m = compute(JUNE).metrics
    assert m["turnout_mean"] == "0.4000"  # (6/10 + 1/5) / 2
    assert m["quorum_met_rate"] == "0.5000"
    assert m["reminder_rate"] == "0.5000"
    assert m["decision_days_median"] == "5.0"  # median of 7 and 3 days
    # April to June: 3 votes, 2 met quorum, 1 needed reminders.
    assert m["quorum_met_rate_3m"] == "0.6667"
    assert m["reminder_rate_3m"] == "0.3333"
    by_class = compute(JUNE).by_class
    assert by_class["workers"]["turnout_mean"] == "0.6000"
    assert by_class["users"]["turnout_mean"] == "0.2000"


def test_a_month_without_votes(scenario):
    m = compute(date(2026, 5, 1)).metrics
    for name in ("turnout_mean", "quorum_met_rate", "reminder_rate", "decision_days_median"):
        assert m[name] is None, name
    assert m["quorum_met_rate_3m"] == "1.0000"  # the April vote
    assert compute(date(2026, 5, 1)).by_class["workers"]["turnout_mean"] is None


def test_core_share(scenario):
    # January to June: workers 0–4 took part twice, worker 5 and user 0 once: 7 people, 12
    # participations; the core is ceil(10 % of 7) = 1 person (worker 0: ties by member
    # number), with 2 of the 12.
    assert compute(JUNE).metrics["core_share"] == "0.1667"
    # In December the window (July to December) holds no vote: no participation at all.
    assert compute(date(2026, 12, 1), now=datetime(2027, 1, 2, tzinfo=UTC)).metrics[
        "core_share"] is None


def test_core_share_counts_the_most_active_tenth():
    workers = f.klass("workers")
    people = f.members(workers, date(2026, 1, 1), 20)
    # 10 votes; the first two members take part in all, the others in one each.
    for i in range(10):
        f.vote(f.at(date(2026, 3, 1 + i)),
               [(m, n < 2 or n - 2 == i) for n, m in enumerate(people)])
    # 12 participants (2 + 10); core = ceil(1.2) = 2, with 20 of 30 participations.
    assert compute(date(2026, 3, 1)).metrics["core_share"] == "0.6667"


def test_satisfaction_published_after_the_month(scenario):
    june = compute(JUNE)
    assert june.metrics["satisfaction_answers"] == 9
    assert june.metrics["satisfaction_mean"] == "3.44"  # 31 / 9
    assert june.metrics["satisfaction_response_rate"] == "0.5000"  # 9 of 18 active
    assert june.distribution == {"1": 1, "2": 1, "3": 2, "4": 3, "5": 2}
    # Users gave 2 answers (hidden), so workers are hidden too: 3.44 − workers would give
    # the users away (privacy by subtraction).
    assert june.by_class["workers"]["satisfaction_mean"] is None
    assert june.by_class["users"]["satisfaction_mean"] is None


def test_during_the_month_only_the_count(scenario):
    during = compute(JUNE, now=datetime(2026, 6, 28, tzinfo=UTC))
    assert during.metrics["satisfaction_answers"] == 9
    assert during.metrics["satisfaction_mean"] is None
    assert during.distribution is None
    assert during.facts.survey_published is False
    assert all(row["satisfaction_mean"] is None for row in during.by_class.values())


def test_per_class_satisfaction_with_five_answers_or_more():
    a, b, c = f.klass("alpha"), f.klass("beta"), f.klass("gamma")
    month = date(2026, 3, 1)
    f.answers(month, [(m, 4) for m in f.members(a, date(2026, 1, 1), 7)])
    f.answers(month, [(m, 2) for m in f.members(b, date(2026, 1, 1), 6)])
    f.answers(month, [(m, 5) for m in f.members(c, date(2026, 1, 1), 2)])
    by_class = compute(month).by_class
    assert by_class["alpha"]["satisfaction_mean"] == "4.00"
    assert by_class["beta"]["satisfaction_mean"] is None  # the next smallest, hidden with gamma
    assert by_class["gamma"]["satisfaction_mean"] is None
    f.answers(month, [(m, 3) for m in f.members(c, date(2026, 1, 1), 3)])
    by_class = compute(month).by_class
    assert (by_class["beta"]["satisfaction_mean"], by_class["gamma"]["satisfaction_mean"]) == (
        "2.00", "3.80")


def test_a_month_without_answers(scenario):
    m = compute(date(2026, 5, 1)).metrics
    assert m["satisfaction_answers"] == 0
    assert m["satisfaction_mean"] is None
    assert m["satisfaction_response_rate"] == "0.0000"


def test_implementation_figures(scenario):
    # Done in June: closed 1 February (130 days) and 3 March (99 days).
    assert compute(JUNE).metrics["implementation_days_median"] == "114.5"
    assert compute(JUNE).metrics["implementation_lagging"] == 0
    # At the end of May the February decision was 119 days old and not done yet.
    may = compute(date(2026, 5, 1)).metrics
    assert may["implementation_lagging"] == 1
    assert may["implementation_days_median"] is None


def test_uptime(scenario):
    # From the first heartbeat (3 June 00:00): 4,320 of the 40,320 minutes left in June.
    assert compute(JUNE).metrics["uptime"] == "0.1071"
    # Before the first heartbeat the platform was not monitored: null, not 0.
    assert compute(date(2026, 5, 1)).metrics["uptime"] is None
    # The current month counts the minutes so far: 2,880 beats in the 2,880 minutes from the
    # first one up to 5 June 00:00.
    assert compute(JUNE, now=datetime(2026, 6, 5, tzinfo=UTC)).metrics["uptime"] == "1.0000"
    assert compute(date(2026, 7, 1), now=datetime(2026, 7, 2, tzinfo=UTC)).metrics[
        "uptime"] == "0.0000"  # down since 6 June


def test_a_month_without_revenue(scenario):
    m = compute(JUNE).metrics
    assert (m["revenue"], m["expenses"], m["surplus"], m["reserves_balance"]) == (0, 0, 0, 0)
    assert m["governance_spend_share_12m"] is None  # no expenses in the twelve months
    assert m["circulation_ratio_12m"] is None  # no period, no run


def test_economic_figures_from_the_books(scenario):
    post(90_000, on=date(2026, 6, 3))
    post(30_000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2026, 6, 4))
    post(2_000, debit=accounts.GOVERNANCE_EXPENSES, credit=accounts.BANK, on=date(2026, 6, 5))
    post(8_000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2025, 8, 1))
    post(4_000, debit=accounts.BANK, credit=accounts.RESERVE, on=date(2025, 2, 1))
    m = compute(JUNE).metrics
    assert (m["revenue"], m["expenses"], m["surplus"], m["reserves_balance"]) == (
        90_000, 32_000, 58_000, 4_000)
    # July 2025 to June 2026: 2,000 of 40,000 on governance.
    assert m["governance_spend_share_12m"] == "0.0500"
    assert compute(date(2026, 5, 1)).metrics["revenue"] == 0


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_months_run_in_the_cooperatives_time_zone():
    workers = f.klass("workers")
    people = f.members(workers, date(2026, 1, 1), 3)
    # 30 June 20:00 UTC is 1 July 08:00 in Auckland: a July vote.
    f.vote(datetime(2026, 6, 30, 20, tzinfo=UTC), [(m, True) for m in people])
    now = datetime(2026, 8, 2, tzinfo=UTC)
    assert compute(JUNE, now).metrics["quorum_met_rate"] is None
    assert compute(date(2026, 7, 1), now).metrics["quorum_met_rate"] == "1.0000"


def _queries(month, now=NOW) -> int:
    with CaptureQueriesContext(connection) as ctx:
        compute(month, now)
    return len(ctx.captured_queries)


def test_queries_constant_in_months_and_members(scenario):
    baseline = _queries(JUNE)
    # members 1, votes 3 (the month's, the trailing quarter, per-class turnout), core 1,
    # survey 2 (the month, the 3 before), implementation 2, books 6 (the ledger's
    # month_figures 4, the year's account totals 2), runs 2, heartbeats 1
    assert baseline == 18
    workers = f.klass("workers")
    more = f.members(workers, date(2026, 2, 1), 30)
    for day in range(1, 20):
        f.vote(f.at(date(2026, 6, day)) - timedelta(hours=1), [(m, day % 2 == 0) for m in more])
    f.answers(JUNE, [(m, 3) for m in more])
    assert _queries(JUNE) == baseline
    assert _queries(add_months(JUNE, -30), datetime(2026, 7, 1, tzinfo=UTC)) == baseline


def _period(start, end, surplus, closed_at):
    return FiscalPeriod.objects.create(start=start, end=end, status="closed",
                                       closed_at=closed_at, surplus_minor=surplus)


def _run(period, posted_at, interest, patronage, commons):
    return DividendRun.objects.create(period=period, status="posted", posted_at=posted_at,
                                      interest_minor=interest, patronage_minor=patronage,
                                      commons_minor=commons)


def test_circulation_ratio_and_unposted_periods(db):
    y2024 = _period(date(2024, 1, 1), date(2024, 12, 31), 100_000,
                    datetime(2025, 2, 1, tzinfo=UTC))
    y2025 = _period(date(2025, 1, 1), date(2025, 12, 31), 200_000,
                    datetime(2026, 2, 1, tzinfo=UTC))
    _run(y2024, datetime(2025, 3, 1, tzinfo=UTC), 10_000, 30_000, 5_000)
    june = figures.circulation_figures(JUNE)
    # Only 2024 has a posted run: 45,000 of its 100,000 went back into circulation.
    assert june == {"circulation_ratio_12m": "0.4500", "unposted_periods": 0}
    # 2025 closed on 1 February 2026: more than six months before the end of August.
    assert figures.circulation_figures(date(2026, 8, 1))["unposted_periods"] == 1
    _run(y2025, datetime(2026, 7, 10, tzinfo=UTC), 20_000, 100_000, 20_000)
    assert figures.circulation_figures(date(2026, 8, 1)) == {
        "circulation_ratio_12m": "0.6167", "unposted_periods": 0}  # 185,000 / 300,000
    # Before that run was posted, June still reads as it did.
    assert figures.circulation_figures(JUNE)["circulation_ratio_12m"] == "0.4500"
    # 2024 ended more than 24 months before January 2027: only 2025 is counted.
    assert figures.circulation_figures(date(2027, 1, 1))["circulation_ratio_12m"] == "0.7000"


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.booleans(), min_size=1, max_size=25), min_size=1, max_size=6))
def test_core_share_matches_its_definition(db, took_part):
    """RULES §5 core_share, computed by the database's ranking, equals the definition worked
    out in Python: rank the participants by votes taken part in (ties by member number), the
    first ceil(10 %) are the core, their share of all participations."""
    with transaction.atomic():
        people = f.members(f.klass("workers"), date(2026, 1, 1), max(map(len, took_part)))
        for i, row in enumerate(took_part):
            f.vote(f.at(date(2026, 3, 1 + i)),
                   [(m, n < len(row) and row[n])
                    for n, m in enumerate(people)])
        counts = [sum(1 for row in took_part if n < len(row) and row[n])
                  for n in range(len(people))]
        ranked = sorted(((c, people[n].member_number) for n, c in enumerate(counts) if c),
                        key=lambda x: (-x[0], x[1]))
        core = ranked[: math.ceil(len(ranked) / 10)]
        expected = figures.ratio(sum(c for c, _ in core), sum(counts))
        assert figures._core_share(date(2026, 3, 1)) == expected
        transaction.set_rollback(True)


def test_books_without_a_chart_of_accounts_give_null_figures(scenario):
    from ledger.models import Account

    Account.objects.all().delete()
    m = compute(JUNE).metrics
    assert [m[n] for n in ("revenue", "expenses", "surplus", "reserves_balance",
                           "governance_spend_share_12m")] == [None] * 5
