"""The interactive API docs are served locally (no CDN) and work under our CSP."""

import pytest

from tests.membership.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_every_operation_without_csp_violations(page, console, live_server):
    # given a signed-in person (the docs need no sign-in, but partners usually have one)
    UserFactory(email="reader@example.org")
    # when they open the docs
    page.goto("/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock")
    # then the membership and governance operations are listed, with nothing blocked
    text = page.inner_text("#swagger-ui")
    assert "/api/v1/members/{member_number}/share-payments/" in text
    assert "/api/v1/proposals/{id}/ballots/" in text
    assert console.csp_violations == []
    assert not [e for e in console.errors if "cdn" in e.lower()]
