"""Issue #8 item 9: while the database is unreachable the API answers 503 problem+json with
Retry-After and the pages a friendly 503 page, instead of a 500 HTML error.

No mocks: the connection really fails, either pointed at a closed port or with its PostgreSQL
backend terminated (what a restart of PostgreSQL does to open connections)."""

import socket

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.test import Client
from rest_framework.test import APIClient

from coop.models import PartnerApiKey
from membership.models import StakeholderClass
from tests.membership.factories import StaffFactory, make_member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROBLEM = "application/problem+json"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def database_down():
    """Returns a function after which every (re)connection is refused: PostgreSQL is 'down'.
    Tests set up their data first, then call it."""
    connection = connections[DEFAULT_DB_ALIAS]
    saved = connection.settings_dict["HOST"], connection.settings_dict["PORT"]

    def go_down():
        connection.close()
        connection.settings_dict["HOST"], connection.settings_dict["PORT"] = (
            "127.0.0.1", _closed_port())

    yield go_down
    connection.close()
    connection.settings_dict["HOST"], connection.settings_dict["PORT"] = saved


@pytest.fixture
def terminate_backend():
    """Returns a function that kills the test connection's server process from outside, as a
    PostgreSQL restart does; the connection finds out at its next query."""
    connection = connections[DEFAULT_DB_ALIAS]

    def terminate():
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])

    yield terminate
    connection.close()


def assert_503_problem(response) -> dict:
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["status"] == 503 and body["title"] and body["detail"]
    return body


def test_the_api_answers_503_problem_with_retry_after_while_the_database_is_down(
        database_down):
    client = APIClient()
    client.force_login(StaffFactory())
    database_down()

    assert_503_problem(client.get("/api/v1/members/"))


def test_a_key_call_that_would_write_answers_503(database_down):
    _, raw = PartnerApiKey.objects.create_key(name="partner", scopes=["*"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    database_down()

    response = client.post("/api/v1/classes/", {"slug": "bakers", "name": "Bakers",
                                                "share_price_minor": 100,
                                                "patronage_measure": "loaves"}, format="json")

    assert_503_problem(response)


def test_a_page_answers_a_friendly_503_page(database_down):
    client = Client()
    client.force_login(make_member().user)
    database_down()

    response = client.get("/governance/")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")
    assert b"Back in a moment" in response.content
    assert b"Traceback" not in response.content


def test_an_outage_first_met_in_a_middleware_is_a_503_too(database_down, settings):
    # The admin's two-factor middleware reads the user before any view: handler500 sees the
    # outage there.
    settings.ADMIN_REQUIRE_2FA = True
    client = Client(raise_request_exception=False)
    client.force_login(StaffFactory())
    database_down()

    response = client.get("/admin/")

    assert response.status_code == 503
    assert b"Back in a moment" in response.content


def test_allauth_headless_answers_503_in_its_own_format(database_down):
    database_down()
    response = APIClient().post("/_allauth/app/v1/auth/login",
                                {"email": "a@example.org", "password": "x"}, format="json")

    assert response.status_code == 503
    assert response.json()["status"] == 503
    assert int(response["Retry-After"]) > 0


def test_a_terminated_backend_mid_session_is_a_503_and_the_next_request_recovers(
        terminate_backend):
    member = make_member()
    staff = StaffFactory()
    client = APIClient()
    client.force_login(staff)
    assert client.get(f"/api/v1/members/{member.member_number}/").status_code == 200

    terminate_backend()
    response = client.get(f"/api/v1/members/{member.member_number}/")

    assert_503_problem(response)
    close_old_connections()  # what Django does at the end of every request
    assert client.get(f"/api/v1/members/{member.member_number}/").status_code == 200
    assert not StakeholderClass.objects.filter(slug="bakers").exists()
