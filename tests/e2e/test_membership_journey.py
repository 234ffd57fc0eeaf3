"""Sign up → apply → staff approve in admin → payment recorded in admin → the member sees their
shares and certificate and prints one. Screenshots go to docs/screenshots/."""

import re
from datetime import date

import pytest
from django.core import mail
from playwright.sync_api import expect

from membership.models import Application, Member
from tests.membership.factories import (
    StaffFactory,
    StakeholderClassFactory,
    UserFactory,
    make_member,
)

from .conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unusual passphrase 42"


def sign_in(page, email, password):
    page.goto("/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name="Sign In").click()


def test_join_pay_and_print_a_certificate(new_page, console, screenshot):
    photographers = StakeholderClassFactory()  # 50.00 a share, 2 to 20 shares
    StakeholderClassFactory(slug="clients", name="Clients", share_price_minor=2500,
                            min_shares=1, max_shares=4, patronage_measure="purchases")
    staff = StaffFactory(email="staff@example.org")
    referrer = make_member(stakeholder_class=photographers, paid=True,
                           user=UserFactory(full_name="Berenice Abbott"))

    # --- a person signs up and verifies their address -----------------------------------
    page = new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("typeof htmx") == "object"  # the vendored htmx ran under the CSP
    page.get_by_role("link", name="Sign up to apply").click()
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    confirmation = next(m for m in mail.outbox if "ada@example.org" in m.to)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", confirmation.body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    if "/accounts/login/" in page.url:  # allauth signs in on confirmation only in some set-ups
        sign_in(page, "ada@example.org", PASSWORD)

    # --- they apply ---------------------------------------------------------------------
    expect(page.get_by_role("link", name="Apply for membership")).to_be_visible()
    page.get_by_role("link", name="Apply for membership").click()
    expect(page.get_by_role("heading", name="Apply for membership")).to_be_visible()
    page.get_by_label("Photographers").check()
    page.get_by_label("Number of shares").fill("30")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Why do you want to join?").fill("I license my photographs.")
    page.get_by_label("Member number of the member who referred you").fill(
        str(referrer.member_number))
    page.get_by_role("heading", name="Apply for membership").scroll_into_view_if_needed()
    screenshot(page, "apply.png")
    # Too many shares and no bylaws: htmx swaps the form with the errors, nothing is stored.
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the")
    expect(page.get_by_text("You must accept the bylaws to apply.")).to_be_visible()
    assert Application.objects.filter(email="ada@example.org").count() == 0
    page.get_by_label("Number of shares").fill("3")
    page.get_by_label("I have read and accept the cooperative's bylaws").check()
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_text("your application was received")).to_be_visible()
    expect(page.get_by_text("waiting for a decision")).to_be_visible()
    application = Application.objects.get(email="ada@example.org")
    assert (application.shares, application.referred_by_id) == (3, referrer.pk)

    # --- staff approve it with the admin's bulk action --------------------------------------
    admin = new_page()
    sign_in(admin, staff.email, "correct horse battery")
    admin.goto("/admin/membership/application/?status__exact=pending")
    admin.locator(f'input[name="_selected_action"][value="{application.pk}"]').check()
    admin.locator('select[name="action"]').select_option("approve_selected")
    admin.get_by_role("button", name="Run").or_(admin.get_by_role("button", name="Go")).click()
    expect(admin.get_by_text("Approved 1 application(s)")).to_be_visible()
    member = Member.objects.get(application=application)
    assert member.status == Member.Status.AWAITING_PAYMENT

    page.reload()
    expect(page.get_by_text("Awaiting payment")).to_be_visible()
    expect(page.get_by_text("to become an active member")).to_be_visible()

    # --- a payment is recorded in the admin -------------------------------------------------
    admin.goto(f"/admin/membership/member/{member.pk}/record-payment/")
    admin.get_by_label("Amount").fill("150.00")
    admin.get_by_label("Paid on").fill(date.today().isoformat())
    admin.get_by_label("Reference").fill("BANK-2026-001")
    admin.get_by_role("button", name="Record payment").click()
    expect(admin.get_by_text(re.compile("Payment of 150.00 EUR recorded"))).to_be_visible()
    member.refresh_from_db()
    assert (member.status, member.shares_held) == (Member.Status.ACTIVE, 3)

    # --- the member sees their shares and certificates ---------------------------------------
    page.goto("/")
    expect(page.get_by_role("heading", name="My membership")).to_be_visible()
    expect(page.get_by_text("Active", exact=True)).to_be_visible()
    expect(page.locator("#paid-title + p")).to_contain_text("150.00 EUR of 150.00 EUR")
    expect(page.get_by_role("cell", name="150.00 EUR")).to_be_visible()
    expect(page.get_by_text("BANK-2026-001")).to_be_visible()
    certificates = page.get_by_role("link", name=re.compile("Printable certificate"))
    expect(certificates).to_have_count(3)
    screenshot(page, "home.png")

    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "ada@example.org", PASSWORD)
    expect(phone.get_by_role("heading", name="My membership")).to_be_visible()
    # Mobile-first: nothing wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "home-phone.png")

    # --- and opens the printable certificate --------------------------------------------------
    number = member.certificates.order_by("certificate_number").first().certificate_number
    page.get_by_role("link", name=f"Printable certificate no. {number}").click()
    expect(page.get_by_role("heading", name="Share certificate")).to_be_visible()
    expect(page.get_by_text(f"No. {number}", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Print this certificate")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print this certificate")).to_be_hidden()
    expect(page.get_by_role("heading", name="Share certificate")).to_be_visible()
    page.emulate_media(media="screen")

    # Another member cannot open it.
    stranger = new_page()
    sign_in(stranger, referrer.user.email, "correct horse battery")
    response = stranger.goto(f"/certificates/{number}/")
    assert response.status == 404

    # --- the members directory, searched with htmx ---------------------------------------------
    for name in ("Dorothea Lange", "Gordon Parks", "Vivian Maier", "Robert Capa", "Lee Miller"):
        make_member(stakeholder_class=photographers, paid=True, user=UserFactory(full_name=name))
    page.goto("/members/")
    expect(page.get_by_role("cell", name="Ada Lovelace")).to_be_visible()
    screenshot(page, "directory.png")
    page.get_by_label("Search by name").fill("lange")
    expect(page.get_by_role("cell", name="Ada Lovelace")).to_have_count(0)
    expect(page.get_by_role("cell", name="Dorothea Lange")).to_be_visible()
    assert "q=lange" in page.url  # htmx pushed the search into the address bar

    # Hidden from the directory through the profile page (htmx), gone from the list.
    page.goto("/profile/")
    page.get_by_role("button", name="Hide me from the directory").click()
    expect(page.get_by_text("You are hidden from the members directory.").first).to_be_visible()
    stranger.goto("/members/")
    expect(stranger.get_by_role("cell", name="Dorothea Lange")).to_be_visible()
    expect(stranger.get_by_role("cell", name="Ada Lovelace")).to_have_count(0)

    assert console.csp_violations == [], "\n".join(console.csp_violations)
    assert console.errors == [e for e in console.errors if "404" in e]


def test_pages_work_without_javascript(browser, live_server, console):
    """Every page of the journey also works with JavaScript off (the no-htmx fallback)."""
    photographers = StakeholderClassFactory()
    member = make_member(stakeholder_class=photographers, paid=True,
                         user=UserFactory(full_name="Imogen Cunningham"))
    make_member(stakeholder_class=photographers, paid=True,
                user=UserFactory(full_name="Walker Evans"))
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = console.attach(context.new_page())
        sign_in(page, member.user.email, "correct horse battery")
        expect(page.get_by_role("heading", name="My membership")).to_be_visible()
        page.goto("/members/")
        page.get_by_label("Search by name").fill("walker")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("cell", name="Walker Evans")).to_be_visible()
        expect(page.get_by_role("cell", name="Imogen Cunningham")).to_have_count(0)
        page.goto("/profile/")
        page.get_by_role("button", name="Hide me from the directory").click()
        expect(page.locator("#messages")).to_contain_text(
            "You are hidden from the members directory.")
        member.refresh_from_db()
        assert member.directory_visible is False
    finally:
        context.close()
    assert console.csp_violations == []
