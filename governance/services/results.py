"""Closing a vote and what follows the result: the tally, the outcome statement, implementation."""

import random
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from coop.errors import Conflict, InvalidInput

from .. import rules, tally
from ..locks import lock_proposal as _lock  # the exclusive lock every state change takes
from ..models import (
    Ballot,
    Elector,
    ImplementationUpdate,
    Method,
    Proposal,
    SecretBallot,
)
from ._common import _audit, _now, _require
from .enacting import _enactment_settle
from .notifications import _notify_electors

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
        hidden = rules.hidden_classes(
            secret=True,
            cast_by_class={slug: entry["cast"] for slug, entry in data["by_class"].items()},
        )
        for slug in hidden:
            entry = data["by_class"][slug]
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
        Proposal.Implementation.NOT_NEEDED,
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
