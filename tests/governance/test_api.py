"""The governance REST API (API.md, "Governance"): every endpoint, who may call it, bad input
(problem+json, nothing stored), secrecy of choices, idempotent ballots and pinned query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from coop.models import AuditRecord
from governance import services
from governance.models import Ballot, BallotRevision, Elector, Proposal, SecretBallot
from membership import services as membership_services
from tests.governance.factories import TEST_JOB, make_proposal, open_proposal
from tests.governance.helpers import BASE, api_key, assert_problem, client_for, in_hours
from tests.membership.factories import REGISTRAR, StaffFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

def ballot_rows() -> tuple[int, int, int, int]:
    """Everything a ballot stores: current ballots, secret ballots, history, participation."""
    return (Ballot.objects.count(), SecretBallot.objects.count(), BallotRevision.objects.count(),
            Elector.objects.exclude(voted_at=None).count())


def expire(proposal: Proposal) -> None:
    """The deadline passes (the deadline job has not run yet)."""
    Proposal.objects.filter(pk=proposal.pk).update(
        closes_at=timezone.now() - timedelta(seconds=1))


# --- categories ---------------------------------------------------------------------------


def test_categories_for_members_and_read_keys(electors):
    for client in (client_for(electors[0].user), client_for(key=api_key("governance:read"))):
        response = client.get(f"{BASE}/categories/")
        assert response.status_code == 200
        by_slug = {c["slug"]: c for c in response.json()}
        assert by_slug["bylaws"] == {"slug": "bylaws", "name": "Bylaws amendment",
                                     "min_quorum_percent": 30, "min_threshold": "2/3",
                                     "min_discussion_hours": 168, "min_voting_hours": 336}
        assert {"general", "election"} <= set(by_slug)


def test_categories_refused_to_anonymous_non_members_and_keys_without_scope():
    assert_problem(APIClient().get(f"{BASE}/categories/"), 401)
    assert_problem(client_for(UserFactory()).get(f"{BASE}/categories/"), 403)
    assert_problem(client_for(key=api_key("members:read")).get(f"{BASE}/categories/"), 403)


# --- proposing ----------------------------------------------------------------------------


def test_member_proposes_with_the_category_defaults(voter):
    response = client_for(voter.user).post(f"{BASE}/proposals/", {
        "title": "Paint the shop", "body": "Green.", "method": "yes_no", "secret": False,
        "closes_at": in_hours(48 + 80)})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "discussion"
    proposal = Proposal.objects.get(pk=response.json()["id"])
    assert proposal.author == voter
    assert (proposal.category.slug, proposal.threshold, proposal.quorum_percent) == (
        "general", "majority", 10)


def test_draft_then_the_author_submits_it(voter, electors):
    author = client_for(voter.user)
    response = author.post(f"{BASE}/proposals/", {
        "title": "Elect the board", "body": "Two seats.", "method": "approval",
        "tally_mode": "member", "secret": True, "category": "election",
        "options": ["Ana", "Ben", "Cy"], "seats": 2, "closes_at": in_hours(24 * (3 + 8)),
        "draft": True})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "draft"
    proposal_id = response.json()["id"]
    # A draft is its author's: another member sees nothing (404) and cannot submit it.
    other = client_for(electors[1].user)
    assert_problem(other.get(f"{BASE}/proposals/{proposal_id}/"), 404)
    assert_problem(other.post(f"{BASE}/proposals/{proposal_id}/submit/"), 404)
    detail = author.get(f"{BASE}/proposals/{proposal_id}/").json()
    assert [o["label"] for o in detail["options"]] == ["Ana", "Ben", "Cy"]
    assert (detail["seats"], detail["secret"], detail["category"]) == (2, True, "election")

    response = author.post(f"{BASE}/proposals/{proposal_id}/submit/")
    assert response.status_code == 200 and response.json() == {"status": "discussion"}
    assert other.get(f"{BASE}/proposals/{proposal_id}/").status_code == 200
    assert_problem(author.post(f"{BASE}/proposals/{proposal_id}/submit/"), 409)


def test_a_partner_key_with_governance_write_proposes_without_an_author():
    response = client_for(key=api_key("governance:write")).post(f"{BASE}/proposals/", {
        "title": "Join the federation", "body": "Yearly fee 100.", "method": "consent",
        "tally_mode": "class_weighted", "threshold": "2/3", "quorum_percent": 20,
        "secret": False, "closes_at": in_hours(48 + 73)})
    assert response.status_code == 201, response.content
    proposal = Proposal.objects.get(pk=response.json()["id"])
    assert proposal.author is None and proposal.created_by_key
    assert (proposal.threshold, proposal.quorum_percent, proposal.tally_mode) == (
        "2/3", 20, "class_weighted")


def test_a_retried_proposal_with_the_same_idempotency_key_is_created_once(voter):
    body = {"title": "Paint the shop", "body": "Green.", "method": "yes_no", "secret": False,
            "closes_at": in_hours(48 + 80)}
    client = client_for(voter.user)
    first = client.post(f"{BASE}/proposals/", body, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    again = client.post(f"{BASE}/proposals/", body, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Proposal.objects.count() == 1


def test_who_may_not_propose():
    body = {"title": "T", "body": "B", "method": "yes_no", "secret": False,
            "closes_at": in_hours(48 + 80)}
    assert_problem(APIClient().post(f"{BASE}/proposals/", body), 401)
    assert_problem(client_for(UserFactory()).post(f"{BASE}/proposals/", body), 403)
    assert_problem(client_for(StaffFactory()).post(f"{BASE}/proposals/", body), 403)
    assert_problem(client_for(key=api_key("governance:read")).post(f"{BASE}/proposals/", body),
                   403)
    unpaid = make_member(paid=False)  # awaiting payment: not yet active
    assert_problem(client_for(unpaid.user).post(f"{BASE}/proposals/", body), 403)
    assert Proposal.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"threshold": "3/2"}, "threshold"),
        ({"threshold": "1/3"}, "threshold"),
        ({"threshold": "most"}, "threshold"),
        ({"category": "bylaws", "threshold": "majority", "closes_at": in_hours(24 * (7 + 15))},
         "threshold"),
        ({"category": "bylaws", "threshold": "3/5", "closes_at": in_hours(24 * (7 + 15))},
         "threshold"),
        ({"quorum_percent": 5}, "quorum_percent"),
        ({"category": "bylaws", "threshold": "2/3", "quorum_percent": 29,
          "closes_at": in_hours(24 * (7 + 15))}, "quorum_percent"),
        ({"quorum_percent": 101}, "quorum_percent"),
        ({"quorum_percent": "lots"}, "quorum_percent"),
        ({"category": "nope"}, "category"),
        ({"method": "plurality"}, "method"),
        ({"tally_mode": "by_lottery"}, "tally_mode"),
        ({"method": "ranked", "tally_mode": "class_weighted", "options": ["A", "B"]},
         "tally_mode"),
        ({"method": "approval", "options": ["Only one"]}, "options"),
        ({"method": "approval", "options": ["A", "A"]}, "options"),
        ({"method": "approval", "options": ["A", "B"], "seats": 2}, "seats"),
        ({"options": ["A", "B"]}, "options"),
        ({"closes_at": in_hours(24)}, "closes_at"),
        ({"closes_at": "2030-01-01T12:00:00"}, "closes_at"),
        ({"closes_at": "next week"}, "closes_at"),
        ({"closes_at": "2030-13-01T12:00:00+00:00"}, "closes_at"),
        ({"title": ""}, "title"),
        ({"options": "A,B", "method": "approval"}, "options"),
    ],
)
def test_invalid_proposals_are_refused_with_field_errors(voter, changes, field):
    body = {"title": "Paint the shop", "body": "Green.", "method": "yes_no", "secret": False,
            "closes_at": in_hours(48 + 80), **changes}
    response = client_for(voter.user).post(f"{BASE}/proposals/", body, format="json")
    assert_problem(response, 400, field)
    assert Proposal.objects.count() == 0


def test_the_author_edits_until_voting_opens_and_not_after(voter, electors):
    proposal = make_proposal(author=voter)
    author = client_for(voter.user)
    response = author.patch(f"{BASE}/proposals/{proposal.pk}/", {"title": "Buy two bikes"})
    assert response.status_code == 200 and response.json()["title"] == "Buy two bikes"
    assert_problem(client_for(electors[1].user).patch(
        f"{BASE}/proposals/{proposal.pk}/", {"title": "Mine now"}), 403)

    open_proposal(proposal)
    assert_problem(author.patch(f"{BASE}/proposals/{proposal.pk}/", {"title": "Three"}), 409)
    assert_problem(client_for(StaffFactory()).patch(
        f"{BASE}/proposals/{proposal.pk}/", {"body": "Changed"}), 409)
    proposal.refresh_from_db()
    assert (proposal.title, proposal.body) == ("Buy two bikes", "For deliveries in town.")


def test_the_author_withdraws_before_voting(voter):
    proposal = make_proposal(author=voter)
    response = client_for(voter.user).post(f"{BASE}/proposals/{proposal.pk}/withdraw/")
    assert response.status_code == 200 and response.json() == {"status": "withdrawn"}


# --- opening ------------------------------------------------------------------------------


def test_the_author_opens_the_vote_and_the_electorate_is_frozen(voter, electors):
    make_member(paid=False)  # not active: not in the electorate
    proposal = make_proposal(author=voter)
    assert_problem(client_for(electors[1].user).post(f"{BASE}/proposals/{proposal.pk}/open/"),
                   403)
    assert_problem(client_for(key=api_key("governance:read")).post(
        f"{BASE}/proposals/{proposal.pk}/open/"), 403)
    response = client_for(voter.user).post(f"{BASE}/proposals/{proposal.pk}/open/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["electorate"]) == ("voting", 3)
    assert len(body["tie_seed_hash"]) == 64
    assert Elector.objects.filter(proposal=proposal).count() == 3
    assert_problem(client_for(voter.user).post(f"{BASE}/proposals/{proposal.pk}/open/"), 409)


@pytest.mark.parametrize("who", ["staff", "key"])
def test_staff_and_write_keys_open_votes(electors, who):
    proposal = make_proposal()
    client = client_for(StaffFactory()) if who == "staff" else client_for(
        key=api_key("governance:write"))
    response = client.post(f"{BASE}/proposals/{proposal.pk}/open/")
    assert response.status_code == 200 and response.json()["electorate"] == 3


def test_a_vote_with_an_empty_electorate_cannot_open():
    proposal = make_proposal()
    response = client_for(StaffFactory()).post(f"{BASE}/proposals/{proposal.pk}/open/")
    assert_problem(response, 409)
    proposal.refresh_from_db()
    assert proposal.status == "discussion"


# --- voting: who ---------------------------------------------------------------------------


def test_an_elector_votes_and_replaces_the_ballot(voter):
    proposal = open_proposal()
    client = client_for(voter.user)
    first = client.post(f"{BASE}/proposals/{proposal.pk}/ballots/", {"choice": "yes"})
    assert first.status_code == 201, first.content
    assert first.json() == {"receipt": services.receipt_for(proposal.pk, voter.pk)}
    second = client.post(f"{BASE}/proposals/{proposal.pk}/ballots/", {"choice": "no"})
    assert second.status_code == 200 and second.json() == first.json()
    ballot = Ballot.objects.get(proposal=proposal)  # exactly one current ballot
    assert (ballot.member, ballot.choice, ballot.revision) == (voter, "no", 2)
    assert list(BallotRevision.objects.filter(proposal=proposal).order_by("revision")
                .values_list("choice", flat=True)) == ["yes", "no"]


def test_who_cannot_vote(electors):
    late = make_member(paid=False)  # awaiting payment on the record date...
    never = make_member(paid=False)  # ...and still so
    proposal = open_proposal()
    membership_services.share_payment_record(actor=REGISTRAR,
                                               # ...admitted (active) after the vote opened
        member=late, amount_minor=late.subscription.total_minor,
        paid_on=timezone.localdate(), reference="late")
    late.refresh_from_db()
    assert late.status == "active"
    url = f"{BASE}/proposals/{proposal.pk}/ballots/"
    body = {"choice": "yes"}
    assert_problem(APIClient().post(url, body), 401)
    assert_problem(client_for(UserFactory()).post(url, body), 403)  # not a member
    assert_problem(client_for(StaffFactory()).post(url, body), 403)  # staff, not a member
    assert_problem(client_for(never.user).post(url, body), 403)  # member, not an elector
    assert_problem(client_for(late.user).post(url, body), 403)  # admitted after the record date
    for scopes in (("governance:write",), ("*",)):  # a key never votes
        assert_problem(client_for(key=api_key(*scopes)).post(url, body), 403)
    assert ballot_rows() == (0, 0, 0, 0)


# --- voting: bad input --------------------------------------------------------------------


@pytest.mark.parametrize("secret", [False, True])
@pytest.mark.parametrize(
    ("method", "ballot", "field"),
    [
        ("yes_no", lambda o: {"choice": "maybe"}, "choice"),
        ("yes_no", lambda o: {"choice": "agree"}, "choice"),
        ("yes_no", lambda o: {}, "choice"),
        ("yes_no", lambda o: {"approvals": []}, "approvals"),
        ("yes_no", lambda o: {"choice": ["yes"]}, "choice"),
        ("consent", lambda o: {"choice": "block"}, "reason"),
        ("consent", lambda o: {"choice": "block", "reason": "   "}, "reason"),
        ("consent", lambda o: {"choice": "yes"}, "choice"),
        ("approval", lambda o: {"approvals": o[:1] + [999999]}, "approvals"),
        ("approval", lambda o: {"approvals": o + o[:1]}, "approvals"),  # more than options
        ("approval", lambda o: {"approvals": ["first"]}, "approvals"),
        ("approval", lambda o: {"choice": "yes"}, "choice"),
        ("ranked", lambda o: {"ranking": o[:1] + o[:1]}, "ranking"),  # duplicates
        ("ranked", lambda o: {"ranking": [999999]}, "ranking"),  # unknown option
        ("ranked", lambda o: {"ranking": [True]}, "ranking"),
        ("ranked", lambda o: {"ranking": None}, "ranking"),
        ("ranked", lambda o: {"approvals": o[:1]}, "approvals"),
    ],
)
def test_bad_ballots_are_refused_and_nothing_is_stored(voter, method, ballot, field, secret):
    proposal = open_proposal(method=method, secret=secret)
    options = [option.pk for option in proposal.options.all()]
    audits = AuditRecord.objects.count()
    response = client_for(voter.user).post(f"{BASE}/proposals/{proposal.pk}/ballots/",
                                           ballot(options), format="json")
    assert_problem(response, 400, field)
    assert ballot_rows() == (0, 0, 0, 0)
    assert AuditRecord.objects.count() == audits


def test_a_block_with_its_reason_is_a_ballot(voter):
    proposal = open_proposal(method="consent")
    response = client_for(voter.user).post(f"{BASE}/proposals/{proposal.pk}/ballots/",
                                           {"choice": "block", "reason": "Unsafe."})
    assert response.status_code == 201
    assert Ballot.objects.get().reason == "Unsafe."


def test_approval_and_ranked_ballots_including_abstentions(voter, electors):
    approval = open_proposal(method="approval", options=["A", "B", "C"], seats=2)
    a, b, c = approval.options.values_list("pk", flat=True)
    url = f"{BASE}/proposals/{approval.pk}/ballots/"
    assert client_for(voter.user).post(url, {"approvals": [a, c]}, format="json"
                                       ).status_code == 201
    assert client_for(electors[1].user).post(url, {"approvals": []}, format="json"
                                             ).status_code == 201
    ranked = open_proposal(method="ranked")
    x, y, z = ranked.options.values_list("pk", flat=True)
    response = client_for(voter.user).post(f"{BASE}/proposals/{ranked.pk}/ballots/",
                                           {"ranking": [z, x]}, format="json")
    assert response.status_code == 201
    assert Ballot.objects.get(proposal=ranked).ranking == [z, x]


def test_voting_after_the_close_or_the_deadline_or_a_cancel_is_refused(voter):
    closed = open_proposal(early_close_allowed=True)
    client_for(StaffFactory()).post(f"{BASE}/proposals/{closed.pk}/close/")
    late = open_proposal()
    expire(late)
    cancelled = open_proposal()
    services.proposal_cancel(actor=TEST_JOB, proposal=cancelled, reason="Wrong text.")
    not_yet = make_proposal()
    for proposal in (closed, late, cancelled, not_yet):
        response = client_for(voter.user).post(f"{BASE}/proposals/{proposal.pk}/ballots/",
                                               {"choice": "yes"})
        assert_problem(response, 409)
    assert ballot_rows() == (0, 0, 0, 0)


@pytest.mark.parametrize("proposal_id", [999999, 2**64])
def test_an_unknown_proposal_is_404(voter, proposal_id):
    client = client_for(voter.user)
    assert_problem(client.post(f"{BASE}/proposals/{proposal_id}/ballots/", {"choice": "yes"}),
                   404)
    assert_problem(client.get(f"{BASE}/proposals/{proposal_id}/"), 404)
    assert_problem(client.get(f"{BASE}/proposals/{proposal_id}/result/"), 404)


# --- voting: idempotency ------------------------------------------------------------------


def test_a_retried_ballot_with_the_same_idempotency_key_is_replayed(voter):
    proposal = open_proposal()
    client = client_for(voter.user)
    url = f"{BASE}/proposals/{proposal.pk}/ballots/"
    first = client.post(url, {"choice": "yes"}, HTTP_IDEMPOTENCY_KEY="vote-1")
    again = client.post(url, {"choice": "yes"}, HTTP_IDEMPOTENCY_KEY="vote-1")
    assert first.status_code == again.status_code == 201  # replayed, not "replaced" (200)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert BallotRevision.objects.count() == 1
    assert_problem(client.post(url, {"choice": "no"}, HTTP_IDEMPOTENCY_KEY="vote-1"), 409)
    assert Ballot.objects.get().choice == "yes"
    # A new key is a new ballot, which replaces the first.
    assert client.post(url, {"choice": "no"}, HTTP_IDEMPOTENCY_KEY="vote-2").status_code == 200
    assert (Ballot.objects.get().choice, BallotRevision.objects.count()) == ("no", 2)


def test_a_refused_ballot_does_not_burn_its_idempotency_key(voter):
    proposal = open_proposal()
    url = f"{BASE}/proposals/{proposal.pk}/ballots/"
    client = client_for(voter.user)
    assert_problem(client.post(url, {"choice": "maybe"}, HTTP_IDEMPOTENCY_KEY="k"), 400)
    assert client.post(url, {"choice": "maybe"}, HTTP_IDEMPOTENCY_KEY="k").status_code == 400
    assert ballot_rows() == (0, 0, 0, 0)


# --- nobody sees choices before the close ----------------------------------------------------


def test_while_voting_only_turnout_shows_and_the_result_is_409(voter, electors):
    proposal = open_proposal(quorum_percent=50)
    for member, choice in zip(electors[:2], ["yes", "no"], strict=True):
        client_for(member.user).post(f"{BASE}/proposals/{proposal.pk}/ballots/",
                                     {"choice": choice})
    for client in (client_for(voter.user), client_for(electors[2].user),
                   client_for(StaffFactory()), client_for(key=api_key("governance:read"))):
        assert_problem(client.get(f"{BASE}/proposals/{proposal.pk}/result/"), 409)
        assert_problem(client.get(f"{BASE}/proposals/{proposal.pk}/receipts/"), 409)
        detail = client.get(f"{BASE}/proposals/{proposal.pk}/").json()
        listed = client.get(f"{BASE}/proposals/").json()["results"][0]
        for shown in (detail, listed):
            assert (shown["status"], shown["electorate"], shown["ballots_cast"]) == (
                "voting", 3, 2)
            assert shown["outcome"] == ""
            text = str(shown)
            assert "totals" not in text and "'yes'" not in text and "'no'" not in text
        assert (detail["quorum_met"], detail["turnout"]) == (True, "0.666666")
    detail = client_for(voter.user).get(f"{BASE}/proposals/{proposal.pk}/").json()
    assert detail["has_voted"] is True
    assert detail["my_receipt"] == services.receipt_for(proposal.pk, voter.pk)
    detail = client_for(electors[2].user).get(f"{BASE}/proposals/{proposal.pk}/").json()
    assert (detail["has_voted"], detail["my_receipt"]) == (False, None)


def test_the_result_after_the_close(voter, electors):
    proposal = open_proposal(early_close_allowed=True, quorum_percent=50)
    for member, choice in zip(electors, ["yes", "yes", "no"], strict=True):
        client_for(member.user).post(f"{BASE}/proposals/{proposal.pk}/ballots/",
                                     {"choice": choice})
    closed = client_for(key=api_key("governance:write")).post(
        f"{BASE}/proposals/{proposal.pk}/close/")
    assert closed.status_code == 200, closed.content
    result = client_for(voter.user).get(f"{BASE}/proposals/{proposal.pk}/result/")
    assert result.status_code == 200
    body = result.json()
    assert body == closed.json()
    assert {k: body[k] for k in ("outcome", "electorate", "ballots_cast", "turnout",
                                 "quorum_met", "totals", "weighted_yes")} == {
        "outcome": "passed", "electorate": 3, "ballots_cast": 3, "turnout": "1.000000",
        "quorum_met": True, "totals": {"yes": 2, "no": 1, "abstain": 0},
        "weighted_yes": None}
    assert body["by_class"]["photographers"]["cast"] == 3
    assert body["by_class"]["photographers"]["totals"] == {"yes": 2, "no": 1, "abstain": 0}
    assert len(body["tie_seed"]) == 64 and "winners" not in body
    listed = client_for(voter.user).get(f"{BASE}/proposals/?status=closed").json()["results"]
    assert [(p["id"], p["outcome"], p["ballots_cast"]) for p in listed] == [
        (proposal.pk, "passed", 3)]


def test_approval_result_has_winners_and_rounds(voter, electors):
    proposal = open_proposal(method="approval", options=["A", "B", "C"], seats=1,
                             early_close_allowed=True)
    a, b, _ = proposal.options.values_list("pk", flat=True)
    for member, approvals in zip(electors, [[a], [a, b], [b, a]], strict=True):
        client_for(member.user).post(f"{BASE}/proposals/{proposal.pk}/ballots/",
                                     {"approvals": approvals}, format="json")
    services.proposal_close(actor=TEST_JOB, proposal=proposal)
    body = client_for(voter.user).get(f"{BASE}/proposals/{proposal.pk}/result/").json()
    assert body["winners"] == [a] and isinstance(body["rounds"], list)
    assert body["totals"][str(a)] == 3


# --- secret ballots -----------------------------------------------------------------------


def test_a_secret_choice_never_appears_next_to_its_voter(voter, electors):
    proposal = open_proposal(secret=True, early_close_allowed=True)
    receipts = {}
    for member, choice in zip(electors, ["yes", "no", "yes"], strict=True):
        response = client_for(member.user).post(f"{BASE}/proposals/{proposal.pk}/ballots/",
                                                {"choice": choice})
        assert response.status_code == 201
        assert set(response.json()) == {"receipt"}  # the receipt only, never the choice
        receipts[response.json()["receipt"]] = choice
    assert Ballot.objects.count() == 0 and BallotRevision.objects.count() == 0
    assert SecretBallot.objects.count() == 3
    assert not any("yes" in str(a.facts) or "no'" in str(a.facts)
                   for a in AuditRecord.objects.filter(action="ballot.cast"))

    client_for(StaffFactory()).post(f"{BASE}/proposals/{proposal.pk}/close/")
    response = client_for(voter.user).get(f"{BASE}/proposals/{proposal.pk}/receipts/")
    assert response.status_code == 200
    published = response.json()["results"]
    assert {entry["receipt"]: entry["choice"] for entry in published} == receipts
    for entry in published:  # no voter and no class beside a choice
        assert set(entry) == {"receipt", "choice", "approvals", "ranking", "reason"}
    # Each voter finds their own ballot by the receipt the proposal shows them.
    mine = client_for(voter.user).get(f"{BASE}/proposals/{proposal.pk}/").json()["my_receipt"]
    assert receipts[mine] == "yes"
    # A class of fewer than 5 voters shows no totals in a secret vote.
    result = client_for(voter.user).get(f"{BASE}/proposals/{proposal.pk}/result/").json()
    assert result["totals"] == {"yes": 2, "no": 1, "abstain": 0}
    assert result["by_class"]["photographers"]["totals"] is None


# --- closing and cancelling ----------------------------------------------------------------


def test_who_may_close(voter):
    proposal = open_proposal(early_close_allowed=True)
    url = f"{BASE}/proposals/{proposal.pk}/close/"
    assert_problem(APIClient().post(url), 401)
    assert_problem(client_for(voter.user).post(url), 403)
    assert_problem(client_for(key=api_key("governance:read")).post(url), 403)
    proposal.refresh_from_db()
    assert proposal.status == "voting"
    response = client_for(StaffFactory()).post(url)
    assert response.status_code == 200 and response.json()["outcome"] == "no_quorum"
    assert_problem(client_for(StaffFactory()).post(url), 409)  # closes once


def test_an_early_close_needs_early_close_allowed_but_a_due_vote_closes(voter):
    proposal = open_proposal()
    url = f"{BASE}/proposals/{proposal.pk}/close/"
    staff = client_for(StaffFactory())
    assert_problem(staff.post(url), 409)
    proposal.refresh_from_db()
    assert proposal.status == "voting"
    expire(proposal)
    response = staff.post(url)
    assert response.status_code == 200
    proposal.refresh_from_db()
    assert (proposal.status, proposal.outcome) == ("closed", "no_quorum")


def test_cancel_needs_staff_or_write_key_and_a_reason(voter):
    proposal = open_proposal()
    url = f"{BASE}/proposals/{proposal.pk}/cancel/"
    assert_problem(client_for(voter.user).post(url, {"reason": "No."}), 403)
    assert_problem(client_for(StaffFactory()).post(url, {}), 400, "reason")
    assert_problem(client_for(StaffFactory()).post(url, {"reason": "  "}), 400, "reason")
    response = client_for(key=api_key("governance:write")).post(url, {"reason": "Typo."})
    assert response.status_code == 200 and response.json() == {"status": "cancelled"}
    assert_problem(client_for(StaffFactory()).post(url, {"reason": "Again."}), 409)
    assert_problem(client_for(voter.user).get(f"{BASE}/proposals/{proposal.pk}/result/"), 409)


# --- lists --------------------------------------------------------------------------------


def test_list_filters_by_status_and_hides_others_drafts(voter, electors):
    mine = make_proposal(author=voter, draft=True, title="Mine")
    theirs = make_proposal(author=electors[1], draft=True, title="Theirs")
    voting = open_proposal(title="Voting")
    discussion = make_proposal(title="Talking")
    client = client_for(voter.user)
    ids = [p["id"] for p in client.get(f"{BASE}/proposals/").json()["results"]]
    assert set(ids) == {mine.pk, voting.pk, discussion.pk}
    ids = [p["id"] for p in client.get(f"{BASE}/proposals/?status=voting").json()["results"]]
    assert ids == [voting.pk]
    staff_ids = [p["id"] for p in client_for(StaffFactory()).get(
        f"{BASE}/proposals/?status=draft").json()["results"]]
    assert set(staff_ids) == {mine.pk, theirs.pk}
    assert_problem(client.get(f"{BASE}/proposals/?status=open"), 400, "status")


def test_proposals_readable_by_members_and_read_keys_only(voter):
    make_proposal()
    assert_problem(APIClient().get(f"{BASE}/proposals/"), 401)
    assert_problem(client_for(UserFactory()).get(f"{BASE}/proposals/"), 403)
    assert_problem(client_for(key=api_key("governance:write")).get(f"{BASE}/proposals/"), 403)
    for client in (client_for(voter.user), client_for(make_member(paid=False).user),
                   client_for(key=api_key("governance:read"))):
        response = client.get(f"{BASE}/proposals/")
        assert response.status_code == 200 and len(response.json()["results"]) == 1
        assert set(response.json()) == {"next", "previous", "results"}


def _populate(proposals: int, extra_electors: int) -> None:
    for _ in range(extra_electors):
        make_member(paid=True)
    for i in range(proposals):
        kind = i % 4
        if kind == 0:
            make_proposal(title=f"Talk {i}")
        elif kind == 1:
            proposal = open_proposal(method="approval", title=f"Vote {i}")
            option = proposal.options.first()
            for elector in Elector.objects.filter(proposal=proposal)[:2]:
                services.ballot_cast(proposal=proposal, member=elector.member,
                                     approvals=[option.pk])
        elif kind == 2:
            proposal = open_proposal(title=f"Closed {i}", early_close_allowed=True)
            for elector in Elector.objects.filter(proposal=proposal)[:2]:
                services.ballot_cast(proposal=proposal, member=elector.member, choice="yes")
            services.proposal_close(actor=TEST_JOB, proposal=proposal)
        else:
            proposal = open_proposal(title=f"Secret {i}", secret=True)
            for elector in Elector.objects.filter(proposal=proposal)[:3]:
                services.ballot_cast(proposal=proposal, member=elector.member, choice="no")


@pytest.mark.parametrize(("proposals", "extra_electors"), [(2, 0), (12, 0), (12, 12)])
def test_list_query_count_is_constant(voter, django_assert_num_queries, proposals,
                                      extra_electors):
    # given proposals of every status and kind, with ballots, and an electorate of 3 or 15
    _populate(proposals, extra_electors)
    member_client = client_for(voter.user)
    key_client = client_for(key=api_key("governance:read"))
    # then: the user with their member (the session comes from the cache), the proposals with
    # their live counts, their options
    with django_assert_num_queries(3):
        response = member_client.get(f"{BASE}/proposals/")
    assert len(response.json()["results"]) == proposals
    # key lookup, the proposals, their options
    with django_assert_num_queries(3):
        response = key_client.get(f"{BASE}/proposals/")
    assert len(response.json()["results"]) == proposals
    voting = [p for p in response.json()["results"] if p["status"] == "voting"]
    assert voting and all(p["ballots_cast"] in (2, 3) for p in voting)


def test_detail_query_count_does_not_grow_with_the_electorate(voter, django_assert_num_queries):
    proposal = open_proposal(method="ranked")
    small = client_for(voter.user)
    # user with member (the session comes from the cache), proposal, options, progress
    with django_assert_num_queries(4):
        small.get(f"{BASE}/proposals/{proposal.pk}/")
    for _ in range(10):
        make_member(paid=True)
    bigger = open_proposal(method="ranked")
    with django_assert_num_queries(4):
        response = small.get(f"{BASE}/proposals/{bigger.pk}/")
    assert response.json()["electorate"] == 13


# the user with their member (the session comes from the cache), the proposal (view); then the
# service's atomic block (a savepoint inside the test's transaction), the elector (locked) with
# the proposal read again, insert ballot, insert revision, elector.voted_at, audit, release
# (+1 advisory lock on PostgreSQL)
BALLOT_QUERIES = 9


def test_ballot_query_count_does_not_grow_with_the_electorate(voter, django_assert_num_queries):
    small = open_proposal()
    client = client_for(voter.user)
    with django_assert_num_queries(BALLOT_QUERIES + (connection.vendor == "postgresql")):
        assert client.post(f"{BASE}/proposals/{small.pk}/ballots/",
                           {"choice": "yes"}).status_code == 201
    for _ in range(10):
        make_member(paid=True)
    bigger = open_proposal()
    with django_assert_num_queries(BALLOT_QUERIES + (connection.vendor == "postgresql")):
        assert client.post(f"{BASE}/proposals/{bigger.pk}/ballots/",
                           {"choice": "yes"}).status_code == 201


def test_approval_and_ranked_proposals_have_one_seat_unless_told(voter):
    response = client_for(voter.user).post(f"{BASE}/proposals/", {
        "title": "Logo", "body": "Pick one.", "method": "ranked", "secret": False,
        "options": ["Round", "Square", "Star"], "closes_at": in_hours(48 + 80)}, format="json")
    assert response.status_code == 201, response.content
    assert Proposal.objects.get().seats == 1
