"""The alerts' and the digest's emails (rendered by coop.notices from vitality's templates),
and the members' opt-in in their notice settings."""

from datetime import date

import pytest
from django.core import mail

from coop import notices
from tests.membership.factories import UserFactory
from tests.vitality import factories as f
from vitality import services

pytestmark = pytest.mark.django_db
MAY = date(2026, 5, 1)


def test_an_alert_is_emailed_to_staff_and_opted_in_members(
        scenario, frozen, staff, django_capture_on_commit_callbacks):
    reader = f.member(f.klass("users"), date(2026, 1, 3), user=UserFactory())
    notices.notice_preferences_set(recipient=reader, email={"vitality.member_alert": True})
    with django_capture_on_commit_callbacks(execute=True):
        services.snapshot_refresh(month=MAY)
    lag = [m for m in mail.outbox
           if m.subject.endswith("Vitality alert for May 2026: Implementation lag")]
    assert sorted(m.to[0] for m in lag) == sorted([staff.email, reader.email])
    body = next(m.body for m in mail.outbox if m.to == [staff.email])
    assert "1 passed proposal(s) decided more than 90 days ago are not implemented yet." in body
    assert "/vitality/#alerts" in body
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        services.snapshots_catch_up()
    assert len([m for m in mail.outbox[sent:] if "Vitality alert for May" in m.subject]) == 0


def test_the_digest_email(scenario, frozen, django_capture_on_commit_callbacks):
    reader = f.member(f.klass("users"), date(2026, 1, 3), user=UserFactory())
    notices.notice_preferences_set(recipient=reader, email={"vitality.digest": True})
    services.snapshot_refresh(month=date(2026, 6, 1))
    with django_capture_on_commit_callbacks(execute=True):
        services.digest_send(month=date(2026, 6, 1))
    (email,) = mail.outbox
    assert email.to == [reader.email]
    assert "How the cooperative did in June 2026" in email.subject
    assert "Active members at the end of the month: 19" in email.body
    assert "Satisfaction (mean score out of 5): 3.44" in email.body


def test_members_opt_in_on_their_settings_page(client, frozen):
    member = f.member(f.klass("users"), date(2026, 1, 3), user=UserFactory())
    client.force_login(member.user)
    html = client.get("/governance/notifications/").content.decode()
    assert "A vitality alert fired (the cooperative&#x27;s health; opt in)" in html
    assert "The monthly vitality digest (opt in)" in html
