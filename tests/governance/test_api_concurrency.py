"""Simultaneous ballots and closes through the API against a live server on PostgreSQL (real
row locks, one connection per request thread). SQLite serialises every writer anyway, so these
run on PostgreSQL only (CI)."""

import json
import secrets
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.test import Client

from coop.models import PartnerApiKey
from governance.models import Ballot, BallotRevision, Elector, Proposal, SecretBallot
from tests.concurrency import all_at_once
from tests.governance.factories import open_proposal
from tests.membership.factories import make_member

# (tests/conftest.py puts back the seeded categories the flush between tests removes.)
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Caller:
    """HTTP headers of a signed-in member's browser session (cookie + CSRF token) or a key."""

    def __init__(self, *, user=None, key: str | None = None):
        self.headers = {"Content-Type": "application/json"}
        if key:
            self.headers["Authorization"] = f"Api-Key {key}"
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            csrf = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
            self.headers["Cookie"] = (
                f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}")
            self.headers["X-CSRFToken"] = csrf

    def post(self, url: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(url, data=json.dumps(body or {}).encode(),
                                         headers=self.headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - local
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())



@pytest.mark.parametrize("secret", [False, True])
def test_simultaneous_ballots_of_one_member_leave_one_current_ballot(live_server, secret):
    voter = make_member(paid=True)
    proposal = open_proposal(secret=secret)
    caller = Caller(user=voter.user)
    url = f"{live_server.url}/api/v1/proposals/{proposal.pk}/ballots/"
    choices = ["yes", "no", "abstain"] * 3 + ["yes"]

    results = all_at_once([
        (lambda choice=choice: caller.post(url, {"choice": choice})) for choice in choices
    ])

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 9 + [201], results  # the first counts as new, the rest replace
    assert {body["receipt"] for _, body in results} == {results[0][1]["receipt"]}
    assert Elector.objects.exclude(voted_at=None).count() == 1
    if secret:
        assert SecretBallot.objects.filter(proposal=proposal).count() == 1
        assert Ballot.objects.count() == BallotRevision.objects.count() == 0
    else:
        current = Ballot.objects.get(proposal=proposal)
        revisions = list(BallotRevision.objects.filter(proposal=proposal).order_by("revision"))
        assert [r.revision for r in revisions] == list(range(1, 11))
        assert (current.revision, current.choice) == (10, revisions[-1].choice)


@pytest.mark.parametrize("secret", [False, True])
def test_ballots_racing_the_close_are_counted_or_refused_never_lost(live_server, secret):
    electors = [make_member(paid=True) for _ in range(16)]
    callers = [Caller(user=member.user) for member in electors]
    _, key = PartnerApiKey.objects.create_key(name="closer", scopes=["governance:write"])
    closer = Caller(key=key)
    for _round in range(3):
        proposal = open_proposal(secret=secret, early_close_allowed=True, quorum_percent=10)
        base = f"{live_server.url}/api/v1/proposals/{proposal.pk}"
        calls = [(lambda c=c: c.post(f"{base}/ballots/", {"choice": "yes"})) for c in callers]
        # The close goes in the middle of the ballots so that some start after it.
        middle = len(calls) // 2
        calls.insert(middle, lambda: closer.post(f"{base}/close/"))

        results = all_at_once(calls)

        close_status, result = results.pop(middle)
        assert close_status == 200, result
        statuses = [status for status, _ in results]
        assert set(statuses) <= {201, 409}, results
        accepted = statuses.count(201)
        stored = (SecretBallot if secret else Ballot).objects.filter(proposal=proposal).count()
        # Every ballot answered 201 is in the result; nothing was stored after the close.
        assert result["ballots_cast"] == accepted == stored
        proposal.refresh_from_db()
        assert (proposal.status, proposal.ballots_cast) == ("closed", accepted)
        assert Elector.objects.filter(proposal=proposal).exclude(voted_at=None).count() == (
            accepted)
        if not secret:
            voted = set(Ballot.objects.filter(proposal=proposal).values_list("member_id",
                                                                             flat=True))
            answered = {m.pk for m, (status, _) in zip(electors, results, strict=True)
                        if status == 201}
            assert voted == answered
        assert Proposal.objects.get(pk=proposal.pk).result["ballots_cast"] == accepted
