"""The pages `dashboard` composes from the apps' blocks, for a visitor, a person who is not a
member yet, a member and staff; and the benchmark baseline, routed only by bench/settings.py.
(What each block shows is tested with its app: tests/membership/test_views.py, with the query
counts of the home page pinned there.)"""

import json
from pathlib import Path

import pytest
from django.urls import resolve

from dashboard import views
from tests.governance.factories import open_proposal
from tests.membership.factories import (
    StaffFactory,
    StakeholderClassFactory,
    UserFactory,
    make_member,
)

pytestmark = pytest.mark.django_db


def templates_of(response) -> list[str]:
    return [t.name for t in response.templates]


def test_the_home_url_is_the_dashboards():
    match = resolve("/")
    assert (match.func, match.url_name) == (views.home, "home")


def test_a_visitor_sees_the_landing_page(client):
    StakeholderClassFactory(name="Photographers")
    response = client.get("/")
    assert response.status_code == 200
    assert templates_of(response)[:2] == ["dashboard/home.html", "base.html"]
    assert "membership/blocks/landing.html" in templates_of(response)
    html = response.content.decode()
    assert "<title>Welcome · " in html
    assert "Ways to join" in html and "Photographers" in html
    assert "0 active members so far." in html


def test_a_member_sees_the_membership_block_with_governance_s_step(client):
    member = make_member(stakeholder_class=StakeholderClassFactory(), shares=3, paid=True)
    open_proposal()
    client.force_login(member.user)
    response = client.get("/")
    names = templates_of(response)
    assert "membership/blocks/member_home.html" in names
    assert "governance/blocks/take_part.html" in names
    html = response.content.decode()
    assert "<title>My membership · " in html
    assert f"Member {member.member_number}" in html
    # governance's block inside membership's list of next steps
    assert '<a href="/governance/">Vote on 1 open proposal</a>: your vote is still missing.' in html
    assert "Apply for membership" not in html


def test_a_member_awaiting_payment_gets_no_governance_step(client):
    photographers = StakeholderClassFactory()
    make_member(stakeholder_class=photographers, shares=3, paid=True)  # the electorate
    member = make_member(stakeholder_class=photographers, shares=3, paid=False)
    open_proposal()
    client.force_login(member.user)
    response = client.get("/")
    assert "governance/blocks/take_part.html" not in templates_of(response)
    assert "Vote on" not in response.content.decode()


@pytest.mark.parametrize("make_user", [StaffFactory, UserFactory])
def test_staff_and_people_without_membership_are_invited_to_apply(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.get("/")
    assert "membership/blocks/applicant.html" in templates_of(response)
    html = response.content.decode()
    assert "<title>Home · " in html
    assert f"<h1>Welcome, {user.full_name}</h1>" in html
    assert "Apply for membership" in html


def test_the_nav_count_comes_from_the_dashboard_context_processor(settings):
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    assert "dashboard.context_processors.nav_counts" in processors


# --- /bench/json --------------------------------------------------------------------------

def test_production_urls_do_not_route_the_benchmark_baseline(client):
    assert client.get("/bench/json").status_code == 404


@pytest.mark.parametrize("urlconf", ["bench.urls", "bench.floor_urls"])
def test_the_benchmark_urls_route_the_baseline_and_the_app(client, settings, urlconf):
    settings.ROOT_URLCONF = urlconf
    response = client.get("/bench/json")
    assert response.status_code == 200 and json.loads(response.content) == {"ok": True}
    assert client.get("/healthz").status_code == 200


def test_the_benchmark_servers_run_the_benchmark_settings():
    from bench.server_env import server_env

    assert server_env()["DJANGO_SETTINGS_MODULE"] == "bench.settings"
    source = (Path(__file__).resolve().parents[2] / "bench" / "settings.py").read_text()
    assert 'ROOT_URLCONF = "bench.urls"' in source
