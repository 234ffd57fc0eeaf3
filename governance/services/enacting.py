"""Enactment plumbing: what a proposal enacts, checked at open and carried out when it passes."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from coop.errors import ServiceError
from coop.notices import notify_staff

from .. import enactments
from ..models import (
    Category,
    ImplementationUpdate,
    Proposal,
)
from ._common import _audit, logger

# --- enactments (RULES §6; the registry is governance/enactments.py) -------------------------


def _enactment_fields(enacts: dict | None, category: Category) -> dict:
    """The enactment fields of a new or edited proposal from an `enacts` object (validated by
    its kind); `{}` when there is none."""
    if enacts is None:
        return {}
    kind, payload = enactments.clean(enacts=enacts, category_slug=category.slug)
    return {
        "enactment_kind": kind,
        "enactment_payload": payload,
        "enactment_status": Proposal.Enactment.PENDING,
    }


def _enactment_replace(proposal: Proposal, enacts: dict) -> None:
    """An edit of the enactment while the proposal is editable (the caller checked that)."""
    fields = _enactment_fields(enacts or None, proposal.category) or {
        "enactment_kind": "",
        "enactment_payload": None,
        "enactment_status": Proposal.Enactment.NONE,
    }
    for name, value in fields.items():
        setattr(proposal, name, value)


def _enactment_check_at_open(proposal: Proposal) -> None:
    """Validate the stored payload again before voting opens: what was in force, or the run it
    approves, may have changed during the discussion. Raising keeps the proposal in discussion.
    The payload itself is kept as discussed, and frozen from here on (no edit after opening)."""
    if proposal.enactment_status != Proposal.Enactment.PENDING:
        return
    enactments.clean(
        enacts={**proposal.enactment_payload, "kind": proposal.enactment_kind},
        category_slug=proposal.category.slug,
    )


def _enactment_settle(proposal: Proposal, actor, now: datetime) -> None:
    """At the close (in its transaction), or when a proposal is cancelled or withdrawn: apply a
    pending enactment if the proposal passed, else mark it not enacted. A failure is recorded
    on the proposal and reported; it never undoes the close, and nothing retries it (the
    status is no longer pending, and a closed proposal cannot close again)."""
    if proposal.enactment_status != Proposal.Enactment.PENDING:
        return  # nothing carried: no query at all
    kind = enactments.get_kind(proposal.enactment_kind)
    fields = ["enactment_status"]
    if proposal.status == Proposal.Status.CLOSED:
        # What it changes, in words, as it stood when the vote closed: once enacted, "what is
        # in force" is the new version and a live description would show no difference.
        proposal.enactment_description = enactments.description(
            proposal.enactment_kind, proposal.enactment_payload
        )
        fields.append("enactment_description")
    passed = (
        proposal.status == Proposal.Status.CLOSED
        and proposal.outcome == Proposal.Outcome.PASSED
    )
    if not passed:
        proposal.enactment_status = Proposal.Enactment.NOT_ENACTED
        proposal.save(update_fields=fields)
        return
    facts = {"kind": proposal.enactment_kind, "proposal": proposal.pk}
    try:
        if kind is None:
            raise LookupError(f"The enactment kind {proposal.enactment_kind!r} is not installed.")
        # A savepoint: whatever the kind wrote before failing is rolled back, and the close
        # (already saved in the enclosing transaction) still commits.
        with transaction.atomic():
            kind.enact(proposal.enactment_payload, proposal)
    except Exception as exc:  # noqa: BLE001 - any failure of a kind is recorded, not raised
        error = exc.message if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
        proposal.enactment_status = Proposal.Enactment.FAILED
        proposal.enactment_error = error
        proposal.save(update_fields=[*fields, "enactment_error"])
        _audit(proposal, "proposal.enactment_failed", actor, {**facts, "error": error})
        _report_enactment_failure(proposal, error)
        return
    proposal.enactment_status = Proposal.Enactment.ENACTED
    proposal.enacted_at = now
    # The enactment is the decision's implementation: it took effect with the close, so the
    # proposal is done that day and never shows as lagging (RULES §5, `implementation_lag`).
    on = timezone.localdate(now)
    proposal.implementation_status = Proposal.Implementation.DONE
    proposal.implementation_started_on = proposal.implementation_done_on = on
    proposal.save(update_fields=[*fields, "enacted_at", "implementation_status",
                                 "implementation_started_on", "implementation_done_on"])
    ImplementationUpdate.objects.create(
        proposal=proposal, status=Proposal.Implementation.DONE, on=on,
        note="Took effect when the vote closed: " + "; ".join(proposal.enactment_description
                                                              or [proposal.enactment_kind]))
    _audit(proposal, "proposal.enacted", actor, facts)


def _report_enactment_failure(proposal: Proposal, error: str) -> None:
    """Tell staff that a passed proposal's enactment failed (RULES §6): a notice to every staff
    user (inbox, and email unless they turned it off) and an error in the log. The caller has
    recorded the failure on the proposal and in the audit trail."""
    logger.error(
        "The %s enactment of proposal %s (passed) failed and was not applied: %s",
        proposal.enactment_kind,
        proposal.pk,
        error,
    )
    notify_staff(kind="governance.enactment_failed", target=proposal)
