"""The pages: the pulse survey on the member home (with and without htmx), the dashboard
(members and staff; charts, alerts, comparison, class filter) in a pinned number of queries,
the CSV export; and on every face no answer shown next to a member."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from tests.membership.factories import UserFactory
from tests.vitality import factories as f
from tests.vitality.conftest import JUNE
from vitality import services
from vitality.models import PulseAnswer, Snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    return f.member(f.klass("workers"), date(2026, 1, 5), user=UserFactory())


def test_the_member_home_asks_the_pulse_question(client, member, frozen):
    client.force_login(member.user)
    html = client.get("/").content.decode()
    assert "How well does the cooperative serve you?" in html
    assert 'action="/vitality/pulse/"' in html
    assert "Send my answer" in html


def test_answering_without_javascript(client, member, frozen):
    client.force_login(member.user)
    response = client.post(reverse("vitality:pulse"), {"score": "4", "comment": "Good"},
                           follow=True)
    assert response.redirect_chain == [("/", 302)]
    html = response.content.decode()
    assert "Thank you: your answer is saved." in html
    assert "You answered 4 this month." in html and "Change my answer" in html
    client.post(reverse("vitality:pulse"), {"score": "2"})
    assert list(PulseAnswer.objects.values_list("score", "comment")) == [(2, "")]


def test_answering_with_htmx_swaps_the_block(client, member, frozen):
    client.force_login(member.user)
    response = client.post(reverse("vitality:pulse"), {"score": "5"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card pulse" id="pulse"')
    assert "Thank you: your answer is saved." in html


@pytest.mark.parametrize("data", [{}, {"score": "9"}, {"score": "3", "comment": "x" * 1001}])
def test_a_bad_answer_is_shown_by_field_and_changes_nothing(client, member, frozen, data):
    client.force_login(member.user)
    response = client.post(reverse("vitality:pulse"), data)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not PulseAnswer.objects.exists()


def test_only_active_members_answer(client, frozen):
    client.force_login(UserFactory())
    assert client.post(reverse("vitality:pulse"), {"score": "3"}).status_code == 403
    assert not PulseAnswer.objects.exists()


def test_the_dashboard(client, history, django_assert_max_num_queries):
    client.force_login(history["workers"][0].user or _user_for(history["workers"][0]))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("vitality:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Alerts for June 2026" in html
    assert "June 2026 against the three months before" in html
    assert html.count('<figure class="chart"') == len(Snapshot.objects.first().metrics)
    assert "<svg" in html and "<table" in html
    assert "Download every snapshot (CSV)" in html


def _user_for(member):
    member.user = UserFactory()
    member.save(update_fields=["user"])
    return member.user


def test_the_dashboard_from_36_snapshots_in_at_most_10_queries(
        client, staff, frozen, django_assert_max_num_queries):
    f.members(f.klass("workers"), date(2023, 7, 1), 3)
    services.snapshots_catch_up()
    assert Snapshot.objects.count() == 37
    client.force_login(staff)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("vitality:dashboard"), {"months": "36",
                                                              "class": "workers"})
    assert response.status_code == 200
    assert "Trends over 36 months — Workers" in response.content.decode()


def test_the_dashboard_is_for_members_and_staff(client, frozen):
    assert client.get(reverse("vitality:dashboard")).status_code == 302
    client.force_login(UserFactory())
    assert client.get(reverse("vitality:dashboard")).status_code == 403
    assert client.get(reverse("vitality:export")).status_code == 403


def test_the_csv_export(client, history, staff):
    client.force_login(staff)
    response = client.get(reverse("vitality:export"))
    rows = response.content.decode().splitlines()
    assert rows[0].startswith("month,provisional,computed_at,scope,members_active,")
    june = [row for row in rows if row.startswith("2026-06,no,")]
    assert [row.split(",")[3] for row in june] == ["all", "users", "workers"]
    assert len(rows) == 1 + 7 * 3  # January to July, all members and two classes


# --- no answer next to a member, on every face ---------------------------------------------


@pytest.fixture
def answered(frozen):
    """Six workers and two users answered in June with comments that name their score."""
    frozen.move_to(datetime(2026, 6, 20, tzinfo=UTC))
    workers = f.members(f.klass("workers"), date(2026, 1, 5), 6)
    users = f.members(f.klass("users"), date(2026, 1, 5), 2)
    people = workers + users
    for n, person in enumerate(people):
        person.user = UserFactory()
        person.save(update_fields=["user"])
        services.pulse_answer(actor=person.user, member=person, score=1 + n % 5,
                              comment=f"comment-{n}")
    frozen.move_to(datetime(2026, 7, 15, tzinfo=UTC))
    services.snapshots_catch_up()
    return people


def _no_member_beside_an_answer(text: str, people) -> None:
    for person in people:
        assert person.name not in text
        assert person.user.email not in text


def test_the_page_shows_answers_only_in_aggregate(client, answered, staff):
    client.force_login(staff)
    html = client.get(reverse("vitality:dashboard")).content.decode()
    _no_member_beside_an_answer(html, answered)
    # Users gave 2 answers (< 5), so workers are hidden too; no comment is shown at all.
    assert "comment-" not in html


def test_comments_show_where_the_class_has_five_answers(client, answered, staff):
    more = f.members(f.klass("users"), date(2026, 1, 5), 4)
    f.answers(JUNE, [(m, 3) for m in more], comment="users-comment")
    f.answers(JUNE, [(m, 3) for m in f.members(f.klass("makers"), date(2026, 1, 5), 5)],
              comment="makers-comment")
    client.force_login(staff)
    html = client.get(reverse("vitality:dashboard")).content.decode()
    assert "users-comment" in html and "comment-0" in html and "makers-comment" in html


def test_the_api_shows_answers_only_in_aggregate(client, answered, staff):
    client.force_login(staff)
    body = client.get("/api/v1/vitality/snapshots/").content.decode()
    _no_member_beside_an_answer(body, answered)
    assert "comment-" not in body


def test_the_admin_has_no_answers(client, answered, staff):
    client.force_login(staff)
    assert client.get("/admin/vitality/pulseanswer/").status_code == 404
    html = client.get("/admin/vitality/snapshot/").content.decode()
    html += client.get(f"/admin/vitality/snapshot/{Snapshot.objects.get(month=JUNE).pk}/"
                       "change/").content.decode()
    _no_member_beside_an_answer(html, answered)
    assert "comment-" not in html


def test_the_export_has_no_answers(client, answered, staff):
    client.force_login(staff)
    text = client.get(reverse("vitality:export")).content.decode()
    _no_member_beside_an_answer(text, answered)
    assert "comment-" not in text


def test_the_member_home_shows_the_figures_that_matter(client, history):
    person = history["workers"][1]
    client.force_login(_user_for(person))
    html = client.get("/").content.decode()
    assert "How the cooperative is doing (June 2026)" in html
    # No alert fires for June, so satisfaction comes first.
    assert "Satisfaction (mean score out of 5):</strong> 3.44" in html
    assert 'href="/vitality/"' in html
