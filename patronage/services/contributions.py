"""Contributions (RULES §3): idempotent by `external_id` per source, refused in a closed
period, and a CSV import that writes all rows or none."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from coop.audit import audit_record
from coop.errors import Conflict, InvalidInput
from membership.models import Member

from .. import rules
from ..models import Contribution
from ._common import require, source_of

MAX_QUANTITY = Decimal("99999999999999.9999")  # the column: 18 digits, 4 decimals


def quantity_clean(value) -> Decimal:
    """A quantity as RULES §3 has it: a decimal ≥ 0 with at most 4 places (a string or an int;
    a float is refused, it is not exact)."""
    if isinstance(value, (bool, float)):
        raise InvalidInput("The quantity must be a decimal string such as \"12.5\".",
                           errors={"quantity": ["Give a decimal string such as \"12.5\"."]})
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{value!r} is not a number.",
                           errors={"quantity": ["Must be a number such as 12.5."]}) from None
    if not quantity.is_finite():
        raise InvalidInput("The quantity must be a number.",
                           errors={"quantity": ["Not a number."]})
    if quantity < 0:
        raise InvalidInput("The quantity cannot be negative.",
                           errors={"quantity": ["Must be 0 or more."]})
    if quantity > MAX_QUANTITY:  # before quantize, which cannot hold 1e400
        raise InvalidInput("The quantity is too large.", errors={"quantity": ["Too large."]})
    if quantity != quantity.quantize(Decimal("0.0001")):
        raise InvalidInput("The quantity has more than 4 decimal places.",
                           errors={"quantity": ["At most 4 decimal places."]})
    return quantity.quantize(Decimal("0.0001"))


def _refuse_closed(day: date) -> None:
    """A contribution dated inside a closed period is refused (RULES §4 step 9): the run of
    that period has its inputs fixed."""
    from ledger import selectors as ledger_selectors

    if ledger_selectors.is_closed_on(day):
        period = ledger_selectors.period_containing(day)
        raise Conflict(
            f"{day.isoformat()} lies in the closed period {period}; date the contribution in an "
            f"open period.", errors={"date": ["In a closed period."]})


def _same(existing: Contribution, member: Member, day: date, quantity: Decimal) -> bool:
    return (existing.member_id == member.pk and existing.date == day
            and existing.quantity == quantity)


@dataclass(frozen=True)
class Recorded:
    contribution: Contribution
    created: bool  # False: an identical resend of a contribution already recorded


@transaction.atomic
def contribution_record(*, actor, member: Member, date: date, quantity, external_id: str,
                        source: str | None = None) -> Recorded:
    """Record a contribution, once per (source, external_id): an identical resend returns the
    stored one (`created=False`), a resend with another member, date or quantity is a
    Conflict. Concurrent resends leave one row (the unique constraint; the loser reads the
    winner's row once it commits)."""
    require(rules.may_write(actor))
    quantity = quantity_clean(quantity)
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 200:
        raise InvalidInput("external_id must be 1 to 200 characters.",
                           errors={"external_id": ["Must be 1 to 200 characters."]})
    source = source or source_of(actor)

    def settle(existing: Contribution) -> Recorded:
        if not _same(existing, member, date, quantity):
            raise Conflict(
                f"external_id {external_id!r} was already recorded with another member, date "
                f"or quantity.", errors={"external_id": ["Already used with another body."]})
        return Recorded(existing, False)

    existing = Contribution.objects.filter(source=source, external_id=external_id).first()
    if existing is not None:
        return settle(existing)
    _refuse_closed(date)
    try:
        with transaction.atomic():
            contribution = Contribution.objects.create(
                member=member, date=date, quantity=quantity, external_id=external_id,
                source=source, measure=member.stakeholder_class.patronage_measure)
    except IntegrityError:
        # A concurrent resend committed first (PostgreSQL made this insert wait for it).
        return settle(Contribution.objects.get(source=source, external_id=external_id))
    audit_record(action="contribution.recorded", object_type="contribution",
                 object_id=contribution.pk, actor=actor,
                 facts={"member": member.member_number, "date": date.isoformat(),
                        "quantity": str(quantity), "source": source,
                        "external_id": external_id})
    return Recorded(contribution, True)
