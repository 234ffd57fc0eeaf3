"""The background jobs: eager in most tests, and once through a real Celery worker on Redis."""

from datetime import timedelta

import pytest
from django.conf import settings

from coop.celery import app
from coop.models import AuditRecord
from governance import services, tasks
from governance.models import Elector, Proposal
from tests import notices
from tests.governance.factories import TEST_JOB
from tests.governance.helpers import (
    active_members,
    cast_all,
    ensure_categories,
    new_proposal,
    opened_in_the_past,
)


def kinds(proposal) -> dict[str, int]:
    rows = notices.about(proposal)
    return {kind: rows.filter(kind=f"governance.{kind}").count()
            for kind in ("vote_opened", "reminder", "result")}


def test_the_beat_schedule_runs_the_governance_jobs_every_minute():
    entries = settings.CELERY_BEAT_SCHEDULE.values()
    schedule = {entry["task"]: entry["schedule"] for entry in entries}
    assert schedule["governance.tasks.close_due_votes"] == 60.0
    assert schedule["governance.tasks.send_due_reminders"] == 60.0
    # The beat reads the app's configuration, and the worker knows the tasks by those names.
    beat = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"governance.tasks.close_due_votes", "governance.tasks.send_due_reminders"} <= beat
    assert tasks.close_due_votes.name == "governance.tasks.close_due_votes"
    assert tasks.send_due_reminders.name == "governance.tasks.send_due_reminders"


@pytest.mark.django_db
def test_the_deadline_job_closes_a_due_vote_and_announces_the_result(
        mailoutbox, django_capture_on_commit_callbacks):
    members = active_members(5)
    due = opened_in_the_past(hours_left=-0.1)
    not_due = opened_in_the_past(hours_left=2)
    for proposal in (due, not_due):
        for member, choice in zip(members, ["yes", "yes", "no", "abstain", "yes"], strict=True):
            services.ballot_cast(proposal=proposal, member=member, choice=choice,
                                 now=proposal.opens_at + timedelta(hours=1))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_votes.delay().get() == [due.pk]

    due.refresh_from_db()
    not_due.refresh_from_db()
    assert due.status == Proposal.Status.CLOSED and due.outcome == "passed"
    assert due.result["totals"] == {"yes": 3, "no": 1, "abstain": 1}
    assert not_due.status == Proposal.Status.VOTING
    assert kinds(due)["result"] == 5
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in members)
    assert all("Result:" in m.subject for m in mailoutbox)

    # Run again (a retry, a second beat): nothing more happens.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_votes.delay().get() == []
        notices.email_again(due, "governance.result")
    assert kinds(due)["result"] == 5 and not mailoutbox
    assert AuditRecord.objects.filter(action="proposal.closed").count() == 1


@pytest.mark.django_db
def test_opening_notifies_every_elector_once(mailoutbox, django_capture_on_commit_callbacks):
    members = active_members(4)
    with django_capture_on_commit_callbacks(execute=True):
        proposal = services.proposal_open(actor=TEST_JOB, proposal=new_proposal())
    assert kinds(proposal)["vote_opened"] == 4
    assert len(mailoutbox) == 4 and "Voting is open" in mailoutbox[0].subject
    assert f"/governance/proposals/{proposal.pk}/" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        notices.email_again(proposal, "governance.vote_opened")
    assert kinds(proposal)["vote_opened"] == 4 and len(mailoutbox) == 4
    assert {n.recipient_id for n in notices.about(proposal)} == {m.pk for m in members}


@pytest.mark.django_db
def test_the_reminder_job_reminds_non_voters_once(mailoutbox,
                                                 django_capture_on_commit_callbacks):
    members = active_members(6)
    proposal = opened_in_the_past(hours_left=10, quorum_percent=50)
    cast_all(proposal, members[:2], choice="yes")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_reminders.delay().get() == 4
    reminded = set(notices.about(proposal, "governance.reminder")
                   .values_list("recipient_id", flat=True))
    assert reminded == {m.pk for m in members[2:]}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in members[2:])
    assert all("Reminder" in m.subject for m in mailoutbox)
    proposal.refresh_from_db()
    assert proposal.reminders_needed and proposal.reminders_sent == 4

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_reminders.delay().get() == 0
        notices.email_again(proposal, "governance.reminder")  # a retried notification
    assert not mailoutbox
    assert notices.about(proposal, "governance.reminder").count() == 4


@pytest.mark.django_db
def test_a_vote_far_from_its_deadline_gets_no_reminder(django_capture_on_commit_callbacks):
    active_members(3)
    proposal = opened_in_the_past(hours_left=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_reminders.delay().get() == 0
    proposal.refresh_from_db()
    assert proposal.reminders_sent_at is None and not proposal.reminders_needed


@pytest.mark.django_db
def test_comments_notify_the_author_and_the_replied_to(mailoutbox,
                                                       django_capture_on_commit_callbacks):
    author, critic, third = active_members(3)
    proposal = new_proposal(author=author)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.comment_post(proposal=proposal, member=critic, body="Too expensive.")
    assert [(n.recipient_id, n.kind) for n in notices.about(first)] == [
        (author.pk, "governance.comment")]
    assert [m.to for m in mailoutbox] == [[author.email]]

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_post(proposal=proposal, member=third, body="Not if we share it.",
                              parent=first)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([author.email, critic.email])
    # The author replying to a comment tells the commenter, not the author.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_post(proposal=proposal, member=author, body="Fair.", parent=first)
    assert [m.to for m in mailoutbox] == [[critic.email]]


@pytest.mark.redis
@pytest.mark.postgres
def test_a_real_worker_closes_a_vote_whose_deadline_passed(celery_worker_process):
    ensure_categories()  # the transactional test database starts empty
    members = active_members(4)
    proposal = opened_in_the_past(hours_left=-0.01)
    for member, choice in zip(members, ["yes", "no", "no", "no"], strict=True):
        services.ballot_cast(proposal=proposal, member=member, choice=choice,
                             now=proposal.opens_at + timedelta(hours=1))

    # What celery beat does every minute: send the task to the broker. The worker (another
    # process, on the same test database) closes the vote, then announces the result.
    tasks.close_due_votes.delay()

    def closed():
        proposal.refresh_from_db()
        return proposal.status == Proposal.Status.CLOSED

    celery_worker_process.wait_until(closed, what="the worker to close the vote")
    assert proposal.outcome == "rejected"
    assert proposal.result["totals"] == {"yes": 1, "no": 3, "abstain": 0}
    assert AuditRecord.objects.filter(action="proposal.closed",
                                      object_id=str(proposal.pk)).get().facts["by_deadline"]
    assert Elector.objects.filter(proposal=proposal).count() == 4

    # The result notices the close made inside the worker are emailed to every elector.
    def announced():
        return len(notices.emailed(proposal, "governance.result")) == 4

    celery_worker_process.wait_until(announced, what="the worker to announce the result")
