"""Allocation policies (RULES §4, §6): versions are never edited; the first is created in
force, later ones are drafts that only a passed `policy` proposal puts in force."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from coop.audit import audit_record
from coop.errors import Conflict, InvalidInput
from membership.models import StakeholderClass

from .. import allocation, rules
from ..locks import lock_policies, lock_policy
from ..models import AllocationPolicy
from ._common import require, user_of

FIGURES = AllocationPolicy.FIGURES


def policy_of(version: AllocationPolicy) -> allocation.Policy:
    """The pure module's view of a stored version."""
    return allocation.Policy(
        **{name: getattr(version, name) for name in FIGURES},
        class_shares_bp=dict(version.class_shares_bp),
    )


def earliest_effective_from() -> date | None:
    """The earliest `effective_from` a new version may name (RULES §6): the start of the
    earliest period that has no posted run; None while no period exists (any date)."""
    from ledger.models import FiscalPeriod

    from ..models import DividendRun

    posted = DividendRun.objects.filter(status=DividendRun.Status.POSTED).values("period_id")
    period = (FiscalPeriod.objects.exclude(pk__in=posted).order_by("start")
              .values_list("start", flat=True).first())
    if period is not None:
        return period
    # Every period has a posted run: the day after the last one's end.
    last = FiscalPeriod.objects.order_by("-end").values_list("end", flat=True).first()
    return None if last is None else date.fromordinal(last.toordinal() + 1)


def policy_check(fields: dict) -> dict:
    """The cleaned figures of a version, or InvalidInput with errors by field: the parts sum
    to 10000, cash at least 2000, class shares summing to 10000 over existing classes, and
    `effective_from` not before the start of the earliest period with no posted run."""
    missing = [name for name in (*FIGURES, "class_shares_bp", "effective_from")
               if name not in fields and name != "interest_cap_bp"]
    if missing:
        raise InvalidInput("Some figures are missing.",
                           errors={name: ["This field is required."] for name in missing})
    figures = {name: fields.get(name, 5000 if name == "interest_cap_bp" else None)
               for name in FIGURES}
    shares = fields["class_shares_bp"]
    policy = allocation.Policy(**figures, class_shares_bp=shares)
    slugs = StakeholderClass.objects.values_list("slug", flat=True)
    errors = allocation.validate_policy(policy, slugs)
    effective_from = fields["effective_from"]
    if not isinstance(effective_from, date):
        errors.setdefault("effective_from", []).append("A date (YYYY-MM-DD).")
    else:
        earliest = earliest_effective_from()
        if earliest is not None and effective_from < earliest:
            errors.setdefault("effective_from", []).append(
                f"Must be on or after {earliest.isoformat()}: the periods before it have a "
                f"posted run, whose split cannot change.")
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(f"The policy is not valid: {first}", errors=errors)
    return {**figures, "class_shares_bp": dict(sorted(shares.items())),
            "effective_from": effective_from}


@transaction.atomic
def policy_create(*, actor, note: str = "", **fields) -> AllocationPolicy:
    """A new version. While no version exists it is created in force from its
    `effective_from` (recorded as enacted directly); afterwards it is a draft."""
    require(rules.may_write(actor))
    cleaned = policy_check(fields)
    lock_policies()
    last = AllocationPolicy.objects.order_by("-version").values_list("version", flat=True).first()
    first = last is None
    now = timezone.now()
    version = AllocationPolicy.objects.create(
        version=(last or 0) + 1, note=note or "",
        status=AllocationPolicy.Status.IN_FORCE if first else AllocationPolicy.Status.DRAFT,
        enacted_at=now if first else None, enacted_directly=first,
        created_by=user_of(actor),
        **cleaned)
    audit_record(action="policy.created", object_type="allocation_policy",
                 object_id=version.version, actor=actor,
                 facts={"status": version.status, **{k: v for k, v in cleaned.items()
                                                      if k != "effective_from"},
                        "effective_from": cleaned["effective_from"].isoformat()})
    return version


@transaction.atomic
def policy_enact(*, policy_id: int, proposal, actor) -> AllocationPolicy:
    """Put a draft in force because `proposal` passed (called by the enactment kind inside the
    close's transaction). Only a passed proposal can: there is no other caller and the kind
    checks the proposal's outcome. The draft is checked again (a run may have been posted
    meanwhile)."""
    from governance.models import Proposal

    if proposal is None or proposal.outcome != Proposal.Outcome.PASSED:
        raise Conflict("Only a passed policy proposal puts a version in force.")
    version = lock_policy(policy_id)
    if version.status != AllocationPolicy.Status.DRAFT:
        raise Conflict(f"Version {version.version} is not a draft (it is {version.status}).")
    policy_check({**{name: getattr(version, name) for name in FIGURES},
                  "class_shares_bp": version.class_shares_bp,
                  "effective_from": version.effective_from})
    AllocationPolicy.objects.filter(
        status=AllocationPolicy.Status.IN_FORCE, effective_from__lte=version.effective_from,
    ).update(status=AllocationPolicy.Status.SUPERSEDED)
    version.status = AllocationPolicy.Status.IN_FORCE
    version.enacted_at = timezone.now()
    version.enacted_by_proposal = proposal
    version.save(update_fields=["status", "enacted_at", "enacted_by_proposal"])
    audit_record(action="policy.enacted", object_type="allocation_policy",
                 object_id=version.version, actor=actor,
                 facts={"proposal": proposal.pk,
                        "effective_from": version.effective_from.isoformat()})
    return version
