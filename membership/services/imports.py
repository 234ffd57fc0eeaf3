"""Importing an existing register, member by member."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from coop.audit import audit_record
from coop.errors import InvalidInput

from .. import rules
from ..models import (
    Kind,
    Member,
    ShareSubscription,
    StakeholderClass,
)
from ._common import _REGISTRAR, _not_in_the_future, _require
from .applications import _check_shares
from .register import _reconcile_holding


@transaction.atomic
def member_import(
    *,
    member_number: int,
    stakeholder_class: StakeholderClass,
    shares: int,
    share_price_minor: int,
    joined_on: date,
    name: str,
    kind: str = Kind.PERSON,
    email: str = "",
    registration_number: str = "",
    contact_person: str = "",
    directory_visible: bool = True,
    referred_by: Member | None = None,
    certificate_numbers: list[int] | None = None,
    actor,
) -> Member:
    """Admit a member of an imported register: the number, the admission date and the share
    price its file gives (the price the member subscribed at then), no application.

    What happened after admission goes through the same services as live members:
    share_payment_record and member_exit with `imported=True`. Free shares (price 0) are
    issued here, on joined_on, under the `certificate_numbers` given. Nobody is emailed."""
    _require(rules.may_manage_register(actor), _REGISTRAR)
    shares = _check_shares(stakeholder_class, shares)
    errors: dict[str, list[str]] = {}
    if isinstance(member_number, bool) or not isinstance(member_number, int) or member_number < 1:
        errors["member_number"] = ["Must be a whole number of at least 1."]
    elif Member.objects.filter(member_number=member_number).exists():
        errors["member_number"] = [f"Member number {member_number} is already in the register."]
    if isinstance(share_price_minor, bool) or not isinstance(share_price_minor, int) \
            or share_price_minor < 0:
        errors["share_price_minor"] = ["Must be a whole number of minor units, at least 0."]
    if kind not in Kind.values:
        errors["kind"] = [f"Must be one of: {', '.join(Kind.values)}."]
    elif kind == Kind.ORGANISATION and not registration_number:
        errors["registration_number"] = ["Required for an organisation."]
    if not (name or "").strip():
        errors["name"] = ["This field is required."]
    if errors:
        raise InvalidInput("The member cannot be imported.", errors=errors)
    _not_in_the_future(joined_on, timezone.localdate(), "An admission", "joined_on")
    member = Member.objects.create(
        member_number=member_number, kind=kind, name=name.strip(), email=email,
        registration_number=registration_number, contact_person=contact_person,
        stakeholder_class=stakeholder_class, referred_by=referred_by, joined_on=joined_on,
        directory_visible=directory_visible, shares_subscribed=shares,
    )
    member.subscription = ShareSubscription.objects.create(
        member=member, shares=shares, share_price_minor=share_price_minor,
        subscribed_on=joined_on)
    audit_record(action="member.admitted", object_type="member", object_id=member_number,
                 actor=actor, facts={"imported": True, "member_number": member_number,
                                     "class": stakeholder_class.slug, "shares": shares,
                                     "share_price_minor": share_price_minor,
                                     "joined_on": joined_on.isoformat()})
    if share_price_minor == 0:
        # Free shares are issued at admission (RULES.md §1), as applications_approve does.
        _reconcile_holding(member, on=joined_on, payment=None, actor=actor,
                           certificate_numbers=certificate_numbers, imported=True)
    return member
