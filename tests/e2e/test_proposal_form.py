"""The proposal form in Chromium (issue #8 item 18): with JavaScript only the chosen method's
section shows, the default closing time follows the category, and a refused form puts the
focus on the error summary, whose links lead to the fields."""

import pytest
from playwright.sync_api import expect

from governance.forms import default_closes_at
from governance.models import Category, Proposal
from tests.governance.helpers import ensure_categories
from tests.membership.factories import StakeholderClassFactory, UserFactory, make_member

from .conftest import DESKTOP, SCREENSHOTS
from .helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIELD = "%Y-%m-%dT%H:%M"


def test_the_form_follows_the_method_and_the_category_and_leads_to_its_errors(new_page, console):
    ensure_categories()  # a transactional test starts without the migration's categories
    workers = StakeholderClassFactory(slug="workers", name="Workers", share_price_minor=0,
                                      min_shares=1, max_shares=1)
    author = make_member(stakeholder_class=workers, user=UserFactory(email="a@example.org"))
    page = new_page(viewport=DESKTOP)
    sign_in(page, author.user.email)
    page.goto("/governance/proposals/new/")

    # Only the yes/no section shows; choosing a ranked vote swaps the sections.
    expect(page.get_by_label("Threshold")).to_be_visible()
    expect(page.get_by_label("Options (one per line)")).to_be_hidden()
    page.get_by_label("Method").select_option("ranked")
    expect(page.get_by_label("Options (one per line)")).to_be_visible()
    expect(page.get_by_label("Threshold")).to_be_hidden()

    # The deadline moves to the earliest the chosen category allows, and says why.
    closes = page.get_by_label("Voting closes at")
    general = Category.objects.get(slug="general")
    bylaws = Category.objects.get(slug="bylaws")
    expect(closes).to_have_value(default_closes_at(general).strftime(FIELD))
    page.locator("#id_category").select_option(label=bylaws.name)
    expect(closes).to_have_value(default_closes_at(bylaws).strftime(FIELD))
    expect(page.locator("#id_closes_at_helptext")).to_contain_text(
        "168 hours of discussion and then at least 336 hours of voting")

    # A refused form: the focus is on the summary, whose link leads to the field.
    page.get_by_label("Options (one per line)").fill("Only one")
    page.get_by_role("button", name="Open for discussion").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Title: This field is required.")
    expect(page.get_by_label("Options (one per line)")).to_be_visible()  # still a ranked vote
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "proposal-form-errors.png"), full_page=True)
    summary.get_by_role("link", name="Title: This field is required.").click()
    expect(page).to_have_url("/governance/proposals/new/#id_title")
    page.get_by_label("Title").fill("Elect the board")
    page.get_by_label("Text").fill("Three candidates.")
    page.get_by_label("Options (one per line)").fill("Ana\nBen\nCy")
    page.get_by_role("button", name="Open for discussion").click()
    expect(page.get_by_role("heading", name="Elect the board")).to_be_visible()
    made = Proposal.objects.get(title="Elect the board")
    assert (made.category, made.method, made.options.count()) == (bylaws, "ranked", 3)
    assert console.csp_violations == []
    # The refused form answers 400, which Chromium logs; nothing else may be logged.
    assert [e for e in console.errors if "status of 400" not in e] == []


def test_what_the_proposal_enacts_shows_only_for_the_policy_category(new_page, console):
    """Issue #9: the select (there without JavaScript) follows the chosen category; a draft
    policy proposed from it shows its difference on the proposal page."""
    from datetime import date

    from tests.patronage.factories import make_policy

    ensure_categories()
    workers = StakeholderClassFactory(slug="workers", name="Workers", share_price_minor=0,
                                      min_shares=1, max_shares=1)
    StakeholderClassFactory(slug="users", name="Users", share_price_minor=0,
                            min_shares=1, max_shares=1)
    make_policy(effective_from=date(2024, 1, 1))
    draft = make_policy(effective_from=date(2025, 1, 1), cash_bp=4000)
    author = make_member(stakeholder_class=workers, user=UserFactory(email="p@example.org"))
    page = new_page(viewport=DESKTOP)
    sign_in(page, author.user.email)
    page.goto("/governance/proposals/new/")

    enacts = page.get_by_label("What this proposal enacts")
    expect(enacts).to_be_hidden()  # the general category carries none
    page.locator("#id_category").select_option(label="Policy")
    expect(enacts).to_be_visible()
    page.locator("#id_category").select_option(label="Bylaws amendment")
    expect(enacts).to_be_hidden()
    page.locator("#id_category").select_option(label="Policy")
    offered = enacts.locator("option", has_text="cash share of patronage: 30 % → 40 %")
    expect(offered).to_contain_text("Allocation policy version 2")
    enacts.select_option(offered.get_attribute("value"))
    page.get_by_label("Title").fill("Raise the cash share")
    page.get_by_label("Text").fill("Pay out more in cash.")
    page.get_by_role("button", name="Open for discussion").click()
    expect(page.get_by_role("heading", name="Raise the cash share")).to_be_visible()
    expect(page.get_by_text("cash share of patronage: 30 % → 40 %")).to_be_visible()
    assert Proposal.objects.get().enactment_payload == {"policy_id": draft.pk}
    assert console.csp_violations == [] and console.errors == []
