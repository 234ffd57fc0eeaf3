"""The vitality API (API.md): the pulse survey's answer (members only; keys 403) and the
snapshots (list, one month, recompute with its record), problem+json for bad input."""

from datetime import date

import pytest

from tests.governance.helpers import api_key, assert_problem, client_for
from tests.membership.factories import UserFactory
from tests.vitality import factories as f
from vitality.models import PulseAnswer, SnapshotRecompute

pytestmark = pytest.mark.django_db
PULSE, SNAPSHOTS = "/api/v1/surveys/pulse/", "/api/v1/vitality/snapshots/"


@pytest.fixture
def member(db):
    return f.member(f.klass("workers"), date(2026, 1, 5), user=UserFactory())


def test_a_member_answers_then_changes_the_answer(member, frozen):
    api = client_for(member.user)
    first = api.post(PULSE, {"score": 4, "comment": "Fine"}, format="json")
    assert first.status_code == 201
    assert first.json() == {"month": "2026-07", "score": 4, "comment": "Fine"}
    second = api.post(PULSE, {"score": 2}, format="json")
    assert second.status_code == 200 and second.json()["score"] == 2
    assert PulseAnswer.objects.count() == 1


@pytest.mark.parametrize("body", [{}, {"score": 0}, {"score": 6}, {"score": "x"},
                                  {"score": 3, "comment": "x" * 1001}])
def test_bad_answers_are_400(member, frozen, body):
    response = client_for(member.user).post(PULSE, body, format="json")
    assert_problem(response, 400, *(["comment"] if "comment" in body else ["score"]))
    assert not PulseAnswer.objects.exists()


def test_keys_and_non_members_cannot_answer(member, frozen):
    assert_problem(client_for(key=api_key("*")).post(PULSE, {"score": 3}, format="json"), 403)
    assert_problem(client_for(UserFactory()).post(PULSE, {"score": 3}, format="json"), 403)
    assert not PulseAnswer.objects.exists()


def test_snapshots_list_and_month(history, member):
    body = client_for(member.user).get(SNAPSHOTS).json()
    months = [row["month"] for row in body["results"]]
    assert months[:3] == ["2026-07", "2026-06", "2026-05"]
    june = client_for(key=api_key("vitality:read")).get(SNAPSHOTS + "2026-06/").json()
    assert set(june) == {"month", "provisional", "computed_at", "recomputed", "metrics",
                         "by_class", "alerts"}
    assert june["provisional"] is False and june["metrics"]["members_active"] == 18
    assert june["metrics"]["growth_3m"] == "0.2000"
    assert june["by_class"]["workers"]["members_active"] == 12
    assert_problem(client_for(member.user).get(SNAPSHOTS + "2025-01/"), 404)
    assert_problem(client_for(member.user).get(SNAPSHOTS + "2026-13/"), 404)


def test_who_reads_snapshots(history):
    assert client_for().get(SNAPSHOTS).status_code in (401, 403)
    assert_problem(client_for(UserFactory()).get(SNAPSHOTS), 403)
    assert_problem(client_for(key=api_key("governance:read")).get(SNAPSHOTS), 403)


def test_staff_recompute_a_month(history, staff):
    f.members(f.klass("workers"), date(2026, 6, 28), 1)
    response = client_for(staff).post(SNAPSHOTS, {"month": "2026-06"}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["metrics"]["members_active"] == 19
    assert body["recomputed"][0]["changed"]["members_active"] == {"old": 18, "new": 19}
    assert SnapshotRecompute.objects.count() == 1
    key = client_for(key=api_key("vitality:write"))
    assert key.post(SNAPSHOTS, {"month": "2026-07"}, format="json").status_code == 202


@pytest.mark.parametrize("month", ["2026-08", "2026-13", "June", "", None])
def test_recompute_refuses_bad_months(history, staff, month):
    response = client_for(staff).post(SNAPSHOTS, {"month": month}, format="json")
    assert_problem(response, 400, "month")


def test_only_staff_and_write_keys_recompute(history, member):
    assert_problem(client_for(member.user).post(SNAPSHOTS, {"month": "2026-06"},
                                                format="json"), 403)
    assert_problem(client_for(key=api_key("vitality:read")).post(
        SNAPSHOTS, {"month": "2026-06"}, format="json"), 403)
    assert not SnapshotRecompute.objects.exists()
