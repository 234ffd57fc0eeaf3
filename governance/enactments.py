"""The registry of enactment kinds: what a passed proposal changes (RULES.md §6).

Governance sits below the apps whose things a proposal can change (the ledger's allocation
policy, the approval of a dividend run), so it cannot import them. Instead each of those apps
registers its kinds here at start-up, from its AppConfig.ready():

    class AllocationPolicyKind(EnactmentKind):
        slug = "allocation_policy"
        label = "Allocation policy"
        categories = frozenset({"policy"})

        def validate(self, payload): ...   # -> the cleaned payload, or raise InvalidInput
        def describe(self, payload): ...   # -> lines in words, with the difference from now
        def enact(self, payload, proposal): ...  # applies it, inside the close's transaction
        def choices(self): ...             # -> [(payload, label)] the proposal form offers

    enactments.register(AllocationPolicyKind())

The services (governance/services/enacting.py) call validate when a proposal is
created or edited and again when voting opens, and enact when it closes passed. This module only
holds the registry and reads through it; it writes nothing.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

from coop.errors import InvalidInput

if TYPE_CHECKING:
    from .models import Proposal

logger = logging.getLogger(__name__)


class EnactmentKind:
    """One kind of change a proposal can carry. Subclass it and register an instance.

    The payload is plain JSON (it is stored on the proposal as it was validated), so `validate`
    returns only JSON values: ids, strings, integers (money in minor units), no model instances.
    """

    slug: str = ""
    label: str = ""
    # The category slugs whose proposals may carry this kind; None lets any category carry it.
    # RULES §6 names the `policy` category for the ledger's kinds.
    categories: frozenset[str] | None = None

    def validate(self, payload: dict) -> dict:
        """Return the cleaned payload, or raise coop.errors.InvalidInput saying what is wrong."""
        raise NotImplementedError

    def describe(self, payload: dict) -> str | list[str]:
        """The change in words, with the difference from what is in force now, e.g.
        "cash share of patronage: 30 % → 40 %". One string or a list of lines."""
        raise NotImplementedError

    def enact(self, payload: dict, proposal: Proposal) -> None:
        """Apply the change. Runs inside the close's transaction (in a savepoint of its own);
        raising records the enactment as failed and leaves the close standing."""
        raise NotImplementedError

    def choices(self) -> list[tuple[dict, str]]:
        """What the browser's proposal form offers of this kind: (payload, label) pairs, e.g.
        the draft policy versions with their difference from the one in force. The form sends
        the chosen payload through `clean` like the API's, so a choice gone stale meanwhile is
        refused there. None by default: the kind is then proposed through the API only."""
        return []


_kinds: dict[str, EnactmentKind] = {}


def register(kind: EnactmentKind) -> EnactmentKind:
    """Register a kind (call from the owning app's AppConfig.ready). Registering the same class
    again replaces it (ready() may run twice); another class under a taken slug is refused."""
    if not kind.slug:
        raise ImproperlyConfigured(f"{type(kind).__name__} has no slug.")
    existing = _kinds.get(kind.slug)
    if existing is not None and type(existing) is not type(kind):
        raise ImproperlyConfigured(
            f"The enactment kind {kind.slug!r} is already registered by "
            f"{type(existing).__module__}.{type(existing).__name__}."
        )
    _kinds[kind.slug] = kind
    return kind


def unregister(slug: str) -> None:
    """Remove a kind (tests register kinds of their own and remove them afterwards)."""
    _kinds.pop(slug, None)


def get_kind(slug: str) -> EnactmentKind | None:
    return _kinds.get(slug)


def registered_kinds() -> list[EnactmentKind]:
    return [_kinds[slug] for slug in sorted(_kinds)]


def clean(*, enacts: dict, category_slug: str) -> tuple[str, dict]:
    """Check an `enacts` object as the API and the services take it: `{"kind": slug, ...the
    payload...}`. Returns (kind slug, cleaned payload) or raises InvalidInput under `enacts`."""

    def refuse(message: str):
        raise InvalidInput(message, errors={"enacts": [message]})

    if not isinstance(enacts, dict):
        refuse('Give an object: {"kind": ..., and the fields of that kind}.')
    payload = dict(enacts)
    slug = payload.pop("kind", None)
    kind = get_kind(slug) if isinstance(slug, str) else None
    if kind is None:
        known = ", ".join(k.slug for k in registered_kinds()) or "none is registered"
        refuse(f"Unknown enactment kind {slug!r}; expected one of: {known}.")
    if kind.categories is not None and category_slug not in kind.categories:
        allowed = ", ".join(sorted(kind.categories))
        refuse(
            f"A proposal in the {category_slug} category cannot carry a {kind.slug} "
            f"enactment; it needs the category {allowed}."
        )
    try:
        cleaned = kind.validate(payload)
    except InvalidInput as exc:
        # Keep the kind's own message and field errors, filed under `enacts` for the faces.
        errors = {"enacts": [exc.message]}
        errors.update({f"enacts.{field}": msgs for field, msgs in exc.errors.items()})
        raise InvalidInput(f"The enactment is not valid: {exc.message}", errors=errors) from exc
    return kind.slug, cleaned


def may_carry(category_slug: str) -> bool:
    """Whether a proposal in this category may carry some registered kind."""
    return any(kind.categories is None or category_slug in kind.categories
               for kind in registered_kinds())


def form_value(slug: str, payload: dict) -> str:
    """A choice as the form's select holds it: the `enacts` object the API takes, as JSON."""
    return json.dumps({"kind": slug, **payload}, sort_keys=True)


def from_form_value(value: str) -> dict:
    """The `enacts` object back from a select's value; ValueError when it is not one."""
    enacts = json.loads(value)
    if not isinstance(enacts, dict):
        raise ValueError("not an object")
    return enacts


def form_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every kind's choices for the proposal form, grouped under the kind's label (kinds that
    offer none are left out). A kind whose choices fail is left out too: the form still shows."""
    groups = []
    for kind in registered_kinds():
        try:
            offered = [(form_value(kind.slug, payload), label)
                       for payload, label in kind.choices()]
        except Exception:
            logger.exception("Listing the %s enactment's choices failed", kind.slug)
            continue
        if offered:
            groups.append((kind.label or kind.slug, offered))
    return groups


def description(slug: str, payload) -> list[str]:
    """The change in words as lines; a page must still show when a kind is gone or fails."""
    kind = get_kind(slug)
    if kind is None:
        return [f"{slug}: this kind of enactment is not installed here."]
    try:
        text = kind.describe(payload)
    except Exception:  # a broken description must not take the proposal page down
        logger.exception("Describing the %s enactment failed", slug)
        return [f"{kind.label or slug}: the description is not available."]
    return [text] if isinstance(text, str) else [str(line) for line in text]


def enactment_of(proposal: Proposal) -> dict | None:
    """What the faces show of a proposal's enactment (API `enactment`, the proposal page, the
    admin); None when it carries none. No query unless the kind's description makes one."""
    if proposal.enactment_status == proposal.Enactment.NONE:
        return None
    lines = proposal.enactment_description or description(
        proposal.enactment_kind, proposal.enactment_payload
    )
    kind = get_kind(proposal.enactment_kind)
    failed = proposal.enactment_status == proposal.Enactment.FAILED
    return {
        "kind": proposal.enactment_kind,
        "label": kind.label if kind is not None and kind.label else proposal.enactment_kind,
        "payload": proposal.enactment_payload,
        "status": proposal.enactment_status,
        "status_label": proposal.get_enactment_status_display(),
        "error": proposal.enactment_error,
        "description": lines,
        "detail": proposal.enactment_error if failed else "\n".join(lines),
        "enacted_at": proposal.enacted_at,
    }
