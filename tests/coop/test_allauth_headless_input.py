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
