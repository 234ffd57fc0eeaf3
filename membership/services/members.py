"""Stakeholder classes and a member's details, profile and directory visibility."""


from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from coop.audit import audit_record, changes_apply
from coop.errors import Conflict, InvalidInput
from coop.locks import lock_user

from .. import rules
from ..locks import lock_member, lock_stakeholder_class
from ..models import (
    Kind,
    Member,
    StakeholderClass,
)
from ._common import _REGISTRAR, _require


@transaction.atomic
def member_directory_visibility_set(*, member: Member, visible: bool, actor) -> Member:
    _require(rules.may_set_directory_visibility(actor, member),
             "Only the member (or staff) chooses whether they are listed.")
    Member.objects.filter(pk=member.pk).update(directory_visible=visible)
    member.directory_visible = visible
    audit_record(action="member.directory_visibility", object_type="member",
                 object_id=member.member_number, actor=actor, facts={"visible": visible})
    return member


@transaction.atomic
def profile_update(*, user, full_name: str, actor=None):
    """A person changes their own account's name. Only the account: the register's
    Member.name, the name they were admitted under, stays as it is."""
    user_model = get_user_model()
    full_name = (full_name or "").strip()
    limit = user_model._meta.get_field("full_name").max_length
    if not full_name:
        raise InvalidInput("Your name cannot be empty.",
                           errors={"full_name": ["This field is required."]})
    if len(full_name) > limit:
        message = f"A name has at most {limit} characters (this one has {len(full_name)})."
        raise InvalidInput(message, errors={"full_name": [message]})
    # Compared with the stored row under its lock, not with the caller's copy, which may be
    # stale: saving the same name again writes nothing and records nothing.
    stored = lock_user(user.pk)
    user.full_name = full_name
    if stored.full_name == full_name:
        return user
    user_model.objects.filter(pk=user.pk).update(full_name=full_name)
    # Which fields changed, not their values: the audit trail keeps no more personal data
    # than it needs.
    audit_record(action="user.profile_updated", object_type="user", object_id=user.pk,
                 actor=actor or user, facts={"fields": ["full_name"]})
    return user


@transaction.atomic
def stakeholder_class_create(*, actor, **fields) -> StakeholderClass:
    _require(rules.may_manage_register(actor), _REGISTRAR)
    if StakeholderClass.objects.filter(slug=fields.get("slug")).exists():
        raise Conflict(f"A class with slug {fields.get('slug')!r} already exists.",
                       errors={"slug": ["Already exists."]})
    _check_class_fields(fields)
    if fields.get("max_shares", 1) < fields.get("min_shares", 1):
        raise InvalidInput("max_shares must be at least min_shares.",
                           errors={"max_shares": ["Must be at least min_shares."]})
    stakeholder_class = StakeholderClass.objects.create(**fields)
    audit_record(action="class.created", object_type="stakeholder_class",
                 object_id=stakeholder_class.slug, actor=actor,
                 facts={k: v for k, v in fields.items() if k != "description"})
    return stakeholder_class


# --- stakeholder classes, member details, the register import -------------------------------
# (added for issue #7: every write of the register goes through this module, so the ledger can
# hook into one place; see docs/architecture.md, "Every write through services")

CLASS_FIELDS = ("name", "description", "share_price_minor", "min_shares", "max_shares",
                "vote_weight", "patronage_measure")


def _check_class_fields(fields: dict) -> None:
    """The class's numbers as its check constraints want them, as field errors (not a 500)."""
    errors: dict[str, list[str]] = {}
    for name, minimum in (("share_price_minor", 0), ("min_shares", 1), ("max_shares", 1),
                          ("vote_weight", 1)):
        if name not in fields:
            continue
        value = fields[name]
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = ["Must be a whole number."]
        elif value < minimum:
            errors[name] = [f"Must be at least {minimum}."]
    if "name" in fields and not (fields["name"] or "").strip():
        errors["name"] = ["This field is required."]
    if errors:
        raise InvalidInput("The class's values are not valid.", errors=errors)


@transaction.atomic
def stakeholder_class_update(*, stakeholder_class: StakeholderClass, actor,
                             **changes) -> StakeholderClass:
    """Change a class. The slug never changes (members and the API know the class by it).

    A new share price applies to later admissions only: each ShareSubscription froze the price
    at approval (or import), and payments, certificates and redemptions read that frozen price.
    The audit record keeps the old and the new value of each changed field."""
    _require(rules.may_manage_register(actor), _REGISTRAR)
    unknown = sorted(set(changes) - set(CLASS_FIELDS))
    if unknown:
        raise InvalidInput(f"These fields of a class cannot be changed: {', '.join(unknown)}.",
                           errors={name: ["Cannot be changed."] for name in unknown})
    stored = lock_stakeholder_class(stakeholder_class.pk)
    _check_class_fields(changes)
    min_shares = changes.get("min_shares", stored.min_shares)
    if changes.get("max_shares", stored.max_shares) < min_shares:
        raise InvalidInput("max_shares must be at least min_shares.",
                           errors={"max_shares": ["Must be at least min_shares."]})
    # The description is free text: the record says it changed, not what it says.
    facts = changes_apply(stored, changes, text_fields=("description",))
    if not facts:
        return stored
    audit_record(action="class.changed", object_type="stakeholder_class",
                 object_id=stored.slug, actor=actor, facts=facts)
    return stored


MEMBER_DETAIL_FIELDS = ("name", "email", "contact_person", "registration_number", "user",
                        "referred_by")


@transaction.atomic
def member_details_update(*, member: Member, changes: dict, actor) -> Member:
    """Change a member's contact details (what the admin lets staff edit), or the referrer an
    imported register names. Numbers, class, shares, status and dates belong to the other
    services; directory visibility to member_directory_visibility_set."""
    _require(rules.may_manage_register(actor), _REGISTRAR)
    unknown = sorted(set(changes) - set(MEMBER_DETAIL_FIELDS))
    if unknown:
        raise InvalidInput(f"These member fields are not details: {', '.join(unknown)}.",
                           errors={name: ["Cannot be changed here."] for name in unknown})
    stored = lock_member(member.pk)
    if stored.erased_on is not None:
        # Typing the details back in would undo the erasure.
        raise Conflict(f"Member {stored.member_number}'s personal data was erased on "
                       f"{stored.erased_on}: their details cannot be changed.")
    changes = {name: (value.strip() if isinstance(value, str) else value)
               for name, value in changes.items()}
    errors: dict[str, list[str]] = {}
    if "name" in changes:
        limit = Member._meta.get_field("name").max_length
        if not changes["name"]:
            errors["name"] = ["This field is required."]
        elif len(changes["name"]) > limit:
            errors["name"] = [f"At most {limit} characters."]
    if changes.get("email"):
        try:
            validate_email(changes["email"])
        except ValidationError:
            errors["email"] = ["Not an email address."]
    if (stored.kind == Kind.ORGANISATION and "registration_number" in changes
            and not changes["registration_number"]):
        errors["registration_number"] = ["Required for an organisation."]
    user = changes.get("user")
    if user is not None and Member.objects.filter(user=user).exclude(pk=stored.pk).exists():
        errors["user"] = ["This account belongs to another member."]
    referrer = changes.get("referred_by")
    if referrer is not None and referrer.pk == stored.pk:
        errors["referred_by"] = ["A member cannot refer themself."]
    if errors:
        raise InvalidInput("The member's details are not valid.", errors=errors)
    changed = sorted(name for name, value in changes.items() if getattr(stored, name) != value)
    for name in changed:
        setattr(stored, name, changes[name])
        setattr(member, name, changes[name])
    if not changed:
        return member
    stored.save(update_fields=changed)
    # Which fields changed, never their values: the audit holds no personal data.
    audit_record(action="member.details_changed", object_type="member",
                 object_id=stored.member_number, actor=actor, facts={"fields": changed})
    return member
