"""Staff in the admin at 1280 px (issue #8, items 14 and 15): the wide lists fit the screen, and
a pending application is approved from its own page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from membership import services
from membership.models import Application
from tests.membership.factories import (
    REGISTRAR,
    StaffFactory,
    StakeholderClassFactory,
    UserFactory,
    make_member,
)

from .conftest import DESKTOP

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def staff_page(new_page):
    staff = StaffFactory(email="staff@example.org", full_name="Stella Staff")
    page = new_page(viewport=DESKTOP)
    page.goto("/accounts/login/")
    page.locator('input[name="login"]').fill(staff.email)
    page.locator('input[name="password"]').fill("correct horse battery")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def test_the_wide_lists_fit_1280_px(new_page, console, screenshot):
    photographers = StakeholderClassFactory()
    for n in range(4):
        user = UserFactory(full_name=f"Bartholomew-Maximilian Longname-Whitaker {n}",
                           email=f"bartholomew.maximilian.longname{n}@example.org")
        member = make_member(stakeholder_class=photographers, shares=20, user=user)
        services.share_payment_record(member=member, amount_minor=99_950,
                                      paid_on=timezone.localdate(),
                                      reference=f"SEPA-2026-LONG-REFERENCE-{n:04d}",
                                      actor=REGISTRAR)
    applicant = UserFactory(full_name="Wilhelmina Constance Applicant-Featherstonehaugh")
    services.application_submit(stakeholder_class=photographers, shares=2,
                                name=applicant.full_name, email=applicant.email, user=applicant)
    page = staff_page(new_page)
    for path, shot in [("/admin/membership/member/", "admin-members-1280.png"),
                       ("/admin/membership/sharepayment/", "admin-payments-1280.png"),
                       ("/admin/membership/application/", "admin-applications-1280.png")]:
        page.goto(path)
        expect(page.locator("#result_list")).to_be_visible()
        widths = page.evaluate("""() => {
            const table = document.querySelector('#result_list');
            const box = table.closest('.results');
            return {table: table.scrollWidth, box: box.clientWidth,
                    right: table.getBoundingClientRect().right,
                    page: document.documentElement.scrollWidth, viewport: window.innerWidth};
        }""")
        screenshot(page, shot)
        # No sideways scrolling: the page fits the screen, and the table fits its box (which
        # would otherwise scroll on its own and hide the last columns).
        assert widths["page"] <= widths["viewport"] == DESKTOP["width"], (path, widths)
        assert widths["table"] <= widths["box"], (path, widths)
        assert widths["right"] <= widths["viewport"], (path, widths)
    assert not console.errors


def test_staff_approve_from_the_application_page(new_page, console):
    user = UserFactory(full_name="Ada Lovelace")
    application = services.application_submit(
        stakeholder_class=StakeholderClassFactory(), shares=2, name="Ada Lovelace",
        email=user.email, user=user)
    page = staff_page(new_page)
    page.goto("/admin/")
    page.get_by_role("link", name="1 application pending").click()
    page.get_by_role("link", name="Ada Lovelace").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved application")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert not console.errors
