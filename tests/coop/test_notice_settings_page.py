"""The inbox's "Email me too" settings: one checkbox per kind of member notice, saved through
coop.notices, and honoured by the email step (the inbox always has the notice)."""

import re

import pytest
from django.utils import timezone
from django.utils.html import escape

from coop import notices
from coop.models import Notice, NoticePreference
from membership import services
from tests.membership.factories import REGISTRAR, StakeholderClassFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

INBOX = "/governance/notifications/"
SETTINGS = "/governance/notifications/settings/"


@pytest.fixture
def member(client):
    member = make_member(stakeholder_class=StakeholderClassFactory(), user=UserFactory())
    client.force_login(member.user)
    return member


def test_the_inbox_shows_the_settings_once_and_a_plain_title(client, member):
    page = client.get(INBOX).content.decode()

    assert page.count("Email me too") == 1
    (title,) = re.findall(r"<title>(.*?)</title>", page, flags=re.S)
    assert "<" not in title and "Notifications" in title
    # One checkbox per kind a member may get, each checked by the kind's default.
    for name, on in notices.email_choices(member).items():
        box = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
        assert box, name
        assert ("checked" in box.group(0)) == on


def test_turning_an_email_off_keeps_the_notice_in_the_inbox_only(client, member, mailoutbox,
                                                                 django_capture_on_commit_callbacks):
    everything_but_payments = {name: "on" for name in notices.email_choices(member)
                               if name != "membership.payment_recorded"}

    response = client.post(SETTINGS, everything_but_payments)

    assert response.status_code == 302
    assert notices.email_choices(member)["membership.payment_recorded"] is False
    with django_capture_on_commit_callbacks(execute=True):
        services.share_payment_record(member=member, amount_minor=1000,
                                      paid_on=timezone.localdate(), actor=REGISTRAR)
    (notice,) = Notice.objects.filter(kind="membership.payment_recorded")
    assert notice.emailed_at is None
    assert not [m for m in mailoutbox if m.to == [member.email]]
    assert escape(notice.title) in client.get(INBOX).content.decode()


def test_settings_are_for_signed_in_members_and_need_the_csrf_token(client):
    anonymous = client.post(SETTINGS, {})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    from django.test import Client

    member = make_member(stakeholder_class=StakeholderClassFactory(), user=UserFactory())
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member.user)
    assert strict.post(SETTINGS, {}).status_code == 403
    assert not NoticePreference.objects.exists()
