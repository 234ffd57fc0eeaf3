"""Plain helpers shared by several governance test modules (fixtures live in conftest.py).

Two families, kept as they were when each module defined its own:
- set-up through the services: `new_proposal`/`open_proposal` here take the rules as keywords
  and a `now`, whereas `factories.make_proposal`/`factories.open_proposal` take a category and
  options; `members`/`proposal`/`voting`/`close` are the page tests' shorter forms;
- the REST API: a client for a user or a partner key, and the problem+json check.
"""

import importlib
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from coop.actors import CLOSE_DUE_VOTES
from coop.models import PartnerApiKey
from governance import services
from governance.models import Proposal
from membership.models import Member
from tests.governance.factories import TEST_JOB, discussion_began, discussion_over  # noqa: F401
from tests.membership.factories import StakeholderClassFactory, make_member

# --- set-up through the services -----------------------------------------------------------


def ensure_categories() -> None:
    """The categories the migration installs; transactional tests flush them, so put them back."""
    from django.apps import apps

    importlib.import_module("governance.migrations.0007_discussion_period").install_categories(
        apps)


def free_class(slug: str = "workers", weight: int = 1):
    """A class whose shares cost nothing: its members are active at approval (fast to make)."""
    return StakeholderClassFactory(slug=slug, name=slug.title(), share_price_minor=0,
                                   min_shares=1, max_shares=1, vote_weight=weight)


def active_members(n: int, slug: str = "workers", weight: int = 1) -> list[Member]:
    klass = free_class(slug, weight)
    members = [make_member(stakeholder_class=klass) for _ in range(n)]
    assert all(m.status == Member.Status.ACTIVE for m in members)
    return members


def members(n: int, slug: str = "workers", weight: int = 1) -> list[Member]:
    klass = free_class(slug, weight)
    return [make_member(stakeholder_class=klass) for _ in range(n)]


def new_proposal(*, hours: int = 96, now=None, discussed: bool = True, **rules) -> Proposal:
    """A proposal whose vote may open at `now` (its discussion began long enough before, unless
    discussed=False) and closes `hours` after `now`."""
    now = now or timezone.now()
    rules.setdefault("title", "Buy a shared scanner")
    rules.setdefault("body", "A large-format scanner for the archive.")
    began = discussion_began(rules.get("category"), now=now) if discussed else now
    return services.proposal_create(actor=TEST_JOB,
                                    closes_at=now + timedelta(hours=hours), now=began, **rules)


def open_proposal(**rules) -> Proposal:
    return services.proposal_open(actor=TEST_JOB, proposal=new_proposal(**rules))


def opened_in_the_past(*, hours_left: float, **rules) -> Proposal:
    """A vote opened 96 h before its deadline, which lies `hours_left` from now."""
    opened = timezone.now() - timedelta(hours=96 - hours_left)
    proposal = new_proposal(now=opened, hours=96, **rules)
    return services.proposal_open(actor=TEST_JOB, proposal=proposal, now=opened)


def cast_all(proposal, members, **ballot):
    for member in members:
        services.ballot_cast(proposal=proposal, member=member, **ballot)


def close_at_deadline(proposal) -> Proposal:
    closed = services.proposal_close(actor=CLOSE_DUE_VOTES, proposal=proposal, by_deadline=True,
                                     now=proposal.closes_at + timedelta(seconds=1))
    assert closed is not None
    closed.refresh_from_db()
    return closed


def proposal(*, author=None, draft=False, secret=False, method="yes_no", options=None,
             title="Buy a cargo bike", discussed=True, **rules) -> Proposal:
    """A proposal in discussion whose discussion period is over (unless discussed=False)."""
    if method in ("approval", "ranked") and options is None:
        options = ["Alice", "Bob", "Chandra"]
    if discussed:
        rules.setdefault("now", discussion_began(rules.get("category")))
    return services.proposal_create(actor=TEST_JOB,
        title=title, body="For deliveries in town.", author=author, draft=draft, secret=secret,
        method=method, options=options, seats=1 if options else None,
        # Room for a draft's discussion (from its submission) and then the voting period.
        closes_at=timezone.now() + timedelta(days=6), **rules,
    )


def voting(**kwargs) -> Proposal:
    return services.proposal_open(actor=TEST_JOB, proposal=proposal(**kwargs))


def close(p: Proposal) -> Proposal:
    services.proposal_close(actor=TEST_JOB, proposal=p, now=p.closes_at + timedelta(seconds=1))
    p.refresh_from_db()
    return p


def option_ids(p) -> list[int]:
    return list(p.options.values_list("pk", flat=True))


# --- the pages ------------------------------------------------------------------------------


def signed_in(client, user):
    client.force_login(user)
    return client


def detail_url(p) -> str:
    return f"/governance/proposals/{p.pk}/"


def csv_url(p) -> str:
    return f"/governance/proposals/{p.pk}/ballots.csv"


# --- the REST API ---------------------------------------------------------------------------

PROBLEM = "application/problem+json"
BASE = "/api/v1"


def client_for(user=None, key: str | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def api_key(*scopes: str) -> str:
    _, key = PartnerApiKey.objects.create_key(name=f"partner {' '.join(scopes)}",
                                              scopes=list(scopes))
    return key


def in_hours(hours: float) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"]
    for field in fields:  # a list item's errors come as "field.0"
        assert any(name.split(".")[0] == field for name in body.get("errors", {})), body
    return body
