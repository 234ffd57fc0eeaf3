"""Issue #8 item 8: allauth's headless endpoints never answer 500 on malformed but plausible
bodies, and a rate-limited sign-in says when the person can try again."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

BASES = ["/_allauth/app/v1", "/_allauth/browser/v1"]
ENDPOINTS = ["/auth/login", "/auth/signup", "/auth/password/request", "/auth/email/verify"]
JSON_BODIES = [
    {"email": 5}, {"email": 5, "password": 5}, {"email": "a@example.org", "password": None},
    {"password": None}, {"email": ["a@example.org"], "password": ["x"]},
    {"email": {"a": 1}, "password": {"b": 2}}, {"key": 5}, {"key": None}, {"key": ["x"]},
    {"email": "a@example.org", "password1": 5, "password2": None}, {"email": True},
    {}, [], [{"email": "a@example.org"}], "a string", 5, None, True,
]


def _cases():
    for base in BASES:
        for endpoint in ENDPOINTS:
            for body in JSON_BODIES:
                yield base + endpoint, json.dumps(body), "application/json"
            yield base + endpoint, "", "application/json"
            yield base + endpoint, "{not json", "application/json"
            yield base + endpoint, "email=a%40example.org&password=x", \
                "application/x-www-form-urlencoded"
            yield base + endpoint, "email=5", "text/plain"
            yield base + endpoint, "", ""


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "body", "content_type"), list(_cases()))
def test_headless_endpoints_never_answer_5xx_on_bad_input(path, body, content_type, settings):
    settings.ACCOUNT_RATE_LIMITS = {}
    client = Client(raise_request_exception=False)
    response = client.post(path, data=body, content_type=content_type)
    assert response.status_code < 500, (path, body, content_type, response.status_code)


@pytest.mark.django_db
def test_locked_out_headless_sign_in_says_when_to_try_again(settings):
    # Old code: 400 "Too many failed login attempts. Try again later." and no Retry-After.
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "2/m/ip"}
    cache.clear()
    client = Client()
    body = json.dumps({"email": "nobody@example.org", "password": "wrong"})
    for _ in range(2):
        response = client.post("/_allauth/app/v1/auth/login", data=body,
                               content_type="application/json")
        assert not response.has_header("Retry-After")
    response = client.post("/_allauth/app/v1/auth/login", data=body,
                           content_type="application/json")
    assert response.status_code == 400  # allauth's own format and status for this lock-out
    errors = response.json()["errors"]
    assert errors[0]["code"] == "too_many_login_attempts"
    assert errors[0]["message"] == "Too many failed login attempts. Try again in 1 minute."
    assert 1 <= int(response["Retry-After"]) <= 60


@pytest.mark.django_db
def test_locked_out_browser_sign_in_page_says_when_to_try_again(settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "1/5m/key"}
    cache.clear()
    client = Client()
    data = {"login": "nobody@example.org", "password": "wrong"}
    client.post("/accounts/login/", data)
    response = client.post("/accounts/login/", data)
    assert b"Too many failed login attempts. Try again in 5 minutes." in response.content
    # The page re-shows the form (200), so no Retry-After there; the message says it.


@pytest.mark.django_db
def test_headless_429_carries_retry_after(settings):
    # Old code: allauth's 429 {"status": 429} with no Retry-After.
    settings.ACCOUNT_RATE_LIMITS = {"signup": "1/m/ip"}
    cache.clear()
    client = Client()
    body = json.dumps({"email": 5})
    client.post("/_allauth/app/v1/auth/signup", data=body, content_type="application/json")
    response = client.post("/_allauth/app/v1/auth/signup", data=body,
                           content_type="application/json")
    assert response.status_code == 429
    assert response.json()["status"] == 429  # allauth's own format is kept
    assert 1 <= int(response["Retry-After"]) <= 60
