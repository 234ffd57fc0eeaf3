"""Import an existing share register from CSV (RULES.md §1, format in docs/import-format.md).

Two steps: `validate` reads the file and checks every row against the rules and the database
without writing anything (the preview the admin page and `--dry-run` show); `register_import`
re-validates inside one transaction, with the number counters locked, and writes everything or
nothing.
"""

import collections
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from coop import csv_import
from coop.audit import audit_record
from coop.counters import lock_counters
from coop.errors import InvalidInput
from coop.models import Counter

from . import hooks, services
from .models import (
    Kind,
    Member,
    Redemption,
    ShareCertificate,
    StakeholderClass,
)

REQUIRED_COLUMNS = ("member_number", "name", "class", "shares_subscribed", "joined_on", "status")
OPTIONAL_COLUMNS = (
    "email", "kind", "registration_number", "contact_person", "share_price_minor", "payments",
    "certificates", "exited_on", "exit_reason", "directory_visible", "referred_by",
    "redemption_status",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
IMPORTABLE_STATUSES = ("awaiting_payment", "active", "exited")
TRUE_WORDS = {"yes", "y", "true", "1", ""}
FALSE_WORDS = {"no", "n", "false", "0"}
# SQLite allows 999 bound parameters per statement on older builds.
LOOKUP_CHUNK = 900


@dataclass
class ParsedPayment:
    paid_on: date
    amount_minor: int


@dataclass
class ParsedCertificate:
    number: int
    issued_on: date
    payment_index: int | None  # index into the row's payments; None for free shares


@dataclass
class RowResult(csv_import.Row):
    # Filled when the row's own checks pass.
    stakeholder_class: StakeholderClass | None = None
    member_number: int | None = None
    shares: int | None = None
    price_minor: int | None = None
    joined_on: date | None = None
    exited_on: date | None = None
    activated_on: date | None = None
    payments: list[ParsedPayment] = field(default_factory=list)
    certificates: list[ParsedCertificate] = field(default_factory=list)
    referred_by: int | None = None
    directory_visible: bool = True

    @property
    def paid_minor(self) -> int:
        return sum(p.amount_minor for p in self.payments)


Preview = csv_import.Preview


@dataclass
class ImportResult:
    members: int
    payments: int
    certificates: int
    member_numbers: tuple[int, int]


# --- reading --------------------------------------------------------------------------------

def _read(text: str, preview: Preview) -> list[tuple[int, dict[str, str]]]:
    return csv_import.read(text, preview, columns=COLUMNS, required=REQUIRED_COLUMNS,
                           what="member rows")


# --- parsing one row ------------------------------------------------------------------------

def _int(row: RowResult, column: str, *, minimum: int, required: bool = True) -> int | None:
    raw = row.values.get(column, "")
    if raw == "":
        if required:
            row.error(column, "Required.")
        return None
    try:
        value = int(raw)
    except ValueError:
        row.error(column, f"{raw!r} is not a whole number.")
        return None
    if value < minimum:
        row.error(column, f"Must be at least {minimum}.")
        return None
    return value


def _date(row: RowResult, column: str, raw: str, today: date) -> date | None:
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        row.error(column, f"{raw!r} is not a date written YYYY-MM-DD.")
        return None
    if value > today:
        row.error(column, f"{raw} is in the future.")
        return None
    return value


def _payments(row: RowResult, today: date) -> list[ParsedPayment]:
    payments = []
    for part in filter(None, (p.strip() for p in row.values.get("payments", "").split(";"))):
        day, sep, amount = part.partition(":")
        if not sep:
            row.error("payments", f"{part!r} is not written DATE:AMOUNT.")
            continue
        paid_on = _date(row, "payments", day.strip(), today)
        try:
            amount_minor = int(amount.strip())
        except ValueError:
            row.error("payments", f"{amount.strip()!r} is not a whole number of cents.")
            continue
        if amount_minor <= 0:
            row.error("payments", f"The amount {amount_minor} must be greater than zero.")
            continue
        if paid_on is not None:
            payments.append(ParsedPayment(paid_on, amount_minor))
    # Shares are issued in the order the money came in.
    return sorted(payments, key=lambda p: p.paid_on)


def _certificate_numbers(row: RowResult) -> list[int]:
    numbers: list[int] = []
    for part in filter(None, (p.strip() for p in row.values.get("certificates", "").split(";"))):
        first, sep, last = part.partition("-")
        try:
            low = int(first)
            high = int(last) if sep else low
        except ValueError:
            row.error("certificates", f"{part!r} is not a number or a range like 1-3.")
            continue
        if low < 1 or high < low:
            row.error("certificates", f"{part!r} is not a valid range of positive numbers.")
            continue
        numbers.extend(range(low, high + 1))
    repeated = sorted(n for n, times in collections.Counter(numbers).items() if times > 1)
    if repeated:
        row.error("certificates", f"Listed twice in this row: {_ranges(repeated)}.")
    return sorted(set(numbers))


def _ranges(numbers: list[int]) -> str:
    parts, start, prev = [], None, None
    for n in sorted(numbers):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = n
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else str(start))
    return ";".join(parts)


def _check_row(row: RowResult, classes: dict[str, StakeholderClass], today: date) -> None:
    values = row.values
    row.member_number = _int(row, "member_number", minimum=1)
    if not values.get("name"):
        row.error("name", "Required.")
    elif len(values["name"]) > 200:
        row.error("name", "At most 200 characters.")
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            row.error("email", f"{values['email']!r} is not an email address.")
    kind = values.get("kind", "").lower() or Kind.PERSON
    if kind not in Kind.values:
        row.error("kind", f"{kind!r} is not one of: {', '.join(Kind.values)}.")
    elif kind == Kind.ORGANISATION and not values.get("registration_number"):
        row.error("registration_number", "Required for an organisation.")

    slug = values.get("class", "")
    stakeholder_class = classes.get(slug)
    if not slug:
        row.error("class", "Required.")
    elif stakeholder_class is None:
        row.error("class", f"No stakeholder class {slug!r} (known: {', '.join(sorted(classes))}).")
    row.stakeholder_class = stakeholder_class

    shares = _int(row, "shares_subscribed", minimum=1)
    if shares is not None and stakeholder_class is not None and not (
        stakeholder_class.min_shares <= shares <= stakeholder_class.max_shares
    ):
        row.error("shares_subscribed", f"{stakeholder_class.name} members subscribe between "
                                       f"{stakeholder_class.min_shares} and "
                                       f"{stakeholder_class.max_shares} shares.")
        shares = None
    row.shares = shares

    price = _int(row, "share_price_minor", minimum=0, required=False)
    if price is None and not values.get("share_price_minor") and stakeholder_class is not None:
        price = stakeholder_class.share_price_minor
    row.price_minor = price

    if values.get("joined_on"):
        row.joined_on = _date(row, "joined_on", values["joined_on"], today)
    else:
        row.error("joined_on", "Required.")

    status = values.get("status", "").lower()
    if status not in IMPORTABLE_STATUSES:
        row.error("status", f"{status!r} is not one of: {', '.join(IMPORTABLE_STATUSES)}.")
        status = None

    if values.get("exited_on"):
        row.exited_on = _date(row, "exited_on", values["exited_on"], today)
        if status and status != "exited":
            row.error("exited_on", f"Only an exited member has an exit date (status is {status}).")
        elif row.exited_on and row.joined_on and row.exited_on < row.joined_on:
            row.error("exited_on", "Before the member joined.")
    elif status == "exited":
        row.error("exited_on", "Required for an exited member.")
    redemption_status = values.get("redemption_status", "").lower()
    if redemption_status and redemption_status not in Redemption.Status.values:
        row.error("redemption_status", f"{redemption_status!r} is not one of: "
                                       f"{', '.join(Redemption.Status.values)}.")
    elif redemption_status and status != "exited":
        row.error("redemption_status", "Only an exited member has a redemption.")

    visible = values.get("directory_visible", "").lower()
    if visible not in TRUE_WORDS | FALSE_WORDS:
        row.error("directory_visible", "Write yes or no.")
    row.directory_visible = visible in TRUE_WORDS
    row.referred_by = _int(row, "referred_by", minimum=1, required=False)
    if row.referred_by is not None and row.referred_by == row.member_number:
        row.error("referred_by", "A member cannot refer themself.")

    row.payments = _payments(row, today)
    for payment in row.payments:
        # As share_payment_record: money for shares cannot predate admission, or the shares it
        # completes would be issued (and the member activated) before they joined.
        if row.joined_on is not None and payment.paid_on < row.joined_on:
            row.error("payments", f"{payment.paid_on.isoformat()} is before the member "
                                  f"joined ({row.joined_on.isoformat()}).")
        # As share_payment_record and member_exit: no money comes in after the exit, or the
        # shares it completes would be issued after they were redeemed on exited_on.
        if status == "exited" and row.exited_on is not None and payment.paid_on > row.exited_on:
            row.error("payments", f"{payment.paid_on.isoformat()} is after the member "
                                  f"exited ({row.exited_on.isoformat()}).")
        # As the services: a hook (the ledger) refuses a date in a closed fiscal period.
        refusal = hooks.movement_refusal(hooks.PAYMENT, payment.paid_on)
        if refusal:
            row.error("payments", refusal)
    if status == "exited" and row.exited_on is not None:
        refusal = hooks.movement_refusal(hooks.EXIT, row.exited_on)
        if refusal:
            row.error("exited_on", refusal)
    numbers = _certificate_numbers(row)
    # The holding checks need the columns they read to be sound; other errors do not hide them.
    sound = "payments" not in row.errors and "certificates" not in row.errors
    if status and sound and None not in (row.stakeholder_class, row.shares, row.price_minor,
                                         row.joined_on):
        _check_holding(row, status, numbers)


def _check_holding(row: RowResult, status: str, numbers: list[int]) -> None:
    """Payments, certificates and status must tell the same story (RULES.md §1)."""
    shares, price = row.shares, row.price_minor
    paid = row.paid_minor
    if paid > shares * price:
        row.error("payments", f"{paid} paid is more than the subscription of {shares} × {price}.")
        return
    # Which payment completed each share, in order: the k-th share is issued when the
    # payments so far reach k × price.
    completions: list[tuple[date, int | None]] = []
    if price == 0:
        completions = [(row.joined_on, None)] * shares
    else:
        total = 0
        for index, payment in enumerate(row.payments):
            total += payment.amount_minor
            while len(completions) < min(total // price, shares):
                completions.append((payment.paid_on, index))
    held = len(completions)
    if len(numbers) != held:
        row.error("certificates", f"{len(numbers)} certificate number(s) listed, but the payments "
                                  f"({paid}) pay for {held} share(s) at {price}.")
        return
    row.certificates = [ParsedCertificate(number, issued_on, payment_index) for number,
                        (issued_on, payment_index) in zip(numbers, completions, strict=True)]
    minimum = row.stakeholder_class.min_shares
    if held >= minimum:
        row.activated_on = completions[minimum - 1][0]
    if status == "active" and held < minimum:
        row.error("status", f"Active needs at least {minimum} fully paid share(s); "
                            f"the payments pay for {held}.")
    elif status == "awaiting_payment" and held >= minimum:
        row.error("status", f"{held} share(s) are fully paid, so the member is active.")


# --- the whole file -------------------------------------------------------------------------

def _existing(model, column: str, numbers: set[int]) -> set[int]:
    found: set[int] = set()
    ordered = sorted(numbers)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[start:start + LOOKUP_CHUNK]
        found.update(model.objects.filter(**{f"{column}__in": chunk})
                     .values_list(column, flat=True))
    return found


def validate(text: str, *, today: date | None = None) -> Preview:
    """Check every row; write nothing. The preview lists errors by row and column."""
    today = today or timezone.localdate()
    preview = Preview(rows=[])
    raw_rows = _read(text, preview)
    if not raw_rows or preview.header_wrong:
        # Row checks against a wrong header would only bury the one real problem.
        return preview
    classes = {c.slug: c for c in StakeholderClass.objects.all()}
    preview.rows = [RowResult(row=number, values=values) for number, values in raw_rows]
    for row in preview.rows:
        _check_row(row, classes, today)

    # Across rows and against the register already in the database.
    seen_members: dict[int, int] = {}
    seen_certificates: dict[int, int] = {}
    for row in preview.rows:
        if row.member_number is not None:
            if row.member_number in seen_members:
                row.error("member_number", f"Also on row {seen_members[row.member_number]}.")
            else:
                seen_members[row.member_number] = row.row
        for certificate in row.certificates:
            first = seen_certificates.setdefault(certificate.number, row.row)
            if first != row.row:
                row.error("certificates", f"Certificate {certificate.number} is also on row "
                                          f"{first}.")
    used_members = _existing(Member, "member_number", set(seen_members))
    used_certificates = _existing(ShareCertificate, "certificate_number", set(seen_certificates))
    referrers = {row.referred_by for row in preview.rows if row.referred_by}
    known_referrers = set(seen_members) | _existing(Member, "member_number",
                                                    referrers - set(seen_members))
    for row in preview.rows:
        if row.member_number in used_members:
            row.error("member_number", f"Member number {row.member_number} is already in the "
                                       f"register.")
        taken = [c.number for c in row.certificates if c.number in used_certificates]
        if taken:
            row.error("certificates", f"Already in the register: {_ranges(taken)}.")
        if row.referred_by and row.referred_by not in known_referrers:
            row.error("referred_by", f"No member {row.referred_by} in the file or the register.")
    return preview


def _lock_counters() -> dict[str, Counter]:
    # Approvals and payments take these rows too (counter_take): holding them makes the import
    # and live numbering wait for each other instead of colliding.
    return lock_counters(["certificate_number", "member_number"])


@transaction.atomic
def register_import(*, text: str, actor, today: date | None = None) -> ImportResult:
    """Write the whole register, or nothing if any row is wrong.

    Every row is written by the membership services, as a live member's history would be:
    member_import (admission, with the file's number, date and price), share_payment_record
    for each payment (issuing the certificates it completed, under the file's numbers) and
    member_exit for an exited member. So whatever hooks into those services (the audit trail
    now, the ledger's journal later) sees the imported register too."""
    counters = _lock_counters()
    preview = validate(text, today=today)
    if not preview.ok:
        raise InvalidInput(f"The file has {len(preview.error_lines())} error(s); nothing was "
                           f"imported.", errors=preview.errors_dict())
    rows = preview.rows
    by_number = {m.member_number: m for m in Member.objects.filter(
        member_number__in=[r.referred_by for r in rows if r.referred_by])}
    members = []
    for row in rows:
        member = services.member_import(
            member_number=row.member_number,
            stakeholder_class=row.stakeholder_class,
            shares=row.shares,
            share_price_minor=row.price_minor,
            joined_on=row.joined_on,
            name=row.values["name"],
            kind=row.values.get("kind", "").lower() or Kind.PERSON,
            email=row.values.get("email", ""),
            registration_number=row.values.get("registration_number", ""),
            contact_person=row.values.get("contact_person", ""),
            directory_visible=row.directory_visible,
            referred_by=by_number.get(row.referred_by),
            # Free shares are issued at admission; paid ones by the payments below.
            certificate_numbers=([c.number for c in row.certificates]
                                 if row.price_minor == 0 else None),
            actor=actor,
        )
        by_number[member.member_number] = member
        members.append(member)
    # A referrer later in the same file exists only now.
    for member, row in zip(members, rows, strict=True):
        if row.referred_by and member.referred_by_id is None:
            services.member_details_update(member=member,
                                           changes={"referred_by": by_number[row.referred_by]},
                                           actor=actor)
    for member, row in zip(members, rows, strict=True):
        for index, payment in enumerate(row.payments):
            services.share_payment_record(
                member=member, amount_minor=payment.amount_minor, paid_on=payment.paid_on,
                reference="register import", actor=actor, imported=True,
                certificate_numbers=[c.number for c in row.certificates
                                     if c.payment_index == index],
            )
        if row.exited_on:
            services.member_exit(
                member=member, reason=row.values.get("exit_reason", ""), on=row.exited_on,
                actor=actor, imported=True,
                redemption_status=(row.values.get("redemption_status", "").lower()
                                   or Redemption.Status.PAID))

    for member, row in zip(members, rows, strict=True):
        audit_record(action="member.imported", object_type="member",
                     object_id=member.member_number, actor=actor,
                     facts={"member_number": member.member_number,
                            "class": row.stakeholder_class.slug,
                            "status": row.values["status"].lower(),
                            "shares": row.shares, "share_price_minor": row.price_minor,
                            "paid_minor": row.paid_minor,
                            "certificates": [c.number for c in row.certificates]})

    numbers = [m.member_number for m in members]
    max_certificate = max((c.number for row in rows for c in row.certificates), default=0)
    # New approvals and issues continue after the imported numbers, never reusing one.
    for name, highest in (("member_number", max(numbers)),
                          ("certificate_number", max_certificate)):
        counter = counters[name]
        if highest > counter.last_value:
            counter.last_value = highest
            counter.save(update_fields=["last_value"])
    result = ImportResult(members=len(members),
                          payments=sum(len(row.payments) for row in rows),
                          certificates=sum(len(row.certificates) for row in rows),
                          member_numbers=(min(numbers), max(numbers)))
    audit_record(action="register.imported", object_type="register", object_id="import",
                 actor=actor, facts={"members": result.members, "payments": result.payments,
                                     "certificates": result.certificates,
                                     "member_numbers": list(result.member_numbers),
                                     "counters": {n: c.last_value for n, c in counters.items()}})
    return result
