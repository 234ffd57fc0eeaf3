"""Email backends that fail the way an SMTP server does, for the email retry tests.

`FlakyBackend` is configured through MAILERS OPTIONS with a `Script` the test keeps, and delivers
what it does not fail to Django's locmem outbox (`mailoutbox`). `FileFlakyBackend` is for a real
Celery worker (another process): it reads its script from the environment and writes each message
it delivers to a file the test reads."""

import contextlib
import os
import smtplib
from pathlib import Path

from celery.signals import task_retry
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend


class Script:
    """What the server does with each message it is handed, counted from 1 over every connection
    and retry: drop the connection (a transient failure), raise `error_on` exceptions, refuse
    some addresses for good (550), else take it."""

    def __init__(self, *, disconnect_on=(), refuse=(), error_on=None):
        self.disconnect_on = set(disconnect_on)
        self.refuse = set(refuse)
        self.error_on = dict(error_on or {})
        self.attempts = 0
        self.disconnects = 0
        self.refusals = 0

    def check(self, message) -> None:
        self.attempts += 1
        if self.attempts in self.disconnect_on:
            self.disconnects += 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        if self.attempts in self.error_on:
            raise self.error_on[self.attempts]
        refused = {a: (550, b"5.1.1 No such user")
                   for a in message.recipients() if a in self.refuse}
        if refused:
            self.refusals += 1
            raise smtplib.SMTPRecipientsRefused(refused)


class FlakyBackend(LocmemBackend):
    def __init__(self, *, script: Script, **kwargs):
        super().__init__(**kwargs)
        self.script = script

    def send_messages(self, messages):
        sent = 0
        for message in messages:
            for address in message.recipients():
                # An address the SMTP backend cannot write raises ValueError there too.
                SmtpBackend.prep_address(self, address)
            self.script.check(message)
            sent += super().send_messages([message])
        return sent


def use(settings, script: Script) -> Script:
    """Make FlakyBackend, following `script`, the default mailer (pytest-django's `settings`
    fixture undoes it after the test)."""
    settings.MAILERS = {
        "default": {"BACKEND": "tests.flaky_mail.FlakyBackend", "OPTIONS": {"script": script}}
    }
    return script


@contextlib.contextmanager
def eager_retries():
    """With task_eager_propagates (the suite's default) an eager task's first Retry is raised to
    the caller and no retry runs. Without it, Celery runs the retries at once, inline (the
    countdown is computed and reported, not waited for), and keeps the last attempt's error in
    the EagerResult, as a worker would record it."""
    from coop.celery import app

    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    try:
        yield
    finally:
        app.conf.task_eager_propagates = saved


@contextlib.contextmanager
def recorded_retries():
    """(task name, countdown) of each retry Celery schedules, in order."""
    seen = []

    def record(sender, request, reason, **kwargs):
        seen.append((sender.name, reason.when))

    task_retry.connect(record, weak=False)
    try:
        yield seen
    finally:
        task_retry.disconnect(record)


class FileFlakyBackend(BaseEmailBackend):
    """In a worker process: FLAKY_MAIL_DIR gets a file per delivered message (its recipients)
    and the attempt counter; FLAKY_MAIL_DISCONNECT_ON lists the attempts (1, 2...) that drop the
    connection. Only messages whose subject holds FLAKY_MAIL_SUBJECT count; the others (the
    membership emails of the test's set-up) are taken and forgotten. The worker runs one task at a
    time (--pool=solo), so a plain counter file does."""

    def send_messages(self, messages):
        folder = Path(os.environ["FLAKY_MAIL_DIR"])
        disconnect_on = {int(n) for n in os.environ.get("FLAKY_MAIL_DISCONNECT_ON", "").split()}
        counter = folder / "attempts"
        sent = 0
        for message in messages:
            sent += 1
            if os.environ.get("FLAKY_MAIL_SUBJECT", "") not in message.subject:
                continue
            attempt = int(counter.read_text()) + 1 if counter.exists() else 1
            counter.write_text(str(attempt))
            if attempt in disconnect_on:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            (folder / f"sent-{attempt}.txt").write_text("\n".join(message.recipients()))
        return sent
