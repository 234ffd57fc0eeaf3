"""The inbox in the API (API.md: GET notifications/, POST notifications/read/): the member's
notices of every app, `{id, kind, title, url, created_at, read_at}`, newest first; no inbox
for a key or a person without a member row; one query for the page, however many."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import notices
from tests.governance.factories import make_proposal
from tests.governance.helpers import BASE, api_key, assert_problem, client_for
from tests.membership.factories import StaffFactory

pytestmark = pytest.mark.django_db

LIST, READ = f"{BASE}/notifications/", f"{BASE}/notifications/read/"


def test_the_member_sees_their_notices_newest_first(quiet_crew):
    proposal = make_proposal(author=quiet_crew[1], title="Paint the shop")
    mine = notices.make(quiet_crew[0], proposal, 3)
    notices.make(quiet_crew[1], proposal, 2)  # someone else's

    body = client_for(quiet_crew[0].user).get(LIST).json()

    assert [row["id"] for row in body["results"]] == [n.pk for n in reversed(mine)]
    first = body["results"][0]
    assert set(first) == {"id", "kind", "title", "url", "created_at", "read_at"}
    assert first["kind"] == "governance.comment" and first["read_at"] is None
    assert first["title"] == "New comment on “Paint the shop”"
    assert first["url"] == f"/governance/proposals/{proposal.pk}/#discussion"
    assert body["next"] is None


def test_marking_read_answers_the_list_with_read_at(quiet_crew):
    proposal = make_proposal(author=quiet_crew[1])
    old = notices.make(quiet_crew[0], proposal, 2)
    late = notices.make(quiet_crew[0], proposal, 1, start=timezone.now() + timedelta(minutes=5))[0]
    client = client_for(quiet_crew[0].user)

    response = client.post(READ, {"up_to": timezone.now().isoformat()}, format="json")

    assert response.status_code == 200
    read = {row["id"]: row["read_at"] for row in response.json()["results"]}
    assert read[late.pk] is None and all(read[n.pk] for n in old)
    assert_problem(client.post(READ, {"up_to": "2026-01-01T10:00"}, format="json"), 400,
                   "up_to")  # without its offset: refused


def test_who_has_an_inbox(client, quiet_crew):
    assert_problem(client_for().get(LIST), 401)
    assert_problem(client_for(key=api_key("*")).get(LIST), 403)  # a key has no inbox
    assert_problem(client_for(StaffFactory()).get(LIST), 403)  # no member row
    assert_problem(client_for(key=api_key("*")).post(READ, {}, format="json"), 403)


def test_the_list_costs_the_same_for_2_and_40(quiet_crew):
    client = client_for(quiet_crew[0].user)
    counts = []
    for n in (2, 40):
        notices.of(quiet_crew[0]).delete()
        notices.make(quiet_crew[0], make_proposal(author=quiet_crew[1]), n)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        counts.append(len(queries))
        assert sum('"coop_notice"' in q["sql"] for q in queries.captured_queries) == 1
    assert counts[0] == counts[1]
