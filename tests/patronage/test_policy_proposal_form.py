"""Proposing a policy change from the browser (issue #9, RULES §6): the proposal form's "What
this proposal enacts" offers the draft policy versions with their difference from the one in
force and the computed runs, for the policy category only, and checks the choice as the API's
`enacts` is checked."""

import re
from datetime import date

import pytest
from django.urls import reverse

from coop.models import AuditRecord, Cooperative
from coop.money import format_minor
from governance import enactments
from governance.forms import default_closes_at
from governance.models import Category, Proposal
from patronage.models import AllocationPolicy
from tests.governance.helpers import active_members
from tests.patronage.factories import classes, make_policy
from tests.patronage.test_runs import computed

pytestmark = pytest.mark.django_db

NEW = "/governance/proposals/new/"
FIELD = "%Y-%m-%dT%H:%M"


@pytest.fixture
def drafted(policy_category):
    """The version in force (cash 30 %) and a draft that raises the cash share to 40 %."""
    classes("workers", "users")
    in_force = make_policy(effective_from=date(2024, 1, 1))
    draft = make_policy(effective_from=date(2025, 1, 1), cash_bp=4000)
    return in_force, draft


def choice(policy: AllocationPolicy) -> str:
    return enactments.form_value("allocation_policy", {"policy_id": policy.pk})


def options_of(html: str) -> dict[str, str]:
    """The enactment select's options: label by value (unescaped)."""
    select = re.search(r'<select name="enacts".*?</select>', html, re.S).group(0)
    return {value.replace("&quot;", '"'): label.strip()
            for value, label in re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>',
                                           select, re.S)}


def propose(client, category: Category, enacts: str, **more):
    member = active_members(1, slug="workers")[0]
    client.force_login(member.user)
    data = {"title": "Raise the cash share", "body": "Pay out more in cash.",
            "category": category.pk, "method": "yes_no", "tally_mode": "member",
            "threshold": "", "quorum_percent": "", "class_quorum_percent": "", "options": "",
            "seats": "", "opens_at": "",
            "closes_at": default_closes_at(category).strftime(FIELD), "save": "discussion",
            "enacts": enacts, **more}
    return client.post(NEW, data)


def test_a_member_proposes_a_draft_policy_from_the_form(client, drafted, policy_category):
    in_force, draft = drafted
    member = active_members(1, slug="workers")[0]
    client.force_login(member.user)
    offered = options_of(client.get(NEW, {"category": "policy"}).content.decode())
    # The draft with its difference from the version in force; the version in force is not one.
    assert "cash share of patronage: 30 % → 40 %" in offered[choice(draft)]
    assert offered[choice(draft)].startswith("Allocation policy version 2")
    assert choice(in_force) not in offered
    assert offered[""].startswith("Nothing")

    response = propose(client, policy_category, choice(draft))
    assert response.status_code == 302, response.content.decode()
    proposal = Proposal.objects.get()
    assert (proposal.enactment_kind, proposal.enactment_payload) == (
        "allocation_policy", {"policy_id": draft.pk})
    detail = client.get(response["Location"]).content.decode()
    assert "cash share of patronage: 30 % → 40 %" in detail

    # Editing the text keeps the enactment.
    edit = reverse("governance:edit", args=[proposal.pk])
    page = client.get(edit).content.decode()
    assert 'name="enacts"' not in page
    closes = re.search(r'name="closes_at"[^>]*value="([^"]*)"', page).group(1)
    saved = client.post(edit, {"title": "Raise the cash share to 40 %", "body": proposal.body,
                               "opens_at": "", "closes_at": closes})
    assert saved.status_code == 302, saved.content.decode()
    proposal.refresh_from_db()
    assert proposal.title == "Raise the cash share to 40 %"
    assert proposal.enactment_payload == {"policy_id": draft.pk}


@pytest.mark.parametrize(("sent", "message"), [
    ("in force", "Version 1 is not a draft; propose a draft."),
    ("gone", "No allocation policy version has id"),
    ("not json", "Choose one of the listed changes, or nothing."),
    ('{"kind": "no_such_kind"}', "Unknown enactment kind 'no_such_kind'"),
])
def test_an_invalid_choice_is_shown_by_its_label_and_nothing_is_written(
        client, drafted, policy_category, sent, message):
    in_force, _ = drafted
    value = {"in force": choice(in_force),
             "gone": enactments.form_value("allocation_policy", {"policy_id": 999_999})
             }.get(sent, sent)
    response = propose(client, policy_category, value)
    assert response.status_code == 400
    html = response.content.decode()
    summary = re.search(r'id="error-summary".*?</div>', html, re.S).group(0)
    assert f"What this proposal enacts: {message}" in summary.replace("&#x27;", "'")
    assert 'href="#id_enacts"' in summary
    assert not Proposal.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="proposal.").exists()


def test_other_categories_never_show_or_accept_it(client, drafted):
    _, draft = drafted
    general = Category.objects.get(slug="general")
    member = active_members(1, slug="workers")[0]
    client.force_login(member.user)
    html = client.get(NEW).content.decode()
    # Only the policy category's option tells the script to show the select.
    for category in Category.objects.all():
        option = re.search(rf'<option value="{category.pk}"[^>]*>', html).group(0)
        assert ("data-enacts" in option) == (category.slug == "policy"), category.slug
    # Sent anyway (no script, the category changed after choosing): ignored, as the hidden
    # method section is.
    response = propose(client, general, choice(draft))
    assert response.status_code == 302, response.content.decode()
    proposal = Proposal.objects.get()
    assert proposal.enactment_status == Proposal.Enactment.NONE
    assert "cash share of patronage" not in client.get(response["Location"]).content.decode()


def test_the_computed_runs_are_offered_for_approval(
        cooperative, policy_category, django_capture_on_commit_callbacks):
    # The imported register's members have no login: the offer is read from the registry,
    # which the form's select lists (the posting path is the one tested above).
    period, _ = cooperative
    assert "Approval of a dividend run" not in dict(enactments.form_choices())
    run = computed(period, django_capture_on_commit_callbacks)
    value = enactments.form_value("dividend_run_approval", {"run_id": run.pk})
    [(offered, label)] = dict(enactments.form_choices())["Approval of a dividend run"]
    assert offered == value
    surplus = format_minor(1_000_000, Cooperative.current_currency())
    assert label == (f"Post dividend run {run.pk} for the period {run.period}: "
                     f"distributable surplus {surplus}")
    assert enactments.clean(enacts=enactments.from_form_value(value),
                            category_slug="policy") == ("dividend_run_approval",
                                                        {"run_id": run.pk})


def test_the_form_costs_one_query_per_draft_listed(client, drafted):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = active_members(1, slug="workers")[0]
    client.force_login(member.user)
    client.get(NEW)  # warm the per-process memos (currency, categories' site settings)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(NEW).status_code == 200
        return len(captured)

    one_draft = queries()
    make_policy(effective_from=date(2025, 1, 1), cash_bp=5000)
    assert queries() == one_draft + 1  # the version each draft is compared with
