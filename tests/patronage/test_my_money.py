""""My money": a member's capital account and statements, each figure explained, as a page,
CSV and PDF; never another member's."""

import csv
import html
import io
import re
from datetime import date

import pytest
from django.urls import reverse

from patronage import services
from patronage.models import DividendRun
from tests.membership.factories import UserFactory, make_member
from tests.patronage.books_factories import year_of_books
from tests.patronage.factories import PATRONAGE_JOB
from tests.patronage.pdf_reading import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(time_machine, django_capture_on_commit_callbacks):
    """2025's run computed and approved on 20 January 2026."""
    year = year_of_books(time_machine)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.dividend_run_start(actor=PATRONAGE_JOB, period=year["period"])
    run.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.dividend_run_approve(actor=PATRONAGE_JOB, run=run, on=date(2026, 1, 20))
    run.refresh_from_db()
    return {**year, "run": run}


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_my_money_lists_capital_and_statements(client, posted):
    ana = posted["members"][0]  # a worker: paid 100.00 on 1 March 2025, contributed 10
    line = posted["run"].allocations.get(member=ana)
    client.force_login(ana.user)
    response = client.get(reverse("my-money"))
    assert response.status_code == 200
    page = text(response)
    assert "Capital account" in page and "Statements" in page
    # The retained patronage is in the capital account, from the run's posting.
    assert line.retained_minor > 0
    retained = f"{line.retained_minor // 100:,}.{line.retained_minor % 100:02d} EUR"
    assert retained in page
    assert f'href="{reverse("my-statement", args=[posted["period"].pk])}"' in \
        response.content.decode()
    assert 'href="/money/"' in response.content.decode()  # the nav's "My money"


def test_the_statement_explains_every_figure(client, posted):
    ana = posted["members"][0]
    run = posted["run"]
    line = run.allocations.get(member=ana)
    client.force_login(ana.user)
    response = client.get(reverse("my-statement", args=[posted["period"].pk]))
    assert response.status_code == 200
    page = text(response)
    assert "Statement for 2025 (1 January – 31 December 2025)" in page
    assert "Ana Pérez · member number" in page
    # Interest: the payment and its days (1 March to 31 December 2025 = 306 days).
    assert ("100.00 EUR paid on 1 Mar 2025: 100.00 EUR × 3 % × 306/365 days = "
            "2.515068… EUR") in page
    assert f"Your part of the pool, in whole cents (largest remainder): " \
           f"{line.interest_minor / 100:.2f} EUR" in page
    # Patronage: the contribution against the class's total.
    assert "You contributed 10 (" in page and "the Workers class contributed 40 in all" in page
    assert "Your share:" in page and "× 10 ÷ 40 =" in page
    # Cash and retained, with version 1's 30 %.
    assert "Cash: 30 % of" in page and "credited to your capital account" in page
    # Each explanation folds under its heading (<details>), open on demand.
    assert response.content.decode().count('<details class="explain">') == 3


def test_the_pdf_and_the_csv(client, posted):
    lukasz = posted["members"][1]  # a user: no shares to pay, so no interest
    line = posted["run"].allocations.get(member=lukasz)
    client.force_login(lukasz.user)
    url = reverse("my-statement", args=[posted["period"].pk])
    for response in (client.get(url, {"format": "pdf"}),
                     client.get(url, HTTP_ACCEPT="application/pdf")):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        words = " ".join(pdf_text(response.content).split("\n"))
        assert "Łukasz Żółć · member number" in words
        assert "no paid-up shares earning interest" in words
        assert f"{line.patronage_minor / 100:,.2f}" in words
    rows = list(csv.reader(io.StringIO(client.get(url, {"format": "csv"}).content.decode())))
    assert rows[0][:3] == ["period_start", "period_end", "run"]
    assert rows[1][0] == "2025-01-01" and rows[1][5] == "0.00"
    assert rows[1][6] == f"{line.patronage_minor / 100:.2f}"
    every = list(csv.reader(io.StringIO(client.get(reverse("my-statements-csv")).content
                                        .decode())))
    assert len(every) == 2 and every[1] == rows[1]


def test_a_member_sees_only_their_own(client, posted):
    outsider = make_member()  # joined after the period: no line in the run
    client.force_login(outsider.user)
    assert client.get(reverse("my-statement", args=[posted["period"].pk])).status_code == 404
    page = client.get(reverse("my-money")).content.decode()
    for member in posted["members"]:
        assert member.user.full_name not in page
    client.force_login(UserFactory())
    assert client.get(reverse("my-money")).status_code == 403
    assert client.get(reverse("my-statements-csv")).status_code == 404


def test_no_statement_before_the_run_is_posted(client, time_machine):
    year = year_of_books(time_machine)
    client.force_login(year["members"][0].user)
    assert client.get(reverse("my-statement", args=[year["period"].pk])).status_code == 404
    assert "No statement yet" in text(client.get(reverse("my-money")))
    assert not DividendRun.objects.exists()


def test_the_statement_page_costs_the_same_queries_whatever_the_history(
        client, time_machine, django_capture_on_commit_callbacks, django_assert_num_queries):
    # Ana paid her shares at once and contributed once; Chidi in five payments and five
    # contributions: their pages explain different histories with the same queries.
    year = year_of_books(time_machine, instalments=(1, 1, 5))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.dividend_run_start(actor=PATRONAGE_JOB, period=year["period"])
    run.refresh_from_db()
    services.dividend_run_approve(actor=PATRONAGE_JOB, run=run, on=date(2026, 1, 20))
    ana, _, chidi = year["members"]
    assert (ana.payments.count(), chidi.payments.count()) == (1, 5)
    assert chidi.contributions.count() == 5
    url = reverse("my-statement", args=[year["period"].pk])
    pages = {}
    for member in (ana, chidi):
        client.force_login(member.user)
        client.get(url)  # the session and caches are warm
        with django_assert_num_queries(7):
            pages[member.pk] = text(client.get(url))
    # Chidi's page does explain the five payments his interest counts.
    paid_on = re.findall(r"20\.00 EUR paid on (\d Mar 2025)", pages[chidi.pk])
    assert paid_on == [f"{day} Mar 2025" for day in range(1, 6)]
    assert "paid on 2 Mar 2025" not in pages[ana.pk]
