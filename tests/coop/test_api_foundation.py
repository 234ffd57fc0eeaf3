"""The API's foundations: problem+json errors, throttling, partner keys, app session tokens."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from coop.models import PartnerApiKey
from tests.membership.factories import StaffFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
MEMBERS = "/api/v1/members/"


def key_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    return body


# --- problem+json -------------------------------------------------------------------------

def test_401_is_a_problem_with_a_challenge():
    response = APIClient().get(MEMBERS)

    body = assert_problem(response, 401)
    assert body["title"] == "Not authenticated"
    assert response["WWW-Authenticate"] == "Api-Key"


def test_403_is_a_problem():
    _, raw = PartnerApiKey.objects.create_key(name="ledger only", scopes=["ledger:read"])

    assert_problem(key_client(raw).get(MEMBERS), 403)


def test_404_is_a_problem():
    client = APIClient()
    client.force_login(StaffFactory())

    body = assert_problem(client.get(f"{MEMBERS}424242/"), 404)
    assert body["title"] == "Not found"


def test_405_is_a_problem():
    client = APIClient()
    client.force_login(StaffFactory())

    body = assert_problem(client.delete("/api/v1/classes/"), 405)
    assert "DELETE" in body["detail"]


def test_400_is_a_problem_with_field_errors():
    make_member()
    client = APIClient()
    client.force_login(StaffFactory())

    body = assert_problem(client.post("/api/v1/members/1/share-payments/",
                                      {"amount_minor": "ten"}, format="json"), 400)
    assert set(body["errors"]) == {"amount_minor", "paid_on"}


def test_coop_endpoint_for_anyone_signed_in():
    client = APIClient()
    client.force_login(UserFactory())

    response = client.get("/api/v1/coop/")

    assert response.status_code == 200
    assert response.json().keys() == {"name", "currency", "quorum_percent", "fiscal_year_start"}
    assert_problem(APIClient().get("/api/v1/coop/"), 401)


# --- throttling ---------------------------------------------------------------------------

@pytest.fixture
def low_rates(settings, monkeypatch):
    rates = {"anon": "2/minute", "user": "3/minute"}
    # A private in-memory cache: the default file (or Redis) cache is shared with every other
    # test process on the machine, and their cache.clear() would reset the budget mid-test.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "throttle-tests"}}
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {"DEFAULT_THROTTLE_RATES": rates}
    # DRF binds THROTTLE_RATES on the class when it is imported, so changing the setting alone
    # does not reach the throttles that already exist.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()  # the throttles' history lives in the cache
    yield rates
    cache.clear()


def test_a_key_is_throttled_with_a_429_problem(low_rates):
    make_member()
    _, raw = PartnerApiKey.objects.create_key(name="busy", scopes=["members:read"])
    _, other = PartnerApiKey.objects.create_key(name="quiet", scopes=["members:read"])
    client = key_client(raw)

    statuses = [client.get(MEMBERS).status_code for _ in range(3)]
    throttled = client.get(MEMBERS)

    assert statuses == [200, 200, 200]
    body = assert_problem(throttled, 429)
    assert body["title"] == "Too many requests"
    assert int(throttled["Retry-After"]) > 0
    # each key has its own budget
    assert key_client(other).get(MEMBERS).status_code == 200


def test_anonymous_callers_are_throttled_where_they_are_let_in(low_rates):
    # DRF checks permissions before throttles: anonymous calls to protected endpoints end in
    # 401 first, so the anonymous budget shows on the one public endpoint, the schema.
    client = APIClient()

    statuses = [client.get("/api/v1/schema/", {"format": "json"}).status_code for _ in range(2)]

    assert statuses == [200, 200]
    assert_problem(client.get("/api/v1/schema/", {"format": "json"}), 429)


def test_signed_in_people_are_throttled_per_person(low_rates):
    first, second = APIClient(), APIClient()
    first.force_login(UserFactory())
    second.force_login(UserFactory())

    for _ in range(3):
        assert first.get(MEMBERS).status_code == 200

    assert_problem(first.get(MEMBERS), 429)
    assert second.get(MEMBERS).status_code == 200


# --- partner API keys ---------------------------------------------------------------------

def test_a_valid_key_authenticates():
    member = make_member()
    _, raw = PartnerApiKey.objects.create_key(name="federation", scopes=["members:read"])

    response = key_client(raw).get(MEMBERS)

    assert response.status_code == 200
    assert [m["member_number"] for m in response.json()["results"]] == [member.member_number]


def test_the_wildcard_scope_grants_everything():
    make_member()
    _, raw = PartnerApiKey.objects.create_key(name="all", scopes=["*"])

    assert key_client(raw).get(MEMBERS).status_code == 200


@pytest.mark.parametrize("header", [
    "Api-Key not-a-key",
    "Api-Key abcdefgh.0123456789abcdef0123456789abcdef",
    "Api-Key ",
])
def test_an_unknown_key_is_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    body = assert_problem(client.get(MEMBERS), 401)
    assert "Unknown or revoked" in body["detail"] or header.strip() == "Api-Key"


def test_a_known_key_with_a_wrong_secret_is_401():
    _, raw = PartnerApiKey.objects.create_key(name="real", scopes=["members:read"])
    prefix = raw.split(".")[0]

    assert_problem(key_client(f"{prefix}.{'x' * 32}").get(MEMBERS), 401)


def test_a_revoked_key_is_401():
    key, raw = PartnerApiKey.objects.create_key(name="old", scopes=["members:read"])
    assert key_client(raw).get(MEMBERS).status_code == 200
    key.revoked = True
    key.save()

    assert_problem(key_client(raw).get(MEMBERS), 401)


def test_an_expired_key_is_401():
    _, raw = PartnerApiKey.objects.create_key(
        name="last year", scopes=["members:read"], expiry_date=timezone.now() - timedelta(days=1))

    assert_problem(key_client(raw).get(MEMBERS), 401)


def test_create_api_key_prints_the_key_once_and_stores_only_a_hash():
    out = StringIO()

    call_command("create_api_key", "--name", "Accountant", "--scope", "members:read",
                 "--scope", "ledger:read", "--scope", "members:read", stdout=out)

    printed = out.getvalue().strip()
    assert "\n" not in printed
    key = PartnerApiKey.objects.get(name="Accountant")
    assert key.scopes == ["ledger:read", "members:read"]
    assert printed.startswith(key.prefix + ".")
    stored = [str(value) for value in PartnerApiKey.objects.filter(pk=key.pk).values().get()
              .values()]
    secret = printed.split(".", 1)[1]
    assert not any(secret in value for value in stored)
    assert key.is_valid(printed)
    assert key_client(printed).get(MEMBERS).status_code == 200


def test_create_api_key_refuses_an_unknown_scope():
    with pytest.raises(CommandError):
        call_command("create_api_key", "--name", "x", "--scope", "members:everything",
                     stdout=StringIO())
    assert not PartnerApiKey.objects.exists()


# --- allauth headless app sessions --------------------------------------------------------

def test_x_session_token_from_the_app_login_reaches_the_members_api():
    member = make_member()
    login = APIClient().post("/_allauth/app/v1/auth/login",
                             {"email": member.user.email, "password": "correct horse battery"},
                             format="json")
    assert login.status_code == 200, login.content
    token = login.json()["meta"]["session_token"]

    app = APIClient()
    mine = app.get(MEMBERS, HTTP_X_SESSION_TOKEN=token)
    detail = app.get(f"{MEMBERS}{member.member_number}/", HTTP_X_SESSION_TOKEN=token)

    assert mine.status_code == 200
    assert [m["member_number"] for m in mine.json()["results"]] == [member.member_number]
    assert detail.json()["member_number"] == member.member_number


def test_an_app_session_reads_the_member_with_the_user_in_one_query(
        django_assert_num_queries):
    # allauth signs in with its own backend class (and the session remembers it): ours must
    # be that class, or every request would read the member in a query of its own.
    member = make_member()
    login = APIClient().post("/_allauth/app/v1/auth/login",
                             {"email": member.user.email, "password": "correct horse battery"},
                             format="json")
    token = login.json()["meta"]["session_token"]
    app = APIClient()
    app.get(MEMBERS, HTTP_X_SESSION_TOKEN=token)

    # the user with their member row (the session comes from the cache), the page of members
    with django_assert_num_queries(2) as queries:
        mine = app.get(MEMBERS, HTTP_X_SESSION_TOKEN=token)

    assert mine.json()["results"][0]["member_number"] == member.member_number
    assert "membership_member" in queries.captured_queries[0]["sql"]


def test_a_bogus_session_token_is_401():
    assert_problem(APIClient().get(MEMBERS, HTTP_X_SESSION_TOKEN="nonsense"), 401)
