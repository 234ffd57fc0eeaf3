"""The member pages on a 390 px phone (issue #8, item 22), measured in Chromium: the landing
page's class table fits; the certificate's signature lines stay inside its border; the
"Printable certificate" links on the member home are whole; and the menu takes at most two
rows, for a member with every menu item (staff too) and for staff."""

import re

import pytest
from playwright.sync_api import expect

from tests.membership.factories import (
    StaffFactory,
    StakeholderClassFactory,
    UserFactory,
    make_member,
)

from .conftest import DESKTOP, PHONE
from .helpers import photographers, sign_in_by_field
from .layout import assert_fits

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


MENU_ROWS = """
() => new Set(Array.from(document.querySelectorAll(".site-nav li"))
  .filter((li) => li.getClientRects().length > 0)  // items hidden on this screen take no row
  .map((li) => Math.round(li.getBoundingClientRect().top))).size
"""


def test_the_landing_page_class_table_fits(new_page, console):
    photographers()
    StakeholderClassFactory(slug="clients", name="Clients", share_price_minor=250_000,
                            min_shares=1, max_shares=10_000)
    page = new_page(viewport=PHONE)
    page.goto("/")
    table = page.get_by_role("table", name="Membership classes and their shares")
    expect(table).to_be_visible()
    found = assert_fits(page)
    assert found["scrollers"] == []  # it fits: nothing to scroll sideways
    row = table.get_by_role("row", name=re.compile("^Clients"))
    expect(row).to_contain_text("2,500.00")
    # Laid out as cards, it is still a table to a screen reader: Chromium's accessibility tree
    # keeps its rows, row headers and cells (CSS display alone must not drop them).
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")
    roles = [node["role"]["value"] for node in tree["nodes"] if not node.get("ignored")]
    assert roles.count("row") == 3 and roles.count("rowheader") == 2
    assert roles.count("cell") == 6 and roles.count("columnheader") == 4
    assert console.errors == []


def test_the_member_home_and_the_certificate_fit(new_page, console):
    member = make_member(stakeholder_class=photographers(), paid=True,
                         user=UserFactory(email="ada@example.org",
                                          full_name="Ada Konstantinopoulou-Papadimitriou"))
    assert member.certificates.count() == 3
    page = new_page(viewport=PHONE)
    sign_in_by_field(page, "ada@example.org")
    page.goto("/")
    links = page.get_by_role("link", name=re.compile("Printable certificate"))
    expect(links).to_have_count(3)
    assert_fits(page)
    width = page.evaluate("document.documentElement.clientWidth")
    for i in range(3):
        box = links.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width  # whole, on the screen

    links.first.click()
    expect(page.get_by_role("heading", name="Share certificate")).to_be_visible()
    assert_fits(page)
    # The signature lines are inside the certificate's border (inside its padding, even).
    inside = page.locator(".certificate").evaluate("""c => {
      const box = c.getBoundingClientRect();
      const s = getComputedStyle(c);
      const left = box.left + parseFloat(s.borderLeftWidth);
      const right = box.right - parseFloat(s.borderRightWidth);
      return Array.from(c.querySelectorAll(".signature span")).map((span) => {
        const r = span.getBoundingClientRect();
        return r.left >= left && r.right <= right && r.width > 80;
      });
    }""")
    assert inside == [True, True]
    assert console.errors == []


@pytest.mark.parametrize("who", ["member_and_staff", "member", "staff"])
def test_the_menu_takes_at_most_two_rows(new_page, console, who):
    if who == "staff":
        user = StaffFactory(email="stella@example.org")
        expected = ["Proposals", "Members directory", "Vitality", "Books", "Profile", "Admin",
                    "Sign out"]
    else:
        user = (StaffFactory if who == "member_and_staff" else UserFactory)(
            email="ada@example.org")
        make_member(stakeholder_class=photographers(), user=user)
        expected = ["Proposals", "Members directory", "Vitality", "Money", "Notifications",
                    "Profile", "Admin", "Sign out"]
        if who == "member":
            expected.remove("Admin")
    page = new_page(viewport=PHONE)
    sign_in_by_field(page, user.email)
    page.goto("/governance/")
    # "Home" is left out on a phone: the cooperative's name beside the menu leads home.
    expect(page.locator(".site-nav li", has_text="Home")).to_be_hidden()
    expect(page.locator(".site-header .brand")).to_have_attribute("href", "/")
    items = page.locator(".site-nav li:visible")
    expect(items).to_have_count(len(expected))
    names = items.evaluate_all("""items => items.map((li) => {
      const target = li.querySelector("a, button");
      return (target.getAttribute("aria-label") || target.innerText).trim();
    })""")
    assert [re.sub(r"(,| \().*", "", name) for name in names] == expected
    assert page.evaluate(MENU_ROWS) <= 2
    assert_fits(page, "header")
    # Every item stays a comfortable touch target.
    for i in range(len(expected)):
        target = items.nth(i).locator("a, button")
        assert target.bounding_box()["height"] >= 44
        assert target.bounding_box()["width"] >= 44
    assert console.errors == []


def test_the_menu_says_members_directory_in_full_on_a_desktop(new_page):
    user = UserFactory(email="ada@example.org")
    make_member(stakeholder_class=photographers(), user=user)
    page = new_page(viewport=DESKTOP)
    sign_in_by_field(page, user.email)
    link = page.get_by_role("link", name="Members directory")
    assert " ".join(link.inner_text().split()) == "Members directory"
    # A space that shows: the menu item is a flex box, which would drop a plain leading space.
    space = link.locator(".wide-only").evaluate("""span => {
      const range = document.createRange();
      range.setStart(span.firstChild, 0);
      range.setEnd(span.firstChild, 1);
      return range.getBoundingClientRect().width;
    }""")
    assert space > 2
    page.set_viewport_size(PHONE)
    assert link.inner_text() == "Members"
    expect(link).to_have_accessible_name("Members directory")
