"""The membership emails (one message a task) survive a failing mail server: a transient failure
is retried with backoff until the message goes out once; a refused address is logged by id and
dropped, not retried. Mail server: tests.flaky_mail.FlakyBackend; retries run inline."""

import logging
import smtplib

import pytest

from coop import mail
from membership import services, tasks
from tests import flaky_mail

from .factories import StakeholderClassFactory, UserFactory

# The retries run inline (tests/conftest.py's eager_retries), as they did when each module
# had its own copy of the fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_retries")]


def application(email: str):
    klass = StakeholderClassFactory()
    user = UserFactory(email=email)
    return services.application_submit(stakeholder_class=klass, shares=klass.min_shares,
                                       name="Ann", email=user.email, user=user)


def submit(capture, email="ann@example.org"):
    with capture(execute=True):
        return application(email)


def test_a_dropped_connection_is_retried_and_the_email_goes_out_once(
        settings, mailoutbox, retries, caplog, django_capture_on_commit_callbacks):
    script = flaky_mail.use(settings, flaky_mail.Script(disconnect_on={1, 2}))
    caplog.set_level(logging.INFO)

    submitted = submit(django_capture_on_commit_callbacks)

    assert [m.to for m in mailoutbox] == [["ann@example.org"]]
    assert mailoutbox[0].subject.endswith("We received your application")
    assert [name for name, _ in retries] == ["membership.tasks.send_membership_email"] * 2
    assert script.attempts == 3
    for number, (_, countdown) in enumerate(retries):
        assert 0 <= countdown <= settings.EMAIL_RETRY_BACKOFF * 2**number
    warnings = [r.getMessage() for r in caplog.records if r.name == "coop.mail"]
    assert warnings == [
        f"membership.tasks.send_membership_email: application_received for application "
        f"{submitted.pk}: SMTPServerDisconnected after 0 of 1 emails, 1 left; "
        f"attempt {n} of 9, will retry" for n in (1, 2)]
    assert not any("ann@example.org" in r.getMessage() for r in caplog.records)


def test_a_refused_address_is_logged_by_id_and_not_retried(
        settings, mailoutbox, retries, caplog, django_capture_on_commit_callbacks):
    script = flaky_mail.use(settings, flaky_mail.Script(refuse={"gone@example.org"}))
    caplog.set_level(logging.INFO)

    submitted = submit(django_capture_on_commit_callbacks, email="gone@example.org")

    assert not mailoutbox and not retries and script.attempts == 1
    [warning] = [r for r in caplog.records if r.name == "coop.mail"]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage() == (
        f"membership.tasks.send_membership_email: application_received for application "
        f"{submitted.pk}: the message refused for good (SMTPRecipientsRefused 550); "
        f"the others go on")
    assert not any("gone@example.org" in r.getMessage() for r in caplog.records)


def test_it_gives_up_after_the_last_retry(settings, mailoutbox, retries):
    script = flaky_mail.use(settings, flaky_mail.Script(disconnect_on=range(1, 100)))
    result = tasks.send_membership_email.delay("application_received",
                                               application_id=application("a@example.org").pk)

    assert result.state == "FAILURE" and isinstance(result.result, mail.TransientEmailError)
    assert len(retries) == tasks.send_membership_email.max_retries == 8
    assert script.attempts == 9 and not mailoutbox


def test_a_wrong_login_is_not_retried(settings, mailoutbox, retries):
    flaky_mail.use(settings, flaky_mail.Script(
        error_on={1: smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials")}))
    result = tasks.send_membership_email.delay("application_received",
                                               application_id=application("a@example.org").pk)

    assert result.state == "FAILURE"
    assert isinstance(result.result, smtplib.SMTPAuthenticationError)
    assert not retries and not mailoutbox
