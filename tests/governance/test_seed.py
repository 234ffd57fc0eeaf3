"""The demo proposals: made through the services, of every method, and only once."""

import random

import pytest
from django.contrib.contenttypes.models import ContentType

from coop.models import AuditRecord, Notice
from governance.models import Ballot, Elector, Method, Proposal, SecretBallot
from governance.seed import date_by_history, seed_governance
from tests.governance.helpers import active_members

pytestmark = pytest.mark.django_db


@pytest.fixture
def cooperative():
    return active_members(18, slug="photographers", weight=2) + active_members(12, slug="clients")


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Proposal, Ballot, SecretBallot, Elector, AuditRecord)}


def test_the_seed_makes_open_closed_and_passed_proposals_of_every_method(cooperative):
    demo = cooperative[-1]
    made = seed_governance(rng=random.Random(7), demo_member=demo)

    proposals = list(Proposal.objects.all())
    assert made == len(proposals) == 12
    by_status = {s: [p for p in proposals if p.status == s] for s in Proposal.Status.values}
    assert len(by_status["closed"]) == 5 and len(by_status["voting"]) == 5
    # issue #8 item 23: the demo has open votes of every method, not only closed ones
    assert {p.method for p in by_status["voting"]} == set(Method.values)
    assert len(by_status["discussion"]) == 1 and len(by_status["draft"]) == 1
    assert {p.method for p in by_status["closed"] + by_status["voting"]} == set(Method.values)
    assert {p.tally_mode for p in proposals} == {"member", "class_weighted", "concurrent"}
    assert any(p.secret for p in by_status["closed"]) and any(p.secret for p in by_status["voting"])

    passed = [p for p in by_status["closed"] if p.outcome == "passed"]
    assert passed, [p.outcome for p in by_status["closed"]]
    assert any(p.implementation_status == "done" and p.outcome_statement for p in passed)
    assert any(p.method == "ranked" and len(p.result["winners"]) == 3 for p in passed)
    for proposal in by_status["closed"]:
        box = SecretBallot if proposal.secret else Ballot
        assert proposal.result["ballots_cast"] == box.objects.filter(proposal=proposal).count()
        assert proposal.electorate_size == 30
        assert proposal.closed_at and proposal.result["tie_seed"]
    for proposal in by_status["voting"]:
        assert proposal.result is None and proposal.electorate_size == 30
        # The demo member finds every open vote still waiting for them.
        assert Elector.objects.get(proposal=proposal, member=demo).voted_at is None
    # Everything went through the services: the trail has every step.
    assert AuditRecord.objects.filter(action="proposal.closed").count() == 5
    assert AuditRecord.objects.filter(action="ballot.cast").count() == Elector.objects.filter(
        voted_at__isnull=False).count()


def test_a_second_seed_adds_nothing(cooperative):
    seed_governance()
    before = counts()
    assert seed_governance() == 0
    assert counts() == before


def test_no_seed_without_a_cooperative_to_vote():
    active_members(5)
    assert seed_governance() == 0
    assert not Proposal.objects.exists()


def test_proposed_on_and_notice_times_follow_each_proposals_history(cooperative,
                                                                    django_capture_on_commit_callbacks):
    # given: the seed as seed_demo runs it, its vote notices made as the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        seed_governance(rng=random.Random(7), demo_member=cooperative[-1])
    date_by_history()

    proposal_type = ContentType.objects.get_for_model(Proposal)
    closed = Proposal.objects.filter(status="closed")
    assert closed.count() == 5
    for proposal in Proposal.objects.exclude(status="draft"):
        # "Proposed on" is when its discussion began, days before it opened (not today), and
        # at least its category's discussion period before (no demo vote opened early)
        assert proposal.created_at == proposal.discussion_at
        if proposal.opens_at:
            assert proposal.discussion_ends_at < proposal.opens_at
            assert not proposal.open_early_reason
        notices = Notice.objects.filter(target_type=proposal_type, target_id=proposal.pk)
        opened = notices.filter(kind="governance.vote_opened")
        if proposal.voting_started:  # else opens_at is when the job is to open it
            assert opened.exists()
            assert set(opened.values_list("created_at", flat=True)) == {proposal.opens_at}
        results = notices.filter(kind="governance.result")
        if proposal.closed_at:
            assert results.exists()
            assert set(results.values_list("created_at", flat=True)) == {proposal.closed_at}
