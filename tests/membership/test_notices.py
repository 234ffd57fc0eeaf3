"""Membership's notices (coop.notices): an application decided and a share payment recorded
reach the member's inbox and are emailed once, even when the mail server fails and the task is
retried; a paper member without an account still gets the email; email off means inbox only.
Mail server: tests.flaky_mail.FlakyBackend; retries run inline."""

from datetime import date

import pytest
from django.utils import timezone

from coop.models import Notice
from membership import services
from tests import flaky_mail, notices
from tests.membership.factories import REGISTRAR

from .factories import StakeholderClassFactory, UserFactory

# The retries run inline (tests/conftest.py's eager_retries), as they did when each module
# had its own copy of the fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_retries")]

INBOX = "/governance/notifications/"


def apply(email="ann@example.org", *, with_account=True):
    klass = StakeholderClassFactory()
    user = UserFactory(email=email) if with_account else None
    return services.application_submit(stakeholder_class=klass, shares=klass.min_shares,
                                       name="Ann", email=email, user=user)


def test_an_approval_reaches_the_inbox_and_is_emailed_once_through_a_retry(
        settings, client, mailoutbox, retries, django_capture_on_commit_callbacks):
    application = apply()
    # The approval's notice is the first message; the connection drops on it twice.
    script = flaky_mail.use(settings, flaky_mail.Script(disconnect_on={1, 2}))

    with django_capture_on_commit_callbacks(execute=True):
        member = services.application_approve(actor=REGISTRAR, application=application)

    assert [m.to for m in mailoutbox] == [["ann@example.org"]]
    assert mailoutbox[0].subject.endswith("Welcome: your application was approved")
    assert f"Your member number is {member.member_number}." in mailoutbox[0].body
    assert [name for name, _ in retries] == ["coop.tasks.notices_email"] * 2
    assert script.attempts == 3
    (notice,) = notices.of(member)
    assert notice.kind == "membership.application_approved" and notice.emailed_at is not None

    # Run again (a retried task): nothing more goes out.
    notices.email_again(member, "membership.application_approved").get()
    assert len(mailoutbox) == 1

    client.force_login(member.user)
    html = client.get(INBOX).content.decode()
    assert "Welcome: your application was approved" in html and 'href="/"' in html


def test_a_paper_member_without_an_account_gets_the_email(
        settings, mailoutbox, django_capture_on_commit_callbacks):
    application = apply("paper@example.org", with_account=False)
    flaky_mail.use(settings, flaky_mail.Script())
    with django_capture_on_commit_callbacks(execute=True):
        member = services.application_approve(actor=REGISTRAR, application=application)
    assert member.user is None
    assert [m.to for m in mailoutbox] == [["paper@example.org"]]
    assert notices.of(member).get().emailed_at is not None


def test_a_rejection_goes_to_the_applicant_who_is_no_member(
        settings, mailoutbox, django_capture_on_commit_callbacks):
    application = apply("bob@example.org")
    flaky_mail.use(settings, flaky_mail.Script(disconnect_on={1}))
    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject(actor=REGISTRAR,
                                    application=application, reason="The class is full.")
    assert [m.to for m in mailoutbox] == [["bob@example.org"]]
    assert mailoutbox[0].subject.endswith("About your application")
    assert "Reason: The class is full." in mailoutbox[0].body
    assert notices.of(application).get().emailed_at is not None


def test_a_recorded_payment_reaches_the_inbox_and_is_emailed_once_through_a_retry(
        settings, client, mailoutbox, retries, django_capture_on_commit_callbacks):
    member = services.application_approve(actor=REGISTRAR, application=apply())
    Notice.objects.all().delete()  # the welcome notice: looked at above
    script = flaky_mail.use(settings, flaky_mail.Script(disconnect_on={1}))

    with django_capture_on_commit_callbacks(execute=True):
        payment = services.share_payment_record(actor=REGISTRAR, member=member, amount_minor=5000,
                                                paid_on=timezone.localdate(), reference="T-1")

    receipts = [m for m in mailoutbox if m.subject.endswith("We recorded your share payment")]
    assert [m.to for m in receipts] == [["ann@example.org"]]
    assert "We recorded your share payment of 50.00 EUR" in receipts[0].body
    assert script.attempts == 2 and [n for n, _ in retries] == ["coop.tasks.notices_email"]
    (notice,) = notices.about(payment)
    assert notice.kind == "membership.payment_recorded" and notice.emailed_at is not None
    notices.email_again(payment, "membership.payment_recorded").get()
    assert len([m for m in mailoutbox if m.subject == receipts[0].subject]) == 1

    client.force_login(member.user)
    html = client.get(INBOX).content.decode()
    today = timezone.localdate()
    assert f"We recorded your share payment of {today.day} {today:%B %Y}" in html


def test_with_email_off_a_payment_is_in_the_inbox_only(
        settings, client, mailoutbox, django_capture_on_commit_callbacks):
    member = services.application_approve(actor=REGISTRAR, application=apply())
    flaky_mail.use(settings, flaky_mail.Script())
    client.force_login(member.user)
    # The inbox's settings form: every member kind is on by default; turn payments off.
    html = client.get(INBOX).content.decode()
    assert 'name="membership.payment_recorded" id="id_membership.payment_recorded" checked' in html
    response = client.post(f"{INBOX}settings/", {"governance.vote_opened": "on"}, follow=True)
    assert "Your email settings are saved." in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        payment = services.share_payment_record(actor=REGISTRAR, member=member, amount_minor=5000,
                                                paid_on=date.today(), reference="T-2")

    assert not [m for m in mailoutbox if "share payment" in m.subject]
    notice = notices.about(payment).get()
    assert notice.emailed_at is None  # not sent; in the inbox
    assert notice.title in client.get(INBOX).content.decode()
    # Back on: the kind's email goes out on the next run, once.
    client.post(f"{INBOX}settings/", {"membership.payment_recorded": "on"})
    assert notices.email_again(payment, "membership.payment_recorded").get() == 1
    assert notices.email_again(payment, "membership.payment_recorded").get() == 0
