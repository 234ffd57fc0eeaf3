"""Issue #8 item 13 in the browser: the apply journey reads the bylaws. The apply form links
the exact version it asks to accept; the link opens the bylaws' text; accepting records that
version. Also on a phone: the text fits (no horizontal scroll)."""

from datetime import date

import pytest
from playwright.sync_api import expect

from membership.models import Application, Bylaws
from tests.membership.factories import StakeholderClassFactory, UserFactory

from .conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill("correct horse battery")
    page.get_by_role("button", name="Sign In").click()


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_apply_journey_reads_the_bylaws_it_accepts(new_page, console, viewport):
    StakeholderClassFactory()
    Bylaws.objects.create(version="2024-01", text="The old article.",
                          adopted_on=date(2024, 1, 20), published=True)
    Bylaws.objects.create(version="2026-03", adopted_on=date(2026, 3, 14), published=True,
                          text="Article 1. Name\nThe cooperative is called Lightbox.\n\n"
                               "Article 2. Membership\nEvery member holds at least one share "
                               "of their class.")
    user = UserFactory(email="ada@example.org")
    page = new_page(**({"viewport": viewport} if viewport else {}))
    sign_in(page, user.email)

    page.goto("/apply/")
    link = page.get_by_role("link", name="read the bylaws")
    expect(page.locator("#bylaws-link")).to_contain_text("Bylaws version 2026-03")
    with page.context.expect_page() as opened:
        link.click()  # a new tab: the half-filled form stays as it was
    bylaws = opened.value
    bylaws.wait_for_load_state()
    assert bylaws.url.endswith("/bylaws/2026-03/")
    expect(bylaws.get_by_role("heading", level=1)).to_contain_text("version 2026-03")
    expect(bylaws.get_by_text("Every member holds at least one share")).to_be_visible()
    assert bylaws.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    bylaws.close()

    page.get_by_label("Photographers").check()
    page.get_by_label("Number of shares").fill("3")
    page.get_by_label("I have read and accept the cooperative's bylaws").check()
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_text("your application was received")).to_be_visible()
    assert Application.objects.get(user=user).bylaws_version == "2026-03"
    assert console.errors == []
