"""Allocation policies (RULES §4, §6): versions, validation, enactment by a passed proposal."""

from datetime import date, timedelta

import pytest

from coop.errors import Conflict, InvalidInput
from coop.models import AuditRecord
from governance import enactments
from governance import services as governance
from governance.models import Proposal
from patronage import selectors, services
from patronage.models import AllocationPolicy
from tests.governance.factories import TEST_JOB
from tests.governance.helpers import (
    active_members,
    assert_problem,
    cast_all,
    client_for,
    close_at_deadline,
    new_proposal,
)
from tests.membership.factories import StaffFactory
from tests.patronage.factories import classes, make_policy, policy_fields

pytestmark = pytest.mark.django_db
S = AllocationPolicy.Status


@pytest.fixture
def two_classes():
    return classes("workers", "users")


def test_the_first_version_is_created_in_force_later_ones_are_drafts(two_classes):
    first = make_policy(effective_from=date(2020, 1, 1))
    assert (first.version, first.status, first.enacted_directly) == (1, S.IN_FORCE, True)
    assert first.enacted_at is not None
    second = make_policy(cash_bp=4000)
    assert (second.version, second.status, second.enacted_at) == (2, S.DRAFT, None)
    assert selectors.policy_in_force(date(2026, 6, 1)) == first
    assert selectors.policy_in_force(date(2019, 12, 31)) is None
    assert AuditRecord.objects.filter(action="policy.created").count() == 2


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"patronage_bp": 5000}, "patronage_bp", "sum to 10000"),
    ({"cash_bp": 1999}, "cash_bp", "at least 2000"),
    ({"class_shares_bp": {"workers": 6000, "users": 3000}}, "class_shares_bp", "9000"),
    ({"class_shares_bp": {"workers": 6000, "ghosts": 4000}}, "class_shares_bp", "ghosts"),
    ({"reserves_bp": -1}, "reserves_bp", "basis points"),
])
def test_a_bad_policy_is_refused_and_nothing_written(two_classes, changes, field, message):
    with pytest.raises(InvalidInput) as refused:
        make_policy(**changes)
    assert message in " ".join(refused.value.errors[field])
    assert not AllocationPolicy.objects.exists()
    assert not AuditRecord.objects.filter(action="policy.created").exists()


def test_the_version_in_force_is_the_latest_effective_from_then_the_later_enactment(two_classes):
    first = make_policy(effective_from=date(2024, 1, 1))
    later = make_policy(effective_from=date(2025, 1, 1), cash_bp=5000)
    AllocationPolicy.objects.filter(pk=later.pk).update(status=S.IN_FORCE,
                                                         enacted_at=first.enacted_at)
    assert selectors.policy_in_force(date(2024, 12, 31)) == first
    assert selectors.policy_in_force(date(2025, 1, 1)).pk == later.pk


def test_api_lists_and_creates(two_classes):
    staff = StaffFactory()
    response = client_for(staff).post("/api/v1/allocation-policies/", {
        **policy_fields(effective_from="2025-01-01")}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "in_force"
    body = client_for(staff).post("/api/v1/allocation-policies/", {
        **policy_fields(effective_from="2025-01-01", cash_bp=1000)}, format="json")
    assert_problem(body, 400, "cash_bp")
    listed = client_for(staff).get("/api/v1/allocation-policies/").json()["results"]
    assert [row["version"] for row in listed] == [1]
    assert listed[0]["class_shares_bp"] == {"users": 4000, "workers": 6000}
    member = active_members(1, slug="workers")[0]
    assert client_for(member.user).get("/api/v1/allocation-policies/").status_code == 200
    refused = client_for(member.user).post("/api/v1/allocation-policies/",
                                           policy_fields(effective_from="2025-01-01"),
                                           format="json")
    assert refused.status_code == 403


# --- enactment by a proposal (RULES §6) -----------------------------------------------------


def proposing(policy_category, draft, **rules):
    return new_proposal(category=policy_category, threshold="2/3", hours=200,
                        enacts={"kind": "allocation_policy", "policy_id": draft.pk}, **rules)


def test_the_kind_is_registered_for_the_policy_category(two_classes, policy_category):
    kind = enactments.get_kind("allocation_policy")
    assert kind is not None and kind.categories == frozenset({"policy"})
    in_force = make_policy()
    with pytest.raises(InvalidInput, match="not a draft"):
        proposing(policy_category, in_force)
    with pytest.raises(InvalidInput, match="needs the category policy"):
        new_proposal(enacts={"kind": "allocation_policy", "policy_id": in_force.pk})


def test_describe_shows_the_difference_in_words_and_figures(two_classes, policy_category):
    make_policy()
    draft = make_policy(cash_bp=4000, capital_interest_bp=250,
                        class_shares_bp={"workers": 5000, "users": 5000})
    proposal = proposing(policy_category, draft)
    lines = enactments.enactment_of(proposal)["description"]
    assert "cash share of patronage: 30 % → 40 %" in lines
    assert "interest on capital (yearly rate): 3 % → 2.5 %" in lines
    assert "patronage share of workers: 60 % → 50 %" in lines
    assert "patronage share of users: 40 % → 50 %" in lines
    assert not any("reserves" in line for line in lines)  # unchanged figures are not listed


def test_a_passed_proposal_puts_its_version_in_force_at_the_close(two_classes, policy_category):
    first = make_policy()
    draft = make_policy(cash_bp=4000)
    voters = active_members(3, slug="workers")
    proposal = proposing(policy_category, draft)
    governance.proposal_open(actor=TEST_JOB, proposal=proposal)
    cast_all(proposal, voters, choice="yes")
    proposal = close_at_deadline(proposal)
    assert proposal.outcome == Proposal.Outcome.PASSED
    assert proposal.enactment_status == Proposal.Enactment.ENACTED
    draft.refresh_from_db()
    first.refresh_from_db()
    assert (draft.status, draft.enacted_by_proposal_id) == (S.IN_FORCE, proposal.pk)
    assert first.status == S.SUPERSEDED
    assert selectors.policy_in_force(date(2026, 1, 1)) == draft
    # The description kept at the close still shows the change.
    assert "cash share of patronage: 30 % → 40 %" in proposal.enactment_description
    assert AuditRecord.objects.filter(action="policy.enacted",
                                      facts__proposal=proposal.pk).exists()


@pytest.mark.parametrize("ending", ["rejected", "no_quorum", "cancelled"])
def test_otherwise_nothing_changes(two_classes, policy_category, ending):
    first = make_policy()
    draft = make_policy(cash_bp=4000)
    voters = active_members(5, slug="workers")
    proposal = proposing(policy_category, draft)
    governance.proposal_open(actor=TEST_JOB, proposal=proposal)
    if ending == "rejected":
        cast_all(proposal, voters, choice="no")
        proposal = close_at_deadline(proposal)
    elif ending == "no_quorum":
        proposal = close_at_deadline(proposal)
    else:
        governance.proposal_cancel(actor=StaffFactory(), proposal=proposal,
                                   reason="The figures were wrong.")
        proposal.refresh_from_db()
    assert proposal.enactment_status == Proposal.Enactment.NOT_ENACTED
    draft.refresh_from_db()
    assert draft.status == S.DRAFT and draft.enacted_at is None
    assert selectors.policy_in_force(date(2026, 1, 1)) == first


def test_staff_cannot_put_a_draft_in_force(two_classes):
    make_policy()
    draft = make_policy(cash_bp=4000)
    with pytest.raises(Conflict, match="passed policy proposal"):
        services.policy_enact(policy_id=draft.pk, proposal=None, actor=StaffFactory())
    draft.refresh_from_db()
    assert draft.status == S.DRAFT
    # Nor through the API: a POST only ever creates a draft.
    staff = StaffFactory()
    response = client_for(staff).post("/api/v1/allocation-policies/", {
        **policy_fields(effective_from=str(date.today() - timedelta(days=1)))}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "draft"


def test_api_md_shape_a_complete_version_inline_is_drafted_and_put_in_force_when_it_passes(
        two_classes, policy_category):
    """API.md's `enacts: {kind: "allocation_policy", policy: {…fields, effective_from}}`: the
    figures are checked at creation (nothing written), shown against the version in force, and
    become a new version in force at the close of a passed proposal."""
    first = make_policy()
    inline = {**policy_fields(cash_bp=4000), "effective_from": "2025-01-01"}
    with pytest.raises(InvalidInput, match="not valid"):
        new_proposal(category=policy_category, threshold="2/3", hours=200,
                     enacts={"kind": "allocation_policy", "policy": {**inline, "cash_bp": 1000}})
    assert AllocationPolicy.objects.count() == 1 and not Proposal.objects.exists()
    voters = active_members(3, slug="workers")
    proposal = new_proposal(category=policy_category, threshold="2/3", hours=200,
                            enacts={"kind": "allocation_policy", "policy": inline})
    assert "cash share of patronage: 30 % → 40 %" in enactments.enactment_of(
        proposal)["description"]
    assert AllocationPolicy.objects.count() == 1  # nothing drafted before the vote
    governance.proposal_open(actor=TEST_JOB, proposal=proposal)
    cast_all(proposal, voters, choice="yes")
    proposal = close_at_deadline(proposal)
    assert proposal.enactment_status == Proposal.Enactment.ENACTED
    version = AllocationPolicy.objects.get(enacted_by_proposal=proposal)
    assert (version.version, version.status, version.cash_bp) == (2, S.IN_FORCE, 4000)
    first.refresh_from_db()
    assert first.status == S.SUPERSEDED


def test_a_run_approval_takes_api_md_s_run_field_too(two_classes, policy_category):
    kind = enactments.get_kind("dividend_run_approval")
    with pytest.raises(InvalidInput, match="No dividend run has id 999"):
        kind.validate({"run": 999})
    with pytest.raises(InvalidInput, match="Give run"):
        kind.validate({"run": "x"})
