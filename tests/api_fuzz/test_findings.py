"""What the schema fuzzer (test_schemathesis.py) found, each as a worked example: input the
schema does not allow is refused with a 400 problem+json and changes nothing, and every
answer is one the schema documents."""

import pytest
from rest_framework.test import APIClient

from tests.governance.helpers import BASE, api_key, assert_problem, client_for
from tests.membership.factories import make_member

pytestmark = pytest.mark.django_db


# --- a present but empty filter is not in the enum -----------------------------------------

@pytest.mark.parametrize("path", ["members/", "applications/", "proposals/"])
def test_an_empty_status_filter_is_a_400(path):
    client = client_for(key=api_key("*"))
    assert client.get(f"{BASE}/{path}").status_code == 200
    assert_problem(client.get(f"{BASE}/{path}?status="), 400, "status")


# --- marking notifications read takes an object or nothing ------------------------------------

def _unread(client) -> int:
    rows = client.get(f"{BASE}/notifications/").json()["results"]
    return sum(row["read_at"] is None for row in rows)


@pytest.mark.parametrize("body", ["null", "[]", "1", '"all"'])
def test_marking_read_with_a_body_that_is_not_an_object_is_a_400(body):
    client = client_for(make_member().user)  # approved: a welcome notice, unread
    assert _unread(client) == 1

    response = client.post(f"{BASE}/notifications/read/", body, content_type="application/json")

    assert_problem(response, 400)
    assert _unread(client) == 1


def test_marking_read_without_a_body_marks_all():
    client = APIClient()
    client.force_login(make_member().user)
    assert client.post(f"{BASE}/notifications/read/").status_code == 200
    assert _unread(client) == 0


# --- empty pagination parameters are not integers --------------------------------------------

@pytest.mark.parametrize("query", ["page=", "page_size=", "page=&page_size=4"])
def test_an_empty_page_or_page_size_is_a_400(query):
    member = make_member()
    client = client_for(member.user)
    assert client.get(f"{BASE}/notifications/?page=1&page_size=4").status_code == 200
    assert_problem(client.get(f"{BASE}/notifications/?{query}"), 400)


# --- a JSON body's values have the schema's types -------------------------------------------

CLASS = {"slug": "editors", "name": "Editors", "share_price_minor": 5000, "min_shares": 1,
         "max_shares": 3, "vote_weight": 1, "patronage_measure": "hours",
         "description": "They edit."}


@pytest.mark.parametrize(("field", "value"), [
    ("description", 0), ("name", 1.5), ("slug", 7), ("min_shares", "1"), ("max_shares", 3.0),
    ("vote_weight", True),
])
def test_a_class_with_a_value_of_the_wrong_json_type_is_a_400(field, value):
    from membership.models import StakeholderClass

    client = client_for(key=api_key("members:write"))
    response = client.post(f"{BASE}/classes/", {**CLASS, field: value}, format="json")
    assert_problem(response, 400, field)
    assert not StakeholderClass.objects.filter(slug="editors").exists()
    assert client.post(f"{BASE}/classes/", CLASS, format="json").status_code == 201


@pytest.mark.parametrize(("field", "value"), [
    ("title", 12), ("body", ["a"]), ("secret", "true"), ("draft", 0), ("seats", "1"),
    ("quorum_percent", 10.0), ("options", [1, 2]),
])
def test_a_proposal_with_a_value_of_the_wrong_json_type_is_a_400(field, value):
    from datetime import timedelta

    from django.utils import timezone

    from governance.models import Proposal

    proposal = {"title": "Paint the shop", "body": "Green.", "method": "yes_no",
                "closes_at": (timezone.now() + timedelta(days=30)).isoformat()}
    client = client_for(key=api_key("governance:write"))
    response = client.post(f"{BASE}/proposals/", {**proposal, field: value}, format="json")
    assert_problem(response, 400, field)
    assert not Proposal.objects.exists()


def test_a_form_body_keeps_its_text_conversions():
    """Forms carry only text: "1" is the integer 1 there, as before."""
    from membership.models import Application
    from tests.membership.factories import StakeholderClassFactory, UserFactory

    klass = StakeholderClassFactory(slug="makers")
    client = client_for(UserFactory())
    response = client.post(f"{BASE}/applications/",
                           {"stakeholder_class": "makers", "shares": str(klass.min_shares)},
                           format="multipart")
    assert response.status_code == 201, response.content
    assert Application.objects.get().shares == klass.min_shares


# --- every operation with a body documents 415 -----------------------------------------------

def test_an_unsupported_content_type_is_a_documented_415():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    with_body = [op for ops in schema["paths"].values() for op in ops.values()
                 if isinstance(op, dict) and "requestBody" in op]
    assert with_body and all("415" in op["responses"] for op in with_body)
    response = client_for(key=api_key("*")).post(
        f"{BASE}/classes/", "slug=x", content_type="text/plain")
    assert_problem(response, 415)


def test_text_longer_than_its_max_length_as_sent_is_a_400():
    """DRF trims whitespace before counting; the schema's maxLength counts what was sent."""
    from membership.models import Member

    member = make_member(paid=True)
    client = client_for(key=api_key("members:write"))
    url = f"{BASE}/members/{member.member_number}/exit/"
    response = client.post(url, {"reason": "\r" + "*" * 2000}, format="json")
    assert_problem(response, 400, "reason")
    member.refresh_from_db()
    assert member.status != Member.Status.EXITED
    assert client.post(url, {"reason": "*" * 2000}, format="json").status_code == 200


# --- the ledger's, patronage's and vitality's inputs are strict too ---------------------------

MONEY_IN = {"amount_minor": 100, "date": "2025-03-01", "description": "Licences"}


@pytest.mark.parametrize(("path", "field", "value"), [
    ("revenue/", "description", 0),
    ("expenses/", "description", 0),
    ("expenses/", "description", ["Rent"]),
    ("commons-spend/", "proposal", "1"),
    ("loss-cover/", "description", 1.5),
])
def test_money_with_a_value_of_the_wrong_json_type_is_a_400(path, field, value):
    from ledger.models import JournalEntry

    body = {**MONEY_IN, "category": "operations", "proposal": 1, field: value}
    response = client_for(key=api_key("ledger:write")).post(
        f"{BASE}/ledger/{path}", body, format="json")
    assert_problem(response, 400, field)
    assert not JournalEntry.objects.exists()


def test_revenue_with_a_text_description_is_still_recorded():
    from ledger.models import JournalEntry
    from tests.patronage.factories import ensure_accounts

    ensure_accounts()
    response = client_for(key=api_key("ledger:write")).post(
        f"{BASE}/ledger/revenue/", MONEY_IN, format="json")
    assert response.status_code == 201, response.content
    assert JournalEntry.objects.get().description == "Licences"


@pytest.mark.parametrize(("field", "value"), [
    ("external_id", 0), ("external_id", True), ("member_number", 1.0), ("quantity", 12),
])
def test_a_contribution_with_a_value_of_the_wrong_json_type_is_a_400(field, value):
    from patronage.models import Contribution
    from tests.governance.helpers import active_members

    member = active_members(1)[0]
    body = {"member_number": member.member_number, "date": "2026-03-02", "quantity": "1",
            "external_id": "shift-1"}
    client = client_for(key=api_key("ledger:write"))
    assert_problem(client.post(f"{BASE}/contributions/", {**body, field: value}, format="json"),
                   400, field)
    assert not Contribution.objects.exists()
    assert client.post(f"{BASE}/contributions/", body, format="json").status_code == 201


def test_a_payout_account_with_a_number_for_its_iban_is_a_400():
    from patronage.models import PayoutAccount

    member = make_member(paid=True)
    response = client_for(member.user).put(
        f"{BASE}/members/{member.member_number}/payout-account/", {"iban": 0}, format="json")
    assert_problem(response, 400, "iban")
    assert not PayoutAccount.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"score": 3, "comment": 0}, "comment"), ({"score": "3"}, "score"), ({"score": 3.0}, "score"),
    ({"score": True}, "score"),
])
def test_a_pulse_answer_with_a_value_of_the_wrong_json_type_is_a_400(body, field):
    """The fuzzer's case: `{"score": 1, "comment": 0}` was stored with the comment "0"."""
    from datetime import date

    from tests.membership.factories import UserFactory
    from tests.vitality import factories as vitality
    from vitality.models import PulseAnswer

    member = vitality.member(vitality.klass("workers"), date(2026, 1, 5), user=UserFactory())
    client = client_for(member.user)
    assert_problem(client.post(f"{BASE}/surveys/pulse/", body, format="json"), 400, field)
    assert not PulseAnswer.objects.exists()
    answered = client.post(f"{BASE}/surveys/pulse/", {"score": 3, "comment": "0"}, format="json")
    assert answered.status_code == 201 and answered.json()["comment"] == "0"


# --- the trial balance's empty date is not "everything posted" -------------------------------

def test_an_empty_trial_balance_date_is_a_400():
    client = client_for(key=api_key("ledger:read"))
    assert client.get(f"{BASE}/ledger/trial-balance/").status_code == 200
    assert client.get(f"{BASE}/ledger/trial-balance/?date=2026-01-01").status_code == 200
    assert_problem(client.get(f"{BASE}/ledger/trial-balance/?date="), 400, "date")


# --- a member's statements are a page, like every list ----------------------------------------

def test_a_members_statements_are_paginated():
    """The fuzzer's id hook read `results` from the list (API.md: "Lists are paginated"); the
    statements answered a bare list."""
    member = make_member(paid=True)
    client = client_for(member.user)
    url = f"{BASE}/members/{member.member_number}/statements/"
    assert client.get(url).json() == {"next": None, "previous": None, "results": []}
    assert client.get(f"{url}?page=1&page_size=1").status_code == 200
    assert_problem(client.get(f"{url}?page_size="), 400, "page_size")
