"""Issue #8 item 2: bad input answers 400/404/413 problem+json, never a 500 or an HTML page.
Each case here answered 500 (or HTML, or silently page 1) before the guards."""

import json

import pytest
from rest_framework.test import APIClient

from coop.parsers import json_depth_exceeds, json_has_nul
from membership.models import StakeholderClass
from tests.membership.factories import StaffFactory, StakeholderClassFactory, make_member

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
CLASSES = "/api/v1/classes/"
MEMBERS = "/api/v1/members/"
PROPOSALS = "/api/v1/proposals/"
LOGIN = "/_allauth/app/v1/auth/login"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    return body


@pytest.fixture
def staff_client():
    client = APIClient()
    client.force_login(StaffFactory())
    return client


def a_class(**overrides) -> dict:
    return {"slug": "bakers", "name": "Bakers", "share_price_minor": 5000,
            "patronage_measure": "loaves", **overrides}


def post_json(client, path, raw: str | bytes, **extra):
    return client.generic("POST", path, raw, content_type="application/json", **extra)


# --- NUL characters -------------------------------------------------------------------------

def test_a_nul_in_a_filter_is_a_400(staff_client):
    make_member()

    body = assert_problem(staff_client.get(MEMBERS + "?stakeholder_class=%00"), 400)
    assert "NUL" in body["detail"]


def test_a_nul_in_a_slug_of_the_body_is_a_400(staff_client):
    response = post_json(staff_client, PROPOSALS,
                         json.dumps({"title": "Bread", "body": "More bread",
                                     "category": "a\u0000"}))

    assert_problem(response, 400)


def test_a_nul_in_a_members_api_body_is_a_400(staff_client):
    assert_problem(post_json(staff_client, CLASSES, json.dumps(a_class(slug="a\u0000b"))), 400)
    assert not StakeholderClass.objects.filter(name="Bakers").exists()


def test_a_nul_in_a_form_encoded_slug_is_a_400():
    # Form bodies are not scanned for NUL: the lookup reaches the database, whose refusal
    # (DataError on PostgreSQL) the exception handler answers as bad input.
    StakeholderClassFactory()
    client = APIClient()
    client.force_login(StaffFactory(is_staff=False))

    response = client.post("/api/v1/applications/", "stakeholder_class=a%00b&shares=1",
                           content_type="application/x-www-form-urlencoded")

    assert_problem(response, 400)


def test_an_escaped_backslash_before_u0000_is_not_a_nul():
    assert json_has_nul(b'{"a": "\\u0000"}')
    assert not json_has_nul(b'{"a": "\\\\u0000"}')  # a backslash, then the text u0000
    assert json_has_nul(b'{"a": "\\\\\\u0000"}')


# --- integers past their column ---------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("vote_weight", 2**31), ("min_shares", 2**31), ("max_shares", 2**31),
    ("share_price_minor", 2**63), ("share_price_minor", 10**30),
])
def test_an_integer_past_its_column_is_a_400_naming_the_field(staff_client, field, value):
    response = post_json(staff_client, CLASSES, json.dumps(a_class(**{field: value})))

    assert field in assert_problem(response, 400)["errors"]
    assert not StakeholderClass.objects.filter(slug="bakers").exists()


def test_the_largest_values_the_columns_hold_are_accepted(staff_client):
    response = post_json(staff_client, CLASSES, json.dumps(a_class(
        share_price_minor=2**63 - 1, min_shares=1, max_shares=2**31 - 1, vote_weight=2**31 - 1)))

    assert response.status_code == 201, response.content
    assert StakeholderClass.objects.get(slug="bakers").vote_weight == 2**31 - 1


def test_a_payment_past_the_bigint_column_is_a_400(staff_client):
    member = make_member()
    response = post_json(staff_client, f"{MEMBERS}{member.member_number}/share-payments/",
                         json.dumps({"amount_minor": 2**63, "paid_on": "2026-01-05"}))

    assert_problem(response, 400)


def test_an_application_for_2_31_shares_is_a_400():
    klass = StakeholderClassFactory()
    client = APIClient()
    client.force_login(StaffFactory(is_staff=False))

    response = post_json(client, "/api/v1/applications/",
                         json.dumps({"stakeholder_class": klass.slug, "shares": 2**31}))

    assert "shares" in assert_problem(response, 400)["errors"]


# --- deep JSON ------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [3_000, 100_000])
def test_deeply_nested_json_on_the_api_is_a_400(staff_client, depth):
    body = "[" * depth + "]" * depth

    assert "deeper" in assert_problem(post_json(staff_client, CLASSES, body), 400)["detail"]


def test_deeply_nested_json_on_a_governance_endpoint_is_a_400(staff_client):
    # governance's views name DRF's own JSONParser: the middleware guards them all the same.
    body = '{"title": ' + "[" * 5_000 + "]" * 5_000 + "}"

    assert_problem(post_json(staff_client, PROPOSALS, body), 400)


@pytest.mark.parametrize("depth", [3_000, 100_000])
def test_deeply_nested_json_on_allauth_headless_login_is_a_400_in_allauths_format(depth):
    body = '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'

    response = post_json(APIClient(), LOGIN, body)

    assert response.status_code == 400, response.content[:300]
    assert response.json()["status"] == 400
    assert response.json()["errors"][0]["message"]


def test_nesting_up_to_the_limit_is_parsed(staff_client):
    # 64 levels are JSON the parser still reads: the serializer refuses the list as a name.
    body = json.dumps(a_class(name=json.loads("[" * 63 + "]" * 63)))

    body = assert_problem(post_json(staff_client, CLASSES, body), 400)
    assert "name" in body["errors"]


def test_brackets_inside_strings_do_not_count_as_depth():
    assert not json_depth_exceeds(json.dumps({"a": "[" * 10_000}).encode())
    # An unterminated string holds the rest of the body (invalid JSON the parser refuses).
    assert not json_depth_exceeds(b'"\\"' + b"[" * 100)
    assert json_depth_exceeds(b'"\\""' + b"[" * 100)


def test_a_pathological_body_is_scanned_in_linear_time():
    import time

    body = b'"' + b'\\"' * 1_000_000 + b"[" * 100
    started = time.monotonic()
    json_depth_exceeds(body)
    assert time.monotonic() - started < 2


# --- 404 and 400 anywhere under /api/ ----------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/v1/members/abc/", "/api/v1/proposals/1x/", "/api/v1/nothing-here/", "/api/v2/",
    "/api/",
])
def test_unknown_paths_and_non_integer_ids_are_404_problems(staff_client, path):
    assert_problem(staff_client.get(path), 404)


def test_an_unknown_path_is_a_404_problem_without_signing_in():
    assert_problem(APIClient().get("/api/v1/members/abc/"), 404)


def test_pages_keep_their_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- body too large -------------------------------------------------------------------------

def test_a_body_over_the_limit_is_a_413_problem(staff_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000

    response = post_json(staff_client, CLASSES, json.dumps(a_class(description="x" * 2_000)))

    assert_problem(response, 413)
    assert not StakeholderClass.objects.exists()


def test_a_body_over_the_limit_on_allauth_is_a_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000

    response = post_json(APIClient(), LOGIN, json.dumps({"email": "a" * 2_000,
                                                         "password": "x"}))

    assert response.status_code == 413
    assert response.json()["status"] == 413


# --- pagination -----------------------------------------------------------------------------

@pytest.mark.parametrize("query, field", [
    ("page=-5", "page"), ("page=0", "page"), ("page=abc", "page"), ("page=1.5", "page"),
    ("page=99999999999999999999", "page"), ("page_size=abc", "page_size"),
    ("page_size=0", "page_size"), ("page_size=-1", "page_size"),
])
def test_bad_pagination_is_a_400(staff_client, query, field):
    make_member()

    body = assert_problem(staff_client.get(f"{MEMBERS}?{query}"), 400)
    assert field in body["errors"]


def test_good_pagination_still_pages(staff_client):
    for _ in range(3):
        make_member()

    first = staff_client.get(f"{MEMBERS}?page_size=2")
    second = staff_client.get(f"{MEMBERS}?page_size=2&page=2")
    capped = staff_client.get(f"{MEMBERS}?page_size=100000")

    assert len(first.json()["results"]) == 2 and first.json()["next"]
    assert len(second.json()["results"]) == 1 and second.json()["previous"]
    assert len(capped.json()["results"]) == 3  # above the maximum: the maximum (DRF's rule)


# --- the schema documents them --------------------------------------------------------------

def test_the_schema_documents_503_413_and_the_guards_400():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    members_list = paths["/api/v1/members/"]["get"]["responses"]
    classes_create = paths["/api/v1/classes/"]["post"]["responses"]
    member = paths["/api/v1/members/{member_number}/"]["get"]["responses"]

    assert "Retry-After" in members_list["503"]["headers"]
    assert {"400", "503"} <= set(members_list)  # bad pagination
    assert {"400", "413", "503"} <= set(classes_create)
    assert "503" in member and "413" not in member
