"""The enactment kinds patronage registers with governance (RULES §6), from
`PatronageConfig.ready()`: a new allocation policy version, and the approval of a run."""

from datetime import date

from coop.actors import SystemActor
from coop.errors import InvalidInput
from governance import enactments

from .models import AllocationPolicy, DividendRun

LABELS = {
    "capital_interest_bp": "interest on capital (yearly rate)",
    "interest_cap_bp": "most of the surplus interest may take",
    "reserves_bp": "reserves' share of the surplus",
    "commons_bp": "commons fund's share of the surplus",
    "patronage_bp": "patronage share of the surplus",
    "cash_bp": "cash share of patronage",
}


def percent(bp: int) -> str:
    """Basis points as a percentage without trailing zeros: 3000 → "30 %", 250 → "2.5 %"."""
    whole, rest = divmod(int(bp), 100)
    return f"{whole} %" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + " %"


def _id(payload, name: str) -> int:
    value = payload.get(name) if isinstance(payload, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"Give {name}: the id of the thing to enact.",
                           errors={name: ["A positive integer id."]})
    return value


def policy_difference(new: AllocationPolicy, old: AllocationPolicy | None) -> list[str]:
    """The change in words and figures ("cash share of patronage: 30 % → 40 %")."""
    lines = [f"Allocation policy version {new.version}, applying from "
             f"{new.effective_from:%-d %b %Y}."]
    if old is None:
        lines.append("No policy is in force on that date; this would be the first.")
        for name, label in LABELS.items():
            lines.append(f"{label}: {percent(getattr(new, name))}")
        for slug, bp in sorted(new.class_shares_bp.items()):
            lines.append(f"patronage share of {slug}: {percent(bp)}")
        return lines
    lines.append(f"Compared with version {old.version}, in force now:")
    changed = False
    for name, label in LABELS.items():
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changed = True
            lines.append(f"{label}: {percent(before)} → {percent(after)}")
    for slug in sorted(set(old.class_shares_bp) | set(new.class_shares_bp)):
        before, after = old.class_shares_bp.get(slug, 0), new.class_shares_bp.get(slug, 0)
        if before != after:
            changed = True
            lines.append(f"patronage share of {slug}: {percent(before)} → {percent(after)}")
    if new.effective_from != old.effective_from:
        lines.append(f"applies from: {old.effective_from:%-d %b %Y} → "
                     f"{new.effective_from:%-d %b %Y}")
    if not changed:
        lines.append("The figures are the same as those in force.")
    return lines


def _compared_with(new: AllocationPolicy) -> AllocationPolicy | None:
    """The version a proposed one is compared with: the one in force on its date (once it is
    enacted itself, the one before it)."""
    from .selectors import policy_in_force

    old = policy_in_force(new.effective_from)
    if old is not None and old.pk == new.pk:
        old = (AllocationPolicy.objects.filter(enacted_at__isnull=False)
               .exclude(pk=new.pk).order_by("-effective_from", "-enacted_at").first())
    return old


def _inline_policy(policy) -> dict:
    """A complete version given inline (`enacts.policy`), checked like a draft and kept as
    JSON (the date as YYYY-MM-DD)."""
    from .services import policy_check

    if not isinstance(policy, dict):
        raise InvalidInput("Give the policy's figures as an object.",
                           errors={"policy": ["An object with the policy's fields."]})
    fields = {name: value for name, value in policy.items()
              if name in (*AllocationPolicy.FIGURES, "class_shares_bp", "effective_from")}
    try:
        fields["effective_from"] = date.fromisoformat(str(policy.get("effective_from", "")))
    except ValueError:
        raise InvalidInput("Give effective_from as a date (YYYY-MM-DD).",
                           errors={"effective_from": ["A date (YYYY-MM-DD)."]}) from None
    cleaned = policy_check(fields)
    return {**cleaned, "effective_from": cleaned["effective_from"].isoformat()}


class AllocationPolicyKind(enactments.EnactmentKind):
    """`{"kind": "allocation_policy", "policy": {...a complete version...}}` (API.md: drafted
    and put in force when the proposal passes) or `{"kind": "allocation_policy", "policy_id":
    <a draft version's id>}` (what staff drafted; the browser form offers those)."""

    slug = "allocation_policy"
    label = "Allocation policy"
    categories = frozenset({"policy"})

    def validate(self, payload):
        from .services import policy_check

        if isinstance(payload, dict) and "policy" in payload:
            # API.md's shape: the complete new version inline, drafted when the proposal passes.
            return {"policy": _inline_policy(payload["policy"])}
        policy_id = _id(payload, "policy_id")
        draft = AllocationPolicy.objects.filter(pk=policy_id).first()
        if draft is None:
            raise InvalidInput(f"No allocation policy version has id {policy_id}.",
                               errors={"policy_id": ["Unknown."]})
        if draft.status != AllocationPolicy.Status.DRAFT:
            raise InvalidInput(f"Version {draft.version} is not a draft; propose a draft.",
                               errors={"policy_id": ["Not a draft."]})
        policy_check({**{name: getattr(draft, name) for name in AllocationPolicy.FIGURES},
                      "class_shares_bp": draft.class_shares_bp,
                      "effective_from": draft.effective_from})
        return {"policy_id": policy_id}

    def describe(self, payload):
        if "policy" in payload:
            fields = {**payload["policy"],
                      "effective_from": date.fromisoformat(payload["policy"]["effective_from"])}
            last = AllocationPolicy.objects.order_by("-version").values_list(
                "version", flat=True).first()
            new = AllocationPolicy(version=(last or 0) + 1, **fields)  # unsaved: for the words
            return policy_difference(new, _compared_with(new))
        new = AllocationPolicy.objects.filter(pk=payload.get("policy_id")).first()
        if new is None:
            return "The proposed allocation policy version no longer exists."
        return policy_difference(new, _compared_with(new))

    def choices(self):
        """The drafts, each with its difference from the version in force, on one line."""
        drafts = AllocationPolicy.objects.filter(
            status=AllocationPolicy.Status.DRAFT).order_by("version")
        offered = []
        for draft in drafts:
            heading, compared, *changes = policy_difference(draft, _compared_with(draft))
            offered.append(({"policy_id": draft.pk},
                            f"{heading} {compared} {'; '.join(changes)}"))
        return offered

    def enact(self, payload, proposal):
        from .services import policy_create, policy_enact

        actor = SystemActor(name=f"proposal {proposal.pk}")
        policy_id = payload.get("policy_id")
        if "policy" in payload:
            fields = {**payload["policy"],
                      "effective_from": date.fromisoformat(payload["policy"]["effective_from"])}
            policy_id = policy_create(actor=actor, note=f"Proposed by proposal {proposal.pk}.",
                                      **fields).pk
        policy_enact(policy_id=policy_id, proposal=proposal, actor=actor)


class DividendRunApprovalKind(enactments.EnactmentKind):
    """`{"kind": "dividend_run_approval", "run_id": <a computed run's id>}`: when the proposal
    passes, the run is posted as staff's approval would post it (RULES §4 step 8, §6)."""

    slug = "dividend_run_approval"
    label = "Approval of a dividend run"
    categories = frozenset({"policy"})

    def validate(self, payload):
        # API.md names it `run`; `run_id` (the form's and earlier clients' name) is kept too.
        run_id = _id(payload, "run" if isinstance(payload, dict) and "run" in payload
                     else "run_id")
        run = DividendRun.objects.select_related("period").filter(pk=run_id).first()
        if run is None:
            raise InvalidInput(f"No dividend run has id {run_id}.", errors={"run_id": ["Unknown."]})
        if run.status != DividendRun.Status.COMPUTED:
            raise InvalidInput(f"Run {run_id} is {run.status}; only a computed run can be "
                               f"approved.", errors={"run_id": ["Not computed."]})
        return {"run_id": run_id}

    def describe(self, payload):
        from coop.models import Cooperative
        from coop.money import format_minor

        run = DividendRun.objects.select_related("period", "policy").filter(
            pk=payload.get("run_id")).first()
        if run is None:
            return "The dividend run to approve no longer exists."
        currency = Cooperative.current_currency()

        def money(minor):
            return format_minor(minor or 0, currency)

        return [
            f"Post dividend run {run.pk} for the period {run.period} "
            f"(policy version {run.policy.version if run.policy else '?'}):",
            f"distributable surplus: {money(run.distributable_minor)}",
            f"interest on capital: {money(run.interest_minor)}",
            f"indivisible reserve: {money(run.reserves_minor)}",
            f"commons fund: {money(run.commons_minor)}",
            f"patronage to members: {money(run.patronage_minor)} "
            f"({run.members_count} member lines)",
            f"inputs SHA-256: {run.inputs_hash}",
        ]

    def choices(self):
        """The computed runs, not yet posted, with what they would distribute."""
        from coop.models import Cooperative
        from coop.money import format_minor

        runs = list(DividendRun.objects.select_related("period").filter(
            status=DividendRun.Status.COMPUTED).order_by("pk"))
        if not runs:
            return []
        currency = Cooperative.current_currency()
        return [({"run_id": run.pk},
                 f"Post dividend run {run.pk} for the period {run.period}: distributable "
                 f"surplus {format_minor(run.distributable_minor or 0, currency)}")
                for run in runs]

    def enact(self, payload, proposal):
        from .services import dividend_run_approve

        run = DividendRun.objects.get(pk=payload["run_id"])
        dividend_run_approve(actor=SystemActor(name=f"proposal {proposal.pk}"), run=run,
                             proposal=proposal)


def register() -> None:
    enactments.register(AllocationPolicyKind())
    enactments.register(DividendRunApprovalKind())
