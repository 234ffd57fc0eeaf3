"""A member votes in the browser: sign in, open a proposal, vote, change the vote, watch the
turnout move (htmx polling), see the result after the close, and find the opening and the
result in the notification inbox. On a phone-sized viewport; and a ranked ballot arranged with
the keyboard alone. Screenshots go to docs/screenshots/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coop.actors import CLOSE_DUE_VOTES
from governance import services
from governance.models import Ballot, Category, Proposal
from tests.governance.factories import TEST_JOB, discussion_began
from tests.membership.factories import StakeholderClassFactory, UserFactory, make_member

from .conftest import DESKTOP, PHONE, SCREENSHOTS
from .helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

def electorate(n: int):
    workers = StakeholderClassFactory(slug="workers", name="Workers", share_price_minor=0,
                                      min_shares=1, max_shares=1)
    return [make_member(stakeholder_class=workers, user=UserFactory(email=f"m{i}@example.org"))
            for i in range(n)]


def open_vote(author, **rules) -> Proposal:
    # A transactional test flushes the categories the data migration made: bring back one.
    general, _ = Category.objects.get_or_create(
        slug="general",
        defaults={"name": "General", "min_quorum_percent": 10, "min_threshold": "majority",
                  "min_discussion_hours": 48, "min_voting_hours": 72},
    )
    proposal = services.proposal_create(actor=TEST_JOB,
        category=general, now=discussion_began(general),
        author=author, closes_at=timezone.now() + timedelta(days=4), **rules)
    return services.proposal_open(actor=TEST_JOB, proposal=proposal)


def test_a_member_votes_changes_the_vote_and_sees_the_result_on_a_phone(new_page, console):
    author, voter, other = electorate(3)
    proposal = open_vote(author, title="Buy a cargo bike for deliveries",
                         body="A cargo bike for deliveries in town.\n\nIt costs 4,000.",
                         quorum_percent=50)

    page = new_page(viewport=PHONE)
    sign_in(page, voter.user.email)
    page.goto("/governance/")
    expect(page.get_by_role("heading", name="Proposals", level=1)).to_be_visible()
    page.get_by_label("Show").select_option("my_vote")  # htmx swaps the results in place
    expect(page).to_have_url("/governance/?show=my_vote")
    expect(page.get_by_text("You have not voted yet")).to_be_visible()
    page.get_by_role("link", name="Buy a cargo bike for deliveries").click()

    expect(page.get_by_role("heading", name="Buy a cargo bike for deliveries")).to_be_visible()
    expect(page.get_by_text("0 of 3 members voted (0 %)")).to_be_visible()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Cast my vote").click()
    expect(page.get_by_text("Your vote was recorded")).to_be_visible()
    expect(page.get_by_text("1 of 3 members voted (33 %)")).to_be_visible()
    assert Ballot.objects.get(proposal=proposal, member=voter).choice == "yes"

    # Change the vote: the form shows the current choice, the last ballot counts.
    expect(page.get_by_label("Yes")).to_be_checked()
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Change my vote").click()
    expect(page.get_by_text("Your vote was changed")).to_be_visible()
    expect(page.get_by_text("1 of 3 members voted (33 %)")).to_be_visible()
    assert Ballot.objects.get(proposal=proposal, member=voter).choice == "no"

    # Someone else votes: the polled bar moves without a reload.
    services.ballot_cast(proposal=proposal, member=other, choice="yes")
    expect(page.get_by_text("2 of 3 members voted (66 %)")).to_be_visible(timeout=20_000)
    expect(page.locator("#turnout .quorum strong")).to_have_text("met")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "proposal.png"), full_page=True)

    # The deadline passes and the job closes the vote.
    Proposal.objects.filter(pk=proposal.pk).update(
        closes_at=timezone.now() - timedelta(seconds=1))
    assert services.close_due_votes(actor=CLOSE_DUE_VOTES) == [proposal.pk]
    page.reload()
    page.get_by_role("link", name="See the result").first.click()
    expect(page.get_by_role("heading", name="Result: Buy a cargo bike for deliveries")
           ).to_be_visible()
    expect(page.locator(".outcome .badge")).to_have_text("Rejected")  # 1 yes, 1 no: no majority
    expect(page.get_by_text("2 of 3 (66.6 %)")).to_be_visible()
    expect(page.locator("svg.chart rect.bar")).to_have_count(3)
    page.screenshot(path=str(SCREENSHOTS / "result.png"), full_page=True)

    # The inbox has the result and the opening (newest first), and from membership the welcome
    # (one inbox for every app's notices), then nothing unread.
    page.get_by_role("link", name="Notifications, 3 unread", exact=True).click()
    notes = page.locator(".notification-list li")
    expect(notes).to_have_count(3)
    expect(notes.first).to_contain_text(
        "The vote on “Buy a cargo bike for deliveries” has closed")
    expect(notes.nth(1)).to_contain_text("Voting is open on “Buy a cargo bike for deliveries”")
    expect(notes.nth(2)).to_contain_text("Welcome: your application was approved")
    page.screenshot(path=str(SCREENSHOTS / "notifications.png"), full_page=True)
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("Nothing unread.")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    assert console.csp_violations == []
    assert console.errors == []


def test_a_ranked_ballot_arranged_with_the_keyboard(new_page, console):
    author, voter = electorate(2)
    proposal = open_vote(author, title="Elect the coordinator", body="One seat.",
                         method="ranked", options=["Alice", "Bob", "Chandra"], seats=1)
    alice, bob, chandra = proposal.options.values_list("pk", flat=True)

    page = new_page(viewport=DESKTOP)
    sign_in(page, voter.user.email)
    page.goto(f"/governance/proposals/{proposal.pk}/")
    # The script replaced the selects by an ordered list with buttons.
    expect(page.get_by_label("1st choice")).to_be_hidden()
    expect(page.get_by_text("Nothing ranked yet")).to_be_visible()

    page.get_by_role("button", name="Add Chandra to your ranking").focus()
    page.keyboard.press("Enter")
    live = page.locator(".rank-widget [aria-live]")
    expect(live).to_have_text("Chandra added to your ranking as choice 1 of 1.")
    page.get_by_role("button", name="Add Alice to your ranking").focus()
    page.keyboard.press("Enter")
    # Focus stays on the moved item: "Move Alice up" is the focused button now.
    expect(page.get_by_role("button", name="Move Alice up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(live).to_have_text("Alice moved up to choice 1 of 2.")
    ranked = page.locator(".rank-list.ranked li .label")
    expect(ranked).to_have_text(["Alice", "Chandra"])
    # The hidden selects carry the order the server will read.
    assert page.locator("#id_rank_1").input_value() == str(alice)
    assert page.locator("#id_rank_2").input_value() == str(chandra)
    assert page.locator("#id_rank_3").input_value() == ""

    page.get_by_role("button", name="Cast my vote").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your vote was recorded")).to_be_visible()
    assert Ballot.objects.get(proposal=proposal, member=voter).ranking == [alice, chandra]
    # The swapped-in ballot is enhanced again and shows the current ranking.
    expect(page.locator(".rank-list.ranked li .label")).to_have_text(["Alice", "Chandra"])

    # Drag and drop works too: Bob dragged onto Alice takes first place.
    page.locator(".rank-list.unranked li", has_text="Bob").drag_to(
        page.locator(".rank-list.ranked li", has_text="Alice"))
    expect(page.locator(".rank-list.ranked li .label")).to_have_text(["Bob", "Alice", "Chandra"])
    page.get_by_role("button", name="Change my vote").click()
    expect(page.get_by_text("Your vote was changed")).to_be_visible()
    assert Ballot.objects.get(proposal=proposal, member=voter).ranking == [bob, alice, chandra]
    assert console.csp_violations == []
    assert console.errors == []
