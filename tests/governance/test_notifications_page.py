"""The notifications inbox: a member's own notifications, newest first, paginated without a
COUNT, each linking to its proposal; the unread count in the nav (one query, only where the nav
is drawn for a member); "Mark all as read" (POST, CSRF-protected, up to what was shown)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coop.models import Notice
from governance import services
from governance.models import Proposal
from tests import notices
from tests.governance.factories import TEST_JOB, make_proposal, open_proposal
from tests.governance.helpers import detail_url, signed_in
from tests.membership.factories import (
    StaffFactory,
    UserFactory,
    make_member,
)

pytestmark = pytest.mark.django_db

INBOX = "/governance/notifications/"
MARK_READ = "/governance/notifications/read/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def html_of(response) -> str:
    return response.content.decode()


def notes_for(member, proposal: Proposal, n: int, *, start=None) -> list:
    """n (comment) notices for the member, one minute apart, the last the newest."""
    return notices.make(member, proposal, n, start=start)


def notification_queries(queries) -> int:
    return sum('"coop_notice"' in q["sql"] for q in queries.captured_queries)


def nav_of(html: str) -> str:
    return html[html.index('<nav class="site-nav"') : html.index("</nav>")]


# --- the inbox ----------------------------------------------------------------------------


def test_my_notifications_newest_first_each_linking_to_its_proposal(
    client, quiet_crew, django_capture_on_commit_callbacks
):
    """Notifications made the real way: opening the vote, a comment, the close."""
    mine = make_proposal(author=quiet_crew[0], title="Buy a cargo bike")
    theirs = make_proposal(author=quiet_crew[1], title="Paint the shop")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_post(proposal=mine, member=quiet_crew[1], body="Which colour?")
        services.comment_post(proposal=theirs, member=quiet_crew[2], body="Blue.")  # [1]'s
        open_proposal(mine)
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_close(actor=TEST_JOB,
                                proposal=mine, now=mine.closes_at + timedelta(minutes=1))
    base = timezone.now() - timedelta(hours=3)
    order = {"governance.comment": 0, "governance.vote_opened": 1, "governance.result": 2}
    for note in Notice.objects.all():
        Notice.objects.filter(pk=note.pk).update(
            created_at=base + timedelta(hours=order[note.kind])
        )

    html = html_of(signed_in(client, quiet_crew[0].user).get(INBOX))
    texts = [
        "The vote on “Buy a cargo bike” has closed: see the result",
        "Voting is open on “Buy a cargo bike”",
        "New comment on “Buy a cargo bike”",
    ]
    positions = [html.find(text) for text in texts]
    assert -1 not in positions and positions == sorted(positions), positions
    assert f'href="{detail_url(mine)}#vote"' in html
    assert f'href="{detail_url(mine)}#discussion"' in html
    # quiet_crew[1]'s comment notification on their own proposal is not mine.
    assert "Paint the shop" not in html
    assert html.count('class="card notification unread"') == 3
    assert "Paint the shop" in html_of(signed_in(client, quiet_crew[1].user).get(INBOX))


def test_the_inbox_is_paginated_without_a_count(client, quiet_crew):
    p = make_proposal(author=quiet_crew[1])
    rows = notes_for(quiet_crew[0], p, 45)
    signed_in(client, quiet_crew[0].user)
    html = html_of(client.get(INBOX))
    assert html.count('class="card notification') == 20
    # Newest first: the last made is at the top of page 1, the first made ends page 3.
    assert html.index(rows[44].created_at.strftime("%H:%M")) < html.index(
        rows[25].created_at.strftime("%H:%M")
    )
    assert 'href="?page=2"' in html and "Page 1" in html and "Page 1 of" not in html
    assert html.count('class="card notification') == 20
    html = html_of(client.get(INBOX, {"page": 3}))
    assert html.count('class="card notification') == 5
    assert 'href="?page=2"' in html and 'href="?page=4"' not in html
    page_ids = []
    for number in (1, 2, 3):
        response = client.get(INBOX, {"page": number})
        page_ids += [n.pk for n in response.context["page"].object_list]
    assert page_ids == [row.pk for row in reversed(rows)]  # every one once, newest first
    # A page number that is not one falls back to the first; past the end says so.
    assert html_of(client.get(INBOX, {"page": "x"})).count('class="card notification') == 20
    assert "There are no more notifications." in html_of(client.get(INBOX, {"page": 9}))


def test_a_member_without_notifications_is_told_what_will_come(client, quiet_crew):
    html = html_of(signed_in(client, quiet_crew[0].user).get(INBOX))
    assert "You have no notifications yet." in html and "Mark all as read" not in html


def test_who_may_see_the_inbox(client, quiet_crew):
    for url in (INBOX, MARK_READ):
        response = client.get(url) if url == INBOX else client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # Signed in without a member row (staff included): there are no notifications to show.
    for user in (UserFactory(), StaffFactory()):
        response = signed_in(client, user).get(INBOX)
        assert response.status_code == 403 and "Members only" in html_of(response)
        assert INBOX not in nav_of(html_of(client.get("/governance/")))
    # A member awaiting payment gets comment notifications too, and the inbox.
    unpaid = make_member(paid=False)
    assert signed_in(client, unpaid.user).get(INBOX).status_code == 200


# --- the nav ------------------------------------------------------------------------------


def test_the_nav_counts_unread_notifications(client, quiet_crew):
    p = make_proposal(author=quiet_crew[1])
    rows = notes_for(quiet_crew[0], p, 3)
    signed_in(client, quiet_crew[0].user)
    nav = nav_of(html_of(client.get("/governance/")))
    assert f'href="{INBOX}"' in nav
    assert 'aria-label="Notifications, 3 unread">Notifications (3)</a>' in nav
    Notice.objects.filter(pk=rows[0].pk).update(read_at=timezone.now())
    nav = nav_of(html_of(client.get("/governance/")))
    assert 'aria-label="Notifications, 2 unread">Notifications (2)</a>' in nav
    Notice.objects.update(read_at=timezone.now())
    nav = nav_of(html_of(client.get("/governance/")))
    assert ">Notifications</a>" in nav and "unread" not in nav
    # The inbox marks its own link as the current page, not "Proposals".
    nav = nav_of(html_of(client.get(INBOX)))
    assert f'<a href="{INBOX}" aria-current="page">' in nav
    assert '<a href="/governance/" aria-current="page">' not in nav


def test_the_nav_count_stops_at_99_plus(client, quiet_crew):
    notes_for(quiet_crew[0], make_proposal(author=quiet_crew[1]), 120)
    nav = nav_of(html_of(signed_in(client, quiet_crew[0].user).get("/governance/")))
    assert 'aria-label="Notifications, 99+ unread">Notifications (99+)</a>' in nav


def test_the_nav_count_costs_one_query_and_none_where_it_is_not_drawn(client, quiet_crew):
    notes_for(quiet_crew[0], make_proposal(author=quiet_crew[1]), 2)
    with CaptureQueriesContext(connection) as queries:
        for url in ("/", "/accounts/login/"):
            assert client.get(url).status_code == 200  # a visitor
    assert notification_queries(queries) == 0
    signed_in(client, UserFactory())  # signed in, not a member
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert notification_queries(queries) == 0
    signed_in(client, quiet_crew[0].user)
    for url in ("/", "/governance/", detail_url(Proposal.objects.get())):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert notification_queries(queries) == 1, url
    # An htmx partial has no nav: no count.
    with CaptureQueriesContext(connection) as queries:
        client.get("/governance/", {"show": "discussion"}, **HTMX)
    assert notification_queries(queries) == 0


def _inbox_queries(client, member, n: int) -> int:
    notices.of(member).delete()
    notes_for(member, make_proposal(author=member, title=f"Idea {n}"), n)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INBOX).status_code == 200
    assert notification_queries(queries) == 2  # the unread count and the page
    return len(queries)


# user (with the member), the unread count, the page (titles and links are stored with each
# notice), and since notices moved to coop the email settings form's choices (one more; the
# session comes from the cache, so the total stays within the old pin of 4)
INBOX_QUERIES = 4


def test_the_inbox_query_count_does_not_grow(client, quiet_crew, django_assert_max_num_queries):
    signed_in(client, quiet_crew[0].user)
    assert _inbox_queries(client, quiet_crew[0], 2) == _inbox_queries(client, quiet_crew[0], 40)
    with django_assert_max_num_queries(INBOX_QUERIES):
        client.get(INBOX, {"page": 2})


# --- mark all as read ---------------------------------------------------------------------


def test_mark_all_read_marks_mine_up_to_what_the_page_showed(client, quiet_crew):
    p = make_proposal(author=quiet_crew[2])
    mine = notes_for(quiet_crew[0], p, 3)
    others = notes_for(quiet_crew[1], p, 2)
    signed_in(client, quiet_crew[0].user)
    # The hidden field as the browser sends it back.
    up_to = re.search(r'name="up_to" value="([^"]+)"', html_of(client.get(INBOX))).group(1)
    assert re.search(r"[+-]\d\d:\d\d$", up_to)  # with its offset: never ambiguous
    late = notes_for(quiet_crew[0], p, 1, start=timezone.now() + timedelta(seconds=1))[0]
    response = client.post(MARK_READ, {"up_to": up_to}, follow=True)
    assert response.redirect_chain == [(INBOX, 302)]
    html = html_of(response)
    assert "3 notifications marked as read." in html
    assert all(Notice.objects.get(pk=n.pk).read_at for n in mine)
    assert Notice.objects.get(pk=late.pk).read_at is None  # arrived after the page
    assert not Notice.objects.filter(pk__in=[n.pk for n in others], read_at__isnull=False)
    assert html.count('class="card notification unread"') == 1
    assert 'aria-label="Notifications, 1 unread">Notifications (1)</a>' in nav_of(html)


def test_mark_all_read_with_bad_input_changes_nothing(client, quiet_crew):
    notes_for(quiet_crew[0], make_proposal(author=quiet_crew[1]), 2)
    signed_in(client, quiet_crew[0].user)
    for data in ({}, {"up_to": "yesterday-ish"}):
        response = client.post(MARK_READ, data, follow=True)
        assert "Nothing was marked as read: reload the page and try again." in html_of(response)
    assert Notice.objects.filter(read_at__isnull=False).count() == 0
    assert client.get(MARK_READ).status_code == 405  # reading changes nothing


def test_mark_all_read_needs_the_csrf_token(quiet_crew):
    notes_for(quiet_crew[0], make_proposal(author=quiet_crew[1]), 2)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(quiet_crew[0].user)
    html = html_of(browser.get(INBOX))
    assert 'name="csrfmiddlewaretoken"' in html and f'action="{MARK_READ}"' in html
    response = browser.post(MARK_READ, {"up_to": timezone.now().isoformat()})
    assert response.status_code == 403
    assert Notice.objects.filter(read_at__isnull=False).count() == 0


def test_the_service_marks_only_unread_ones_up_to_now(quiet_crew):
    p = make_proposal(author=quiet_crew[1])
    old, fresh = notes_for(quiet_crew[0], p, 2)
    earlier = timezone.now() - timedelta(days=3)
    Notice.objects.filter(pk=old.pk).update(read_at=earlier)
    # A time in the future is clamped to now; the one read before keeps its time.
    count = services.notifications_mark_read(
        member=quiet_crew[0], up_to=timezone.now() + timedelta(days=1)
    )
    assert count == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.read_at == earlier and fresh.read_at is not None
    assert services.notifications_mark_read(member=quiet_crew[0]) == 0
