"""Helpers shared by the governance services' sub-modules."""

import logging
from datetime import datetime

from django.utils import timezone

from coop.audit import audit_record
from coop.errors import NotAllowed

from .. import rules
from ..models import (
    Proposal,
)

logger = logging.getLogger(__name__)

SMALL_CLASS = rules.SMALL_CLASS  # kept importable from here; the rule is rules.hidden_classes


def _audit(proposal: Proposal, action: str, actor, facts: dict | None = None) -> None:
    audit_record(
        action=action, object_type="proposal", object_id=proposal.pk, actor=actor, facts=facts or {}
    )


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _require(allowed: bool, message: str) -> None:
    """Every service with a permission rule asks governance.rules itself, whatever the face."""
    if not allowed:
        raise NotAllowed(message)
