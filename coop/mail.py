"""Email from Celery tasks: one message per recipient over one connection, a retry for failures
that may pass, and nothing sent twice.

A task hands `deliver()` its messages and records each one `deliver()` reports sent; when a
later message fails, those records are kept (the caller writes them in a `finally`), so the retry
sends only the rest. Logs name the task, what it was sending and how many are left, never an
address (the codebase logs none)."""

import contextlib
import email.policy
import logging
import smtplib
from collections.abc import Iterator

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends import console

log = logging.getLogger(__name__)


class TransientEmailError(Exception):
    """The mail server or the network failed in a way that may pass: the task tries again later.
    Its message names no address, as Celery logs it with each retry."""


# Celery options for a task that sends email (see EMAIL_RETRY_BACKOFF in settings).
RETRY = {
    "autoretry_for": (TransientEmailError,),
    "retry_backoff": settings.EMAIL_RETRY_BACKOFF,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": settings.EMAIL_MAX_RETRIES,
}

TRANSIENT, RECIPIENT, FATAL = "transient", "recipient", "fatal"


def failure_kind(exc: Exception) -> str:
    """TRANSIENT: try the whole send again later. RECIPIENT: this one message can never go out
    (a refused or invalid address); the others go on. FATAL: a retry would not help either (the
    server refuses our sender or login; a bug): stop and let the task fail."""
    if isinstance(exc, ValueError):  # Django's answer to an address it cannot write
        return RECIPIENT
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return TRANSIENT if codes and all(400 <= code < 500 for code in codes) else RECIPIENT
    if isinstance(exc, smtplib.SMTPResponseException):
        if 400 <= exc.smtp_code < 500:  # 4xx: "try again later" in SMTP's own words
            return TRANSIENT
        # A 5xx to the message's data rejects this message; to the sender, the greeting or the
        # login, every message.
        return RECIPIENT if isinstance(exc, smtplib.SMTPDataError) else FATAL
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TRANSIENT
    if isinstance(exc, smtplib.SMTPException):  # the server lacks STARTTLS or an AUTH method
        return FATAL
    if isinstance(exc, OSError):  # refused or reset connection, timeout, DNS, TLS handshake
        return TRANSIENT
    return FATAL


def _code(exc: Exception) -> str:
    """The exception's class and SMTP code: what a log may say about it (its message can hold
    addresses)."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = ",".join(sorted({str(c) for c, _ in exc.recipients.values()}))
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__


def deliver(task, what: str, items: list[tuple[object, EmailMessage]],
            noun: str = "notification") -> Iterator[object]:
    """Send each (key, message) on its own over one connection to the default mailer, and yield
    the key of each one the server took, right after it did.

    A message that can never go out is logged and skipped. A transient failure raises
    TransientEmailError, which the task's autoretry turns into a retry with backoff; a fatal one
    is raised as it is. In logs, `what` says what is being sent and `noun` + key which message
    (ids, no addresses)."""
    if not items:
        return
    sent = 0
    attempt, attempts = task.request.retries + 1, task.max_retries + 1
    connection = mailers.default
    try:
        connection.open()
        for key, message in items:
            try:
                connection.send_messages([message])
            except Exception as exc:
                if failure_kind(exc) != RECIPIENT:
                    raise
                log.warning("%s: %s: %s %s refused for good (%s); the others go on",
                            task.name, what, noun, key, _code(exc))
                continue
            sent += 1
            yield key
    except Exception as exc:
        left = len(items) - sent
        if failure_kind(exc) == TRANSIENT:
            then = "giving up" if attempt >= attempts else "will retry"
            log.warning("%s: %s: %s after %d of %d emails, %d left; attempt %d of %d, %s",
                        task.name, what, _code(exc), sent, len(items), left, attempt, attempts,
                        then)
            # `from None`: the original's message (in tracebacks) may hold addresses.
            raise TransientEmailError(
                f"{what}: {_code(exc)} after {sent} of {len(items)} emails, {left} left"
            ) from None
        log.error("%s: %s: %s after %d of %d emails, %d left; not retrying",
                  task.name, what, _code(exc), sent, len(items), left)
        raise
    finally:
        # The messages were taken: a failure to say goodbye must not send them again.
        with contextlib.suppress(OSError):
            connection.close()


def send_one(task, what: str, message: EmailMessage) -> bool:
    """`deliver()` for a task that sends a single message: whether it went out."""
    return bool(list(deliver(task, what, [("message", message)], noun="the")))


# Lines up to RFC 5322's limit stay whole: the default policy (78) makes a long link quoted-
# printable, and the console then shows it cut by "=" soft breaks that cannot be clicked.
UNWRAPPED = email.policy.default.clone(max_line_length=998)


class ConsoleEmailBackend(console.EmailBackend):
    """The embedded default's mailer: each email on the console as a person reads it, with
    every line (a verification link above all) whole, and UTF-8 text readable, not encoded."""

    def write_message(self, message):
        msg = message.message(policy=UNWRAPPED)
        self.stream.write(f"{msg.as_bytes().decode('utf-8', 'replace')}\n")
        self.stream.write("-" * 79)
        self.stream.write("\n")
