"""Issue #9 in the browser: staff start a dividend run, watch it progress on a real Celery
worker and approve it; a member reads their statement with its explanation and downloads the
PDF; the open books render with their charts on a desktop and on a phone."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from ledger.models import JournalEntry
from patronage import services
from patronage.models import DividendRun
from tests.membership.factories import StaffFactory
from tests.patronage.books_factories import year_of_books
from tests.patronage.factories import PATRONAGE_JOB
from tests.patronage.pdf_reading import pdf_text

from .conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"  # tests.membership.factories.UserFactory's


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def posted_year(time_machine):
    year = year_of_books(time_machine)
    run = services.dividend_run_start(actor=PATRONAGE_JOB, period=year["period"])
    run.refresh_from_db()  # computed at the commit (tasks run eagerly here)
    services.dividend_run_approve(actor=PATRONAGE_JOB, run=run)
    return year


@pytest.mark.postgres
@pytest.mark.redis
def test_staff_start_a_run_watch_it_progress_and_approve_it(
        new_page, console, screenshot, time_machine, celery_worker_process):
    year = year_of_books(time_machine)
    staff = StaffFactory(email="treasurer@example.org")
    # Each INSERT of a run's lines waits 2 s (a statement trigger), so the run is seen running.
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION money_ui_test_slow() RETURNS trigger AS $$
            BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER money_ui_test_slow BEFORE INSERT ON patronage_allocation
            FOR EACH STATEMENT EXECUTE FUNCTION money_ui_test_slow();""")
    try:
        page = new_page()
        sign_in(page, staff.email)
        page.goto("/books/")
        page.goto("/books/runs/")
        page.get_by_label("Closed period").select_option(str(year["period"].pk))
        page.get_by_role("button", name="Compute a run").click()
        run = DividendRun.objects.get()
        expect(page).to_have_url(f"/books/runs/{run.pk}/")
        # The status card polls itself: no page load happens while the run goes on.
        page.evaluate("window.stillTheSamePage = true")
        status = page.locator("#run-status")
        expect(status.get_by_text("Running")).to_be_visible(timeout=20_000)
        expect(status.get_by_text("Computed")).to_be_visible(timeout=30_000)
        assert page.evaluate("window.stillTheSamePage") is True
        expect(status.get_by_text("100 % done · 3 member lines")).to_be_visible()
        expect(page.get_by_role("progressbar")).to_have_attribute("value", "100")
        screenshot(page, "run-computed.png")
        page.get_by_role("button", name="Approve and post").click()
        expect(page.get_by_text(f"Run {run.pk} approved and posted.")).to_be_visible()
        expect(status.get_by_text("Posted")).to_be_visible()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER money_ui_test_slow ON patronage_allocation;"
                           "DROP FUNCTION money_ui_test_slow();")
    run.refresh_from_db()
    assert run.status == "posted"
    assert JournalEntry.objects.filter(kind="dividend_run").count() == 1
    assert console.csp_violations == [], "\n".join(console.csp_violations)


def test_a_member_reads_their_statement_and_downloads_the_pdf(new_page, console, screenshot,
                                                               time_machine):
    year = posted_year(time_machine)
    ana = year["members"][0]
    page = new_page()
    sign_in(page, ana.user.email)
    page.get_by_role("link", name="Money", exact=True).click()
    expect(page.get_by_role("heading", name="My money", level=1)).to_be_visible()
    page.get_by_role("link", name="2025").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Statement for 2025 (1 January – 31 December 2025)")
    # The explanation folds under each heading and opens to the arithmetic.
    payment = page.get_by_text("100.00 EUR paid on 1 Mar 2025: 100.00 EUR × 3 % × 306/365 days")
    expect(payment).to_be_hidden()
    page.get_by_text("Interest on capital", exact=True).last.click()
    expect(payment).to_be_visible()
    page.locator("summary", has_text="Patronage").click()
    expect(page.get_by_text("the Workers class contributed 40 in all")).to_be_visible()
    screenshot(page, "statement.png")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"statement-{ana.member_number}-2025-12-31.pdf"
    with open(download.path(), "rb") as pdf_file:
        data = pdf_file.read()
    words = " ".join(pdf_text(data).split("\n"))
    assert data.startswith(b"%PDF-") and f"Ana Pérez · member number {ana.member_number}" in words
    assert "306/365 days" in words
    assert console.csp_violations == [], "\n".join(console.csp_violations)


def test_the_open_books_render_with_charts_on_desktop_and_phone(new_page, console, screenshot,
                                                               time_machine):
    year = posted_year(time_machine)
    member = year["members"][1]
    desktop = new_page()
    sign_in(desktop, member.user.email)
    desktop.goto("/books/")
    expect(desktop.get_by_role("heading", name="Open books")).to_be_visible()
    charts = desktop.locator("figure.chart svg[role=img]")
    expect(charts).to_have_count(4)
    for i in range(4):
        expect(charts.nth(i)).to_be_visible()
        assert charts.nth(i).bounding_box()["width"] > 300
    expect(desktop.get_by_role("img", name="How each year's surplus was shared")).to_be_visible()
    screenshot(desktop, "open-books.png")

    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, member.user.email)
    phone.goto("/books/")
    expect(phone.locator("figure.chart svg")).to_have_count(4)
    # No horizontal scroll of the page; each drawing fits the column.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for box in phone.locator("figure.chart svg").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().right)"):
        assert box <= PHONE["width"]
    # The menu, with "Money", stays within two rows.
    rows = phone.evaluate("""() => new Set([...document.querySelectorAll('.site-nav li')]
                                            .filter(li => li.getClientRects().length > 0)
                                            .map(li => li.getBoundingClientRect().top)).size""")
    assert rows <= 2, rows
    screenshot(phone, "open-books-phone.png")
    assert console.csp_violations == [], "\n".join(console.csp_violations)
