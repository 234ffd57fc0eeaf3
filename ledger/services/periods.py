"""Fiscal periods (RULES.md §3): created explicitly, contiguous, closed after their end."""

import calendar
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from coop.actors import SystemActor
from coop.audit import audit_record
from coop.counters import lock_counters
from coop.errors import Conflict, InvalidInput, NotAllowed
from coop.models import Cooperative
from membership import services as membership_services

from .. import accounts, hooks
from ..journal import Line, redemption_key, redemption_payable_lines
from ..locks import lock_period, lock_periods
from ..models import DayBalance, FiscalPeriod
from ..rules import may_keep_books
from .entries import CLOSING_KIND, ENTRY_COUNTER, entry_post

FIRST_PERIOD_MAX_MONTHS = 18
# The close makes redemptions payable through membership's service, as this job.
PERIOD_CLOSE = SystemActor(name="ledger.period_close")


def add_months(d: date, months: int) -> date:
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return d.replace(year=year, month=month,
                     day=min(d.day, calendar.monthrange(year, month)[1]))


def _is_fiscal_year_end(d: date) -> bool:
    return (d + timedelta(days=1)).strftime("%m-%d") == Cooperative.current().fiscal_year_start


def _require_books(actor) -> None:
    if not may_keep_books(actor):
        raise NotAllowed("Only staff, a ledger:write key or a system job keep the books.")


@transaction.atomic
def period_create(*, actor, start: date, end: date) -> FiscalPeriod:
    """The next fiscal period. The first may be irregular (at most 18 months); each ends the day
    before the cooperative's fiscal year starts, and later ones start the day after the last
    one ended and last exactly one fiscal year, so periods never overlap or leave a gap."""
    _require_books(actor)
    if end < start:
        raise InvalidInput("A period cannot end before it starts.",
                           errors={"end": [f"Must not be before {start.isoformat()}."]})
    fiscal_start = Cooperative.current().fiscal_year_start
    if not _is_fiscal_year_end(end):
        raise InvalidInput(
            f"A period ends on the last day of a fiscal year (the fiscal year starts on "
            f"{fiscal_start}, MM-DD).",
            errors={"end": [f"Must be the day before a {fiscal_start} (MM-DD)."]})
    lock_periods()
    last = FiscalPeriod.objects.order_by("-end").first()
    if last is None:
        limit = add_months(start, FIRST_PERIOD_MAX_MONTHS) - timedelta(days=1)
        if end > limit:
            raise InvalidInput(
                f"The first period may last at most {FIRST_PERIOD_MAX_MONTHS} months: from "
                f"{start.isoformat()} it ends by {limit.isoformat()}.",
                errors={"end": [f"Must not be after {limit.isoformat()}."]})
    else:
        expected = last.end + timedelta(days=1)
        if start != expected:
            problem = "overlaps" if start < expected else "leaves a gap after"
            raise InvalidInput(
                f"This period {problem} the period {last}: periods are contiguous, so the "
                f"next one starts on {expected.isoformat()}.",
                errors={"start": [f"Must be {expected.isoformat()}."]})
        year_end = add_months(start, 12) - timedelta(days=1)
        if end != year_end:
            raise InvalidInput(
                f"After the first period, a period is one fiscal year: from {start.isoformat()} "
                f"it ends on {year_end.isoformat()}.",
                errors={"end": [f"Must be {year_end.isoformat()}."]})
    period = FiscalPeriod.objects.create(start=start, end=end)
    audit_record(action="ledger.period_created", object_type="fiscal_period",
                 object_id=period.pk, actor=actor,
                 facts={"start": start.isoformat(), "end": end.isoformat()})
    return period


def _result_lines(period: FiscalPeriod) -> tuple[list[Line], int]:
    """The closing entry's lines: each revenue and expense account's balance over the period
    moved to Unallocated surplus; and the surplus (revenue − expenses, negative for a loss)."""
    sums = (DayBalance.objects
            .filter(day__gte=period.start, day__lte=period.end, closing=False,
                    account__type__in=accounts.RESULT_TYPES)
            .values("account__code")
            .annotate(d=Sum("debit_minor"), c=Sum("credit_minor"))
            .order_by("account__code"))
    lines, surplus = [], 0
    for row in sums:
        net = row["c"] - row["d"]  # credit balance: income; debit balance: expense
        surplus += net
        if net > 0:
            lines.append(Line(account=row["account__code"], debit_minor=net))
        elif net < 0:
            lines.append(Line(account=row["account__code"], credit_minor=-net))
    if surplus > 0:
        lines.append(Line(account=accounts.UNALLOCATED_SURPLUS, credit_minor=surplus))
    elif surplus < 0:
        lines.append(Line(account=accounts.UNALLOCATED_SURPLUS, debit_minor=-surplus))
    return lines, surplus


def _post_redemptions(period: FiscalPeriod, actor) -> None:
    """Exits of the period (and any earlier one still requested) become payable at its close:
    Dr Member share capital / Cr Redemptions payable, dated the period's last day."""
    redemptions = membership_services.redemptions_make_payable(on=period.end, actor=PERIOD_CLOSE)
    for redemption in redemptions:
        if redemption.amount_minor == 0:
            continue
        member_id = redemption.member_id
        entry_post(
            actor=actor, date=period.end, kind="redemption_payable",
            description=f"Redemption of member {redemption.member.member_number}'s capital "
                        f"payable",
            lines=redemption_payable_lines(member_id, redemption.amount_minor),
            idempotency_key=redemption_key(redemption.pk, "payable"))


@transaction.atomic
def period_close(*, actor, period: FiscalPeriod) -> FiscalPeriod:
    """Close a period after its end date: post its revenue and expenses to Unallocated surplus,
    make its exits' redemptions payable, then run `ledger.hooks.after_period_close`. Afterwards
    no entry may be dated inside it."""
    _require_books(actor)
    period = lock_period(period.pk)
    if period.status == FiscalPeriod.Status.CLOSED:
        raise Conflict(f"The period {period} is already closed.")
    today = timezone.localdate()
    if today <= period.end:
        raise Conflict(f"The period {period} closes only after its end date "
                       f"({period.end.isoformat()}).")
    earlier = FiscalPeriod.objects.filter(end__lt=period.start,
                                          status=FiscalPeriod.Status.OPEN).first()
    if earlier is not None:
        raise Conflict(f"Close the earlier period {earlier} first.")
    # Nobody posts while the period is totalled (posting takes the same counter).
    lock_counters([ENTRY_COUNTER])
    _post_redemptions(period, actor)
    lines, surplus = _result_lines(period)
    if lines:
        entry_post(actor=actor, date=period.end, kind=CLOSING_KIND,
                   description=f"Close of the period {period}: revenue and expenses to "
                               f"Unallocated surplus",
                   lines=lines, idempotency_key=f"period:{period.pk}:close")
    period.status = FiscalPeriod.Status.CLOSED
    period.closed_at = timezone.now()
    period.surplus_minor = surplus
    period.save(update_fields=["status", "closed_at", "surplus_minor"])
    audit_record(action="ledger.period_closed", object_type="fiscal_period", object_id=period.pk,
                 actor=actor, facts={"surplus_minor": surplus, "end": period.end.isoformat()})
    for hook in list(hooks.after_period_close):
        hook(period, actor)
    return period


__all__ = ["add_months", "period_close", "period_create"]
