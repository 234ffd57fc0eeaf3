"""The bylaws: which version is current, the check that an applicant accepted it, and the one
write (`bylaws_save`, called by the admin).

The current bylaws are the published version adopted last. A cooperative that has not yet
entered its bylaws text keeps the version label of `Cooperative.bylaws_version` (and its
`bylaws_url`), as before; publishing a version copies its label there, so every reader of that
field (the paper-application admin, the service's default for the API) records the same
version the apply page shows.

Kept apart from membership.services: the apply form and the API call `accepted_version` before
submitting, so the service itself needs no change.
"""

from django.db import transaction

from coop.audit import audit_record
from coop.errors import InvalidInput, NotAllowed
from coop.models import Cooperative

from . import rules
from .locks import lock_bylaws
from .models import Bylaws


def published():
    return Bylaws.objects.filter(published=True).order_by("-adopted_on", "-pk")


def current() -> Bylaws | None:
    """The published version adopted last, or None if no version is published yet."""
    return published().first()


def current_version(cooperative: Cooperative | None = None) -> str:
    bylaws = current()
    if bylaws is not None:
        return bylaws.version
    return (cooperative or Cooperative.current()).bylaws_version


def accepted_version(version: str | None, cooperative: Cooperative | None = None) -> str:
    """The version an applicant accepted, checked: it must be the current version, which
    exists (published), so an application never records a label nobody can read. A version
    replaced since the form was shown is refused: the applicant reads and accepts the new one.
    Errors under `bylaws_version` (the apply form shows them at its checkbox)."""
    current_label = current_version(cooperative)
    if version == current_label:
        return version
    if not version:
        message = "The bylaws version is missing: reload the page and accept the bylaws."
    elif published().filter(version=version).exists():
        message = (f"The bylaws have changed since this page was opened: version "
                   f"{current_label} now applies. Please read it and accept it.")
    else:
        message = f"Unknown bylaws version {version!r}: the current version is {current_label}."
    raise InvalidInput(message, errors={"bylaws_version": [message]})


@transaction.atomic
def bylaws_save(*, bylaws: Bylaws, actor) -> Bylaws:
    """Staff add or edit a version of the bylaws. A published version is fixed; publishing
    makes it current if it was adopted last (its label is copied to Cooperative.bylaws_version
    in the same transaction)."""
    if not rules.is_staff(actor):
        raise NotAllowed("Only staff edit the bylaws.")
    created = bylaws.pk is None
    if not created:
        before = lock_bylaws(bylaws.pk)
        if before.published:
            raise InvalidInput("A published version cannot be changed: add a new version.")
    bylaws.full_clean()
    bylaws.save()
    audit_record(action="bylaws.saved", object_type="bylaws", object_id=bylaws.pk, actor=actor,
                 facts={"version": bylaws.version, "adopted_on": bylaws.adopted_on.isoformat(),
                        "published": bylaws.published, "created": created})
    if bylaws.published:
        cooperative = Cooperative.current()
        label = current_version(cooperative)
        if cooperative.bylaws_version != label:
            cooperative.bylaws_version = label
            cooperative.save(update_fields=["bylaws_version"])
    return bylaws
