"""Governance in Django admin: read-only ballots, no secret choice beside a voter, actions that
go through the services."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from coop.models import AuditRecord
from governance import services
from governance.models import (
    Ballot,
    BallotRevision,
    Elector,
    Proposal,
    SecretBallot,
)
from tests.governance.helpers import (
    active_members,
    close_at_deadline,
    new_proposal,
    open_proposal,
)

pytestmark = pytest.mark.django_db

SECRET_REASON = "Xylophone-quarantine-7431"  # a block reason nobody else would write
CHOICE_WORDS = re.compile(r"\b(agree|disagree)\b")


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def page(client, name: str, *args) -> str:
    response = client.get(reverse(f"admin:governance_{name}", args=args))
    assert response.status_code == 200, name
    return response.content.decode()


@pytest.fixture
def secret_vote():
    """A secret consent vote: two agree, one disagrees, one blocks with a reason."""
    members = active_members(4)
    proposal = open_proposal(method="consent", secret=True)
    for member, choice in zip(members, ["agree", "agree", "disagree"], strict=False):
        services.ballot_cast(proposal=proposal, member=member, choice=choice)
    services.ballot_cast(proposal=proposal, member=members[3], choice="block",
                         reason=SECRET_REASON)
    return proposal, members


def voter_marks(members) -> list[str]:
    return [m.name for m in members] + [m.email for m in members]


def test_every_governance_admin_page_loads_for_staff(staff_client, secret_vote):
    proposal, members = secret_vote
    open_vote = open_proposal()
    services.ballot_cast(proposal=open_vote, member=members[0], choice="yes")
    services.comment_post(proposal=open_vote, member=members[1], body="Looks good.")
    for name in ("proposal", "category", "elector", "ballot", "ballotrevision", "secretballot",
                 "comment"):
        page(staff_client, f"{name}_changelist")
    page(staff_client, "proposal_change", proposal.pk)
    page(staff_client, "elector_change", Elector.objects.first().pk)
    page(staff_client, "ballot_change", Ballot.objects.get().pk)
    page(staff_client, "ballotrevision_change", BallotRevision.objects.get().pk)
    page(staff_client, "secretballot_change", SecretBallot.objects.first().pk)
    filtered = staff_client.get(reverse("admin:governance_proposal_changelist"),
                                {"status": "voting", "method": "consent"})
    assert filtered.status_code == 200
    assert filtered.context["cl"].result_count == 1


def test_admin_pages_are_for_staff_only(client):
    members = active_members(1)
    client.force_login(members[0].user)
    response = client.get(reverse("admin:governance_secretballot_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_no_admin_page_shows_a_secret_choice_next_to_a_voter(staff_client, secret_vote):
    proposal, members = secret_vote
    for phase in ("open", "closed"):
        # Who voted (Elector): participation only, never a choice or a reason.
        electors = [page(staff_client, "elector_changelist")] + [
            page(staff_client, "elector_change", pk)
            for pk in Elector.objects.filter(proposal=proposal).values_list("pk", flat=True)
        ]
        for html in electors:
            assert not CHOICE_WORDS.search(html), phase
            assert SECRET_REASON not in html
        assert members[0].name in electors[0]  # the voters are listed there...
        # ...and the ballot box has choices (after the close) but no voter.
        boxes = [page(staff_client, "secretballot_changelist")] + [
            page(staff_client, "secretballot_change", pk)
            for pk in SecretBallot.objects.filter(proposal=proposal).values_list("pk", flat=True)
        ]
        for html in boxes:
            assert not any(mark in html for mark in voter_marks(members)), phase
        # A secret vote leaves nothing in the open ballot tables.
        for name in ("ballot_changelist", "ballotrevision_changelist"):
            html = page(staff_client, name)
            assert not CHOICE_WORDS.search(html)
        if phase == "open":
            assert all("(hidden until the close)" in html for html in boxes[1:])
            assert not any(CHOICE_WORDS.search(html) for html in boxes)
            proposal = close_at_deadline(proposal)
    assert CHOICE_WORDS.search(boxes[0])  # after the close the box itself is public
    proposal_page = page(staff_client, "proposal_change", proposal.pk)
    assert not any(mark in proposal_page for mark in voter_marks(members))


def test_open_ballot_choices_hidden_until_the_close(staff_client):
    members = active_members(2)
    proposal = open_proposal(method="consent")
    services.ballot_cast(proposal=proposal, member=members[0], choice="disagree")
    services.ballot_cast(proposal=proposal, member=members[1], choice="agree")
    ballot = Ballot.objects.get(member=members[0])
    pages = [page(staff_client, "ballot_changelist"), page(staff_client, "ballot_change",
                                                           ballot.pk),
             page(staff_client, "ballotrevision_changelist")]
    for html in pages:
        assert "(hidden until the close)" in html and not CHOICE_WORDS.search(html)
    close_at_deadline(proposal)
    assert "disagree" in page(staff_client, "ballot_change", ballot.pk)
    # Ballots are read-only for everybody, staff included.
    response = staff_client.post(reverse("admin:governance_ballot_change", args=[ballot.pk]),
                                 {"choice": "agree"})
    assert response.status_code == 403
    assert Ballot.objects.get(pk=ballot.pk).choice == "disagree"


def run_action(client, action: str, proposals) -> list[str]:
    response = client.post(reverse("admin:governance_proposal_changelist"),
                           {"action": action, "_selected_action": [p.pk for p in proposals]},
                           follow=True)
    assert response.status_code == 200
    return texts(response)


def test_the_open_action_calls_the_service_and_reports_errors(staff_client):
    active_members(3)
    ready = new_proposal(title="Ready")
    already = open_proposal(title="Already open")
    messages = run_action(staff_client, "open_voting", [ready, already])
    ready.refresh_from_db()
    assert ready.status == Proposal.Status.VOTING and ready.electorate_size == 3
    assert Elector.objects.filter(proposal=ready).count() == 3
    assert AuditRecord.objects.filter(action="proposal.voting", object_id=str(ready.pk)).exists()
    assert any("Opened 1 proposal" in m for m in messages)
    assert any(f"#{already.pk} Already open" in m and "Only a proposal in discussion" in m
               for m in messages)


def test_the_close_action_respects_early_close(staff_client):
    members = active_members(2)
    strict = open_proposal(title="Strict")
    flexible = open_proposal(title="Flexible", early_close_allowed=True)
    for proposal in (strict, flexible):
        services.ballot_cast(proposal=proposal, member=members[0], choice="yes")
    messages = run_action(staff_client, "close_now", [strict, flexible])
    strict.refresh_from_db()
    flexible.refresh_from_db()
    assert strict.status == Proposal.Status.VOTING
    assert flexible.status == Proposal.Status.CLOSED and flexible.outcome == "passed"
    assert any("Closed 1 proposal" in m for m in messages)
    assert any(f"#{strict.pk} Strict" in m and "before its deadline" in m for m in messages)
