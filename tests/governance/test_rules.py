"""One home for each rule (issue #7): governance.rules decides, and every face refuses the same
actor. For each rule that moved, or where the faces used to disagree (the stricter rule won,
see docs/architecture.md), one test per face: the browser view, the API and the admin, plus
the service itself, which checks its required `actor` whatever face calls it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coop.actors import CLOSE_DUE_VOTES, SEND_DUE_REMINDERS, SystemActor
from coop.audit import audit_seal, audit_verify
from coop.errors import InvalidInput, NotAllowed
from coop.models import AuditRecord
from governance import rules, services, tasks
from governance.models import ImplementationUpdate, Proposal
from membership import services as membership_services
from tests.governance.factories import TEST_JOB, open_proposal
from tests.governance.helpers import (
    BASE,
    assert_problem,
    client_for,
    close,
    csv_url,
    in_hours,
    members,
    proposal,
    voting,
)
from tests.membership.factories import StaffFactory

pytestmark = pytest.mark.django_db

NEW = "/governance/proposals/new/"
ADMIN_PROPOSALS = "/admin/governance/proposal/"


def action_url(p, action: str) -> str:
    return f"/governance/proposals/{p.pk}/{action}/"


def admin_action(client, action: str, p):
    return client.post(ADMIN_PROPOSALS, {"action": action, "_selected_action": [p.pk]})


def new_proposal_body() -> dict:
    return {"title": "Buy a bike", "body": "For deliveries.", "category": "general",
            "method": "yes_no", "tally_mode": "member", "closes_at": in_hours(48 + 96)}


@pytest.fixture
def staff_only():
    """Staff without a member row."""
    return StaffFactory()


# --- proposing: active members and governance:write keys (staff as such no longer) ---------


def test_staff_who_are_not_active_members_may_not_propose_in_the_view(client, staff_only):
    # Before: the view let them propose with no author; the API refused them. Stricter wins.
    client.force_login(staff_only)
    assert client.get(NEW).status_code == 403
    response = client.post(NEW, {"title": "T", "body": "B", "category": 1, "method": "yes_no",
                                 "tally_mode": "member", "closes_at": "2099-01-01T10:00"})
    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_staff_who_are_not_active_members_may_not_propose_in_the_api(staff_only):
    assert_problem(client_for(staff_only).post(f"{BASE}/proposals/", new_proposal_body(),
                                               format="json"), 403)
    assert not Proposal.objects.exists()


def test_staff_may_not_make_a_proposal_in_the_admin(client, staff_only):
    client.force_login(staff_only)
    assert client.get(ADMIN_PROPOSALS + "add/").status_code == 403


def test_the_proposal_service_refuses_staff_and_names_the_author_of_a_person():
    staff = StaffFactory()
    with pytest.raises(NotAllowed):
        make_proposal_as(staff)
    member, other = members(2)
    with pytest.raises(NotAllowed):  # a person proposes in their own name only
        make_proposal_as(member.user, author=other)
    assert make_proposal_as(member.user, author=member).author == member
    key = api_key_and_row("governance:write")
    assert make_proposal_as(key).created_by_key == key.name
    with pytest.raises(NotAllowed):
        make_proposal_as(api_key_and_row("governance:read"))
    with pytest.raises(TypeError):  # the actor is required: no face can forget it
        services.proposal_create(title="T", body="B",
                                 closes_at=timezone.now() + timedelta(days=2 + 4))


def make_proposal_as(actor, author=None):
    return services.proposal_create(actor=actor, author=author, title="T", body="B",
                                    closes_at=timezone.now() + timedelta(days=2 + 4))


def api_key_and_row(*scopes):
    from coop.models import PartnerApiKey

    row, _ = PartnerApiKey.objects.create_key(name=f"partner {scopes}", scopes=list(scopes))
    return row


# --- the author who has left: no power over the proposal any more --------------------------


@pytest.fixture
def gone_author():
    """An author whose proposal is in discussion, and who has since exited."""
    author, _other = members(2)
    p = proposal(author=author)
    membership_services.member_exit(member=author, actor=StaffFactory())
    author.refresh_from_db()
    return author, p


def test_an_author_who_left_may_not_withdraw_in_the_view(client, gone_author):
    # Before: the view refused them (members only) but the API let them withdraw and edit.
    author, p = gone_author
    client.force_login(author.user)
    assert client.post(action_url(p, "withdraw")).status_code == 403
    p.refresh_from_db()
    assert p.status == Proposal.Status.DISCUSSION


def test_an_author_who_left_may_not_withdraw_or_edit_in_the_api(gone_author):
    author, p = gone_author
    api = client_for(author.user)
    assert_problem(api.post(f"{BASE}/proposals/{p.pk}/withdraw/"), 403)
    assert_problem(api.patch(f"{BASE}/proposals/{p.pk}/", {"title": "Mine still"},
                             format="json"), 403)
    p.refresh_from_db()
    assert p.status == Proposal.Status.DISCUSSION and p.title != "Mine still"


def test_an_author_who_left_has_no_admin(client, gone_author):
    author, p = gone_author
    client.force_login(author.user)
    response = client.post(ADMIN_PROPOSALS, {"action": "open_voting", "_selected_action": [p.pk]})
    assert response.status_code == 302 and "/login/" in response["Location"]
    p.refresh_from_db()
    assert p.status == Proposal.Status.DISCUSSION


def test_the_services_refuse_an_author_who_left(gone_author):
    author, p = gone_author
    for call in (services.proposal_withdraw, services.proposal_open):
        with pytest.raises(NotAllowed):
            call(proposal=p, actor=author.user)
    with pytest.raises(NotAllowed):
        services.proposal_update(proposal=p, actor=author.user, title="Mine still")


def test_an_author_who_left_no_longer_sees_their_draft():
    author, _other = members(2)
    draft = proposal(author=author, draft=True)
    assert rules.can_see_proposal(author.user, draft)
    membership_services.member_exit(member=author, actor=StaffFactory())
    user = type(author.user).objects.get(pk=author.user_id)  # fresh: no cached member
    assert not rules.can_see_proposal(user, draft)
    assert not rules.visible_proposals(user).filter(pk=draft.pk).exists()


# --- closing and cancelling: staff, governance:write keys and the deadline job -------------


@pytest.fixture
def author_and_vote():
    crew = members(3)
    return crew[0], voting(author=crew[0], early_close_allowed=True)


def test_the_author_may_not_close_or_cancel_in_the_view(client, author_and_vote):
    author, p = author_and_vote
    client.force_login(author.user)
    assert client.post(action_url(p, "close")).status_code == 404
    assert client.post(action_url(p, "cancel"), {"reason": "Mine"}).status_code == 404
    p.refresh_from_db()
    assert p.status == Proposal.Status.VOTING


def test_the_author_may_not_close_or_cancel_in_the_api(author_and_vote):
    author, p = author_and_vote
    api = client_for(author.user)
    assert_problem(api.post(f"{BASE}/proposals/{p.pk}/close/"), 403)
    assert_problem(api.post(f"{BASE}/proposals/{p.pk}/cancel/", {"reason": "Mine"},
                            format="json"), 403)
    p.refresh_from_db()
    assert p.status == Proposal.Status.VOTING


def test_the_author_may_not_close_in_the_admin(client, author_and_vote):
    author, p = author_and_vote
    client.force_login(author.user)
    response = admin_action(client, "close_now", p)
    assert response.status_code == 302 and "/login/" in response["Location"]
    p.refresh_from_db()
    assert p.status == Proposal.Status.VOTING


def test_the_close_and_cancel_services_check_their_actor(author_and_vote):
    author, p = author_and_vote
    for actor in (author.user, None, api_key_and_row("governance:read")):
        with pytest.raises(NotAllowed):
            services.proposal_close(proposal=p, actor=actor)
        with pytest.raises(NotAllowed):
            services.proposal_cancel(proposal=p, actor=actor, reason="No")
    assert services.proposal_close(proposal=p, actor=api_key_and_row("governance:write"))


# --- implementation dates: never in the future ---------------------------------------------


@pytest.fixture
def passed():
    crew = members(3)
    p = voting(author=crew[0])
    for m in crew:
        services.ballot_cast(proposal=p, member=m, choice="yes")
    return close(p)


def test_a_future_implementation_date_is_refused_in_the_view(client, passed):
    # Before: the API refused a future date, the browser form and the service took it.
    client.force_login(StaffFactory())
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(action_url(passed, "implementation"),
                           {"status": "in_progress", "on": tomorrow.isoformat()})
    assert response.status_code == 302
    assert not ImplementationUpdate.objects.exists()


def test_a_future_implementation_date_is_refused_in_the_api(passed):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(StaffFactory()).post(
        f"{BASE}/proposals/{passed.pk}/implementation/",
        {"status": "in_progress", "on": tomorrow.isoformat()}, format="json")
    assert_problem(response, 400, "on")
    assert not ImplementationUpdate.objects.exists()


def test_the_admin_cannot_add_an_implementation_step(client, passed):
    # The admin shows the steps read-only: no face there can date one.
    client.force_login(StaffFactory())
    page = client.get(f"{ADMIN_PROPOSALS}{passed.pk}/change/").content.decode()
    assert "implementation_updates-0-on" not in page
    assert not ImplementationUpdate.objects.exists()


def test_the_implementation_service_refuses_a_future_date_and_a_member(passed):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(InvalidInput):
        services.implementation_update(proposal=passed, status="done", on=tomorrow,
                                       actor=StaffFactory())
    with pytest.raises(NotAllowed):
        services.implementation_update(proposal=passed, status="done",
                                       actor=passed.author.user)
    assert services.implementation_update(proposal=passed, status="done", actor=StaffFactory())


# --- small classes of a secret vote: one rule for the page, the API, the CSV and receipts --


@pytest.fixture
def secret_closed():
    """A secret vote: five workers (shown) and two founders (hidden: fewer than 5 voters)."""
    workers = members(5, slug="workers")
    founders = members(2, slug="founders")
    p = voting(author=workers[0], secret=True)
    for m in workers + founders:
        services.ballot_cast(proposal=p, member=m, choice="yes")
    return close(p)


def test_hidden_classes_is_the_one_rule_with_privacy_by_subtraction():
    hidden = rules.hidden_classes
    # 1 + 1 voters: both hidden (each alone would be the total minus the other).
    assert hidden(secret=True, cast_by_class={"clients": 1, "photographers": 1}) == {
        "clients", "photographers"}
    # 5 + 6 + 1: the 1 is hidden, and the next smallest (5) with it, not the 6.
    assert hidden(secret=True, cast_by_class={"a": 6, "b": 5, "c": 1}) == {"b", "c"}
    # Ties for the next smallest go by slug, so every face hides the same one.
    assert hidden(secret=True, cast_by_class={"z": 5, "a": 5, "c": 1}) == {"a", "c"}
    # Two small classes already hide each other: no large class is hidden.
    assert hidden(secret=True, cast_by_class={"a": 9, "b": 2, "c": 3}) == {"b", "c"}
    # A class of nobody hides nothing, so it is never the extra one.
    assert hidden(secret=True, cast_by_class={"a": 7, "b": 6, "c": 1, "d": 0}) == {"c", "d", "b"}
    # All classes of 5 or more: all shown; an open vote hides nothing.
    assert hidden(secret=True, cast_by_class={"a": rules.SMALL_CLASS, "b": 7}) == set()
    assert hidden(secret=False, cast_by_class={"a": 1, "b": 1}) == set()
    # One class with voters: its figures are the total, shown anyway; nothing more to hide.
    assert hidden(secret=True, cast_by_class={"a": 2}) == {"a"}


def test_the_csv_export_leaves_out_a_small_class_of_a_secret_vote(client, secret_closed):
    # Before: the CSV named every ballot's class, so a class of two showed what it chose.
    client.force_login(secret_closed.author.user)
    text = client.get(csv_url(secret_closed)).content.decode()
    rows = [line.split(",") for line in text.strip().splitlines()[1:]]
    classes = sorted(row[2] for row in rows)
    # Privacy by subtraction (issue #8): founders would be the total minus workers, so the
    # next smallest class, workers, is left out too.
    assert classes == [""] * 7


def test_the_api_and_the_result_page_hide_the_small_class(client, secret_closed):
    result = client_for(secret_closed.author.user).get(
        f"{BASE}/proposals/{secret_closed.pk}/result/").json()
    assert result["by_class"]["founders"]["totals"] is None
    # The next smallest is hidden too (RULES §5), else founders = total - workers.
    assert result["by_class"]["workers"]["totals"] is None
    client.force_login(secret_closed.author.user)
    page = client.get(f"/governance/proposals/{secret_closed.pk}/result/").content.decode()
    assert "hidden: fewer than 5 voters" in page
    assert "cannot be worked out from the total" in page


def test_the_admin_hides_the_class_of_a_small_class_of_a_secret_vote(client, secret_closed):
    client.force_login(StaffFactory())
    page = client.get("/admin/governance/secretballot/").content.decode()
    assert page.count(">founders<") == 0 and page.count(">workers<") == 0
    assert page.count("a smaller class could be worked out from the total") == 5


# --- system actors: named in the audit trail, the chain still verifies ---------------------


def test_the_deadline_job_is_named_in_the_audit_trail():
    crew = members(2)
    p = voting(author=crew[0])
    Proposal.objects.filter(pk=p.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    assert tasks.close_due_votes.delay().get() == [p.pk]
    record = AuditRecord.objects.get(action="proposal.closed", object_id=str(p.pk))
    assert (record.actor_kind, record.actor_name, record.actor_id) == (
        "system", CLOSE_DUE_VOTES.name, None)
    audit_seal()
    assert audit_verify().ok


def test_a_system_actors_name_is_sealed_into_the_chain():
    p = open_proposal(author=members(1)[0])
    services.proposal_cancel(proposal=p, actor=SEND_DUE_REMINDERS, reason="Test")
    audit_seal()
    record = AuditRecord.objects.get(action="proposal.cancelled")
    assert record.actor_name == SEND_DUE_REMINDERS.name
    # Altering the name breaks the chain (SQLite has no append-only trigger to stop it).
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    AuditRecord.objects.filter(pk=record.pk).update(actor_name="someone.else")
    assert not audit_verify().ok


def test_a_system_actor_needs_a_name():
    with pytest.raises(ValueError):
        SystemActor(name="")
    assert TEST_JOB.name == "tests" and not rules.may_vote(None)


def test_a_partner_key_scope_is_one_rule():
    from coop.api_auth import key_allows

    write = api_key_and_row("governance:write")
    star = api_key_and_row("*")
    assert key_allows(write, "governance:write") and not key_allows(write, "governance:read")
    assert key_allows(star, "members:read")
    assert not key_allows(StaffFactory(), "governance:write")
    assert not key_allows(CLOSE_DUE_VOTES, "governance:write")


# --- membership: the register's services check their actor too -----------------------------


def test_the_register_services_refuse_a_member_a_read_key_and_nobody():
    member, other = members(2)
    application = membership_services.application_submit(
        stakeholder_class=member.stakeholder_class, shares=member.stakeholder_class.min_shares,
        name="Newcomer", email="new@example.org")
    for actor in (member.user, api_key_and_row("members:read"), None):
        with pytest.raises(NotAllowed):
            membership_services.application_approve(application=application, actor=actor)
        with pytest.raises(NotAllowed):
            membership_services.share_payment_record(member=other, amount_minor=1,
                                                     paid_on=timezone.localdate(), actor=actor)
    with pytest.raises(NotAllowed):  # nobody resigns for someone else but the registrars
        membership_services.member_exit(member=other, actor=member.user)
    with pytest.raises(NotAllowed):
        membership_services.member_directory_visibility_set(member=other, visible=False,
                                                            actor=member.user)
    assert membership_services.member_exit(member=member, actor=member.user)
    approved = membership_services.application_approve(
        application=application, actor=api_key_and_row("members:write"))
    assert approved.member_number
