"""The README's screenshots of the pages for people (issue #8 items 19, 21, 22), on a 390 px
phone and a 1280 px desktop, into docs/img/. Run by `bin/screenshots`, not by the test suite
(the file name does not match `test_*.py`): Playwright drives /usr/bin/chromium against
pytest-django's live server, with the same set-ups as the layout tests. Each picture is a
viewport or one section, not a whole long page, so it stays legible and under 150 KB."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE
from .helpers import LONG_NAMES, open_vote, photographers, ranked_result, sign_in, two_classes
from .helpers import sign_in_by_field as sign_in_by_name

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = Path(__file__).resolve().parents[2] / "docs" / "img"
LIMIT = 150_000  # bytes: the README loads every picture


def shoot(target, name: str) -> None:
    """A page's viewport or one element, as docs/img/<name>.png, checked against the limit."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    # caret="initial": see tests/e2e/conftest.py (hiding the caret trips the CSP under htmx).
    target.screenshot(path=str(path), caret="initial", animations="disabled")
    size = path.stat().st_size
    assert size <= LIMIT, f"{path.name} is {size} bytes, over {LIMIT}: take a smaller part"


def test_results(new_page):
    proposal, voters = ranked_result()
    url = f"/governance/proposals/{proposal.pk}/result/"
    for viewport, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = new_page(viewport=viewport)
        sign_in(page, voters[1].user.email)
        page.goto(url)
        page.locator(".outcome details.exact summary").click()
        shoot(page, f"result-{suffix}")
        rounds = page.locator("section", has=page.get_by_role(
            "heading", name="The count, round by round"))
        rounds.scroll_into_view_if_needed()
        shoot(rounds, f"result-rounds-{suffix}")


def test_per_class_table_on_a_phone(new_page):
    from governance import services
    from tests.governance.helpers import close

    workers, clients = two_classes()
    proposal = open_vote(workers[0], title="Open a second shop", tally_mode="class_weighted",
                         class_quorum_percent=50)
    for member in workers[:5]:
        services.ballot_cast(proposal=proposal, member=member, choice="yes")
    for member, choice in zip(clients[:4], ["yes", "no", "no", "abstain"], strict=True):
        services.ballot_cast(proposal=proposal, member=member, choice=choice)
    close(proposal)
    page = new_page(viewport=PHONE)
    sign_in(page, workers[0].user.email)
    page.goto(f"/governance/proposals/{proposal.pk}/result/")
    section = page.locator("section", has=page.get_by_role("heading", name="By class"))
    section.scroll_into_view_if_needed()
    shoot(section, "result-by-class-phone")


def test_ballots_on_a_phone(new_page):
    workers, _ = two_classes()
    approval = open_vote(workers[0], title="What to fund first", method="approval",
                         options=["Refurbishment of the photographic darkroom",
                                  "Internationalisation of the cooperative's photography",
                                  "A cargo bike"], seats=1)
    ranked = open_vote(workers[0], title="Elect two board members", method="ranked",
                       options=LONG_NAMES[:4], seats=2)
    page = new_page(viewport=PHONE)
    sign_in(page, workers[1].user.email)
    page.goto(f"/governance/proposals/{approval.pk}/")
    vote = page.locator("#vote")
    vote.scroll_into_view_if_needed()
    shoot(vote, "ballot-approval-phone")

    page.goto(f"/governance/proposals/{ranked.pk}/")
    for name in (LONG_NAMES[2], LONG_NAMES[0]):
        page.get_by_role("button", name=f"Add {name} to your ranking").click()
    page.locator("#vote").scroll_into_view_if_needed()
    shoot(page.locator("#vote"), "ballot-ranked-phone")
    page.get_by_role("button", name="Cast my vote").click()
    expect(page.locator(".notice.success")).to_be_focused()
    shoot(page, "ballot-ranked-voted-phone")


def test_landing_home_and_certificate(new_page):
    from tests.membership.factories import StaffFactory, StakeholderClassFactory, make_member

    klass = photographers()
    StakeholderClassFactory(slug="clients", name="Clients", share_price_minor=250_000,
                            min_shares=1, max_shares=10_000)
    page = new_page(viewport=PHONE)
    page.goto("/")
    classes = page.locator("section", has=page.get_by_role("heading", name="Ways to join"))
    classes.scroll_into_view_if_needed()
    shoot(classes, "landing-classes-phone")

    # A member who is staff too: every item of the menu.
    make_member(stakeholder_class=klass, paid=True,
                user=StaffFactory(email="ada@example.org", full_name="Ada Lovelace"))
    page = new_page(viewport=PHONE)
    sign_in_by_name(page, "ada@example.org")
    page.goto("/")
    shoot(page, "home-phone")
    certificates = page.locator("section", has=page.get_by_role(
        "heading", name="Share certificates"))
    certificates.scroll_into_view_if_needed()
    shoot(certificates, "home-certificates-phone")
    page.get_by_role("link", name="Printable certificate no. 1").click()
    shoot(page.locator(".certificate"), "certificate-phone")

    page = new_page(viewport=DESKTOP)
    page.goto("/")
    shoot(page, "landing-desktop")
