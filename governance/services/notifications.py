"""Reminders and notices to electors, and the member's inbox."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from coop.audit import audit_record
from coop.notices import notices_create, notices_mark_read
from membership.models import Member

from .. import tally
from ..models import (
    Elector,
    Proposal,
)
from ._common import _now

# --- reminders ----------------------------------------------------------------------------


def reminder_lead() -> timedelta:
    return timedelta(hours=getattr(settings, "GOVERNANCE_REMINDER_LEAD_HOURS", 24))


def quorum_progress(proposal: Proposal) -> dict:
    """Live turnout and quorum (never the choices): overall and per class."""
    rows = (
        Elector.objects.filter(proposal=proposal)
        .values("class_slug")
        .annotate(electorate=Count("id"), cast=Count("voted_at"))
    )
    by_class = {
        row["class_slug"]: {"electorate": row["electorate"], "cast": row["cast"]} for row in rows
    }
    electorate = sum(v["electorate"] for v in by_class.values())
    cast = sum(v["cast"] for v in by_class.values())
    met = electorate > 0 and tally.quorum_reached(cast, electorate, proposal.quorum_percent)
    for entry in by_class.values():
        entry["quorum_met"] = (
            None
            if proposal.class_quorum_percent is None
            else tally.quorum_reached(
                entry["cast"], entry["electorate"], proposal.class_quorum_percent
            )
        )
        met = met and entry["quorum_met"] is not False
    return {"electorate": electorate, "ballots_cast": cast, "quorum_met": met, "by_class": by_class}


@transaction.atomic
def _remind(proposal_id: int, now: datetime, actor) -> int:
    # The conditional UPDATE claims the proposal's one reminder round: exactly once.
    claimed = Proposal.objects.filter(
        pk=proposal_id, status=Proposal.Status.VOTING, reminders_sent_at=None
    ).update(reminders_sent_at=now)
    if not claimed:
        return 0
    proposal = Proposal.objects.get(pk=proposal_id)
    if proposal.opens_at and proposal.opens_at > proposal.closes_at - reminder_lead():
        return 0  # voting opened after the reminder moment: none is sent
    if quorum_progress(proposal)["quorum_met"]:
        return 0
    electors = Elector.objects.filter(proposal=proposal, voted_at=None, reminded_at=None)
    count = electors.update(reminded_at=now)
    Proposal.objects.filter(pk=proposal_id).update(reminders_needed=True, reminders_sent=count)
    audit_record(
        action="proposal.reminders",
        object_type="proposal",
        object_id=proposal_id,
        actor=actor,
        facts={"reminded": count},
    )
    _notify_electors(proposal, "governance.reminder")
    return count


def reminders_send_due(*, actor, now: datetime | None = None) -> int:
    now = _now(now)
    due = Proposal.objects.filter(
        status=Proposal.Status.VOTING,
        reminders_sent_at=None,
        closes_at__gt=now,
        closes_at__lte=now + reminder_lead(),
    )
    return sum(_remind(pk, now, actor) for pk in due.values_list("pk", flat=True))


# --- notifications ------------------------------------------------------------------------


def _notify_electors(proposal: Proposal, kind: str) -> None:
    """The electors' notices are written after the commit, by a task (an electorate of 100,000
    written inside the opening or the close would hold their lock that long)."""
    from ..tasks import notify_electors

    transaction.on_commit(lambda: notify_electors.delay(proposal.pk, kind))


def proposal_notices_create(*, proposal_id: int, kind: str) -> None:
    """A notice of `kind` about the proposal for each of its electors (a reminder: for those
    the reminder round reminded), emailed after the commit. Safe to run twice."""
    proposal = Proposal.objects.get(pk=proposal_id)
    electors = Elector.objects.filter(proposal=proposal)
    if kind == "governance.reminder":
        electors = electors.filter(reminded_at=proposal.reminders_sent_at)
    notices_create(kind=kind, recipient_model=Member, target=proposal,
                   recipient_ids=electors.order_by("member_id").values_list("member_id", flat=True))


def notifications_mark_read(
    *, member: Member, up_to: datetime | None = None, now: datetime | None = None
) -> int:
    """The member's inbox's "Mark all as read" (see coop.notices.notices_mark_read)."""
    return notices_mark_read(recipient=member, up_to=up_to, now=_now(now))
