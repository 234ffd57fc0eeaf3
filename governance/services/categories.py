"""Proposal categories (staff only)."""


from django.db import transaction

from coop.audit import audit_record, changes_apply
from coop.errors import Conflict, InvalidInput

from .. import rules, tally
from ..locks import lock_category
from ..models import (
    Category,
)
from ._common import _require

# --- categories (issue #7: the admin's category edits go through here, audited) ------------

_CATEGORIES = "Only staff can change the proposal categories."
CATEGORY_FIELDS = ("name", "min_quorum_percent", "min_threshold", "min_discussion_hours",
                   "min_voting_hours")


def _check_category_fields(fields: dict) -> None:
    """A category's floors as proposals will read them. A change applies to proposals made
    afterwards: a proposal copies its category's floors when it is created (RULES §2)."""
    errors: dict[str, list[str]] = {}
    if "name" in fields and not (fields["name"] or "").strip():
        errors["name"] = ["This field is required."]
    quorum = fields.get("min_quorum_percent", 0)
    if isinstance(quorum, bool) or not isinstance(quorum, int) or not 0 <= quorum <= 100:
        errors["min_quorum_percent"] = ["Must be a whole percentage from 0 to 100."]
    hours = fields.get("min_voting_hours", 1)
    if isinstance(hours, bool) or not isinstance(hours, int) or hours < 1:
        errors["min_voting_hours"] = ["Must be a whole number of hours, at least 1."]
    # 0 is allowed: a category may let voting open as soon as the proposal is made.
    hours = fields.get("min_discussion_hours", 0)
    if isinstance(hours, bool) or not isinstance(hours, int) or hours < 0:
        errors["min_discussion_hours"] = ["Must be a whole number of hours, 0 or more."]
    if "min_threshold" in fields:
        try:
            tally.parse_threshold(fields["min_threshold"])
        except tally.TallyError as exc:
            errors["min_threshold"] = [str(exc)]
    if errors:
        raise InvalidInput("The category's values are not valid.", errors=errors)


@transaction.atomic
def category_create(*, slug: str, name: str, min_quorum_percent: int = 10,
                    min_threshold: str = tally.MAJORITY, min_discussion_hours: int = 48,
                    min_voting_hours: int = 72, actor) -> Category:
    _require(rules.may_manage_categories(actor), _CATEGORIES)
    fields = {"name": name, "min_quorum_percent": min_quorum_percent,
              "min_threshold": min_threshold, "min_discussion_hours": min_discussion_hours,
              "min_voting_hours": min_voting_hours}
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
    facts = changes_apply(stored, changes)
    if not facts:
        return stored
    audit_record(action="category.changed", object_type="category", object_id=stored.slug,
                 actor=actor, facts=facts)
    return stored
