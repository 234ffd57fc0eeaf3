"""Helpers shared by the browser journeys: signing in, the members and votes they start from.
(A test module never imports another test module: what two of them share lives here.)"""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from governance import services
from tests.governance.factories import TEST_JOB, discussion_began
from tests.governance.helpers import close, ensure_categories, free_class
from tests.membership.factories import StakeholderClassFactory, UserFactory, make_member

PASSWORD = "correct horse battery"  # UserFactory's
LONG_NAMES = [
    "Alexandra Konstantinopoulou-Papadimitriou",
    "Bob",
    "Chandra Ramaswamy",
    "Dmitri Ivanovich Sokolov",
    "Eleanor, for the Long Cooperative Workshop Committee",
]


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def two_classes():
    workers, clients = free_class("workers", weight=2), free_class("clients", weight=1)
    return (
        [make_member(stakeholder_class=workers, user=UserFactory(email=f"w{i}@example.org"))
         for i in range(7)],
        [make_member(stakeholder_class=clients, user=UserFactory(email=f"c{i}@example.org"))
         for i in range(6)],
    )


def open_vote(author, **rules):
    """A vote open now: its discussion dated back far enough to open without a reason."""
    ensure_categories()
    proposal = services.proposal_create(
        actor=TEST_JOB, author=author, body="Two seats on the board.",
        now=discussion_began("general"), closes_at=timezone.now() + timedelta(days=4), **rules)
    return services.proposal_open(actor=TEST_JOB, proposal=proposal)


def ranked_result():
    """A two-seat STV count with long option names: surplus transfers and exclusions, so the
    rounds table has several rows and a column for each of five options."""
    workers, clients = two_classes()
    voters = workers + clients
    proposal = open_vote(voters[0], title="Elect two board members", method="ranked",
                         options=LONG_NAMES, seats=2)
    a, b, c, d, e = proposal.options.values_list("pk", flat=True)
    rankings = [[a, c], [a, c], [a, b], [a, e], [a, c], [b, d], [b, a], [c, b], [d, c],
                [e, d], [e, c], [d, e], []]
    for member, ranking in zip(voters, rankings, strict=True):
        services.ballot_cast(proposal=proposal, member=member, ranking=ranking)
    return close(proposal), voters


def sign_in_by_field(page, email):
    """Sign in by the form's field names (the page tests that start from a bare page)."""
    page.goto("/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def photographers():
    return StakeholderClassFactory(
        slug="photographers", name="Photographers and other visual storytellers",
        description="People who make photographs for the cooperative's clients, "
                    "in the studio or on location.",
        share_price_minor=5_000, min_shares=3, max_shares=200)
