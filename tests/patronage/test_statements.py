"""Member statements with their explanation, and the allocation history (selectors, API)."""

from datetime import date
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from membership.models import Member
from patronage import pdf, selectors, services
from tests.governance.helpers import api_key, client_for
from tests.membership.factories import StakeholderClassFactory, UserFactory
from tests.patronage.factories import PATRONAGE_JOB, closed_period, imported, make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(django_capture_on_commit_callbacks):
    workers = StakeholderClassFactory(slug="workers", share_price_minor=50_000, min_shares=1,
                                      max_shares=10, patronage_measure="hours")
    users = StakeholderClassFactory(slug="users", share_price_minor=0, min_shares=1,
                                    max_shares=1, patronage_measure="purchases")
    one = imported(1, workers, date(2024, 3, 1), 2, (100_000, date(2024, 3, 1)))
    two = imported(2, workers, date(2025, 6, 20), 1, (50_000, date(2025, 7, 1)))
    three = imported(3, users, date(2024, 1, 1), 1)
    make_policy(effective_from=date(2024, 1, 1), class_shares_bp={"workers": 8000, "users": 2000})
    for member, quantity in ((one, "120.5"), (two, "60.25")):
        services.contribution_record(actor=PATRONAGE_JOB, member=member, date=date(2025, 3, 3),
                                     quantity=quantity, external_id=f"c{member.member_number}")
    period = closed_period(revenue=1_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.dividend_run_start(actor=PATRONAGE_JOB, period=period)
    run.refresh_from_db()
    services.dividend_run_approve(actor=PATRONAGE_JOB, run=run)
    return period, run, {1: one, 2: two, 3: three}


def test_a_statement_explains_every_figure_in_a_fixed_number_of_queries(posted):
    period, run, members = posted
    member = Member.objects.select_related("stakeholder_class").get(pk=members[2].pk)
    with CaptureQueriesContext(connection) as queries:
        statement = selectors.member_statement(member, period)
    assert len(queries) == 3  # the run with its policy, the line, the payments
    interest = statement.interest
    # 50,000 from 1 Jul: 184 days at 3 % → 276000/365.
    assert [(t.amount_minor, t.paid_on, t.days) for t in interest.terms] == [
        (50_000, date(2025, 7, 1), 184)]
    assert interest.exact_total == Fraction(276000, 365) and interest.interest_minor == 756
    assert not interest.capped
    p = statement.patronage
    assert (str(p.contribution), str(p.class_contribution), p.class_share_bp) == (
        "60.2500", "180.7500", 8000)
    assert p.measure == "hours" and p.cash_bp == 3000
    assert p.cash_minor + p.retained_minor == p.patronage_minor == statement.line.patronage_minor
    # A member with no interest: two queries.
    three = Member.objects.select_related("stakeholder_class").get(pk=members[3].pk)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.member_statement(three, period).interest is None
    assert len(queries) == 2


def test_statements_api_for_the_member_and_readers_only(posted):
    period, run, members = posted
    user = UserFactory()
    Member.objects.filter(pk=members[1].pk).update(user=user)
    mine = client_for(user).get("/api/v1/members/1/statements/")
    assert mine.status_code == 200
    assert [(s["period"], s["run_id"], s["interest_minor"])
            for s in mine.json()["results"]] == [(period.pk, run.pk, 3000)]
    detail = client_for(user).get(f"/api/v1/members/1/statements/{period.pk}/").json()
    assert detail["explanation"]["interest"]["payments"][0]["days"] == 365
    assert detail["explanation"]["patronage"]["class_contribution"] == "180.7500"
    # Another member's statements are 404, as an unknown number.
    assert client_for(user).get("/api/v1/members/2/statements/").status_code == 404
    reader = client_for(key=api_key("ledger:read"))
    assert reader.get("/api/v1/members/2/statements/").status_code == 200
    # The PDF is money-ui's (patronage.pdf.render_statement), replaceable by registering one.
    got = client_for(user).get(f"/api/v1/members/1/statements/{period.pk}/?format=pdf")
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")
    pdf.register_renderer(lambda statement: b"%PDF-1.4 " + str(statement.line.member_number)
                          .encode())
    try:
        got = client_for(user).get(f"/api/v1/members/1/statements/{period.pk}/",
                                   HTTP_ACCEPT="application/pdf")
        assert got["Content-Type"] == "application/pdf" and got.content == b"%PDF-1.4 1"
    finally:
        pdf.register_renderer(None)


def test_the_statements_list_is_paginated(posted, time_machine,
                                          django_capture_on_commit_callbacks):
    """API.md: lists are `{next, previous, results}`; two posted years, one a page."""
    first, run_2025, _ = posted
    time_machine.move_to(date(2027, 1, 10))
    second = closed_period(date(2026, 1, 1), date(2026, 12, 31), revenue=500_000)
    with django_capture_on_commit_callbacks(execute=True):
        run_2026 = services.dividend_run_start(actor=PATRONAGE_JOB, period=second)
    run_2026.refresh_from_db()
    services.dividend_run_approve(actor=PATRONAGE_JOB, run=run_2026)
    reader = client_for(key=api_key("ledger:read"))
    url = "/api/v1/members/1/statements/"

    whole = reader.get(url).json()
    assert [row["run_id"] for row in whole["results"]] == [run_2026.pk, run_2025.pk]
    assert whole["next"] is None and whole["previous"] is None
    page_1 = reader.get(f"{url}?page_size=1").json()
    assert [row["period"] for row in page_1["results"]] == [second.pk]
    assert page_1["previous"] is None and "page=2" in page_1["next"]
    page_2 = reader.get(page_1["next"]).json()
    assert [row["period"] for row in page_2["results"]] == [first.pk]
    assert page_2["next"] is None and page_2["previous"] is not None


def test_allocation_history(posted):
    period, run, _ = posted
    with CaptureQueriesContext(connection) as queries:
        history = selectors.allocation_history()
    assert len(queries) == 1
    (year,) = history
    assert year["end"] == date(2025, 12, 31)
    assert (year["reserves_minor"] + year["commons_minor"] + year["interest_minor"]
            + year["patronage_minor"]) == year["surplus_minor"] == 1_000_000
    assert year["classes"]["workers"] + year["classes"]["users"] == year["patronage_minor"]
    assert selectors.run_for_period(period) == run
