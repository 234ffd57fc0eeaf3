"""The patronage API's real responses validate against the generated OpenAPI schema."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from membership.models import Member
from tests.api_schema import assert_conforms
from tests.governance.helpers import api_key, client_for
from tests.membership.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
V = "/api/v1"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_patronage_response_conforms(schema, cooperative,
                                          django_capture_on_commit_callbacks):
    period, members = cooperative
    writer = client_for(key=api_key("ledger:write"))
    body = {"member_number": 1, "date": "2026-03-02", "quantity": "2", "external_id": "s1"}
    for status in (201, 200):
        response = writer.post(f"{V}/contributions/", body, format="json")
        assert response.status_code == status
        assert_conforms(schema, f"{V}/contributions/", "post", response)
    reader = client_for(key=api_key("ledger:read"))
    assert_conforms(schema, f"{V}/allocation-policies/", "get",
                    reader.get(f"{V}/allocation-policies/"))
    policy_id = reader.get(f"{V}/allocation-policies/").json()["results"][0]["id"]
    assert_conforms(schema, f"{V}/allocation-policies/{{id}}/", "get",
                    reader.get(f"{V}/allocation-policies/{policy_id}/"))
    with django_capture_on_commit_callbacks(execute=True):
        started = writer.post(f"{V}/dividend-runs/", {"period": period.pk}, format="json")
    assert_conforms(schema, f"{V}/dividend-runs/", "post", started)
    run_id = started.json()["id"]
    assert_conforms(schema, f"{V}/dividend-runs/{{id}}/", "get",
                    reader.get(f"{V}/dividend-runs/{run_id}/"))
    assert_conforms(schema, f"{V}/dividend-runs/{{id}}/allocations/", "get",
                    reader.get(f"{V}/dividend-runs/{run_id}/allocations/"))
    assert_conforms(schema, f"{V}/dividend-runs/{{id}}/approve/", "post",
                    writer.post(f"{V}/dividend-runs/{run_id}/approve/"))
    assert_conforms(schema, f"{V}/dividend-runs/{{id}}/approve/", "post",
                    writer.post(f"{V}/dividend-runs/{run_id}/approve/"))  # 409
    path = f"{V}/members/{{member_number}}/statements/"
    assert_conforms(schema, path, "get", reader.get(f"{V}/members/1/statements/"))
    assert_conforms(schema, path + "{period}/", "get",
                    reader.get(f"{V}/members/1/statements/{period.pk}/"))
    owner = UserFactory()
    Member.objects.filter(pk=members[1].pk).update(user=owner)
    account = f"{V}/members/{{member_number}}/payout-account/"
    assert_conforms(schema, account, "put", client_for(owner).put(
        f"{V}/members/1/payout-account/", {"iban": "DE89370400440532013000"}, format="json"))
    assert_conforms(schema, account, "get",
                    client_for(StaffFactory()).get(f"{V}/members/1/payout-account/"))
