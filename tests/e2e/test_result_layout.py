"""The result of a vote fits a phone (390 px) and a desktop (1280 px), measured in Chromium:
no page-wide sideways scroll, no chart label clipped by the SVG, no cut column or cell; the
ranked rounds table is the one box meant to scroll, and it says so. And a ranked vote cast on
a phone fits the phone too (issue #8, items 19 and 21)."""


import pytest
from playwright.sync_api import expect

from governance import services
from governance.models import Ballot
from tests.governance.helpers import close

from .conftest import DESKTOP, PHONE
from .helpers import LONG_NAMES, open_vote, ranked_result, sign_in, two_classes
from .layout import assert_fits, words_cut

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_a_ranked_result_fits_the_screen(new_page, console, viewport):
    proposal, voters = ranked_result()
    assert len(proposal.result["rounds"]) >= 3

    page = new_page(viewport=viewport)
    sign_in(page, voters[1].user.email)
    page.goto(f"/governance/proposals/{proposal.pk}/result/")
    expect(page.get_by_role("heading", name="The count, round by round")).to_be_visible()
    found = assert_fits(page)
    rounds = page.locator(".table-wrap.scrolls")
    if viewport is PHONE:
        # The one box that scrolls is the rounds table, and it tells so.
        assert len(found["scrollers"]) == 1
        assert rounds.evaluate("box => box.scrollWidth > box.clientWidth")
        expect(page.get_by_text("scroll the table sideways")).to_be_visible()
        # Scrolled to its end, the last column is inside the box: no column is cut off.
        rounds.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
        box = rounds.bounding_box()
        last = rounds.locator("thead th").last.bounding_box()
        assert last["x"] + last["width"] <= box["x"] + box["width"] + 1
        # The round number stays in sight while the options scroll past.
        first = rounds.locator("tbody th").first.bounding_box()
        assert first["x"] >= box["x"] - 1
    else:
        assert found["scrollers"] == []  # at 1280 px the rounds table fits as it is
    # Long option names wrap between words in the headers, never inside one.
    assert words_cut(page.locator("table.rounds thead th")) == []
    # Every chart label is whole or, when shortened, carries the full name as its tooltip.
    labels = page.locator("svg.chart text.bar-label")
    expect(labels).to_have_count(5)
    for i, name in enumerate(LONG_NAMES):
        text = labels.nth(i).text_content()
        assert text == name or (text.endswith("…") and name in text), text
    assert console.errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_the_per_class_table_and_exact_fractions(new_page, console, viewport):
    workers, clients = two_classes()
    proposal = open_vote(workers[0], title="Open a second shop", tally_mode="class_weighted",
                         class_quorum_percent=50)
    for member in workers[:5]:
        services.ballot_cast(proposal=proposal, member=member, choice="yes")
    services.ballot_cast(proposal=proposal, member=workers[5], choice="no")
    for member, choice in zip(clients[:4], ["yes", "no", "no", "abstain"], strict=True):
        services.ballot_cast(proposal=proposal, member=member, choice=choice)
    close(proposal)

    page = new_page(viewport=viewport)
    sign_in(page, workers[0].user.email)
    page.goto(f"/governance/proposals/{proposal.pk}/result/")
    found = assert_fits(page)
    assert found["scrollers"] == []  # the per-class table is read without scrolling
    # Percentages to one decimal (cut, not rounded): 10 of 13 voted, 76.923…
    outcome = page.locator(".outcome")
    expect(outcome).to_contain_text("10 of 13 (76.9 %)")
    # workers 5/6 yes, clients 1/3: (2·5/6 + 1·1/3) / 3 = 2/3 exactly, shown as 66.6 %.
    expect(outcome).to_contain_text("66.6 %")
    exact = outcome.locator("details.exact")
    expect(exact.get_by_text("10/13")).to_be_hidden()
    exact.locator("summary").click()
    expect(exact.get_by_text("10/13")).to_be_visible()
    expect(exact.get_by_text("2/3", exact=True)).to_be_visible()
    by_class = page.locator("table.by-class")
    workers_row = by_class.locator("tr", has_text="Workers")
    expect(workers_row).to_contain_text("6 (85.7 %)")
    expect(workers_row).to_contain_text("yes share 83.3 %")
    if viewport is PHONE:
        # Each cell names its column, the row reads as a small card.
        label = workers_row.locator("td").first.evaluate(
            "td => getComputedStyle(td, '::before').content")
        assert label == '"Electors"'
    assert_fits(page)  # with the details open too
    assert console.errors == []


def test_a_ranked_vote_cast_on_a_phone_fits_it(new_page, console):
    proposal_voters = two_classes()[0]
    proposal = open_vote(proposal_voters[0], title="Elect two board members", method="ranked",
                         options=LONG_NAMES, seats=2)
    page = new_page(viewport=PHONE)
    sign_in(page, proposal_voters[1].user.email)
    page.goto(f"/governance/proposals/{proposal.pk}/")
    for name in LONG_NAMES[::-1]:
        page.get_by_role("button", name=f"Add {name} to your ranking").click()
    assert_fits(page)
    page.get_by_role("button", name="Cast my vote").click()
    expect(page.get_by_text("Your vote was recorded")).to_be_visible()
    assert Ballot.objects.get(proposal=proposal, member=proposal_voters[1]).ranking
    assert_fits(page)
    assert console.errors == []
