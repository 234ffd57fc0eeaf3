"""Notification emails survive a failing mail server: a transient failure is retried with
backoff, an address refused for good does not stop the others, and nobody gets an email twice.

The mail server is tests.flaky_mail.FlakyBackend (a real backend that fails as scripted and
delivers the rest to the locmem outbox). Tasks run eagerly, with the retries inline (see
flaky_mail.eager_retries); one test runs them in a real worker."""

import logging
import smtplib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coop import mail
from coop import tasks as coop_tasks
from governance import services, tasks
from governance.models import Proposal
from tests import flaky_mail, notices
from tests.governance.factories import TEST_JOB
from tests.governance.helpers import (
    active_members,
    ensure_categories,
    new_proposal,
    opened_in_the_past,
)

# The retries run inline (tests/conftest.py's eager_retries), as they did when each module
# had its own copy of the fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_retries")]


def recipients(outbox) -> list[str]:
    return sorted(address for message in outbox for address in message.to)


def emailed(proposal, kind) -> set[int]:
    return notices.emailed(proposal, f"governance.{kind}")


def email_again(proposal, kind):
    return notices.email_again(proposal, f"governance.{kind}")


def open_with_notifications(capture) -> Proposal:
    with capture(execute=True):
        return services.proposal_open(actor=TEST_JOB, proposal=new_proposal())


def open_without_email() -> Proposal:
    """Opened, with its electors' notices written (the task that writes them, run here), and
    their email not sent: the test runs the email task itself."""
    proposal = services.proposal_open(actor=TEST_JOB, proposal=new_proposal())  # no on_commit
    tasks.notify_electors.delay(proposal.pk, "governance.vote_opened")
    return proposal


def no_address_logged(caplog, members) -> bool:
    text = "\n".join(record.getMessage() for record in caplog.records)
    return not any(member.email in text for member in members)


def test_a_dropped_connection_mid_batch_is_retried_and_nobody_gets_two(
        settings, mailoutbox, retries, caplog, django_capture_on_commit_callbacks):
    members = active_members(5)
    # The server takes two emails, then drops the connection on the third.
    script = flaky_mail.use(settings, flaky_mail.Script(disconnect_on={3}))
    caplog.set_level(logging.INFO)

    proposal = open_with_notifications(django_capture_on_commit_callbacks)

    assert recipients(mailoutbox) == sorted(m.email for m in members)  # each exactly once
    assert [name for name, _ in retries] == ["coop.tasks.notices_email"]
    # 2 delivered + 1 dropped, then the retry sends only the 3 left.
    assert (script.attempts, script.disconnects) == (6, 1)
    assert emailed(proposal, "vote_opened") == {m.pk for m in members}
    assert notices.about(proposal).count() == 5
    [warning] = [r for r in caplog.records if r.name == "coop.mail"]
    assert warning.levelno == logging.WARNING
    assert f"governance.vote_opened on proposal {proposal.pk}" in warning.getMessage()
    assert "after 2 of 5 emails, 3 left; attempt 1 of 9, will retry" in warning.getMessage()
    assert no_address_logged(caplog, members)


def test_retries_back_off_exponentially_with_jitter_until_the_server_is_back(
        settings, mailoutbox, retries, django_capture_on_commit_callbacks):
    members = active_members(3)
    script = flaky_mail.use(settings, flaky_mail.Script(disconnect_on={1, 2, 3, 4}))

    open_with_notifications(django_capture_on_commit_callbacks)

    assert recipients(mailoutbox) == sorted(m.email for m in members)
    assert len(retries) == 4 and script.disconnects == 4
    # Full jitter: each wait is drawn from 0 to backoff * 2^retry (60, 120, 240, 480 s).
    backoff = coop_tasks.notices_email.retry_backoff
    assert backoff == settings.EMAIL_RETRY_BACKOFF == 60
    for number, (_, countdown) in enumerate(retries):
        assert 0 <= countdown <= backoff * 2**number
    assert coop_tasks.notices_email.retry_jitter is True
    assert coop_tasks.notices_email.retry_backoff_max == 30 * 60  # under Redis' visibility timeout


def test_it_gives_up_after_the_last_retry_and_a_later_run_sends_the_rest(
        settings, mailoutbox, retries, caplog):
    members = active_members(3)
    proposal = open_without_email()  # its email task runs below
    script = flaky_mail.use(settings, flaky_mail.Script(disconnect_on=range(2, 100)))
    caplog.set_level(logging.INFO)

    result = email_again(proposal, "vote_opened")

    assert result.state == "FAILURE"
    assert isinstance(result.result, mail.TransientEmailError)
    assert "after 0 of 2 emails, 2 left" in str(result.result)
    max_retries = coop_tasks.notices_email.max_retries
    assert max_retries == settings.EMAIL_MAX_RETRIES == 8
    assert len(retries) == max_retries
    assert script.attempts == 1 + 1 + max_retries  # one delivered, then one drop per attempt
    assert len(mailoutbox) == 1
    assert notices.about(proposal).count() == 3  # the inbox has them all
    assert len(emailed(proposal, "vote_opened")) == 1
    assert any("attempt 9 of 9, giving up" in r.getMessage() for r in caplog.records)
    assert no_address_logged(caplog, members)

    # The server is back; the task runs again (by hand, or a retried close): only the two left.
    script.disconnect_on.clear()
    assert email_again(proposal, "vote_opened").get() == 2
    assert recipients(mailoutbox) == sorted(m.email for m in members)
    assert emailed(proposal, "vote_opened") == {m.pk for m in members}


def test_an_address_refused_for_good_does_not_stop_the_others(
        settings, mailoutbox, retries, caplog, django_capture_on_commit_callbacks):
    members = active_members(4)
    gone = members[1]
    script = flaky_mail.use(settings, flaky_mail.Script(refuse={gone.email}))
    caplog.set_level(logging.INFO)

    proposal = open_with_notifications(django_capture_on_commit_callbacks)

    assert recipients(mailoutbox) == sorted(m.email for m in members if m != gone)
    assert not retries and script.refusals == 1
    assert emailed(proposal, "vote_opened") == {m.pk for m in members if m != gone}
    refused = notices.about(proposal).get(recipient_id=gone.pk)
    assert refused.emailed_at is None  # not sent; still in the member's inbox
    [warning] = [r for r in caplog.records if r.name == "coop.mail"]
    assert warning.levelno == logging.WARNING
    assert (f"notice {refused.pk} refused for good (SMTPRecipientsRefused 550)"
            in warning.getMessage())
    assert no_address_logged(caplog, members)


def test_a_refusal_and_a_dropped_connection_in_one_batch(
        settings, mailoutbox, retries, django_capture_on_commit_callbacks):
    members = active_members(6)
    gone = members[0]
    # The refused address may come at any place in the batch; the connection drops at the 4th.
    script = flaky_mail.use(settings, flaky_mail.Script(refuse={gone.email}, disconnect_on={4}))

    proposal = open_with_notifications(django_capture_on_commit_callbacks)

    assert recipients(mailoutbox) == sorted(m.email for m in members if m != gone)
    assert len(retries) == 1 and script.disconnects == 1
    assert emailed(proposal, "vote_opened") == {m.pk for m in members if m != gone}


@pytest.mark.parametrize(("error", "retried"), [
    (smtplib.SMTPRecipientsRefused({"x@example.org": (450, b"4.2.1 Mailbox busy")}), True),
    (smtplib.SMTPDataError(451, b"4.3.0 Try again later"), True),
    (smtplib.SMTPSenderRefused(421, b"4.7.0 Too many connections", "coop@example.org"), True),
    (ConnectionResetError(104, "Connection reset by peer"), True),
    (TimeoutError("timed out"), True),
    (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), False),
    (smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "coop@example.org"), False),
])
def test_which_failures_are_retried(settings, mailoutbox, retries, error, retried):
    members = active_members(2)
    proposal = open_without_email()  # its email task runs below
    flaky_mail.use(settings, flaky_mail.Script(error_on={1: error}))

    result = email_again(proposal, "vote_opened")

    if retried:
        assert result.get() == 2
        assert len(retries) == 1
        assert recipients(mailoutbox) == sorted(m.email for m in members)
    else:
        # The configuration is wrong: retrying would not help, the task fails at once.
        assert result.state == "FAILURE" and type(result.result) is type(error)
        assert not retries and not mailoutbox
        assert notices.about(proposal).filter(emailed_at=None).count() == 2


def test_a_message_rejected_for_good_and_an_invalid_address_are_skipped(
        settings, mailoutbox, retries, django_capture_on_commit_callbacks):
    members = active_members(3)
    flaky_mail.use(settings, flaky_mail.Script(
        error_on={1: smtplib.SMTPDataError(554, b"5.7.1 Message rejected")}))
    # An address Django cannot write (the register came from an import) raises ValueError.
    type(members[2]).objects.filter(pk=members[2].pk).update(email="two@at@example.org")

    proposal = open_with_notifications(django_capture_on_commit_callbacks)

    assert not retries
    assert len(mailoutbox) == 1
    assert len(emailed(proposal, "vote_opened")) == 1


def test_a_reminder_retry_sends_only_to_those_not_reminded_yet(
        settings, mailoutbox, retries, django_capture_on_commit_callbacks):
    members = active_members(4)
    proposal = opened_in_the_past(hours_left=10, quorum_percent=50)
    script = flaky_mail.use(settings, flaky_mail.Script(disconnect_on={2}))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_reminders.delay().get() == 4

    assert recipients(mailoutbox) == sorted(m.email for m in members)
    assert len(retries) == 1 and script.attempts == 5
    assert emailed(proposal, "reminder") == {m.pk for m in members}


def test_a_comment_retry_makes_no_second_notification(
        settings, mailoutbox, retries, django_capture_on_commit_callbacks):
    author, critic, third = active_members(3)
    proposal = new_proposal(author=author)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.comment_post(proposal=proposal, member=critic, body="Too expensive.")
    mailoutbox.clear()
    script = flaky_mail.use(settings, flaky_mail.Script(disconnect_on={2}))

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_post(proposal=proposal, member=third, body="Not if we share it.",
                              parent=first)

    assert recipients(mailoutbox) == sorted([author.email, critic.email])
    assert len(retries) == 1 and script.attempts == 3
    rows = notices.of_kind("governance.comment")
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(
        [author.pk, author.pk, critic.pk])  # one per comment and person, none from the retry
    assert not rows.filter(emailed_at=None).exists()


def _task_queries(size: int, settings, disconnect_on=()) -> int:
    active_members(size, slug=f"class{size}")
    proposal = open_without_email()
    flaky_mail.use(settings, flaky_mail.Script(disconnect_on=disconnect_on))
    with CaptureQueriesContext(connection) as queries:
        email_again(proposal, "vote_opened")
    assert len(emailed(proposal, "vote_opened")) == proposal.electorate_size
    return len(queries)


@pytest.mark.parametrize("disconnect_on", [(), (2,)], ids=["clean", "one retry"])
def test_the_query_count_does_not_grow_with_the_electorate(settings, disconnect_on):
    # The target, then per batch: read the pending ones with their addresses, mark those sent
    # (a retry adds a round).
    assert _task_queries(3, settings, disconnect_on) == _task_queries(30, settings, disconnect_on)


# --- a real worker ---------------------------------------------------------------------------


@pytest.fixture
def flaky_worker(request, tmp_path, monkeypatch):
    """A real Celery worker whose mail server drops the connection at its third message, with
    the retry backoff shortened to a second (the worker waits the countdown for real)."""
    folder = tmp_path / "mail"
    folder.mkdir()
    monkeypatch.setenv("EMAIL_BACKEND", "tests.flaky_mail.FileFlakyBackend")
    monkeypatch.setenv("FLAKY_MAIL_DIR", str(folder))
    monkeypatch.setenv("FLAKY_MAIL_DISCONNECT_ON", "3")
    monkeypatch.setenv("FLAKY_MAIL_SUBJECT", "Voting is open")
    monkeypatch.setenv("EMAIL_RETRY_BACKOFF", "1")
    worker = request.getfixturevalue("celery_worker_process")  # started with this environment
    return worker, folder


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the worker is another process: rows are committed
def test_a_real_worker_retries_a_dropped_connection(flaky_worker):
    worker, folder = flaky_worker
    ensure_categories()  # the transactional test database starts empty
    members = active_members(4)

    # Committed (transactional test), so the notification goes through the broker to the worker.
    proposal = services.proposal_open(actor=TEST_JOB, proposal=new_proposal())

    def all_emailed():
        return len(emailed(proposal, "vote_opened")) == 4

    worker.wait_until(all_emailed, what="the worker to email every elector")
    delivered = sorted(path.read_text() for path in folder.glob("sent-*.txt"))
    assert delivered == sorted(m.email for m in members)  # each once: 2, a drop, then 2 more
    assert (folder / "attempts").read_text() == "5"
    log = worker.log()
    assert "retry: Retry in" in log and "after 2 of 4 emails, 2 left" in log
    assert not any(m.email in log for m in members)
