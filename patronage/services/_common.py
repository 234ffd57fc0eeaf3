"""Helpers the patronage services share."""

from coop.errors import NotAllowed

WRITERS = "Only staff or a partner key with ledger:write can do this."


def require(allowed: bool, message: str = WRITERS) -> None:
    """The services check their actor themselves (patronage.rules), whatever the face."""
    if not allowed:
        raise NotAllowed(message)


def source_of(actor) -> str:
    """The source a contribution's `external_id` is unique in: the partner key, else staff or
    the system job (a person's resend and a partner's never collide)."""
    from coop.actors import SystemActor
    from coop.models import PartnerApiKey

    if isinstance(actor, PartnerApiKey):
        return f"api_key:{actor.prefix}"
    if isinstance(actor, SystemActor):
        return f"system:{actor.name}"
    return "staff"


def user_of(actor):
    """The person to record as having done something (`created_by`...); None for a key or a
    system job."""
    from django.contrib.auth import get_user_model

    return actor if isinstance(actor, get_user_model()) else None
