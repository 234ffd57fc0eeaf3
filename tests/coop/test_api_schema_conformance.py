"""Real responses validated against the generated OpenAPI schema (issue #8, item 7): a client
generated from the schema must accept what the API answers, and a body or header the schema
allows must not be refused with a status the schema does not list."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from membership import services as membership_services
from membership.models import Application
from tests.api_schema import assert_conforms
from tests.governance.helpers import (
    BASE,
    active_members,
    api_key,
    assert_problem,
    client_for,
    voting,
)
from tests.membership.factories import (
    StaffFactory,
    StakeholderClassFactory,
    UserFactory,
    make_member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_a_proposal_without_outcome_or_implementation_status_conforms(schema):
    active_members(2)
    proposal = voting()  # outcome "" and implementation_status "" until it closes and passes
    assert proposal.outcome == "" and proposal.implementation_status == ""
    client = client_for(key=api_key("governance:read"))

    listed = client.get(f"{BASE}/proposals/")
    assert listed.status_code == 200 and listed.json()["results"][0]["outcome"] == ""
    assert_conforms(schema, "/api/v1/proposals/", "get", listed)

    detail = client.get(f"{BASE}/proposals/{proposal.pk}/")
    assert detail.json()["outcome"] == "" and detail.json()["implementation_status"] == ""
    assert_conforms(schema, "/api/v1/proposals/{id}/", "get", detail)


def test_a_payment_that_is_not_a_reversal_conforms(schema):
    member = make_member(paid=True)
    client = client_for(StaffFactory())
    path = "/api/v1/members/{member_number}/share-payments/"
    response = client.get(f"{BASE}/members/{member.member_number}/share-payments/")
    assert response.status_code == 200
    assert response.json()["results"][0]["reverses"] is None
    assert_conforms(schema, path, "get", response)


def test_an_application_without_referrer_conforms(schema):
    klass = StakeholderClassFactory()
    user = UserFactory()
    membership_services.application_submit(stakeholder_class=klass, shares=klass.min_shares,
                                           name="Ada", email=user.email, user=user)
    response = client_for(StaffFactory()).get(f"{BASE}/applications/")
    assert response.status_code == 200
    assert response.json()["results"][0]["referred_by"] is None
    assert_conforms(schema, "/api/v1/applications/", "get", response)


def test_the_idempotency_key_header_has_the_bounds_the_server_enforces(schema):
    approve = schema["paths"]["/api/v1/applications/{id}/approve/"]["post"]
    header, = [p for p in approve["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["schema"]["minLength"] == 1 and header["schema"]["maxLength"] == 200
    # Every operation taking the key documents the 400 (bad key) and the 409 (reused key).
    for operations in schema["paths"].values():
        for operation in operations.values():
            if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
                assert {"400", "409"} <= set(operation["responses"]), operation["operationId"]


@pytest.mark.parametrize("key", ["", " ", "k" * 201])
def test_a_key_outside_the_bounds_is_a_documented_400_on_approve(schema, key):
    klass = StakeholderClassFactory()
    user = UserFactory()
    application = membership_services.application_submit(
        stakeholder_class=klass, shares=klass.min_shares, name="Ada", email=user.email,
        user=user)
    response = client_for(StaffFactory()).post(
        f"{BASE}/applications/{application.pk}/approve/", HTTP_IDEMPOTENCY_KEY=key)
    assert_problem(response, 400)
    assert_conforms(schema, "/api/v1/applications/{id}/approve/", "post", response)
    application.refresh_from_db()
    assert application.status == Application.Status.PENDING


def test_approving_twice_is_a_documented_409(schema):
    member = make_member()
    application = Application.objects.get(user=member.user)
    response = client_for(StaffFactory()).post(f"{BASE}/applications/{application.pk}/approve/")
    assert_problem(response, 409)
    assert_conforms(schema, "/api/v1/applications/{id}/approve/", "post", response)


def test_opening_too_late_for_the_category_is_a_documented_400(schema):
    from datetime import timedelta

    from django.utils import timezone

    from governance.models import Proposal
    from tests.governance.helpers import proposal as make_proposal

    active_members(2)
    draft = make_proposal()
    # Time passed since it was written: too little is left for the category's voting period.
    Proposal.objects.filter(pk=draft.pk).update(closes_at=timezone.now() + timedelta(minutes=5))
    response = client_for(key=api_key("governance:write")).post(
        f"{BASE}/proposals/{draft.pk}/open/")
    assert_problem(response, 400, "closes_at")
    assert_conforms(schema, "/api/v1/proposals/{id}/open/", "post", response)
