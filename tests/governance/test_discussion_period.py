"""Discussion before voting (RULES §2, issue #8 item 17): the categories' discussion floors,
copied onto each proposal; room for both periods before the deadline; opening early only with
a reason from staff or a governance:write key; the scheduled opening (`opens_at`)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from coop.errors import Conflict, InvalidInput
from coop.models import AuditRecord
from governance import services, tasks
from governance.models import Category, Proposal
from tests import notices
from tests.governance.factories import TEST_JOB, discussion_began, make_proposal
from tests.governance.helpers import (
    BASE,
    active_members,
    api_key,
    assert_problem,
    client_for,
    ensure_categories,
    in_hours,
    new_proposal,
)
from tests.membership.factories import REGISTRAR, StaffFactory

HOUR = timedelta(hours=1)


def fresh(author=None, *, category="general", closes_in=timedelta(days=6), **rules) -> Proposal:
    """A proposal whose discussion begins now (not dated back like the factories' ones)."""
    return make_proposal(author=author, category=category, closes_in=closes_in, discussed=False,
                         **rules)


def audit(proposal, action) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(object_type="proposal", object_id=str(proposal.pk),
                                           action=action))


# --- the categories -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_gives_every_category_its_floors_and_adds_policy():
    floors = {c.slug: (c.min_quorum_percent, c.min_threshold, c.min_discussion_hours,
                       c.min_voting_hours) for c in Category.objects.all()}
    assert floors == {
        "general": (10, "majority", 48, 72),
        "bylaws": (30, "2/3", 7 * 24, 14 * 24),
        "election": (10, "majority", 72, 7 * 24),
        "policy": (20, "2/3", 7 * 24, 7 * 24),
    }


@pytest.mark.django_db
def test_a_proposal_keeps_the_floors_of_its_creation_and_a_changed_category_applies_later():
    active_members(2)
    general = Category.objects.get(slug="general")
    before = make_proposal()
    assert (before.min_quorum_percent, before.min_threshold, before.min_discussion_hours,
            before.min_voting_hours) == (10, "majority", 48, 72)

    # when: staff lengthen the discussion and voting floors of the category
    services.category_update(category=general, actor=REGISTRAR, min_discussion_hours=200,
                             min_voting_hours=100, min_quorum_percent=25)

    # then: the earlier proposal still opens by its own floors (discussed 48 h, 96 h left)...
    before.refresh_from_db()
    assert before.min_discussion_hours == 48
    services.proposal_open(proposal=before, actor=TEST_JOB)
    # ...and a later one copies the new ones (and must leave room for them)
    with pytest.raises(InvalidInput) as short:
        fresh(closes_in=timedelta(hours=200 + 99))
    assert "200 hours of discussion" in short.value.errors["closes_at"][0]
    after = fresh(closes_in=timedelta(hours=301))
    assert (after.min_quorum_percent, after.min_discussion_hours, after.min_voting_hours) == (
        25, 200, 100)
    assert after.quorum_percent == 25
    assert after.discussion_ends_at == after.discussion_at + timedelta(hours=200)


# --- the deadline leaves room for both periods ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("category", "hours"), [
    ("general", 48 + 72), ("bylaws", 7 * 24 + 14 * 24), ("election", 72 + 7 * 24),
    ("policy", 7 * 24 + 7 * 24)])
def test_closes_at_leaves_room_for_the_discussion_and_the_voting_period(category, hours):
    now = timezone.now()
    threshold = {"bylaws": "2/3", "policy": "2/3"}.get(category)
    common = {"category": Category.objects.get(slug=category), "threshold": threshold,
              "quorum_percent": None, "now": now, "discussed": False}
    with pytest.raises(InvalidInput) as refused:
        new_proposal(hours=hours - 1, **common)
    assert list(refused.value.errors) == ["closes_at"]
    assert "of discussion and then a voting period" in refused.value.message
    assert not Proposal.objects.exists()
    made = new_proposal(hours=hours, **common)
    assert made.closes_at - made.discussion_at == timedelta(hours=hours)


@pytest.mark.django_db
def test_a_draft_counts_its_discussion_from_its_submission():
    author = active_members(1)[0]
    draft = fresh(author, draft=True, closes_in=timedelta(hours=48 + 72 + 1))
    assert draft.discussion_ends_at is None
    later = timezone.now() + 2 * HOUR
    import time_machine

    with time_machine.travel(later, tick=False):
        # then: from now, 48 h + 72 h no longer fit before the deadline: edit it first
        with pytest.raises(InvalidInput) as refused:
            services.proposal_submit(proposal=draft, actor=author.user)
        assert "closes_at" in refused.value.errors
        draft.refresh_from_db()
        assert draft.status == Proposal.Status.DRAFT
        services.proposal_update(proposal=draft, actor=author.user,
                                 closes_at=later + timedelta(hours=120))
        services.proposal_submit(proposal=draft, actor=author.user)
    draft.refresh_from_db()
    assert draft.discussion_at == later
    assert draft.discussion_ends_at == later + timedelta(hours=48)


# --- opening before the discussion period has run -----------------------------------------


@pytest.mark.django_db
def test_nobody_opens_before_the_discussion_period_without_a_reason():
    author = active_members(3)[0]
    proposal = fresh(author)
    staff = StaffFactory()
    for actor in (author.user, TEST_JOB, staff):
        with pytest.raises(Conflict) as refused:
            services.proposal_open(proposal=proposal, actor=actor)
        assert "runs until" in refused.value.message
    # The author may not open early even with a reason; staff are told to give one.
    with pytest.raises(Conflict, match="Only staff or a partner key"):
        services.proposal_open(proposal=proposal, actor=author.user, reason="We are in a hurry")
    with pytest.raises(Conflict, match="give a reason"):
        services.proposal_open(proposal=proposal, actor=staff, reason="   ")
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DISCUSSION and not audit(proposal, "proposal.voting")


@pytest.mark.django_db
def test_staff_open_early_with_a_reason_which_is_kept_and_audited():
    active_members(3)
    proposal = fresh()
    staff = StaffFactory()
    opened = services.proposal_open(proposal=proposal, actor=staff,
                                    reason="  The supplier's offer ends on Friday.  ")
    assert opened.status == Proposal.Status.VOTING
    assert opened.open_early_reason == "The supplier's offer ends on Friday."
    [record] = audit(proposal, "proposal.voting")
    assert record.facts["early"] is True
    assert record.facts["reason"] == "The supplier's offer ends on Friday."
    assert record.facts["discussion_ends_at"] == proposal.discussion_ends_at.isoformat()
    assert record.actor_id == staff.pk


@pytest.mark.django_db
def test_once_the_discussion_has_run_the_author_opens_and_a_reason_is_not_kept():
    author = active_members(2)[0]
    proposal = fresh(author)
    at_the_end = proposal.discussion_ends_at
    with pytest.raises(Conflict):
        services.proposal_open(proposal=proposal, actor=author.user,
                               now=at_the_end - timedelta(seconds=1))
    opened = services.proposal_open(proposal=proposal, actor=author.user, now=at_the_end,
                                    reason="not needed")
    assert opened.status == Proposal.Status.VOTING and opened.open_early_reason == ""
    assert "early" not in audit(proposal, "proposal.voting")[0].facts


# --- the scheduled opening ------------------------------------------------------------------


@pytest.mark.django_db
def test_opens_at_is_not_before_the_discussion_ends_and_leaves_the_voting_period():
    now = timezone.now()
    with pytest.raises(InvalidInput) as early:
        fresh(opens_at=now + timedelta(hours=47))
    assert list(early.value.errors) == ["opens_at"]
    assert "48 hours of discussion first" in early.value.errors["opens_at"][0]
    with pytest.raises(InvalidInput) as short:
        fresh(opens_at=now + timedelta(days=4), closes_in=timedelta(days=6))
    assert list(short.value.errors) == ["closes_at"]
    assert "after voting opens" in short.value.errors["closes_at"][0]
    with pytest.raises(InvalidInput) as naive:
        fresh(opens_at=datetime(2030, 1, 1, 12, 0))  # noqa: DTZ001 - the naive time refused
    assert "opens_at" in naive.value.errors
    assert not Proposal.objects.exists()

    scheduled = fresh(opens_at=now + timedelta(hours=50))
    assert scheduled.opens_at == now + timedelta(hours=50)
    created = audit(scheduled, "proposal.created")[0]
    assert created.facts["opens_at"] == scheduled.opens_at.isoformat()


@pytest.mark.django_db
def test_the_author_schedules_and_unschedules_until_voting_opens():
    author = active_members(1)[0]
    proposal = fresh(author)
    in_60_hours = timezone.now() + timedelta(hours=60)
    services.proposal_update(proposal=proposal, actor=author.user, opens_at=in_60_hours)
    proposal.refresh_from_db()
    assert proposal.opens_at == in_60_hours
    with pytest.raises(InvalidInput):
        services.proposal_update(proposal=proposal, actor=author.user,
                                 opens_at=timezone.now() + HOUR)
    services.proposal_update(proposal=proposal, actor=author.user, opens_at=None)
    proposal.refresh_from_db()
    assert proposal.opens_at is None


@pytest.mark.django_db
def test_the_job_opens_each_due_vote_once_and_leaves_the_others(
        mailoutbox, django_capture_on_commit_callbacks):
    members = active_members(3)
    soon = fresh(opens_at=timezone.now() + timedelta(hours=49))
    later = fresh(opens_at=timezone.now() + timedelta(hours=60))
    unscheduled = fresh()
    moment = soon.opens_at + timedelta(seconds=30)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.open_due_votes(actor=tasks.OPEN_DUE_VOTES, now=moment) == [soon.pk]
        assert services.open_due_votes(actor=tasks.OPEN_DUE_VOTES, now=moment) == []

    for proposal in (soon, later, unscheduled):
        proposal.refresh_from_db()
    assert soon.status == Proposal.Status.VOTING and soon.opens_at == moment
    assert soon.electorate_size == 3 and soon.open_early_reason == ""
    assert later.status == unscheduled.status == Proposal.Status.DISCUSSION
    [record] = audit(soon, "proposal.voting")
    assert record.actor_name == "governance.open_due_votes"
    assert record.facts["scheduled_for"] == (moment - timedelta(seconds=30)).isoformat()
    assert notices.about(soon, "governance.vote_opened").count() == 3
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in members)


@pytest.mark.django_db
def test_a_due_vote_that_cannot_open_is_unscheduled_and_the_reason_audited():
    # given: no active member, so the electorate would be empty
    proposal = fresh(opens_at=timezone.now() + timedelta(hours=49))
    moment = proposal.opens_at + HOUR
    assert services.open_due_votes(actor=tasks.OPEN_DUE_VOTES, now=moment) == []
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DISCUSSION and proposal.opens_at is None
    [record] = audit(proposal, "proposal.scheduled_opening_failed")
    assert "empty electorate" in record.facts["error"]
    # The next run does not try again.
    assert services.open_due_votes(actor=tasks.OPEN_DUE_VOTES, now=moment) == []
    assert len(audit(proposal, "proposal.scheduled_opening_failed")) == 1


@pytest.mark.django_db
def test_the_job_costs_one_query_when_nothing_is_due(django_assert_num_queries):
    for _ in range(3):
        fresh(opens_at=timezone.now() + timedelta(hours=50))
    fresh()
    with django_assert_num_queries(1):
        assert services.open_due_votes(actor=tasks.OPEN_DUE_VOTES) == []


def test_the_beat_schedule_runs_the_opening_job_every_minute():
    schedule = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["governance.tasks.open_due_votes"] == 60.0
    assert tasks.open_due_votes.name == "governance.tasks.open_due_votes"


@pytest.mark.django_db
def test_the_opening_task_runs_eagerly():
    active_members(2)
    # A vote scheduled (and discussed) in the past: due now.
    began = discussion_began("general") - HOUR
    proposal = services.proposal_create(actor=TEST_JOB, title="T", body="B", now=began,
                                        opens_at=began + timedelta(hours=48),
                                        closes_at=timezone.now() + timedelta(days=4))
    assert tasks.open_due_votes.delay().get() == [proposal.pk]
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.VOTING


@pytest.mark.redis
@pytest.mark.postgres
def test_a_real_worker_opens_a_scheduled_vote(celery_worker_process):
    ensure_categories()  # the transactional test database starts empty
    active_members(2)
    began = discussion_began("general") - HOUR
    proposal = services.proposal_create(actor=TEST_JOB, title="T", body="B", now=began,
                                        opens_at=began + timedelta(hours=48),
                                        closes_at=timezone.now() + timedelta(days=4))
    # What celery beat does every minute: send the task to the broker.
    tasks.open_due_votes.delay()

    def opened():
        proposal.refresh_from_db()
        return proposal.status == Proposal.Status.VOTING

    celery_worker_process.wait_until(opened, what="the worker to open the vote")
    assert proposal.electorate_size == 2
    assert len(audit(proposal, "proposal.voting")) == 1


# --- the rule as a property -------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@given(
    discussion=st.integers(0, 400), voting=st.integers(1, 400),
    closes=st.integers(-10, 1000), opens=st.one_of(st.none(), st.integers(-10, 1000)),
)
def test_a_schedule_is_accepted_iff_both_periods_fit(discussion, voting, closes, opens):
    closes_at = NOW + timedelta(hours=closes)
    opens_at = None if opens is None else NOW + timedelta(hours=opens)
    opens_ok = opens is None or opens >= discussion
    closes_ok = closes >= max(discussion, opens or 0) + voting
    try:
        services._check_schedule(discussion_hours=discussion, voting_hours=voting,
                                 category_name="c", closes_at=closes_at, opens_at=opens_at,
                                 discussion_from=NOW, now=NOW)
    except InvalidInput as refused:
        assert not (opens_ok and closes_ok)
        assert ("opens_at" in refused.errors) == (not opens_ok)
        assert ("closes_at" in refused.errors) == (not closes_ok)
    else:
        assert opens_ok and closes_ok


# --- the API ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_takes_opens_at_and_shows_the_discussion_period(voter, electors):
    client = client_for(voter.user)
    body = {"title": "Paint the shop", "body": "Green.", "method": "yes_no", "secret": False,
            "closes_at": in_hours(24 * 6)}
    refused = client.post(f"{BASE}/proposals/", {**body, "opens_at": in_hours(24)},
                          format="json")
    assert "48 hours of discussion first" in assert_problem(
        refused, 400, "opens_at")["errors"]["opens_at"][0]
    created = client.post(f"{BASE}/proposals/", {**body, "opens_at": in_hours(60)},
                          format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    shown = client.get(f"{BASE}/proposals/{pk}/").json()
    proposal = Proposal.objects.get(pk=pk)
    assert shown["opens_at"] == proposal.opens_at.isoformat().replace("+00:00", "Z")
    assert shown["electorate"] is None and shown["open_early_reason"] == ""
    assert (shown["min_discussion_hours"], shown["min_voting_hours"], shown["min_quorum_percent"],
            shown["min_threshold"]) == (48, 72, 10, "majority")
    assert shown["discussion_ends_at"] == proposal.discussion_ends_at.isoformat().replace(
        "+00:00", "Z")
    unscheduled = client.patch(f"{BASE}/proposals/{pk}/", {"opens_at": None}, format="json")
    assert unscheduled.status_code == 200 and unscheduled.json()["opens_at"] is None


@pytest.mark.django_db
def test_the_api_refuses_an_early_opening_unless_staff_or_a_key_give_a_reason(voter, electors):
    author = client_for(voter.user)
    created = author.post(f"{BASE}/proposals/", {
        "title": "Paint the shop", "body": "Green.", "method": "yes_no", "secret": False,
        "closes_at": in_hours(24 * 6)}, format="json")
    pk = created.json()["id"]
    url = f"{BASE}/proposals/{pk}/open/"
    problem = assert_problem(author.post(url, format="json"), 409)
    assert "runs until" in problem["detail"]
    assert_problem(author.post(url, {"reason": "Hurry"}, format="json"), 409)
    key = client_for(key=api_key("governance:write"))
    assert "give a reason" in assert_problem(key.post(url, {}, format="json"), 409)["detail"]
    assert_problem(key.post(url, {"reason": "x" * 5001}, format="json"), 400, "reason")
    assert Proposal.objects.get(pk=pk).status == Proposal.Status.DISCUSSION

    opened = key.post(url, {"reason": "The assembly asked for it."}, format="json")
    assert opened.status_code == 200, opened.content
    assert opened.json()["status"] == "voting"
    shown = author.get(f"{BASE}/proposals/{pk}/").json()
    assert shown["open_early_reason"] == "The assembly asked for it."
    record = AuditRecord.objects.get(action="proposal.voting", object_id=str(pk))
    assert record.facts["reason"] == "The assembly asked for it."


@pytest.mark.django_db
def test_staff_open_early_through_the_api_with_a_reason(electors):
    proposal = fresh()
    staff = client_for(StaffFactory())
    url = f"{BASE}/proposals/{proposal.pk}/open/"
    assert_problem(staff.post(url, format="json"), 409)
    assert staff.post(url, {"reason": "Urgent."}, format="json").status_code == 200
    proposal.refresh_from_db()
    assert proposal.open_early_reason == "Urgent."
