"""Staff powers need the admin's second factor on every face (issue #8 item 3).

With ADMIN_REQUIRE_2FA (production) a staff account without TOTP was sent to set it up before
the admin, yet approved applications and recorded payments through the API (browser session or
allauth's headless app token) and closed or cancelled votes on the staff pages. Now one
predicate (coop.mfa.staff_may_act, read by membership.rules.is_staff and the API's IsStaffUser)
holds them all back until TOTP is set up; with TOTP the same actions work.
"""

from datetime import date

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse
from rest_framework.test import APIClient

from coop import mfa
from governance.models import Proposal
from membership import rules, services
from membership.models import Application, SharePayment
from tests.governance.helpers import voting
from tests.membership.factories import (
    ApplicationFactory,
    StaffFactory,
    UserFactory,
    make_member,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
PROBLEM = "application/problem+json"
APP_LOGIN = "/_allauth/app/v1/auth/login"
APP_2FA = "/_allauth/app/v1/auth/2fa/authenticate"


@pytest.fixture
def production(settings):
    settings.ADMIN_REQUIRE_2FA = True
    return settings


def _code(secret: str) -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def _approve(client, **headers):
    application = ApplicationFactory()
    response = client.post(f"/api/v1/applications/{application.pk}/approve/", **headers)
    application.refresh_from_db()
    return response, application


def _record_payment(client, **headers):
    member = make_member()
    response = client.post(
        f"/api/v1/members/{member.member_number}/share-payments/",
        {"amount_minor": 5000, "paid_on": date.today().isoformat(), "reference": "SEPA 1"},
        format="json", **headers)
    return response, SharePayment.objects.filter(member=member, reference="SEPA 1").exists()


def _assert_set_up_problem(response):
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == PROBLEM
    assert "set up two-factor authentication" in response.json()["detail"]


def _session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _app_token(user, secret: str | None = None) -> str:
    """An allauth headless app session token, signed in with the password (and the TOTP code
    when the account has one, as the app would)."""
    login = APIClient().post(APP_LOGIN, {"email": user.email, "password": PASSWORD},
                             format="json")
    token = login.json()["meta"]["session_token"]
    if secret is None:
        assert login.status_code == 200, login.content
        return token
    assert login.status_code == 401, login.content  # the second factor is pending
    done = APIClient().post(APP_2FA, {"code": _code(secret)}, format="json",
                            HTTP_X_SESSION_TOKEN=token)
    assert done.status_code == 200, done.content
    return done.json()["meta"].get("session_token", token)


# --- the predicate --------------------------------------------------------------------------

def test_staff_may_act_follows_the_setting_and_the_totp_authenticator(settings):
    staff, member_user = StaffFactory(), UserFactory()
    settings.ADMIN_REQUIRE_2FA = False
    assert mfa.staff_may_act(staff) and rules.is_staff(staff)
    assert not mfa.staff_may_act(member_user)

    settings.ADMIN_REQUIRE_2FA = True
    staff = type(staff).objects.get(pk=staff.pk)  # a fresh object: the answer is cached on it
    assert not mfa.staff_may_act(staff) and not rules.is_staff(staff)
    assert mfa.staff_lacks_second_factor(staff)
    assert not mfa.staff_lacks_second_factor(member_user)

    TOTP.activate(staff, generate_totp_secret())
    staff = type(staff).objects.get(pk=staff.pk)
    assert mfa.staff_may_act(staff) and rules.is_staff(staff)
    assert not mfa.staff_lacks_second_factor(staff)


def test_the_services_refuse_a_staff_actor_without_the_second_factor(production):
    from coop.errors import ServiceError

    staff = StaffFactory()
    application = ApplicationFactory()
    with pytest.raises(ServiceError):
        services.application_approve(application=application, actor=staff)
    application.refresh_from_db()
    assert application.status == Application.Status.PENDING


# --- the API: browser session and app token ---------------------------------------------------

def test_api_session_staff_without_totp_gets_403_approving_and_recording_a_payment(production):
    client = _session(StaffFactory())

    response, application = _approve(client)
    _assert_set_up_problem(response)
    assert application.status == Application.Status.PENDING

    response, recorded = _record_payment(client)
    _assert_set_up_problem(response)
    assert not recorded


def test_api_app_token_staff_without_totp_gets_403_approving_and_recording_a_payment(production):
    token = _app_token(StaffFactory())
    client = APIClient()

    response, application = _approve(client, HTTP_X_SESSION_TOKEN=token)
    _assert_set_up_problem(response)
    assert application.status == Application.Status.PENDING

    response, recorded = _record_payment(client, HTTP_X_SESSION_TOKEN=token)
    _assert_set_up_problem(response)
    assert not recorded


def test_api_session_staff_with_totp_approves_and_records_a_payment(production):
    staff = StaffFactory()
    TOTP.activate(staff, generate_totp_secret())
    client = _session(staff)

    response, application = _approve(client)
    assert response.status_code == 200, response.content
    assert application.status == Application.Status.APPROVED

    response, recorded = _record_payment(client)
    assert response.status_code == 201, response.content
    assert recorded


def test_api_app_token_staff_with_totp_approves_and_records_a_payment(production):
    staff = StaffFactory()
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    token = _app_token(staff, secret)
    client = APIClient()

    response, application = _approve(client, HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 200, response.content
    assert application.status == Application.Status.APPROVED

    response, recorded = _record_payment(client, HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 201, response.content
    assert recorded


def test_the_embedded_default_needs_no_second_factor(settings):
    settings.ADMIN_REQUIRE_2FA = False
    client = _session(StaffFactory())
    response, application = _approve(client)
    assert response.status_code == 200, response.content
    response, recorded = _record_payment(client)
    assert response.status_code == 201 and recorded


# --- the staff web pages ----------------------------------------------------------------------

@pytest.mark.parametrize("action", ["close", "cancel"])
def test_staff_pages_send_staff_without_totp_to_set_it_up(client, production, action):
    author = make_member(paid=True)
    proposal = voting(author=author, early_close_allowed=True)
    client.force_login(StaffFactory())

    response = client.post(f"/governance/proposals/{proposal.pk}/{action}/",
                           {"reason": "The text was wrong."})

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.VOTING


@pytest.mark.parametrize("action, status", [("close", "closed"), ("cancel", "cancelled")])
def test_staff_pages_work_for_staff_with_totp(client, production, action, status):
    author = make_member(paid=True)
    proposal = voting(author=author, early_close_allowed=True)
    staff = StaffFactory()
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    response = client.post(f"/governance/proposals/{proposal.pk}/{action}/",
                           {"reason": "The text was wrong."})

    assert response.status_code == 302
    assert response["Location"] == f"/governance/proposals/{proposal.pk}/"
    proposal.refresh_from_db()
    assert proposal.status == status
