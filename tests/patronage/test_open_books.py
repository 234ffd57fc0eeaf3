"""The open books page: every member reads the income statement, the balance sheet at any date
and the trial balance, with charts; aggregates only, never a member's capital."""

import re
from datetime import date

import pytest
from django.urls import reverse

from ledger import accounts, services
from tests.ledger.factories import BOOKKEEPER, make_period, post
from tests.membership.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db

URL = reverse("open-books")


@pytest.fixture
def books(time_machine):
    """2025 closed (revenue 1,000.00, expenses 300.00 + 50.00), 2026 open with more."""
    time_machine.move_to(date(2026, 3, 15))
    member = make_member()
    y2025 = make_period(date(2025, 1, 1), date(2025, 12, 31))
    y2026 = make_period(date(2026, 1, 1), date(2026, 12, 31))
    # A member's capital: a line tagged with them (the page must show only the total).
    post(123456, debit=accounts.BANK, credit=accounts.SHARE_CAPITAL, on=date(2025, 1, 10),
         member_id=member.pk)
    post(60000, on=date(2025, 2, 3))
    post(40000, on=date(2025, 11, 20))
    post(30000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2025, 6, 1))
    post(5000, debit=accounts.GOVERNANCE_EXPENSES, credit=accounts.BANK, on=date(2025, 6, 2))
    services.period_close(actor=BOOKKEEPER, period=y2025)
    post(20000, on=date(2026, 2, 1))
    post(7000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2026, 2, 2))
    return {"member": member, "y2025": y2025, "y2026": y2026}


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_a_member_reads_the_latest_closed_period(client, books):
    reader = make_member()
    client.force_login(reader.user)
    response = client.get(URL)
    assert response.status_code == 200
    page = text(response)
    # Income statement of 2025 (the latest closed period), closing entry left out.
    assert "4000 Revenue 1,000.00 EUR" in page
    assert "Total revenue 1,000.00 EUR" in page
    assert "5000 Operating expenses 300.00 EUR" in page
    assert "5100 Governance expenses 50.00 EUR" in page
    assert "Surplus 650.00 EUR" in page
    # Balance sheet on the period's end: bank = capital + surplus.
    assert "Balance sheet on 31 December 2025" in page
    assert "1000 Bank 1,884.56 EUR" in page
    assert "3000 Member share capital 1,234.56 EUR" in page
    assert "3900 Unallocated surplus 650.00 EUR" in page
    assert "Total liabilities and equity 1,884.56 EUR" in page
    # Trial balance: debits = credits.
    assert "Totals 1,884.56 EUR 1,884.56 EUR" in page
    # Charts, drawn on the server with their tables.
    html = response.content.decode()
    assert html.count('<figure class="chart"') == 2
    assert 'id="chart-monthly"' in html and 'id="chart-results"' in html
    assert "<script" not in html.split("</header>")[1]


def test_an_open_period_and_any_date(client, books):
    client.force_login(make_member().user)
    page = text(client.get(URL, {"period": books["y2026"].pk, "on": "2026-02-01"}))
    assert "Total revenue 200.00 EUR" in page and "Surplus 130.00 EUR" in page
    assert "Balance sheet on 1 February 2026" in page
    # On 1 February 2026 the February expense is not there yet; the open year's revenue is
    # equity not yet closed, so the sheet still balances.
    assert "1000 Bank 2,084.56 EUR" in page
    assert "Surplus not yet closed 200.00 EUR" in page
    assert "Total liabilities and equity 2,084.56 EUR" in page


def test_no_member_capital_is_shown(client, books):
    client.force_login(make_member().user)
    html = client.get(URL).content.decode()
    member = books["member"]
    assert member.user.full_name not in html
    assert f"member {member.member_number}" not in html.lower()


def test_bad_input_is_answered_and_the_page_still_shows(client, books):
    client.force_login(make_member().user)
    response = client.get(URL, {"period": "999999", "on": "31/12/2025"})
    assert response.status_code == 200
    page = text(response)
    assert "There is no such period; showing the latest." in page
    assert "Enter a date such as 2025-12-31." in page
    assert "Balance sheet on 31 December 2025" in page
    assert 'aria-invalid="true"' in response.content.decode()


def test_not_for_non_members(client, books):
    client.force_login(UserFactory())
    response = client.get(URL)
    assert response.status_code == 403
    assert "open to its members" in response.content.decode()
    client.logout()
    assert client.get(URL).status_code == 302


def test_staff_read_them_too(staff_client, books):
    assert staff_client.get(URL).status_code == 200


def test_no_period_yet(client):
    client.force_login(make_member().user)
    response = client.get(URL)
    assert response.status_code == 200
    assert "No fiscal period has been opened yet." in text(response)


def test_the_query_count_does_not_grow_with_periods_or_entries(client, books,
                                                               django_assert_num_queries):
    client.force_login(make_member().user)
    client.get(URL)  # warm the per-process caches (cooperative, sessions)
    with django_assert_num_queries(13) as first:
        client.get(URL)
    make_period(date(2027, 1, 1), date(2027, 12, 31))
    for day in range(1, 20):
        post(100, on=date(2026, 3, day))
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(URL, {"period": books["y2026"].pk})


def test_the_allocation_history_per_year_and_class(client, time_machine,
                                                   django_capture_on_commit_callbacks):
    from patronage import services as patronage_services
    from tests.patronage.books_factories import year_of_books
    from tests.patronage.factories import PATRONAGE_JOB

    year = year_of_books(time_machine)
    with django_capture_on_commit_callbacks(execute=True):
        run = patronage_services.dividend_run_start(actor=PATRONAGE_JOB, period=year["period"])
    run.refresh_from_db()
    patronage_services.dividend_run_approve(actor=PATRONAGE_JOB, run=run)
    run.refresh_from_db()
    client.force_login(year["members"][0].user)
    html = client.get(URL).content.decode()
    assert html.count('<figure class="chart"') == 4
    assert 'id="chart-allocation"' in html and 'id="chart-classes"' in html
    # The stacked bar's table: the four pools and their total, the surplus.
    allocation = html.split('id="chart-allocation"')[1].split("</figure>")[0]
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", allocation.split("<tbody>")[1]))
    figures = [run.reserves_minor, run.commons_minor, run.interest_minor, run.patronage_minor,
               run.distributable_minor]
    assert row.split() == ["2025", *(f"{f // 100:,}.{f % 100:02d}" for f in figures)]
    classes = html.split('id="chart-classes"')[1].split("</figure>")[0]
    assert ">Users<" in classes and ">Workers<" in classes
