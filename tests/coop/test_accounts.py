"""Sign-up, verification, sign-in, password reset, TOTP two-factor and the admin's 2FA rule,
through allauth's real views."""

import re

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client
from django.urls import reverse

from coop.models import User
from tests.membership.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def _current_code(secret: str) -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def test_sign_up_needs_the_emailed_verification_before_sign_in(client, mailoutbox):
    # given a new person signing up
    response = client.post(reverse("account_signup"), {
        "email": "new.person@example.org", "password1": "a long pass phrase 42",
        "password2": "a long pass phrase 42"})
    # then they are told to verify, and are not signed in yet
    assert response.status_code == 302
    assert User.objects.filter(email="new.person@example.org").exists()
    assert len(mailoutbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+", mailoutbox[0].body).group(0)
    assert client.get(reverse("home")).wsgi_request.user.is_authenticated is False

    # when they follow the link and confirm
    path = link.split("testserver", 1)[-1]
    client.post(path)
    # then they can sign in
    response = client.post(reverse("account_login"),
                           {"login": "new.person@example.org", "password": "a long pass phrase 42"})
    assert response.status_code == 302
    assert client.get(reverse("home")).wsgi_request.user.email == "new.person@example.org"


def test_wrong_password_is_refused_with_a_message(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "nope"})
    assert response.status_code == 200
    assert b"not correct" in response.content or b"incorrect" in response.content.lower()


def test_password_reset_sends_a_link(client, mailoutbox):
    user = UserFactory()
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_totp_is_asked_at_sign_in_once_enabled(client):
    user = UserFactory()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # not signed in until the code is given
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated

    response = client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("home")).wsgi_request.user == user


def test_admin_sign_in_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_without_two_factor_cannot_reach_admin_in_production(client, settings):
    settings.ADMIN_REQUIRE_2FA = True
    staff = StaffFactory()
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")

    TOTP.activate(staff, generate_totp_secret())
    assert client.get("/admin/").status_code == 200


def test_staff_reach_admin_without_two_factor_in_the_embedded_default(client, settings):
    settings.ADMIN_REQUIRE_2FA = False
    client.force_login(StaffFactory())
    assert client.get("/admin/").status_code == 200


def test_non_staff_cannot_reach_admin(client):
    client.force_login(UserFactory())
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403


def test_failed_sign_ins_are_rate_limited(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/key"}
    user = UserFactory()
    pages = [client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
             for _ in range(4)]
    assert [b"Too many failed" in page.content for page in pages] == [False, False, False, True]
    # even the right password is refused while the limit holds
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert b"Too many failed" in response.content


def test_signing_out_the_other_sessions_ends_them_also_in_the_session_cache():
    # Sessions are read from the cache (cached_db): ending one must reach the cache too, or a
    # lost phone would stay signed in.
    user = UserFactory()
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        device.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
        assert device.get(reverse("profile")).status_code == 200

    response = laptop.post(reverse("usersessions_list"))

    assert response.status_code == 302
    assert laptop.get(reverse("profile")).status_code == 200
    assert phone.get(reverse("profile")).status_code == 302  # to the sign-in page
