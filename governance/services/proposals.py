"""Proposal lifecycle writes: create, edit, submit, withdraw, open, cancel."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format

from coop.errors import Conflict, InvalidInput, NotAllowed, ServiceError
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
from ._common import _audit, _now, _require, logger
from .enacting import (
    _enactment_check_at_open,
    _enactment_fields,
    _enactment_replace,
    _enactment_settle,
)
from .notifications import _notify_electors

# --- proposals ----------------------------------------------------------------------------

UNCHANGED = object()  # an optional argument left alone (where None means "clear it")


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


def _floors(category: Category) -> dict:
    """The category's floors as a proposal copies them at its creation (RULES §2)."""
    return {
        "min_quorum_percent": category.min_quorum_percent,
        "min_threshold": category.min_threshold,
        "min_discussion_hours": category.min_discussion_hours,
        "min_voting_hours": category.min_voting_hours,
    }


def _when(moment: datetime) -> str:
    """A moment in a message: in the cooperative's time zone and the site's date format."""
    local = timezone.localtime(moment)
    return f"{date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def _hours(hours: int) -> str:
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _check_schedule(
    *,
    discussion_hours: int,
    voting_hours: int,
    category_name: str,
    closes_at: datetime,
    opens_at: datetime | None,
    discussion_from: datetime,
    now: datetime,
) -> None:
    """`closes_at` leaves room for the discussion floor and then the voting floor; `opens_at`
    (optional) is not before the discussion ends, and leaves the voting floor before
    `closes_at` (an `opens_at` already past opens the vote at the job's next run). The floors
    are the proposal's copies; `discussion_from` is when its discussion began, or begins
    (`now`, for a draft). Messages name times, not fields: the API and the form share them."""
    errors: dict[str, list[str]] = {}
    for field, value in (("closes_at", closes_at), ("opens_at", opens_at)):
        if value is not None and timezone.is_naive(value):
            errors[field] = ["Give a time with its offset."]
    if errors:
        raise InvalidInput("Give times with their time zone offset.", errors=errors)
    discussion_ends = discussion_from + timedelta(hours=discussion_hours)
    voting = timedelta(hours=voting_hours)
    if opens_at is not None and opens_at < discussion_ends:
        errors["opens_at"] = [
            f"The {category_name} category needs {_hours(discussion_hours)} of "
            f"discussion first: voting can open from {_when(discussion_ends)}."
        ]
    earliest_open = max(discussion_ends, now, opens_at or now)
    if closes_at - earliest_open < voting:
        if now >= discussion_ends and not opens_at:
            why = f"needs a voting period of at least {_hours(voting_hours)}"
        elif opens_at and opens_at >= discussion_ends:
            why = (f"needs a voting period of at least {_hours(voting_hours)} "
                   f"after voting opens")
        else:
            why = (f"needs {_hours(discussion_hours)} of discussion and then a "
                   f"voting period of at least {_hours(voting_hours)}")
        errors["closes_at"] = [
            f"The {category_name} category {why}: the vote can close at "
            f"{_when(earliest_open + voting)} at the earliest."
        ]
    if errors:
        raise InvalidInput(" ".join(m for ms in errors.values() for m in ms), errors=errors)


def _check_proposal_schedule(proposal: Proposal, now: datetime) -> None:
    """The proposal's deadline and scheduled opening against its own (copied) floors."""
    _check_schedule(
        discussion_hours=proposal.min_discussion_hours,
        voting_hours=proposal.min_voting_hours,
        category_name=proposal.category.slug,
        closes_at=proposal.closes_at,
        opens_at=proposal.opens_at,
        discussion_from=proposal.discussion_at or now,
        now=now,
    )


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
    opens_at: datetime | None = None,
    draft: bool = False,
    now: datetime | None = None,
    enacts: dict | None = None,
) -> Proposal:
    """`now` is when the discussion begins (tests and the demo seed date it back)."""
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
    floors = _floors(category)
    _check_schedule(discussion_hours=category.min_discussion_hours,
                    voting_hours=category.min_voting_hours, category_name=category.slug,
                    closes_at=closes_at, opens_at=opens_at, discussion_from=now, now=now)
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
        opens_at=opens_at,
        closes_at=closes_at,
        **floors,
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
        {"status": proposal.status, "method": method, "category": category.slug, **floors,
         **({"opens_at": opens_at.isoformat()} if opens_at else {}),
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
    opens_at: datetime | None | object = UNCHANGED,
    enacts: dict | None = None,
) -> Proposal:
    """`enacts`: None keeps the enactment, `{}` removes it, else it replaces it (validated).
    `opens_at`: a time schedules the opening, None unschedules it."""
    proposal = _lock(proposal.pk)
    _check_author_or_staff(proposal, actor)
    if not rules.is_editable(proposal):
        raise Conflict("The text and rules are frozen once voting has opened.")
    if title is not None:
        proposal.title = title.strip()
    if body is not None:
        proposal.body = body.strip()
    if closes_at is not None or opens_at is not UNCHANGED:
        proposal.closes_at = closes_at or proposal.closes_at
        if opens_at is not UNCHANGED:
            proposal.opens_at = opens_at
        _check_proposal_schedule(proposal, timezone.now())
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
    # The discussion begins now: the deadline (and a scheduled opening) must leave room for it.
    _check_proposal_schedule(proposal, proposal.discussion_at)
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


def _opening_too_early(proposal: Proposal, actor, reason: str) -> str:
    """Before the discussion period has run, voting opens only with a reason given by staff or
    a `governance:write` key (RULES §2): the reason kept, else a 409 that says when and who."""
    ends = proposal.discussion_ends_at
    reason = (reason or "").strip()
    if reason and rules.may_open_early(actor):
        return reason
    message = (
        f"The discussion period ({_hours(proposal.min_discussion_hours)} for the "
        f"{proposal.category.slug} category) runs until {_when(ends)}: voting can open then."
    )
    if rules.may_open_early(actor):
        message += " To open it earlier, give a reason (it is shown on the proposal)."
    else:
        message += " Only staff or a partner key with governance:write may open it earlier."
    raise Conflict(message, errors={"reason": [message]} if reason else None)


@transaction.atomic
def proposal_open(
    *,
    proposal: Proposal | int,
    actor,
    now: datetime | None = None,
    reason: str = "",
    scheduled: bool = False,
) -> Proposal | None:
    """Open the vote: freeze text, rules and the electorate (the record date); draw the seed.

    `reason`: why staff or a key open it before the discussion period has run (else ignored).
    `scheduled`: the job opening a vote whose `opens_at` has come; it gets None when the vote
    is not (or no longer) due, for instance because another worker opened it just before."""
    now = _now(now)
    proposal = _lock(proposal if isinstance(proposal, int) else proposal.pk)
    _require(
        rules.may_open(actor, proposal),
        "Only the author, staff or a partner key with governance:write can open the vote.",
    )
    if scheduled and not (proposal.status == Proposal.Status.DISCUSSION
                          and proposal.opens_at is not None and proposal.opens_at <= now):
        return None
    if proposal.status != Proposal.Status.DISCUSSION:
        raise Conflict(
            f"Only a proposal in discussion can open for voting (this one is {proposal.status})."
        )
    early_reason = ""
    if not rules.discussion_has_run(proposal, now):
        early_reason = _opening_too_early(proposal, actor, reason)
    if proposal.closes_at - now < timedelta(hours=proposal.min_voting_hours):
        message = (
            f"The {proposal.category.slug} category needs a voting period of at least "
            f"{_hours(proposal.min_voting_hours)}: move the closing time later first."
        )
        raise InvalidInput(message, errors={"closes_at": [message]})
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
    scheduled_for = proposal.opens_at
    proposal.status = Proposal.Status.VOTING
    proposal.opens_at = now
    proposal.open_early_reason = early_reason
    proposal.electorate_size = electorate
    proposal.tie_seed = seed
    proposal.tie_seed_hash = hashlib.sha256(bytes.fromhex(seed)).hexdigest()
    proposal.save(
        update_fields=["status", "opens_at", "open_early_reason", "electorate_size", "tie_seed",
                       "tie_seed_hash"]
    )
    _audit(
        proposal,
        "proposal.voting",
        actor,
        {
            "electorate": electorate,
            "closes_at": proposal.closes_at.isoformat(),
            "tie_seed_hash": proposal.tie_seed_hash,
            **({"scheduled_for": scheduled_for.isoformat()} if scheduled else {}),
            **({"early": True, "reason": early_reason,
                "discussion_ends_at": proposal.discussion_ends_at.isoformat()}
               if early_reason else {}),
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


# --- the scheduled opening (RULES §2: a proposal may name `opens_at`) -----------------------


def open_due_votes(*, actor, now: datetime | None = None) -> list[int]:
    """Open every vote in discussion whose `opens_at` has come, each in its own transaction.
    Exactly once, whatever the number of workers or retries: proposal_open reads the proposal
    again under its exclusive lock and does nothing if it is no longer due (as closing does)."""
    now = _now(now)
    opened = []
    due = list(
        Proposal.objects.filter(status=Proposal.Status.DISCUSSION, opens_at__lte=now)
        .order_by("opens_at", "pk")
        .values_list("pk", flat=True)
    )
    for proposal_id in due:
        try:
            if proposal_open(proposal=proposal_id, actor=actor, now=now, scheduled=True):
                opened.append(proposal_id)
        except ServiceError as error:
            _scheduled_opening_failed(proposal_id, actor=actor, error=error, now=now)
    return opened


@transaction.atomic
def _scheduled_opening_failed(proposal_id: int, *, actor, error: ServiceError,
                              now: datetime) -> None:
    """A due vote that cannot open (no active member, an enactment no longer valid, a deadline
    too near): unschedule it so the job does not try again every minute, and say why in the
    audit trail. The author or staff open it by hand once the cause is fixed."""
    proposal = _lock(proposal_id)
    if not (proposal.status == Proposal.Status.DISCUSSION and proposal.opens_at is not None
            and proposal.opens_at <= now):
        return
    proposal.opens_at = None
    proposal.save(update_fields=["opens_at"])
    _audit(proposal, "proposal.scheduled_opening_failed", actor, {"error": error.message})
    logger.warning("Proposal %s could not open as scheduled: %s", proposal_id, error.message)
