"""Enactments (RULES.md §6): a proposal carries one change, checked at creation and at opening,
frozen when voting opens, applied in the close's transaction when it passes, and never applied
otherwise. The kinds are registered by higher apps; here a test kind stands in for them: it
changes a category's quorum floor, a real row with a value "in force" to differ from."""

import ast
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from coop.errors import Conflict, InvalidInput
from coop.models import AuditRecord, Notice
from governance import enactments, services, tasks
from governance.models import Category, Elector, Proposal
from tests.governance.factories import TEST_JOB, discussion_over
from tests.governance.helpers import (
    active_members,
    cast_all,
    close_at_deadline,
    ensure_categories,
    new_proposal,
)
from tests.membership.factories import StaffFactory

pytestmark = pytest.mark.django_db

E = Proposal.Enactment


class QuorumFloorKind(enactments.EnactmentKind):
    """Sets the quorum floor of a category: {"category": slug, "min_quorum_percent": n}."""

    slug = "test_quorum_floor"
    label = "Quorum floor of a category"
    categories = frozenset({"policy"})

    def __init__(self):
        self.enacted: list[tuple[dict, int]] = []
        self.seen_in_enact: dict = {}

    def validate(self, payload):
        if set(payload) != {"category", "min_quorum_percent"}:
            raise InvalidInput("Give category and min_quorum_percent, nothing else.")
        percent = payload["min_quorum_percent"]
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            raise InvalidInput("The quorum floor is a whole percentage from 0 to 100.",
                               errors={"min_quorum_percent": ["From 0 to 100."]})
        category = Category.objects.filter(slug=payload["category"]).first()
        if category is None:
            raise InvalidInput(f"There is no category {payload['category']!r}.")
        if category.min_quorum_percent == percent:
            raise InvalidInput(f"The {category.slug} quorum floor is already {percent} %.")
        return {"category": category.slug, "min_quorum_percent": percent}

    def describe(self, payload):
        category = Category.objects.get(slug=payload["category"])
        return [f"quorum floor of {category.name}: {category.min_quorum_percent} % → "
                f"{payload['min_quorum_percent']} %"]

    def choices(self):
        """Raising the bylaws' floor by ten points: what the proposal form offers."""
        bylaws = Category.objects.get(slug="bylaws")
        raised = {"category": bylaws.slug, "min_quorum_percent": bylaws.min_quorum_percent + 10}
        return [(raised, self.describe(raised)[0])]

    def enact(self, payload, proposal):
        self.enacted.append((payload, proposal.pk))
        self.seen_in_enact = {
            "in_atomic_block": connection.in_atomic_block,
            "status": Proposal.objects.get(pk=proposal.pk).status,
        }
        Category.objects.filter(slug=payload["category"]).update(
            min_quorum_percent=payload["min_quorum_percent"])


class FailingQuorumFloorKind(QuorumFloorKind):
    """Writes the change, then fails (as a superseded dividend run would)."""

    slug = "test_failing_floor"

    def enact(self, payload, proposal):
        super().enact(payload, proposal)
        raise RuntimeError("the run was superseded")


@pytest.fixture
def kind():
    registered = enactments.register(QuorumFloorKind())
    yield registered
    enactments.unregister(registered.slug)


@pytest.fixture
def failing_kind():
    registered = enactments.register(FailingQuorumFloorKind())
    yield registered
    enactments.unregister(registered.slug)


@pytest.fixture
def policy():
    ensure_categories()  # the transactional test flushes the migration's categories
    # The migration's `policy` category, with the shorter floors these tests were written for
    # (its own: 2/3, a week of discussion and a week of voting).
    category, _ = Category.objects.update_or_create(slug="policy", defaults={
        "name": "Policy", "min_quorum_percent": 20, "min_threshold": "majority",
        "min_discussion_hours": 48, "min_voting_hours": 72})
    return category


def bylaws_quorum() -> int:
    return Category.objects.get(slug="bylaws").min_quorum_percent  # 30 from the migration


def enacts(percent: int = 40, kind: str = "test_quorum_floor", **more) -> dict:
    return {"kind": kind, "category": "bylaws", "min_quorum_percent": percent, **more}


def carrying(policy, **rules) -> Proposal:
    return new_proposal(category=policy, enacts=rules.pop("enacts", None) or enacts(), **rules)


def enacted_records(proposal) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(object_id=str(proposal.pk),
                                           action__startswith="proposal.enact"))


# --- the registry -------------------------------------------------------------------------


def test_kinds_are_registered_and_a_taken_slug_is_refused_to_another_class(kind):
    assert enactments.get_kind("test_quorum_floor") is kind
    assert kind in enactments.registered_kinds()
    enactments.register(QuorumFloorKind())  # the same class again (ready() ran twice): fine

    class Impostor(QuorumFloorKind):
        pass

    with pytest.raises(ImproperlyConfigured, match="already registered"):
        enactments.register(Impostor())
    with pytest.raises(ImproperlyConfigured, match="no slug"):
        enactments.register(enactments.EnactmentKind())
    enactments.unregister("test_quorum_floor")
    assert enactments.get_kind("test_quorum_floor") is None


def test_governance_never_imports_a_higher_app_the_registry_is_filled_by_registration():
    """Governance names no app above it: not in an import (at module or function level), not
    through importlib or apps.get_model. The kinds reach it only by register()."""
    root = Path(settings.BASE_DIR)
    local_apps = {p.parent.name for p in root.glob("*/apps.py")}
    higher = (local_apps | {"ledger", "dashboard"}) - {"coop", "membership", "governance"}
    offences = []
    for path in (root / "governance").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                # importlib.import_module("ledger...") or apps.get_model("ledger", ...)
                names = [node.value] if node.value.split(".")[0] in higher else []
            offences += [f"{path.name}: {n}" for n in names if n.split(".")[0] in higher]
    assert offences == []
    source = (root / "governance" / "enactments.py").read_text()
    assert "importlib" not in source and "get_model" not in source
    # Nothing is registered by governance itself: the kinds come from the apps that own them.
    assert [k.slug for k in enactments.registered_kinds() if k.slug.startswith("test_")] == []
    assert all(type(k).__module__.split(".")[0] != "governance"
               for k in enactments.registered_kinds())


# --- at creation --------------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "message"), [
    (enacts(percent=101), "from 0 to 100"),
    (enacts(percent=30), "already 30"),
    (enacts(category="nope"), "no category"),
    (enacts(extra=1), "nothing else"),
    ({"category": "bylaws", "min_quorum_percent": 40}, "Unknown enactment kind None"),
    (enacts(kind="no_such_kind"), "Unknown enactment kind .no_such_kind."),
    ("40 %", "Give an object"),
])
def test_an_invalid_enactment_is_refused_at_creation_and_nothing_is_written(
        kind, policy, payload, message):
    proposals, records = Proposal.objects.count(), AuditRecord.objects.count()
    with pytest.raises(InvalidInput, match=message) as refused:
        new_proposal(category=policy, enacts=payload)
    assert "enacts" in refused.value.errors
    assert (Proposal.objects.count(), AuditRecord.objects.count()) == (proposals, records)


def test_a_kind_goes_only_in_the_categories_it_names(kind, policy):
    general = Category.objects.get(slug="general")
    with pytest.raises(InvalidInput, match="needs the category policy"):
        new_proposal(category=general, enacts=enacts())
    assert not Proposal.objects.exists()

    class Anywhere(QuorumFloorKind):
        slug = "test_anywhere"
        categories = None

    enactments.register(Anywhere())
    try:
        proposal = new_proposal(category=general, enacts=enacts(kind="test_anywhere"))
    finally:
        enactments.unregister("test_anywhere")
    assert proposal.enactment_kind == "test_anywhere"


def test_a_valid_enactment_is_stored_cleaned_and_pending(kind, policy):
    proposal = carrying(policy)
    proposal.refresh_from_db()
    assert proposal.enactment_kind == "test_quorum_floor"
    assert proposal.enactment_payload == {"category": "bylaws", "min_quorum_percent": 40}
    assert proposal.enactment_status == E.PENDING
    created = AuditRecord.objects.get(action="proposal.created", object_id=str(proposal.pk))
    assert created.facts["enacts"] == "test_quorum_floor"
    assert enactments.enactment_of(proposal)["description"] == [
        "quorum floor of Bylaws amendment: 30 % → 40 %"]
    # Without one, nothing changes: no enactment, nothing to show.
    plain = new_proposal()
    assert (plain.enactment_status, plain.enactment_kind) == (E.NONE, "")
    assert enactments.enactment_of(plain) is None


# --- editing while editable, and frozen when voting opens ---------------------------------


def test_the_enactment_is_edited_while_in_discussion_and_frozen_when_voting_opens(kind, policy):
    author = active_members(1)[0]
    staff = StaffFactory()
    proposal = carrying(policy, author=author)
    services.proposal_update(proposal=proposal, actor=staff, enacts=enacts(percent=50))
    proposal.refresh_from_db()
    assert proposal.enactment_payload["min_quorum_percent"] == 50
    with pytest.raises(InvalidInput, match="already 30"):
        services.proposal_update(proposal=proposal, actor=staff, enacts=enacts(percent=30))
    services.proposal_update(proposal=proposal, actor=staff, enacts={})  # removed
    proposal.refresh_from_db()
    assert (proposal.enactment_kind, proposal.enactment_payload, proposal.enactment_status) == (
        "", None, E.NONE)
    services.proposal_update(proposal=proposal, actor=staff, enacts=enacts(percent=45))

    services.proposal_open(actor=TEST_JOB, proposal=proposal)
    with pytest.raises(Conflict, match="frozen"):
        services.proposal_update(proposal=proposal, actor=staff, enacts=enacts(percent=60))
    with pytest.raises(Conflict, match="frozen"):
        services.proposal_update(proposal=proposal, actor=staff, enacts={})
    proposal.refresh_from_db()
    assert proposal.enactment_payload == {"category": "bylaws", "min_quorum_percent": 45}
    assert proposal.enactment_status == E.PENDING


def test_the_enactment_is_checked_again_when_voting_opens(kind, policy):
    active_members(2)
    proposal = carrying(policy)
    # During the discussion the floor becomes what the proposal would set: it changes nothing.
    Category.objects.filter(slug="bylaws").update(min_quorum_percent=40)
    with pytest.raises(InvalidInput, match="already 40"):
        services.proposal_open(actor=TEST_JOB, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DISCUSSION and proposal.opens_at is None
    assert not Elector.objects.filter(proposal=proposal).exists()
    assert not AuditRecord.objects.filter(action="proposal.voting").exists()

    # A kind that is no longer installed cannot open either.
    Category.objects.filter(slug="bylaws").update(min_quorum_percent=30)
    enactments.unregister(kind.slug)
    with pytest.raises(InvalidInput, match="Unknown enactment kind"):
        services.proposal_open(actor=TEST_JOB, proposal=proposal)
    enactments.register(kind)
    assert services.proposal_open(actor=TEST_JOB,
                                  proposal=proposal).status == Proposal.Status.VOTING


# --- at the close -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_passed_proposal_enacts_in_the_close_transaction_and_is_audited(kind, policy):
    members = active_members(3)
    proposal = services.proposal_open(actor=TEST_JOB, proposal=carrying(policy))
    cast_all(proposal, members, choice="yes")
    closed = close_at_deadline(proposal)

    assert (closed.outcome, closed.enactment_status) == ("passed", E.ENACTED)
    assert closed.enacted_at == closed.closed_at
    assert bylaws_quorum() == 40
    assert kind.enacted == [({"category": "bylaws", "min_quorum_percent": 40}, proposal.pk)]
    # A transactional test has no wrapping transaction: inside enact, the only one open is the
    # close's, and it already sees the proposal closed.
    assert kind.seen_in_enact == {"in_atomic_block": True, "status": "closed"}
    (record,) = enacted_records(proposal)
    assert (record.action, record.facts) == (
        "proposal.enacted", {"kind": "test_quorum_floor", "proposal": proposal.pk})
    closing = AuditRecord.objects.get(action="proposal.closed", object_id=str(proposal.pk))
    assert closing.pk < record.pk
    # The description keeps the difference as it stood at the close (live, it would now read
    # "40 % → 40 %").
    assert enactments.enactment_of(closed)["description"] == [
        "quorum floor of Bylaws amendment: 30 % → 40 %"]
    # The enactment is the implementation: done the day of the close, so it never lags.
    assert closed.implementation_status == "done"
    assert closed.implementation_done_on == timezone.localdate(closed.closed_at)
    (update,) = closed.implementation_updates.all()
    assert update.status == "done" and "quorum floor of Bylaws amendment" in update.note


@pytest.mark.parametrize("ending", ["rejected", "no_quorum", "cancelled", "withdrawn"])
def test_nothing_is_enacted_when_it_ends_otherwise(kind, policy, ending):
    members = active_members(4)
    proposal = carrying(policy)
    if ending == "withdrawn":
        services.proposal_withdraw(proposal=proposal, actor=StaffFactory())
    else:
        services.proposal_open(actor=TEST_JOB, proposal=proposal)
        if ending == "cancelled":
            cast_all(proposal, members, choice="yes")  # it would have passed
            services.proposal_cancel(proposal=proposal, reason="Wrong figures",
                                     actor=StaffFactory())
        else:
            if ending == "rejected":
                cast_all(proposal, members, choice="no")
            # no_quorum: no ballot at all, under the policy category's 20 % quorum
            assert close_at_deadline(proposal).outcome == ending
    proposal.refresh_from_db()
    assert proposal.enactment_status == E.NOT_ENACTED and proposal.enacted_at is None
    assert kind.enacted == [] and bylaws_quorum() == 30
    assert enacted_records(proposal) == []
    assert enactments.enactment_of(proposal)["status"] == "not_enacted"


def test_a_failed_enactment_is_recorded_the_close_stands_and_it_is_not_retried(
        failing_kind, policy, caplog, mailoutbox, django_capture_on_commit_callbacks):
    staff = StaffFactory()
    members = active_members(3)
    proposal = services.proposal_open(actor=TEST_JOB,
        proposal=carrying(policy, enacts=enacts(kind="test_failing_floor")))
    cast_all(proposal, members, choice="yes")
    with (caplog.at_level(logging.ERROR, logger="governance.services"),
          django_capture_on_commit_callbacks(execute=True)):
        closed = close_at_deadline(proposal)

    assert (closed.status, closed.outcome) == ("closed", "passed")
    assert closed.implementation_status == "planned"
    assert (closed.enactment_status, closed.enactment_error) == (
        E.FAILED, "RuntimeError: the run was superseded")
    assert closed.enacted_at is None
    assert bylaws_quorum() == 30  # what enact wrote before failing is rolled back (savepoint)
    (record,) = enacted_records(proposal)
    assert (record.action, record.facts) == ("proposal.enactment_failed", {
        "kind": "test_failing_floor", "proposal": proposal.pk,
        "error": "RuntimeError: the run was superseded"})
    # Reported to staff: a notice in their inbox, emailed, and an error in the log.
    (notice,) = Notice.objects.filter(kind="governance.enactment_failed")
    assert (notice.recipient, notice.target) == (staff, proposal)
    assert notice.emailed_at is not None
    (email,) = [m for m in mailoutbox if m.to == [staff.email]]
    assert "superseded" in email.body and proposal.title in email.subject
    assert any(r.levelno == logging.ERROR and f"proposal {proposal.pk}" in r.getMessage()
               and "superseded" in r.getMessage() for r in caplog.records)
    shown = enactments.enactment_of(closed)
    assert (shown["status"], shown["detail"]) == ("failed", "RuntimeError: the run was superseded")

    # Not retried: a second close is refused, the deadline job passes over it.
    with pytest.raises(Conflict):
        services.proposal_close(actor=TEST_JOB,
                                proposal=proposal, now=proposal.closes_at + timedelta(hours=1))
    assert services.proposal_close(actor=TEST_JOB, proposal=proposal, by_deadline=True,
                                   now=proposal.closes_at + timedelta(hours=1)) is None
    assert len(failing_kind.enacted) == 1
    assert len(enacted_records(proposal)) == 1


def test_a_kind_gone_by_the_close_is_a_failed_enactment(kind, policy):
    members = active_members(2)
    proposal = services.proposal_open(actor=TEST_JOB, proposal=carrying(policy))
    cast_all(proposal, members, choice="yes")
    enactments.unregister(kind.slug)
    closed = close_at_deadline(proposal)
    assert (closed.outcome, closed.enactment_status) == ("passed", E.FAILED)
    assert "not installed" in closed.enactment_error


def test_the_deadline_job_enacts_too(kind, policy, django_capture_on_commit_callbacks):
    members = active_members(3)
    opened = proposal_opened_hours_ago(policy, 97)
    for member in members:
        services.ballot_cast(proposal=opened, member=member, choice="yes",
                             now=opened.opens_at + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_votes.delay().get() == [opened.pk]
    opened.refresh_from_db()
    assert (opened.outcome, opened.enactment_status) == ("passed", E.ENACTED)
    assert bylaws_quorum() == 40
    (record,) = enacted_records(opened)
    closing = AuditRecord.objects.get(action="proposal.closed", object_id=str(opened.pk))
    # The enactment is audited under the same actor as the close: the deadline job's.
    assert (record.actor_kind, record.actor_id) == (closing.actor_kind, closing.actor_id)
    assert closing.facts["by_deadline"] is True


def proposal_opened_hours_ago(policy, hours: int) -> Proposal:
    """A vote opened `hours` ago whose 96-hour period is over."""
    opened = timezone.now() - timedelta(hours=hours)
    proposal = new_proposal(category=policy, enacts=enacts(), now=opened, hours=96)
    return services.proposal_open(actor=TEST_JOB, proposal=proposal, now=opened)


def test_a_proposal_without_an_enactment_closes_as_before(kind):
    members = active_members(2)
    proposal = services.proposal_open(actor=TEST_JOB, proposal=new_proposal())
    cast_all(proposal, members, choice="yes")
    closed = close_at_deadline(proposal)
    assert (closed.outcome, closed.enactment_status) == ("passed", E.NONE)
    assert kind.enacted == [] and enacted_records(closed) == []


# --- the faces: API, proposal page, admin -------------------------------------------------


BASE = "/api/v1"


def test_the_api_creates_shows_and_freezes_an_enactment(kind, policy):
    author = active_members(2)[0]
    client = APIClient()
    client.force_login(author.user)
    body = {"title": "Raise the bylaws quorum", "body": "Forty percent.", "method": "yes_no",
            "secret": False, "category": "policy",
            "closes_at": (timezone.now() + timedelta(hours=48 + 80)).isoformat()}
    refused = client.post(f"{BASE}/proposals/", {**body, "enacts": enacts(percent=130)},
                          format="json")
    assert refused.status_code == 400, refused.content
    assert "enacts" in refused.json()["errors"]
    assert not Proposal.objects.exists()

    created = client.post(f"{BASE}/proposals/", {**body, "enacts": enacts()}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    shown = client.get(f"{BASE}/proposals/{pk}/").json()["enactment"]
    assert shown == {
        "kind": "test_quorum_floor", "label": "Quorum floor of a category",
        "payload": {"category": "bylaws", "min_quorum_percent": 40}, "status": "pending",
        "error": "", "description": ["quorum floor of Bylaws amendment: 30 % → 40 %"],
        "detail": "quorum floor of Bylaws amendment: 30 % → 40 %", "enacted_at": None}

    edited = client.patch(f"{BASE}/proposals/{pk}/", {"enacts": enacts(percent=50)},
                          format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["enactment"]["payload"]["min_quorum_percent"] == 50
    discussion_over(Proposal.objects.get(pk=pk))
    assert client.post(f"{BASE}/proposals/{pk}/open/").status_code == 200
    frozen = client.patch(f"{BASE}/proposals/{pk}/", {"enacts": enacts(percent=60)},
                          format="json")
    assert frozen.status_code == 409
    assert Proposal.objects.get(pk=pk).enactment_payload["min_quorum_percent"] == 50
    # A proposal without one shows null.
    plain = client.post(f"{BASE}/proposals/", {**body, "category": "general"}, format="json")
    assert client.get(f"{BASE}/proposals/{plain.json()['id']}/").json()["enactment"] is None


def test_the_proposal_page_shows_the_enactment_beside_the_text(client, kind, policy):
    member = active_members(1)[0]
    proposal = carrying(policy)
    client.force_login(member.user)
    page = client.get(reverse("governance:detail", args=[proposal.pk])).content.decode()
    text_at = page.index("proposal-text")
    shown_at = page.index("quorum floor of Bylaws amendment: 30 % → 40 %")
    rules_at = page.index("Rules of this vote")
    assert text_at < shown_at < rules_at  # inside the text's card
    assert "Pending" in page
    plain = new_proposal()
    assert "enactment-title" not in client.get(
        reverse("governance:detail", args=[plain.pk])).content.decode()


def test_the_admin_shows_the_enactment_read_only(client, kind, policy):
    proposal = carrying(policy)
    client.force_login(StaffFactory())
    url = reverse("admin:governance_proposal_change", args=[proposal.pk])
    page = client.get(url).content.decode()
    assert "quorum floor of Bylaws amendment: 30 % → 40 %" in page
    assert 'name="enactment_payload"' not in page and 'name="enactment_status"' not in page


# --- the proposal form (issue #9): the kinds offer their choices ----------------------------


class SilentKind(enactments.EnactmentKind):
    slug = "test_silent"  # offers nothing (the default): proposed through the API only


class BrokenChoicesKind(enactments.EnactmentKind):
    slug = "test_broken_choices"
    categories = frozenset({"policy"})

    def choices(self):
        raise RuntimeError("the table is gone")


@pytest.fixture
def other_kinds():
    silent, broken = enactments.register(SilentKind()), enactments.register(BrokenChoicesKind())
    yield
    enactments.unregister(silent.slug)
    enactments.unregister(broken.slug)


def test_the_kinds_offer_their_choices_to_the_form_as_the_apis_enacts(
        kind, policy, other_kinds, caplog):
    with caplog.at_level(logging.ERROR, logger="governance.enactments"):
        groups = dict(enactments.form_choices())
    # The silent kind offers nothing and the broken one is left out (and logged): the form shows.
    assert "test_silent" not in groups and "test_broken_choices" not in groups
    assert "Listing the test_broken_choices enactment's choices failed" in caplog.text
    [(value, label)] = groups["Quorum floor of a category"]
    assert label == "quorum floor of Bylaws amendment: 30 % → 40 %"
    assert enactments.from_form_value(value) == enacts(40)
    with pytest.raises(ValueError):
        enactments.from_form_value('["test_quorum_floor"]')
    # The silent kind (categories None) goes in any category; without it only `policy` may.
    assert enactments.may_carry("general")
    enactments.unregister("test_silent")
    assert enactments.may_carry("policy") and not enactments.may_carry("general")


def test_a_member_proposes_an_enactment_from_the_form(client, kind, policy):
    from tests.governance.test_proposal_form import NEW, posted

    author = active_members(1)[0]
    value = enactments.form_value("test_quorum_floor",
                                  {"category": "bylaws", "min_quorum_percent": 40})
    client.force_login(author.user)
    page = client.get(NEW).content.decode()
    assert "What this proposal enacts" in page and "data-enacts-section" in page
    assert f'value="{value.replace(chr(34), "&quot;")}"' in page
    response = posted(author, client, category=policy.pk, enacts=value)
    assert response.status_code == 302, response.content.decode()
    proposal = Proposal.objects.get()
    assert (proposal.enactment_kind, proposal.enactment_payload) == (
        "test_quorum_floor", {"category": "bylaws", "min_quorum_percent": 40})
    detail = client.get(response["Location"]).content.decode()
    assert "quorum floor of Bylaws amendment: 30 % → 40 %" in detail
