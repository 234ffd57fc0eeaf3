"""A member answers the pulse survey, with and without JavaScript; the vitality dashboard
draws its charts on a desktop and on a phone (screenshots for the README)."""

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.membership.factories import StaffFactory, UserFactory
from tests.vitality import factories as f
from vitality import selectors, services
from vitality.figures import FIGURES
from vitality.models import PulseAnswer
from vitality.months import add_months, current_month

from .conftest import DESKTOP, PHONE
from .helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def member():
    return f.member(f.klass("workers"), date(2026, 1, 5),
                    user=UserFactory(full_name="Dorothea Lange"))


def test_a_member_answers_the_pulse_survey_with_javascript(page, member, console):
    sign_in(page, member.user.email)
    survey = page.locator("#pulse")
    expect(survey.get_by_role("heading")).to_have_text("How well does the cooperative serve you?")
    survey.get_by_label("4", exact=True).check()
    survey.get_by_label("Anything to add?").fill("More workshops, please.")
    survey.get_by_role("button", name="Send my answer").click()
    expect(page.locator("#pulse")).to_contain_text("Thank you: your answer is saved.")
    expect(page.locator("#pulse")).to_contain_text("You answered 4 this month.")
    # htmx swapped the block: the page was not reloaded, and the answer can be changed.
    page.locator("#pulse").get_by_label("2", exact=True).check()
    page.locator("#pulse").get_by_role("button", name="Change my answer").click()
    expect(page.locator("#pulse")).to_contain_text("Your answer is changed.")
    assert list(PulseAnswer.objects.values_list("score", flat=True)) == [2]
    assert console.errors == []


def test_a_member_answers_the_pulse_survey_without_javascript(browser, live_server, member,
                                                              console):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = console.attach(context.new_page())
        sign_in(page, member.user.email)
        page.get_by_label("5 – very well").check()
        page.get_by_role("button", name="Send my answer").click()
        expect(page.locator("#messages")).to_contain_text("Thank you: your answer is saved.")
        expect(page.locator("#pulse")).to_contain_text("You answered 5 this month.")
        page.get_by_role("button", name="Change my answer").click()  # the form keeps the answer
        expect(page.locator("#messages")).to_contain_text("Your answer is changed.")
    finally:
        context.close()
    assert list(PulseAnswer.objects.values_list("score", flat=True)) == [5]


@pytest.fixture
def history():
    """A year of a small cooperative, snapshotted."""
    this_month = current_month()
    workers, users = f.klass("workers"), f.klass("users")
    for back in range(12, 0, -1):
        month = add_months(this_month, -back)
        people = f.members(workers if back % 3 else users, month.replace(day=3), 2 + back % 4)
        f.answers(month, [(m, 3 + (i + back) % 3) for i, m in enumerate(people)])
    services.snapshots_catch_up()


@pytest.mark.parametrize("viewport,name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_dashboard_draws_its_charts(new_page, history, console, screenshot, viewport, name):
    staff = StaffFactory(email=f"staff-{name}@example.org")
    page = new_page(viewport=viewport)
    sign_in(page, staff.email)
    page.goto("/vitality/")
    expect(page.get_by_role("heading", name="Vitality", exact=True)).to_be_visible()
    charts = page.locator("figure.chart svg")
    expect(charts.first).to_be_visible()
    # A chart for every figure with a value; the others say "No figures yet".
    shown = selectors.snapshots(months=12)
    assert charts.count() == sum(1 for name in FIGURES
                                 if any(s.metrics.get(name) is not None for s in shown)) >= 8
    box = charts.first.bounding_box()
    assert 0 < box["width"] <= viewport["width"]
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.get_by_label("24 months").check()
    page.get_by_label("Stakeholder class").select_option("workers")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Trends over 24 months — Workers")).to_be_visible()
    page.evaluate("document.getElementById('trends-title').scrollIntoView()")
    screenshot(page, f"vitality-dashboard-{name}.png")
    assert console.csp_violations == []
