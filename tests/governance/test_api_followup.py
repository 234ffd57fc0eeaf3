"""The governance API for the discussion and the follow-up of a vote: comments, the outcome
statement and implementation updates. Who may call each, bad input (problem+json, nothing
stored) and pinned query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from coop.models import AuditRecord
from governance import services
from governance.models import Comment, Elector, ImplementationUpdate, Proposal
from tests.governance.factories import TEST_JOB, make_proposal, open_proposal
from tests.governance.helpers import BASE, api_key, assert_problem, client_for
from tests.membership.factories import StaffFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(electors):
    return electors[0]


def closed(choice: str) -> Proposal:
    """A closed yes/no vote every elector answered with `choice` (yes: passed, no: rejected)."""
    proposal = open_proposal(early_close_allowed=True)
    for elector in Elector.objects.filter(proposal=proposal).select_related("member"):
        services.ballot_cast(proposal=proposal, member=elector.member, choice=choice)
    return services.proposal_close(actor=TEST_JOB, proposal=proposal)


def comments_url(proposal) -> str:
    return f"{BASE}/proposals/{proposal.pk}/comments/"


def statement_url(proposal) -> str:
    return f"{BASE}/proposals/{proposal.pk}/outcome-statement/"


def implementation_url(proposal) -> str:
    return f"{BASE}/proposals/{proposal.pk}/implementation/"


def audit_count(action: str) -> int:
    return AuditRecord.objects.filter(action=action).count()


# --- comments -----------------------------------------------------------------------------


def test_members_discuss_and_everyone_who_reads_sees_the_thread(member, electors):
    proposal = make_proposal(author=member)
    unpaid = make_member(paid=False)  # awaiting payment: may already take part
    first = client_for(member.user).post(comments_url(proposal), {"body": "  Why green?  "})
    assert first.status_code == 201, first.content
    assert first.json()["body"] == "Why green?"
    assert (first.json()["author"], first.json()["parent"]) == (member.member_number, None)
    reply = client_for(unpaid.user).post(
        comments_url(proposal), {"body": "Because.", "parent": first.json()["id"]})
    assert reply.status_code == 201, reply.content
    assert reply.json()["parent"] == first.json()["id"]
    assert audit_count("comment.posted") == 2

    for client in (client_for(electors[1].user), client_for(StaffFactory()),
                   client_for(key=api_key("governance:read"))):
        response = client.get(comments_url(proposal))
        assert response.status_code == 200, response.content
        assert [(c["author"], c["parent"], c["body"]) for c in response.json()["results"]] == [
            (member.member_number, None, "Why green?"),
            (unpaid.member_number, first.json()["id"], "Because."),
        ]
        assert set(response.json()["results"][0]) == {"id", "author", "parent", "body",
                                                      "created_at"}


def test_comments_are_paginated(member):
    proposal = make_proposal()
    for i in range(3):
        services.comment_post(proposal=proposal, member=member, body=f"Point {i}")
    response = client_for(member.user).get(comments_url(proposal), {"page_size": 2})
    assert [c["body"] for c in response.json()["results"]] == ["Point 0", "Point 1"]
    assert response.json()["next"]
    response = client_for(member.user).get(response.json()["next"])
    assert [c["body"] for c in response.json()["results"]] == ["Point 2"]
    assert response.json()["next"] is None


def test_who_may_comment(member):
    proposal = make_proposal()
    body = {"body": "Hello"}
    assert_problem(APIClient().post(comments_url(proposal), body), 401)
    assert_problem(APIClient().get(comments_url(proposal)), 401)
    # a signed-in person without a member (staff included) neither reads nor writes as one
    assert_problem(client_for(UserFactory()).post(comments_url(proposal), body), 403)
    assert_problem(client_for(UserFactory()).get(comments_url(proposal)), 403)
    assert_problem(client_for(StaffFactory()).post(comments_url(proposal), body), 403)
    # a key never comments, whatever its scopes; without governance:read it does not read
    assert_problem(client_for(key=api_key("governance:write", "governance:read")).post(
        comments_url(proposal), body), 403)
    assert_problem(client_for(key=api_key("members:read")).get(comments_url(proposal)), 403)
    assert Comment.objects.count() == 0
    assert audit_count("comment.posted") == 0


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "   "}, {"body": None},
                                  {"body": "x" * 20_001}])
def test_an_empty_comment_is_refused(member, body):
    proposal = make_proposal()
    response = client_for(member.user).post(comments_url(proposal), body, format="json")
    assert_problem(response, 400, "body")
    assert Comment.objects.count() == 0


def test_a_reply_must_answer_a_comment_of_the_same_proposal(member):
    proposal, other = make_proposal(), make_proposal(title="Other")
    elsewhere = services.comment_post(proposal=other, member=member, body="Elsewhere")
    for parent in (elsewhere.pk, 999_999, 2**63, "abc", 0):
        response = client_for(member.user).post(
            comments_url(proposal), {"body": "Reply", "parent": parent}, format="json")
        assert_problem(response, 400, "parent")
    assert list(Comment.objects.values_list("body", flat=True)) == ["Elsewhere"]
    assert audit_count("comment.posted") == 1


def test_drafts_of_others_are_unknown_and_withdrawn_proposals_closed_to_comments(electors):
    author, other = electors[0], electors[1]
    draft = make_proposal(author=author, draft=True)
    assert_problem(client_for(other.user).get(comments_url(draft)), 404)
    assert_problem(client_for(other.user).post(comments_url(draft), {"body": "Hi"}), 404)
    assert_problem(client_for(other.user).get(f"{BASE}/proposals/{2**63}/comments/"), 404)
    # the author sees the draft, but a draft is not discussed yet
    assert_problem(client_for(author.user).post(comments_url(draft), {"body": "Hi"}), 409)
    withdrawn = make_proposal(author=author)
    services.proposal_withdraw(proposal=withdrawn, actor=author.user)
    assert_problem(client_for(other.user).post(comments_url(withdrawn), {"body": "Hi"}), 409)
    assert Comment.objects.count() == 0


def test_a_comment_retried_with_its_idempotency_key_is_stored_once(member):
    proposal = make_proposal()
    client = client_for(member.user)
    first = client.post(comments_url(proposal), {"body": "Once"}, HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(comments_url(proposal), {"body": "Once"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("count", [1, 15])
def test_comment_list_query_count_is_constant(electors, django_assert_num_queries, count):
    proposal = make_proposal()
    for i in range(count):
        services.comment_post(proposal=proposal, member=electors[i % 3], body=f"Point {i}")
    client = client_for(electors[0].user)
    # user with member (the session comes from the cache), proposal, comments + authors
    with django_assert_num_queries(3):
        response = client.get(comments_url(proposal))
    assert len(response.json()["results"]) == count
    key_client = client_for(key=api_key("governance:read"))
    with django_assert_num_queries(3):  # key, proposal, comments + authors
        key_client.get(comments_url(proposal))


# --- outcome statement --------------------------------------------------------------------


def test_staff_and_write_keys_state_the_outcome_of_a_closed_vote(member):
    proposal = closed("yes")
    response = client_for(StaffFactory()).post(statement_url(proposal),
                                               {"statement": " We buy the bike. "})
    assert response.status_code == 200, response.content
    assert response.json() == {"statement": "We buy the bike."}
    response = client_for(key=api_key("governance:write")).post(
        statement_url(proposal), {"statement": "We buy it in May."})
    assert response.status_code == 200, response.content
    detail = client_for(member.user).get(f"{BASE}/proposals/{proposal.pk}/").json()
    assert detail["outcome_statement"] == "We buy it in May."
    assert audit_count("proposal.statement") == 2


def test_outcome_statement_refusals_store_nothing(member):
    proposal = closed("yes")
    url = statement_url(proposal)
    body = {"statement": "Done."}
    assert_problem(APIClient().post(url, body), 401)
    assert_problem(client_for(member.user).post(url, body), 403)
    assert_problem(client_for(UserFactory()).post(url, body), 403)
    assert_problem(client_for(key=api_key("governance:read")).post(url, body), 403)
    staff = client_for(StaffFactory())
    for bad in ({}, {"statement": ""}, {"statement": "  "}, {"statement": None}):
        assert_problem(staff.post(url, bad, format="json"), 400, "statement")
    # before the close there is no outcome to state
    in_discussion = make_proposal()
    assert_problem(staff.post(statement_url(in_discussion), body), 409)
    assert_problem(staff.post(f"{BASE}/proposals/999999/outcome-statement/", body), 404)
    assert not Proposal.objects.exclude(outcome_statement="").exists()
    assert audit_count("proposal.statement") == 0


# --- implementation -----------------------------------------------------------------------


def test_a_passed_proposal_is_followed_up_to_done(member, django_assert_num_queries):
    proposal = closed("yes")
    assert proposal.outcome == Proposal.Outcome.PASSED
    staff = client_for(StaffFactory())
    started = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = staff.post(implementation_url(proposal),
                          {"status": "in_progress", "note": "Ordered.", "on": started})
    assert response.status_code == 201, response.content
    assert response.json() == {"status": "in_progress", "on": started}
    response = client_for(key=api_key("governance:write")).post(
        implementation_url(proposal), {"status": "done"})
    assert response.status_code == 201, response.content
    today = timezone.localdate().isoformat()
    assert response.json() == {"status": "done", "on": today}

    client = client_for(member.user)
    # the updates cost one query more than the existing detail's (user with member, proposal,
    # options)
    with django_assert_num_queries(4):
        detail = client.get(f"{BASE}/proposals/{proposal.pk}/").json()
    assert detail["implementation_updates"] == [
        {"status": "in_progress", "note": "Ordered.", "on": started},
        {"status": "done", "note": "", "on": today},
    ]
    assert (detail["implementation_status"], detail["implementation_started_on"],
            detail["implementation_done_on"]) == ("done", started, today)
    # done is final
    assert_problem(staff.post(implementation_url(proposal), {"status": "in_progress"}), 409)
    assert_problem(staff.post(implementation_url(proposal), {"status": "done"}), 409)
    assert ImplementationUpdate.objects.count() == 2


def test_a_planned_proposal_shows_no_updates_without_a_query(member, django_assert_num_queries):
    proposal = closed("yes")
    client = client_for(member.user)
    # user with member (the session comes from the cache), proposal, options
    with django_assert_num_queries(3):
        detail = client.get(f"{BASE}/proposals/{proposal.pk}/").json()
    assert (detail["implementation_status"], detail["implementation_updates"]) == ("planned", [])


def test_implementation_refusals_store_nothing(member):
    passed, rejected, voting = closed("yes"), closed("no"), open_proposal()
    assert rejected.outcome != Proposal.Outcome.PASSED
    before = list(Proposal.objects.order_by("pk").values_list(
        "implementation_status", "implementation_started_on", "implementation_done_on"))
    assert before[0] == ("planned", None, None)
    url, body = implementation_url(passed), {"status": "in_progress"}
    assert_problem(APIClient().post(url, body), 401)
    assert_problem(client_for(member.user).post(url, body), 403)
    assert_problem(client_for(UserFactory()).post(url, body), 403)
    assert_problem(client_for(key=api_key("governance:read")).post(url, body), 403)
    staff = client_for(StaffFactory())
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    for bad, field in (({}, "status"), ({"status": "planned"}, "status"),
                       ({"status": "started"}, "status"), ({"status": ""}, "status"),
                       ({"status": "done", "on": "2026-02-30"}, "on"),
                       ({"status": "done", "on": future}, "on"),
                       ({"status": "done", "note": "x" * 5001}, "note")):
        assert_problem(staff.post(url, bad, format="json"), 400, field)
    # only a passed proposal is implemented
    assert_problem(staff.post(implementation_url(rejected), body), 409)
    assert_problem(staff.post(implementation_url(voting), body), 409)
    assert ImplementationUpdate.objects.count() == 0
    assert list(Proposal.objects.order_by("pk").values_list(
        "implementation_status", "implementation_started_on", "implementation_done_on")) == before
    assert audit_count("proposal.implementation") == 0
