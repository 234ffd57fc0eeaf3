"""Proposal lifecycle writes: create, edit, submit, withdraw, open, cancel."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from coop.errors import Conflict, InvalidInput, NotAllowed
from membership.models import Member, StakeholderClass

from .. import rules, tally
from ..locks import lock_proposal as _lock  # the exclusive lock every state change takes
from ..models import (
    Category,
    Elector,
    Method,
    Proposal,
    ProposalOption,
    TallyMode,
)
from ._common import _audit, _now, _require
from .enacting import (
    _enactment_check_at_open,
    _enactment_fields,
    _enactment_replace,
    _enactment_settle,
)
from .notifications import _notify_electors

# --- proposals ----------------------------------------------------------------------------


def _validated_rules(
    *,
    category: Category,
    method: str,
    tally_mode: str,
    threshold: str | None,
    quorum_percent,
    class_quorum_percent,
    options,
    seats,
) -> dict:
    errors: dict[str, list[str]] = {}
    if method not in Method.values:
        errors["method"] = [f"Unknown method; expected one of {', '.join(Method.values)}."]
    if tally_mode not in TallyMode.values:
        errors["tally_mode"] = [
            f"Unknown tally mode; expected one of {', '.join(TallyMode.values)}."
        ]
    elif method in (Method.APPROVAL, Method.RANKED) and tally_mode != TallyMode.MEMBER:
        errors["tally_mode"] = ["Approval and ranked votes are tallied one member, one vote."]
    threshold = threshold or category.min_threshold
    try:
        tally.parse_threshold(threshold)
        if not tally.threshold_at_least(threshold, category.min_threshold):
            errors["threshold"] = [
                f"The {category.slug} category needs at least {category.min_threshold}."
            ]
    except tally.TallyError as exc:
        errors["threshold"] = [str(exc)]
    if quorum_percent is None:
        quorum_percent = category.min_quorum_percent
    if not isinstance(quorum_percent, int) or not 0 <= quorum_percent <= 100:
        errors["quorum_percent"] = ["Must be a whole percentage from 0 to 100."]
    elif quorum_percent < category.min_quorum_percent:
        errors["quorum_percent"] = [
            f"The {category.slug} category needs a quorum of at least "
            f"{category.min_quorum_percent} %."
        ]
    if class_quorum_percent is not None and (
        not isinstance(class_quorum_percent, int) or not 0 <= class_quorum_percent <= 100
    ):
        errors["class_quorum_percent"] = ["Must be a whole percentage from 0 to 100."]
    labels = [label.strip() for label in options or []]
    if method in (Method.APPROVAL, Method.RANKED):
        seats = rules.seats_or_default(method, seats)
        if len(labels) < 2 or any(not label for label in labels):
            errors["options"] = ["Give at least two options, none empty."]
        elif len(set(labels)) != len(labels):
            errors["options"] = ["Options must be different from each other."]
        elif not isinstance(seats, int) or not 1 <= seats < len(labels):
            errors["seats"] = [f"Seats must be from 1 to {len(labels) - 1}."]
    else:
        if labels:
            errors["options"] = ["Yes/no and consent votes have fixed choices, not options."]
        if seats not in (None, 1):
            errors["seats"] = ["Only approval and ranked votes have seats."]
        seats = 1
    if errors:
        raise InvalidInput("The proposal's rules are not valid.", errors=errors)
    return {
        "threshold": threshold,
        "quorum_percent": quorum_percent,
        "class_quorum_percent": class_quorum_percent,
        "labels": labels,
        "seats": seats,
    }


def _check_period(category: Category, closes_at: datetime, from_time: datetime) -> None:
    if timezone.is_naive(closes_at):
        raise InvalidInput(
            "closes_at needs a time zone offset.",
            errors={"closes_at": ["Give a time with its offset."]},
        )
    if closes_at - from_time < timedelta(hours=category.min_voting_hours):
        message = (
            f"The {category.slug} category needs a voting period of at least "
            f"{category.min_voting_hours} hours: set closes_at later."
        )
        raise InvalidInput(message, errors={"closes_at": [message]})


@transaction.atomic
def proposal_create(
    *,
    title: str,
    body: str,
    closes_at: datetime,
    actor,
    author: Member | None = None,
    category: Category | None = None,
    method: str = Method.YES_NO,
    tally_mode: str = TallyMode.MEMBER,
    threshold: str | None = None,
    quorum_percent: int | None = None,
    class_quorum_percent: int | None = None,
    secret: bool = False,
    early_close_allowed: bool = False,
    options: list[str] | None = None,
    seats: int | None = None,
    draft: bool = False,
    now: datetime | None = None,
    enacts: dict | None = None,
) -> Proposal:
    now = _now(now)
    _require(
        rules.may_propose(actor),
        "Only active members (or a partner key with governance:write) can make proposals.",
    )
    if author is not None and not rules.may_vote(author):
        raise NotAllowed("Only active members can make proposals.")
    person = rules.member_of_actor(actor)
    if person is not None and (author is None or author.pk != person.pk):
        # A person proposes in their own name; only keys and system jobs name no author.
        raise NotAllowed("A member makes a proposal as its author.")
    if rules.is_key(actor) and author is not None:
        raise NotAllowed("A partner key proposes in its own name, not a member's.")
    category = category or Category.objects.get(slug="general")
    errors = {}
    if not title or not title.strip():
        errors["title"] = ["This field is required."]
    if not body or not body.strip():
        errors["body"] = ["This field is required."]
    if errors:
        raise InvalidInput("The proposal needs a title and a text.", errors=errors)
    checked = _validated_rules(
        category=category,
        method=method,
        tally_mode=tally_mode,
        threshold=threshold,
        quorum_percent=quorum_percent,
        class_quorum_percent=class_quorum_percent,
        options=options,
        seats=seats,
    )
    _check_period(category, closes_at, now)
    enactment = _enactment_fields(enacts, category)  # validated before anything is written
    proposal = Proposal.objects.create(
        title=title.strip(),
        body=body.strip(),
        category=category,
        author=author,
        created_by_key=actor.name if author is None and rules.is_key(actor) else "",
        status=Proposal.Status.DRAFT if draft else Proposal.Status.DISCUSSION,
        discussion_at=None if draft else now,
        method=method,
        tally_mode=tally_mode,
        threshold=checked["threshold"],
        quorum_percent=checked["quorum_percent"],
        class_quorum_percent=checked["class_quorum_percent"],
        secret=secret,
        early_close_allowed=early_close_allowed,
        seats=checked["seats"],
        closes_at=closes_at,
        **enactment,
    )
    ProposalOption.objects.bulk_create(
        ProposalOption(proposal=proposal, label=label, position=i)
        for i, label in enumerate(checked["labels"])
    )
    _audit(
        proposal,
        "proposal.created",
        actor,
        {"status": proposal.status, "method": method, "category": category.slug,
         **({"enacts": proposal.enactment_kind} if enactment else {})},
    )
    return proposal


_AUTHOR_OR_STAFF = "Only the proposal's author (or staff) can do this."


def _check_author_or_staff(proposal: Proposal, actor) -> None:
    _require(rules.may_edit(actor, proposal), _AUTHOR_OR_STAFF)


@transaction.atomic
def proposal_update(
    *,
    proposal: Proposal,
    actor,
    title: str | None = None,
    body: str | None = None,
    closes_at: datetime | None = None,
    enacts: dict | None = None,
) -> Proposal:
    """`enacts`: None keeps the enactment, `{}` removes it, else it replaces it (validated)."""
    proposal = _lock(proposal.pk)
    _check_author_or_staff(proposal, actor)
    if not rules.is_editable(proposal):
        raise Conflict("The text and rules are frozen once voting has opened.")
    if title is not None:
        proposal.title = title.strip()
    if body is not None:
        proposal.body = body.strip()
    if closes_at is not None:
        _check_period(proposal.category, closes_at, timezone.now())
        proposal.closes_at = closes_at
    if not proposal.title or not proposal.body:
        raise InvalidInput("The proposal needs a title and a text.")
    if enacts is not None:
        _enactment_replace(proposal, enacts)
    proposal.save()
    _audit(proposal, "proposal.updated", actor)
    return proposal


@transaction.atomic
def proposal_submit(*, proposal: Proposal, actor) -> Proposal:
    proposal = _lock(proposal.pk)
    _require(rules.may_submit(actor, proposal), _AUTHOR_OR_STAFF)
    if proposal.status != Proposal.Status.DRAFT:
        raise Conflict(
            f"Only a draft can be submitted for discussion (this one is {proposal.status})."
        )
    proposal.status = Proposal.Status.DISCUSSION
    proposal.discussion_at = timezone.now()
    proposal.save(update_fields=["status", "discussion_at"])
    _audit(proposal, "proposal.discussion", actor)
    return proposal


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, actor) -> Proposal:
    proposal = _lock(proposal.pk)
    _require(rules.may_withdraw(actor, proposal), _AUTHOR_OR_STAFF)
    if not rules.is_editable(proposal):
        raise Conflict("A proposal can only be withdrawn before voting opens.")
    proposal.status = Proposal.Status.WITHDRAWN
    proposal.save(update_fields=["status"])
    _enactment_settle(proposal, actor, timezone.now())
    _audit(proposal, "proposal.withdrawn", actor)
    return proposal


@transaction.atomic
def proposal_open(*, proposal: Proposal, actor, now: datetime | None = None) -> Proposal:
    """Open the vote: freeze text, rules and the electorate (the record date); draw the seed."""
    now = _now(now)
    proposal = _lock(proposal.pk)
    _require(
        rules.may_open(actor, proposal),
        "Only the author, staff or a partner key with governance:write can open the vote.",
    )
    if proposal.status != Proposal.Status.DISCUSSION:
        raise Conflict(
            f"Only a proposal in discussion can open for voting (this one is {proposal.status})."
        )
    _check_period(proposal.category, proposal.closes_at, now)
    _enactment_check_at_open(proposal)
    # One INSERT ... SELECT, whatever the size of the cooperative.
    elector_table = Elector._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {elector_table} (proposal_id, member_id, class_slug, vote_weight) "  # noqa: S608 - table names from the models, values bound
            f"SELECT %s, m.id, c.slug, c.vote_weight FROM {Member._meta.db_table} m "
            f"JOIN {StakeholderClass._meta.db_table} c ON c.id = m.stakeholder_class_id "
            f"WHERE m.status = %s",
            [proposal.pk, Member.Status.ACTIVE],
        )
        electorate = cursor.rowcount
    if electorate <= 0:
        raise Conflict("There are no active members: a vote with an empty electorate cannot open.")
    seed = secrets.token_hex(32)
    proposal.status = Proposal.Status.VOTING
    proposal.opens_at = now
    proposal.electorate_size = electorate
    proposal.tie_seed = seed
    proposal.tie_seed_hash = hashlib.sha256(bytes.fromhex(seed)).hexdigest()
    proposal.save(
        update_fields=["status", "opens_at", "electorate_size", "tie_seed", "tie_seed_hash"]
    )
    _audit(
        proposal,
        "proposal.voting",
        actor,
        {
            "electorate": electorate,
            "closes_at": proposal.closes_at.isoformat(),
            "tie_seed_hash": proposal.tie_seed_hash,
        },
    )
    _notify_electors(proposal, "governance.vote_opened")
    return proposal


@transaction.atomic
def proposal_cancel(*, proposal: Proposal, reason: str, actor) -> Proposal:
    _require(
        rules.may_cancel(actor, proposal),
        "Only staff or a partner key with governance:write can cancel a vote.",
    )
    if not reason or not reason.strip():
        raise InvalidInput(
            "Say why the vote is cancelled.", errors={"reason": ["This field is required."]}
        )
    proposal = _lock(proposal.pk)
    if proposal.status != Proposal.Status.VOTING:
        raise Conflict("Only a vote in progress can be cancelled.")
    proposal.status = Proposal.Status.CANCELLED
    proposal.cancel_reason = reason.strip()
    proposal.closed_at = timezone.now()
    proposal.save(update_fields=["status", "cancel_reason", "closed_at"])
    _enactment_settle(proposal, actor, proposal.closed_at)
    _audit(proposal, "proposal.cancelled", actor)
    return proposal
