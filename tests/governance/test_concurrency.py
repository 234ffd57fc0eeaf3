"""Races on PostgreSQL: threads call the services at the same moment, each on its own connection.

Casting and closing are serialised per proposal (services.py): these tests are the proof that no
ballot is lost, doubled or stored after the tally, and that the jobs act once however many run.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from coop.actors import CLOSE_DUE_VOTES, SEND_DUE_REMINDERS
from coop.errors import Conflict
from coop.models import AuditRecord
from governance import services
from governance.models import Ballot, BallotRevision, Elector, Proposal
from tests.concurrency import run_together as together
from tests.governance.helpers import active_members, open_proposal
from tests.membership.factories import StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("categories_installed")]


def run_together(jobs: list) -> list:
    """(ok, value-or-exception) per job, the jobs started together (tests.concurrency)."""
    results, errors = together(jobs)
    return [(error is None, result if error is None else error)
            for result, error in zip(results, errors, strict=True)]


def test_simultaneous_ballots_of_one_member_leave_one_current_ballot():
    voter, _ = active_members(2)
    proposal = open_proposal()
    choices = ["yes", "no", "abstain"] * 4

    outcomes = run_together([
        (lambda c=choice: services.ballot_cast(proposal=proposal, member=voter, choice=c))
        for choice in choices
    ])

    assert all(ok for ok, _ in outcomes), [value for ok, value in outcomes if not ok]
    current = Ballot.objects.get(proposal=proposal, member=voter)  # exactly one
    revisions = list(BallotRevision.objects.filter(proposal=proposal, member=voter)
                     .order_by("revision").values_list("revision", "choice"))
    assert [r for r, _ in revisions] == list(range(1, len(choices) + 1))
    assert current.revision == len(choices) and current.choice == revisions[-1][1]
    assert sum(not value.replaced for _, value in outcomes) == 1  # one first ballot


def test_ballots_racing_the_close_are_counted_or_refused():
    voters = active_members(24)
    proposal = open_proposal(early_close_allowed=True)
    staff = StaffFactory()

    def cast(member, delay):
        def job():
            time.sleep(delay)
            return services.ballot_cast(proposal=proposal, member=member, choice="yes")
        return job

    def close():
        time.sleep(0.2)
        return services.proposal_close(proposal=proposal, actor=staff, now=timezone.now())

    # Voters spread over 0-460 ms, the close at 200 ms: some come before it, some after. (Not
    # denser: on PostgreSQL a stream of overlapping SHARE locks makes the UPDATE lock wait
    # until the stream pauses, and then every ballot comes before the close.)
    jobs = [cast(member, i * 0.02) for i, member in enumerate(voters)] + [close]
    outcomes = run_together(jobs)

    ballot_outcomes = outcomes[:-1]
    assert outcomes[-1][0], outcomes[-1][1]
    refused = [value for ok, value in ballot_outcomes if not ok]
    assert all(isinstance(exc, Conflict) for exc in refused), refused
    counted = len(ballot_outcomes) - len(refused)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.CLOSED
    # Every ballot that was accepted is in the result, and no ballot is stored after it.
    assert proposal.result["ballots_cast"] == proposal.ballots_cast == counted
    assert proposal.result["totals"]["yes"] == counted
    assert Ballot.objects.filter(proposal=proposal).count() == counted
    assert Elector.objects.filter(proposal=proposal, voted_at__isnull=False).count() == counted
    assert 0 < counted < len(voters), "the race did not happen: retune the delays"


def test_the_deadline_job_twice_at_once_closes_each_vote_once():
    members = active_members(3)
    proposals = [open_proposal() for _ in range(3)]
    for proposal in proposals:
        for member in members:
            services.ballot_cast(proposal=proposal, member=member, choice="yes")
    later = max(p.closes_at for p in proposals) + timedelta(minutes=1)

    outcomes = run_together([lambda: services.close_due_votes(actor=CLOSE_DUE_VOTES,
                                                              now=later)] * 2)

    assert all(ok for ok, _ in outcomes), outcomes
    first, second = (value for _, value in outcomes)
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(p.pk for p in proposals)
    for proposal in proposals:
        proposal.refresh_from_db()
        assert proposal.status == Proposal.Status.CLOSED and proposal.outcome == "passed"
        assert AuditRecord.objects.filter(action="proposal.closed",
                                          object_id=str(proposal.pk)).count() == 1


def test_the_reminder_job_twice_at_once_sends_one_round():
    members = active_members(10)
    proposal = open_proposal(quorum_percent=50)
    services.ballot_cast(proposal=proposal, member=members[0], choice="yes")
    moment = proposal.closes_at - timedelta(hours=2)

    outcomes = run_together([lambda: services.reminders_send_due(actor=SEND_DUE_REMINDERS,
                                                                 now=moment)] * 2)

    assert all(ok for ok, _ in outcomes), outcomes
    assert sorted(value for _, value in outcomes) == [0, 9]
    assert AuditRecord.objects.filter(action="proposal.reminders").count() == 1
    assert Elector.objects.filter(proposal=proposal, reminded_at__isnull=False).count() == 9


def test_the_opening_job_twice_at_once_opens_each_scheduled_vote_once():
    from governance.tasks import OPEN_DUE_VOTES
    from tests.governance.factories import make_proposal

    active_members(3)
    soon = timezone.now() + timedelta(hours=49)
    proposals = [make_proposal(discussed=False, closes_in=timedelta(days=6), opens_at=soon)
                 for _ in range(3)]
    later = soon + timedelta(minutes=1)

    outcomes = run_together([lambda: services.open_due_votes(actor=OPEN_DUE_VOTES,
                                                             now=later)] * 2)

    assert all(ok for ok, _ in outcomes), outcomes
    first, second = (value for _, value in outcomes)
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(p.pk for p in proposals)
    for proposal in proposals:
        proposal.refresh_from_db()
        assert proposal.status == Proposal.Status.VOTING and proposal.electorate_size == 3
        assert Elector.objects.filter(proposal=proposal).count() == 3
        assert AuditRecord.objects.filter(action="proposal.voting",
                                          object_id=str(proposal.pk)).count() == 1
