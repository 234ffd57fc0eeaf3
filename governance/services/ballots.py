"""Casting a ballot (see the package docstring for how casting and closing are serialised)."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction

from coop.audit import audit_record
from coop.errors import Conflict, InvalidInput, NotAllowed
from membership.models import Member

from .. import rules, tally
from ..locks import lock_elector, lock_proposal_shared
from ..models import (
    Ballot,
    BallotRevision,
    Elector,
    Method,
    Proposal,
    SecretBallot,
)
from ._common import _now


def receipt_for(proposal_id: int, member_id: int) -> str:
    """The voter's receipt: an HMAC of (proposal, member) under the deployment's key."""
    message = f"ballot:{proposal_id}:{member_id}".encode()
    return hmac.new(settings.BALLOT_RECEIPT_KEY.encode(), message, hashlib.sha256).hexdigest()


# --- ballots ------------------------------------------------------------------------------


@dataclass
class CastResult:
    receipt: str
    replaced: bool


@transaction.atomic
def ballot_cast(
    *,
    proposal: Proposal,
    member: Member,
    choice: str | None = None,
    approvals: list[int] | None = None,
    ranking: list[int] | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> CastResult:
    now = _now(now)
    # The close holds this lock exclusively while it tallies, so what is read after it is
    # the proposal's state from after any close (a statement's snapshot is taken when it
    # starts: the lock must come before the read, in a statement of its own).
    lock_proposal_shared(proposal.pk)
    # The proposal is read again with the elector row, in one query: this is the hot path.
    try:
        elector = lock_elector(proposal_id=proposal.pk, member_id=member.pk)
        proposal = elector.proposal
    except Elector.DoesNotExist:
        elector = None
        proposal = Proposal.objects.defer("body", "result").get(pk=proposal.pk)
    if proposal.status != Proposal.Status.VOTING or now >= proposal.closes_at:
        raise Conflict("This vote is not open.")
    if elector is None:
        raise NotAllowed(
            "You are not in the electorate of this vote (members active when it opened)."
        )
    # The member was read by this request; a fresh read would cost a query on the hot path.
    if not rules.may_vote(member):
        raise Conflict(
            "You are no longer an active member: a ballot you cast still counts but "
            "cannot be changed."
            if elector.voted_at
            else "You are no longer an active member."
        )
    ballot = tally.Ballot(
        voter_class=elector.class_slug,
        choice=choice if proposal.method in tally.CHOICES else None,
        approvals=tuple(approvals or ()) if proposal.method == Method.APPROVAL else (),
        ranking=tuple(ranking or ()) if proposal.method == Method.RANKED else (),
    )
    option_ids = (
        list(proposal.options.values_list("pk", flat=True)) if proposal.uses_options else []
    )
    try:
        tally.validate_ballot(proposal.method, ballot, option_ids)
    except tally.TallyError as exc:
        field = {"approval": "approvals", "ranked": "ranking"}.get(proposal.method, "choice")
        raise InvalidInput(str(exc), errors={field: [str(exc)]}) from None
    reason = (reason or "").strip()
    if choice == "block" and not reason:
        raise InvalidInput("A block needs a reason.", errors={"reason": ["Say why you block."]})
    if choice != "block":
        reason = ""
    receipt = receipt_for(proposal.pk, member.pk)
    replaced = elector.voted_at is not None
    content = {
        "choice": ballot.choice or "",
        "approvals": list(ballot.approvals),
        "ranking": list(ballot.ranking),
        "reason": reason,
    }
    if proposal.secret:
        updated = SecretBallot.objects.filter(proposal=proposal, receipt=receipt).update(**content)
        if not updated and replaced:
            # The elector has voted, yet no ballot carries their receipt: the receipt key
            # changed since (a restart with a new BALLOT_RECEIPT_KEY). A new ballot would count
            # twice and the old one cannot be found without the old key, so refuse (nothing
            # is written: the update matched no row).
            raise Conflict(
                "You have already voted, but your ballot cannot be found to replace it: the "
                "ballot key of this deployment has changed since. Your first ballot still "
                "counts; ask the staff to restore the key if you want to change it."
            )
        if not updated:
            SecretBallot.objects.create(
                proposal=proposal, receipt=receipt, class_slug=elector.class_slug, **content
            )
    else:
        # The elector row (locked above) says whether a ballot exists: a first ballot needs
        # no lookup.
        current = (
            Ballot.objects.filter(proposal=proposal, member_id=member.pk).first()
            if replaced
            else None
        )
        revision = current.revision + 1 if current else 1
        if current:
            Ballot.objects.filter(pk=current.pk).update(cast_at=now, revision=revision, **content)
        else:
            Ballot.objects.create(
                proposal=proposal,
                member_id=member.pk,
                receipt=receipt,
                class_slug=elector.class_slug,
                cast_at=now,
                revision=revision,
                **content,
            )
        BallotRevision.objects.create(
            proposal=proposal, member_id=member.pk, revision=revision, cast_at=now, **content
        )
    elector.voted_at = now
    elector.save(update_fields=["voted_at"])
    # Participation only, never the choice (RULES.md: secret ballots).
    audit_record(
        action="ballot.cast",
        object_type="proposal",
        object_id=proposal.pk,
        actor_user_id=member.user_id,
        facts={"member_number": member.member_number, "replaced": replaced},
    )
    return CastResult(receipt=receipt, replaced=replaced)
