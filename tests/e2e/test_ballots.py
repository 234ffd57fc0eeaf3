"""The ballots in Chromium (issue #8 item 21): an approval ballot on a phone whose long option
names wrap between words only, each label ticking its own box; a ranked ballot whose disabled
move buttons are disabled and look it, with one "Your ranking" heading and no help about
drop-downs once the script runs; and after a vote, the focus on the confirmation."""

import pytest
from playwright.sync_api import expect

from governance.models import Ballot

from .conftest import DESKTOP, PHONE
from .helpers import open_vote, sign_in, two_classes
from .layout import WORD_LINES, assert_fits

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Words that are each as wide as a good part of a phone's line.
LONG_OPTIONS = [
    "Refurbishment of the photographic darkroom and its ventilation",
    "Internationalisation of the cooperative's representational photography",
    "Bob",
]

def test_an_approval_ballot_on_a_phone(new_page, console):
    workers, _ = two_classes()
    proposal = open_vote(workers[0], title="What to fund first", method="approval",
                         options=LONG_OPTIONS, seats=1)
    page = new_page(viewport=PHONE)
    sign_in(page, workers[1].user.email)
    page.goto(f"/governance/proposals/{proposal.pk}/")

    group = page.get_by_role("group", name="The options you approve")
    expect(group).to_be_visible()
    labels = group.locator("label")
    expect(labels).to_have_count(3)
    wrapped = 0
    for i in range(3):
        lines = labels.nth(i).evaluate(WORD_LINES)
        assert all(n == 1 for _, n in lines), lines  # no word split across two lines
        box = labels.nth(i).bounding_box()
        wrapped += box["height"] > 30  # the long names do take two lines or more
    assert wrapped >= 1
    assert_fits(page)

    # Each label ticks its own box.
    group.get_by_text(LONG_OPTIONS[1]).click()
    expect(group.get_by_label(LONG_OPTIONS[1])).to_be_checked()
    expect(group.get_by_label(LONG_OPTIONS[0])).not_to_be_checked()
    page.get_by_role("button", name="Cast my vote").click()
    notice = page.locator(".notice.success")
    expect(notice).to_contain_text("Your vote was recorded")
    expect(notice).to_be_focused()
    second = proposal.options.get(label=LONG_OPTIONS[1]).pk
    assert Ballot.objects.get(proposal=proposal, member=workers[1]).approvals == [second]
    assert console.errors == []


def test_a_ranked_ballot_disabled_buttons_headings_help_and_focus(new_page, console):
    workers, _ = two_classes()
    proposal = open_vote(workers[0], title="Elect the coordinator", method="ranked",
                         options=["Alice", "Bob", "Chandra"], seats=1)
    page = new_page(viewport=DESKTOP)
    sign_in(page, workers[1].user.email)
    page.goto(f"/governance/proposals/{proposal.pk}/")

    # Only the script's help shows; the one about the selects went with them.
    expect(page.get_by_text("Give your 1st choice")).to_be_hidden()
    expect(page.get_by_text("Add options to your ranking")).to_be_visible()
    # "Your ranking" is said once (the fieldset's legend), not again as a heading.
    expect(page.get_by_text("Your ranking", exact=True)).to_have_count(1)
    expect(page.get_by_role("heading", name="Ranked", exact=True)).to_be_visible()

    page.get_by_role("button", name="Add Bob to your ranking").click()
    page.get_by_role("button", name="Add Alice to your ranking").click()
    top_up = page.get_by_role("button", name="Move Bob up")
    top_down = page.get_by_role("button", name="Move Bob down")
    last_down = page.get_by_role("button", name="Move Alice down")
    expect(top_up).to_be_disabled()
    expect(last_down).to_be_disabled()
    expect(top_down).to_be_enabled()
    look = "b => { const s = getComputedStyle(b); " \
           "return [s.color, s.backgroundColor, s.borderTopStyle, s.cursor]; }"
    disabled, enabled = top_up.evaluate(look), top_down.evaluate(look)
    assert disabled[2] == "dashed" and disabled[3] == "not-allowed"
    assert disabled[0] != enabled[0] and disabled[1] != enabled[1] and enabled[2] == "solid"
    # Hovering a disabled button changes nothing either.
    top_up.hover(force=True)
    assert top_up.evaluate(look) == disabled

    page.get_by_role("button", name="Cast my vote").click()
    notice = page.locator(".notice.success")
    expect(notice).to_contain_text("Your vote was recorded")
    expect(notice).to_be_focused()
    alice, bob = (proposal.options.get(label=name).pk for name in ("Alice", "Bob"))
    assert Ballot.objects.get(proposal=proposal, member=workers[1]).ranking == [bob, alice]
    # The swapped-in ballot is enhanced again, with the same single heading and help.
    expect(page.get_by_text("Your ranking", exact=True)).to_have_count(1)
    expect(page.get_by_text("Give your 1st choice")).to_be_hidden()
    assert console.errors == []
