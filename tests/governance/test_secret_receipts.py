"""Secret ballots and their receipts (issue #8, items 4 and 6).

Item 4: a member who has voted in a secret vote whose receipt no longer finds their ballot (the
receipt key changed during the vote) is refused with a 409 on the service, the API and the page,
and no second ballot is stored; with the key back, replacing works again.
Item 6: no admin page shows a secret ballot's receipt before the close (staff see who voted and
when on the electors' pages, and could link the two); after the close the box shows them."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from coop.errors import Conflict
from governance import services
from governance.models import Elector, SecretBallot
from tests.governance.helpers import (
    BASE,
    active_members,
    assert_problem,
    client_for,
    close_at_deadline,
    open_proposal,
)

pytestmark = pytest.mark.django_db

NEW_KEY = "a-different-receipt-key-after-a-restart-" + "x" * 30


def box(proposal) -> list[tuple[str, str]]:
    return list(SecretBallot.objects.filter(proposal=proposal).values_list("receipt", "choice"))


@pytest.fixture
def secret_vote_with_one_ballot():
    voter, other = active_members(2)
    proposal = open_proposal(secret=True)
    first = services.ballot_cast(proposal=proposal, member=voter, choice="yes")
    return proposal, voter, other, first.receipt


# --- item 4: the receipt key changes during a vote -----------------------------------------


def test_service_refuses_a_second_ballot_after_the_key_changed(
    settings, secret_vote_with_one_ballot
):
    proposal, voter, other, receipt = secret_vote_with_one_ballot
    settings.BALLOT_RECEIPT_KEY = NEW_KEY
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(proposal=proposal, member=voter, choice="no")
    assert refused.value.status == 409
    assert "already voted" in refused.value.message
    assert box(proposal) == [(receipt, "yes")]  # one ballot, unchanged
    # A member who has not voted yet still votes under the new key.
    services.ballot_cast(proposal=proposal, member=other, choice="no")
    assert len(box(proposal)) == 2
    # Any other key than the first one is refused alike (the next test puts the first back).
    settings.BALLOT_RECEIPT_KEY = NEW_KEY[::-1]
    with pytest.raises(Conflict):
        services.ballot_cast(proposal=proposal, member=voter, choice="no")


def test_with_the_key_back_replacing_works(settings, secret_vote_with_one_ballot):
    proposal, voter, _, receipt = secret_vote_with_one_ballot
    original = settings.BALLOT_RECEIPT_KEY
    settings.BALLOT_RECEIPT_KEY = NEW_KEY
    with pytest.raises(Conflict):
        services.ballot_cast(proposal=proposal, member=voter, choice="no")
    settings.BALLOT_RECEIPT_KEY = original
    cast = services.ballot_cast(proposal=proposal, member=voter, choice="no")
    assert cast.replaced and cast.receipt == receipt
    assert box(proposal) == [(receipt, "no")]


def test_api_answers_409_problem_json_and_stores_nothing(settings, secret_vote_with_one_ballot):
    proposal, voter, _, receipt = secret_vote_with_one_ballot
    voted_at = Elector.objects.get(proposal=proposal, member=voter).voted_at
    settings.BALLOT_RECEIPT_KEY = NEW_KEY
    response = client_for(voter.user).post(
        f"{BASE}/proposals/{proposal.pk}/ballots/", {"choice": "no"}, format="json"
    )
    body = assert_problem(response, 409)
    assert "already voted" in body["detail"]
    assert box(proposal) == [(receipt, "yes")]
    # The refusal rolled back: the elector's participation time is the first ballot's.
    assert Elector.objects.get(proposal=proposal, member=voter).voted_at == voted_at


def test_page_shows_the_refusal_and_stores_nothing(client, settings, secret_vote_with_one_ballot):
    proposal, voter, _, receipt = secret_vote_with_one_ballot
    settings.BALLOT_RECEIPT_KEY = NEW_KEY
    client.force_login(voter.user)
    url = f"/governance/proposals/{proposal.pk}/vote/"
    # Without JavaScript: back to the page, with the refusal as its error message (the pages
    # answer every refused vote this way, as the "vote is closed" one).
    response = client.post(url, {"choice": "no"})
    assert response.status_code == 302
    errors = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert any("already voted" in text for text in errors), errors
    # htmx: the vote fragment with the message (htmx swaps only 2xx answers).
    response = client.post(url, {"choice": "no"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "already voted" in response.content.decode()
    assert "Your vote was" not in response.content.decode()
    assert box(proposal) == [(receipt, "yes")]


# --- item 6: no receipt in the admin before the close --------------------------------------


def admin_pages(client, proposal) -> list[str]:
    urls = [
        reverse("admin:governance_secretballot_changelist"),
        reverse("admin:governance_secretballot_changelist") + f"?proposal__id__exact={proposal.pk}",
        reverse("admin:governance_elector_changelist"),
        reverse("admin:governance_proposal_change", args=[proposal.pk]),
        reverse("admin:governance_proposal_changelist"),
    ]
    for pk in SecretBallot.objects.filter(proposal=proposal).values_list("pk", flat=True):
        urls += [
            reverse("admin:governance_secretballot_change", args=[pk]),
            reverse("admin:governance_secretballot_history", args=[pk]),
        ]
    for pk in Elector.objects.filter(proposal=proposal).values_list("pk", flat=True):
        urls.append(reverse("admin:governance_elector_change", args=[pk]))
    pages = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    return pages


def test_admin_shows_no_receipt_until_the_close(staff_client):
    voters = active_members(3)
    proposal = open_proposal(secret=True)
    receipts = [
        services.ballot_cast(proposal=proposal, member=m, choice="yes").receipt for m in voters
    ]
    # Any 8 characters of a receipt would do to link it: look for its start and its end.
    marks = [r[:8] for r in receipts] + [r[-8:] for r in receipts]
    for html in admin_pages(staff_client, proposal):
        assert not any(mark in html for mark in marks)
    # Searching the box for a receipt does not single out its row (there is no search on it).
    listing = staff_client.get(
        reverse("admin:governance_secretballot_changelist"), {"q": receipts[0]}
    )
    assert listing.context["cl"].result_count == len(receipts)
    # Sorting by the receipt column is not offered (it would order the rows by receipt).
    listing = staff_client.get(reverse("admin:governance_secretballot_changelist"), {"o": "1"})
    assert listing.status_code in (200, 302)
    assert receipts[0][:8] not in listing.content.decode()

    close_at_deadline(proposal)
    after = "".join(admin_pages(staff_client, proposal))
    assert all(receipt in after for receipt in receipts)
