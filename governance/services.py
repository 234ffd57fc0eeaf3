"""Every write of the governance pillar (RULES.md §2). Browser, API and deadline job call these.

Casting and closing are serialised per proposal: a ballot takes a shared lock on the proposal
(ballots don't wait for each other), closing takes an exclusive one (it waits for ballots in
flight to commit, and ballots that come after it see the vote closed). So a ballot is counted
if and only if it committed while the vote was open. On PostgreSQL these are transaction-level
advisory locks, not row locks: a row's FOR SHARE lock lets new sharers in past a waiting FOR
UPDATE, so a steady stream of ballots could postpone the close indefinitely, whereas the lock
manager queues new shared requests behind a waiting exclusive one. On SQLite every writing
transaction is IMMEDIATE, which serialises them all and gives the same guarantee.
"""

import hashlib
import hmac
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from coop.audit import audit_record
from coop.errors import Conflict, InvalidInput, NotAllowed, ServiceError
from coop.notices import notices_create, notices_mark_read, notify_staff
from membership.models import Member, StakeholderClass

from . import enactments, rules, tally
from .locks import lock_category, lock_elector, lock_proposal_shared
from .locks import lock_proposal as _lock  # the exclusive lock every state change takes
from .models import (
    Ballot,
    BallotRevision,
    Category,
    Comment,
    Elector,
    ImplementationUpdate,
    Method,
    Proposal,
    ProposalOption,
    SecretBallot,
    TallyMode,
)

logger = logging.getLogger(__name__)

SMALL_CLASS = rules.SMALL_CLASS  # kept importable from here; the rule is rules.hides_class


def receipt_for(proposal_id: int, member_id: int) -> str:
    """The voter's receipt: an HMAC of (proposal, member) under the deployment's key."""
    message = f"ballot:{proposal_id}:{member_id}".encode()
    return hmac.new(settings.BALLOT_RECEIPT_KEY.encode(), message, hashlib.sha256).hexdigest()


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
    proposal.save(update_fields=[*fields, "enacted_at"])
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


# --- closing ------------------------------------------------------------------------------


def _tally_inputs(proposal: Proposal) -> dict:
    electorate = dict(
        Elector.objects.filter(proposal=proposal)
        .values("class_slug")
        .annotate(n=Count("id"))
        .values_list("class_slug", "n")
    )
    weights = dict(
        Elector.objects.filter(proposal=proposal)
        .values("class_slug")
        .annotate(w=Max("vote_weight"))
        .values_list("class_slug", "w")
    )
    box = SecretBallot.objects if proposal.secret else Ballot.objects
    rows = box.filter(proposal=proposal)
    ballots: list[tally.Ballot] = []
    if proposal.method in tally.CHOICES:
        # Group in the database: 100,000 ballots become a handful of rows.
        for slug, choice, n in (
            rows.values("class_slug", "choice")
            .annotate(n=Count("pk"))
            .values_list("class_slug", "choice", "n")
        ):
            ballots.extend([tally.Ballot(voter_class=slug, choice=choice)] * n)
    else:
        # Identical ballots are grouped in the database too: the JSON of 100,000 rows decoded
        # one by one took longer than the whole tally.
        field = "approvals" if proposal.method == Method.APPROVAL else "ranking"
        for slug, picks, n in (
            rows.values("class_slug", field)
            .annotate(n=Count("pk"))
            .values_list("class_slug", field, "n")
        ):
            ballots.extend([tally.Ballot(voter_class=slug, **{field: tuple(picks)})] * n)
    return {"electorate_by_class": electorate, "class_weights": weights, "ballots": ballots}


def _result_dict(proposal: Proposal, result: tally.Result) -> dict:
    data = result.as_dict()
    if proposal.secret:
        for entry in data["by_class"].values():
            if rules.hides_class(secret=proposal.secret, cast=entry["cast"]):
                entry["totals"] = None
                entry["share"] = None
                entry["hidden"] = True
    data["tie_seed"] = proposal.tie_seed
    data["tie_seed_hash"] = proposal.tie_seed_hash
    return data


def _rewrite_secret_box(proposal: Proposal) -> None:
    """Shuffle the ballot box and give every ballot a new random id in one transaction, so the
    physical order of the rows says nothing about when (or by whom) they were cast."""
    if connection.vendor == "postgresql":
        # In SQL: through Python, 100,000 ballots took about 9 s to rewrite. gen_random_uuid()
        # draws from the strong random source, for the new ids and for the shuffle.
        table = SecretBallot._meta.db_table
        columns = "receipt, class_slug, choice, approvals, ranking, reason"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE governance_box_rewrite AS SELECT {columns} "  # noqa: S608
                f"FROM {table} WHERE proposal_id = %s",
                [proposal.pk],
            )
            cursor.execute(f"DELETE FROM {table} WHERE proposal_id = %s", [proposal.pk])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {table} (id, proposal_id, {columns}) "  # noqa: S608
                f"SELECT gen_random_uuid(), %s, {columns} FROM governance_box_rewrite "
                f"ORDER BY gen_random_uuid()",
                [proposal.pk],
            )
            cursor.execute("DROP TABLE governance_box_rewrite")
        return
    rows = list(
        SecretBallot.objects.filter(proposal=proposal).values(
            "receipt", "class_slug", "choice", "approvals", "ranking", "reason"
        )
    )
    random.SystemRandom().shuffle(rows)
    SecretBallot.objects.filter(proposal=proposal).delete()
    SecretBallot.objects.bulk_create(
        [SecretBallot(proposal=proposal, **row) for row in rows], batch_size=5000
    )


@transaction.atomic
def proposal_close(
    *, proposal: Proposal | int, actor, now: datetime | None = None, by_deadline: bool = False
) -> Proposal | None:
    """Close and tally, once. The deadline job calls it with by_deadline=True and gets None
    when someone else already closed the vote (or it is not due)."""
    now = _now(now)
    proposal = _lock(proposal if isinstance(proposal, int) else proposal.pk)
    _require(
        rules.may_close(actor, proposal),
        "Only staff or a partner key with governance:write can close a vote.",
    )
    if proposal.status != Proposal.Status.VOTING:
        if by_deadline:
            return None
        raise Conflict(f"Only an open vote can be closed (this one is {proposal.status}).")
    if now < proposal.closes_at:
        if by_deadline:
            return None
        if not proposal.early_close_allowed:
            raise Conflict("This proposal does not allow closing before its deadline.")
    result = tally.tally(
        method=proposal.method,
        tally_mode=proposal.tally_mode,
        threshold=proposal.threshold,
        quorum_percent=proposal.quorum_percent,
        class_quorum_percent=proposal.class_quorum_percent,
        options=list(proposal.options.values_list("pk", flat=True)),
        seats=proposal.seats,
        tie_seed=bytes.fromhex(proposal.tie_seed),
        **_tally_inputs(proposal),
    )
    if proposal.secret:
        _rewrite_secret_box(proposal)
    proposal.status = Proposal.Status.CLOSED
    proposal.outcome = result.outcome
    proposal.closed_at = now
    proposal.ballots_cast = result.ballots_cast
    proposal.result = _result_dict(proposal, result)
    if result.outcome == Proposal.Outcome.PASSED:
        proposal.implementation_status = Proposal.Implementation.PLANNED
    proposal.save(
        update_fields=[
            "status",
            "outcome",
            "closed_at",
            "ballots_cast",
            "result",
            "implementation_status",
        ]
    )
    _audit(
        proposal,
        "proposal.closed",
        actor,
        {
            "outcome": result.outcome,
            "electorate": result.electorate,
            "ballots_cast": result.ballots_cast,
            "by_deadline": by_deadline,
            "tie_seed": proposal.tie_seed,
        },
    )
    _enactment_settle(proposal, actor, now)
    _notify_electors(proposal, "governance.result")
    return proposal


def close_due_votes(*, actor, now: datetime | None = None) -> list[int]:
    """Close every vote whose deadline has passed; each in its own transaction."""
    now = _now(now)
    closed = []
    due = (
        Proposal.objects.filter(status=Proposal.Status.VOTING, closes_at__lte=now)
        .order_by("closes_at")
        .values_list("pk", flat=True)
    )
    for proposal_id in due:
        if proposal_close(proposal=proposal_id, actor=actor, now=now, by_deadline=True) is not None:
            closed.append(proposal_id)
    return closed


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


# --- discussion and follow-up -------------------------------------------------------------


@transaction.atomic
def comment_post(
    *, proposal: Proposal, member: Member, body: str, parent: Comment | None = None
) -> Comment:
    if not body or not body.strip():
        raise InvalidInput("Write something first.", errors={"body": ["This field is required."]})
    if not rules.may_comment(member):
        raise NotAllowed("Only members can take part in the discussion.")
    if not rules.is_open_for_discussion(proposal):
        raise Conflict("This proposal is not open for discussion.")
    if parent is not None and parent.proposal_id != proposal.pk:
        raise InvalidInput("The reply must be to a comment on the same proposal.")
    comment = Comment.objects.create(
        proposal=proposal, author=member, body=body.strip(), parent=parent
    )
    audit_record(
        action="comment.posted",
        object_type="proposal",
        object_id=proposal.pk,
        actor=member.user,
        facts={"comment": comment.pk},
    )
    # The authors of the proposal and of the comment replied to, not the commenter.
    told = {proposal.author_id, parent.author_id if parent else None} - {None, member.pk}
    notices_create(kind="governance.comment", recipient_model=Member, recipient_ids=sorted(told),
                   target=comment)
    return comment


@transaction.atomic
def outcome_statement_set(*, proposal: Proposal, statement: str, actor) -> Proposal:
    proposal = _lock(proposal.pk)
    _require(
        rules.may_follow_up(actor, proposal),
        "Only staff or a partner key with governance:write can state the outcome.",
    )
    if proposal.status != Proposal.Status.CLOSED:
        raise Conflict("An outcome statement follows the close.")
    proposal.outcome_statement = statement.strip()
    proposal.save(update_fields=["outcome_statement"])
    _audit(proposal, "proposal.statement", actor)
    return proposal


_NEXT_IMPLEMENTATION = {
    Proposal.Implementation.PLANNED: {
        Proposal.Implementation.IN_PROGRESS,
        Proposal.Implementation.DONE,
    },
    Proposal.Implementation.IN_PROGRESS: {
        Proposal.Implementation.IN_PROGRESS,
        Proposal.Implementation.DONE,
    },
    Proposal.Implementation.DONE: set(),
}


@transaction.atomic
def implementation_update(
    *, proposal: Proposal, status: str, actor, note: str = "", on: date | None = None
) -> ImplementationUpdate:
    today = timezone.localdate()
    on = on or today
    if not rules.implementation_date_ok(on, today):
        message = rules.IMPLEMENTATION_DATE_ERROR
        raise InvalidInput(message, errors={"on": [message]})
    proposal = _lock(proposal.pk)
    _require(
        rules.may_follow_up(actor, proposal),
        "Only staff or a partner key with governance:write can record the implementation.",
    )
    if proposal.outcome != Proposal.Outcome.PASSED:
        raise Conflict("Only a passed proposal is implemented.")
    allowed = _NEXT_IMPLEMENTATION.get(proposal.implementation_status, set())
    if status not in allowed:
        raise Conflict(
            f"Implementation cannot go from {proposal.implementation_status} to {status}."
        )
    if status == Proposal.Implementation.IN_PROGRESS and not proposal.implementation_started_on:
        proposal.implementation_started_on = on
    if status == Proposal.Implementation.DONE:
        proposal.implementation_done_on = on
        proposal.implementation_started_on = proposal.implementation_started_on or on
    proposal.implementation_status = status
    proposal.save(
        update_fields=[
            "implementation_status",
            "implementation_started_on",
            "implementation_done_on",
        ]
    )
    update = ImplementationUpdate.objects.create(proposal=proposal, status=status, note=note, on=on)
    _audit(proposal, "proposal.implementation", actor, {"status": status, "on": on.isoformat()})
    return update


# --- notifications ------------------------------------------------------------------------


def _notify_electors(proposal: Proposal, kind: str) -> None:
    """The electors' notices are written after the commit, by a task (an electorate of 100,000
    written inside the opening or the close would hold their lock that long)."""
    from .tasks import notify_electors

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


# --- categories (issue #7: the admin's category edits go through here, audited) ------------

_CATEGORIES = "Only staff can change the proposal categories."
CATEGORY_FIELDS = ("name", "min_quorum_percent", "min_threshold", "min_voting_hours")


def _check_category_fields(fields: dict) -> None:
    """A category's floors as proposals will read them. A change applies to proposals made (or
    opened) afterwards: a proposal's rules are checked against its category when it is created
    and frozen when voting opens."""
    errors: dict[str, list[str]] = {}
    if "name" in fields and not (fields["name"] or "").strip():
        errors["name"] = ["This field is required."]
    quorum = fields.get("min_quorum_percent", 0)
    if isinstance(quorum, bool) or not isinstance(quorum, int) or not 0 <= quorum <= 100:
        errors["min_quorum_percent"] = ["Must be a whole percentage from 0 to 100."]
    hours = fields.get("min_voting_hours", 1)
    if isinstance(hours, bool) or not isinstance(hours, int) or hours < 1:
        errors["min_voting_hours"] = ["Must be a whole number of hours, at least 1."]
    if "min_threshold" in fields:
        try:
            tally.parse_threshold(fields["min_threshold"])
        except tally.TallyError as exc:
            errors["min_threshold"] = [str(exc)]
    if errors:
        raise InvalidInput("The category's values are not valid.", errors=errors)


@transaction.atomic
def category_create(*, slug: str, name: str, min_quorum_percent: int = 10,
                    min_threshold: str = tally.MAJORITY, min_voting_hours: int = 72,
                    actor) -> Category:
    _require(rules.may_manage_categories(actor), _CATEGORIES)
    fields = {"name": name, "min_quorum_percent": min_quorum_percent,
              "min_threshold": min_threshold, "min_voting_hours": min_voting_hours}
    if not slug:
        raise InvalidInput("A category needs a slug.", errors={"slug": ["This field is required."]})
    if Category.objects.filter(slug=slug).exists():
        raise Conflict(f"A category with slug {slug!r} already exists.",
                       errors={"slug": ["Already exists."]})
    _check_category_fields(fields)
    category = Category.objects.create(slug=slug, **fields)
    audit_record(action="category.created", object_type="category", object_id=slug,
                 actor=actor, facts=fields)
    return category


@transaction.atomic
def category_update(*, category: Category, actor, **changes) -> Category:
    """Change a category's floors. The slug stays (proposals and the API name it). The audit
    record keeps the old and the new value of each changed field."""
    _require(rules.may_manage_categories(actor), _CATEGORIES)
    unknown = sorted(set(changes) - set(CATEGORY_FIELDS))
    if unknown:
        raise InvalidInput(f"These fields of a category cannot be changed: {', '.join(unknown)}.",
                           errors={name: ["Cannot be changed."] for name in unknown})
    stored = lock_category(category.pk)
    _check_category_fields(changes)
    changed = {name: value for name, value in changes.items() if getattr(stored, name) != value}
    if not changed:
        return stored
    facts = {name: {"old": getattr(stored, name), "new": value} for name, value in changed.items()}
    for name, value in changed.items():
        setattr(stored, name, value)
    stored.save(update_fields=sorted(changed))
    audit_record(action="category.changed", object_type="category", object_id=stored.slug,
                 actor=actor, facts=facts)
    return stored
