"""Helpers shared by the membership services' sub-modules."""

from datetime import date

from django.db import transaction

from coop.errors import InvalidInput, NotAllowed

_REGISTRAR = "Only staff or a partner key with members:write can do this."


def _require(allowed: bool, message: str) -> None:
    """The services check their actor themselves (membership.rules), whatever the face."""
    if not allowed:
        raise NotAllowed(message)


def _on_commit_email(kind: str, **ids) -> None:
    from ..tasks import send_membership_email

    transaction.on_commit(lambda: send_membership_email.delay(kind, **ids))


def _not_in_the_future(day: date, today: date, what: str, field: str) -> None:
    """The register records what happened: no date after today (the cooperative's local date)."""
    if day > today:
        raise InvalidInput(f"{what} cannot be dated in the future.",
                           errors={field: ["Must not be in the future."]})
