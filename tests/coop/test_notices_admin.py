"""Notices in Django admin (moved from governance with the model): read-only, with when the
email went out, at a pinned query count."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from coop.models import Notice
from tests import notices
from tests.governance.helpers import active_members, new_proposal

pytestmark = pytest.mark.django_db


def page(client, name: str, *args) -> str:
    response = client.get(reverse(f"admin:coop_{name}", args=args))
    assert response.status_code == 200, name
    return response.content.decode()


def made(n: int) -> list[Notice]:
    """n notices, each for another member, over two proposals; the even ones emailed."""
    members = active_members(n)
    Notice.objects.all().delete()  # their welcome and payment notices: not looked at here
    proposals = [new_proposal(title="First"), new_proposal(title="Second")]
    sent = timezone.now() + timedelta(hours=1)  # not the minute of created_at, to tell apart
    rows = [notices.make(member, proposals[i % 2], 1, emailed_at=None if i % 2 else sent)[0]
            for i, member in enumerate(members)]
    assert Notice.objects.count() == n
    return rows


@pytest.mark.parametrize("rows", [1, 15])
def test_notice_changelist_pinned_query_count(staff_client, django_assert_num_queries, rows):
    made(rows)
    url = reverse("admin:coop_notice_changelist")
    staff_client.get(url)  # warm up caches (content types, session)
    # the user, the page's count, the cooperative (layout), the page of notices with their
    # recipient's type: the same for 1 row and for 15.
    with django_assert_num_queries(4):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows


def test_notice_admin_shows_when_the_email_went_out(staff_client):
    sent, unsent = made(2)
    url = reverse("admin:coop_notice_changelist")
    html = staff_client.get(url).content.decode()
    assert "Emailed at" in html and "By emailed" in html
    for row in (sent, unsent):
        assert f'/{row.pk}/change/">member {row.recipient_id}</a>' in html
    for choice, expected in (("yes", [sent.pk]), ("no", [unsent.pk]),
                             (None, [sent.pk, unsent.pk])):
        response = staff_client.get(url, {"emailed": choice} if choice else {})
        assert sorted(n.pk for n in response.context["cl"].result_list) == sorted(expected)

    # As the admin writes a date and time: in the cooperative's time zone and format.
    shown = formats.localize(timezone.template_localtime(sent.emailed_at))
    assert html.count(shown) == 1  # the sent one's cell; the other row has none

    detail = page(staff_client, "notice_change", sent.pk)
    assert "Emailed at" in detail and shown in detail
    assert 'name="emailed_at"' not in detail  # shown, not editable
    unsent_detail = page(staff_client, "notice_change", unsent.pk)
    assert "Emailed at" in unsent_detail and shown not in unsent_detail


def test_notices_are_read_only_in_admin(staff_client):
    (row,) = made(1)
    assert staff_client.get(reverse("admin:coop_notice_add")).status_code == 403
    response = staff_client.post(reverse("admin:coop_notice_change", args=[row.pk]),
                                 {"emailed_at_0": "2020-01-01", "emailed_at_1": "00:00:00"})
    assert response.status_code == 403
    delete = staff_client.post(reverse("admin:coop_notice_delete", args=[row.pk]),
                               {"post": "yes"})
    assert delete.status_code == 403
    row.refresh_from_db()
    assert row.emailed_at is not None and Notice.objects.count() == 1
