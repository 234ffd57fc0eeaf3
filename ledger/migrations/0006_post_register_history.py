"""Post the share register recorded before the ledger existed (RULES.md §3: every movement posts
exactly once, dated as the movement): each payment and reversal, and each redemption already
payable or paid. From here on the register's hook posts them as they happen.

Idempotent: each entry's key derives from the register row's id (`share-payment:<id>`,
`redemption:<id>:payable|paid`, as `ledger.register` uses), and keys already in the journal are
skipped, so running it again, or after the hook posted some, posts nothing twice. Entries take
the next gap-free numbers of the `journal_entry` counter, in date order."""

from collections import defaultdict

from django.db import migrations

from ledger.journal import (
    Line,
    entry_payload_hash,
    payment_key,
    redemption_key,
    redemption_paid_lines,
    redemption_payable_lines,
)

BANK, SHARE_CAPITAL = "1000", "3000"


def _planned(apps):
    """(date, order, key, kind, description, lines, reverses key) for each movement."""
    SharePayment = apps.get_model("membership", "SharePayment")
    Redemption = apps.get_model("membership", "Redemption")
    plan = []
    for p in SharePayment.objects.select_related("member").order_by("paid_on", "pk"):
        number, amount = p.member.member_number, p.amount_minor
        if p.kind == "payment":
            lines = [Line(BANK, debit_minor=amount),
                     Line(SHARE_CAPITAL, credit_minor=amount, member_id=p.member_id)]
            plan.append((p.paid_on, p.pk, payment_key(p.pk), "share_payment",
                         f"Share payment by member {number}", lines, None))
        else:
            lines = [Line(SHARE_CAPITAL, debit_minor=amount, member_id=p.member_id),
                     Line(BANK, credit_minor=amount)]
            plan.append((p.paid_on, p.pk, payment_key(p.pk), "share_payment_reversal",
                         f"Reversal of a share payment by member {number}", lines,
                         payment_key(p.reverses_id)))
    for r in (Redemption.objects.select_related("member")
              .filter(status__in=["payable", "paid"], amount_minor__gt=0).order_by("pk")):
        number, amount, on = r.member.member_number, r.amount_minor, r.requested_on
        plan.append((on, 10**12 + r.pk, redemption_key(r.pk, "payable"), "redemption_payable",
                     f"Redemption of member {number}'s capital payable",
                     redemption_payable_lines(r.member_id, amount), None))
        if r.status == "paid":
            plan.append((on, 2 * 10**12 + r.pk, redemption_key(r.pk, "paid"), "redemption_paid",
                         f"Redemption of member {number}'s capital paid (register history)",
                         redemption_paid_lines(r.member_id, amount), None))
    plan.sort(key=lambda item: (item[0], item[1]))
    return plan


def post_history(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    JournalEntry = apps.get_model("ledger", "JournalEntry")
    JournalLine = apps.get_model("ledger", "JournalLine")
    DayBalance = apps.get_model("ledger", "DayBalance")
    Counter = apps.get_model("coop", "Counter")
    done = set(JournalEntry.objects.values_list("idempotency_key", flat=True))
    plan = [item for item in _planned(apps) if item[2] not in done]
    if not plan:
        return
    account_ids = dict(Account.objects.values_list("code", "pk"))
    counter, _ = Counter.objects.get_or_create(name="journal_entry")
    number = counter.last_value
    entry_ids = dict(JournalEntry.objects.filter(kind="share_payment")
                     .values_list("idempotency_key", "pk"))
    lines, days = [], defaultdict(lambda: [0, 0])
    for on, _, key, kind, description, entry_lines, reverses_key in plan:
        number += 1
        reverses_id = entry_ids.get(reverses_key)
        entry = JournalEntry.objects.create(
            number=number, date=on, description=description, kind=kind, idempotency_key=key,
            payload_hash=entry_payload_hash(date_=on, description=description, kind=kind,
                                            lines=entry_lines, reverses_id=reverses_id,
                                            proposal_id=None),
            reverses_id=reverses_id)
        entry_ids[key] = entry.pk
        for ln in entry_lines:
            account_id = account_ids[ln.account]
            lines.append(JournalLine(entry=entry, account_id=account_id, member_id=ln.member_id,
                                     debit_minor=ln.debit_minor, credit_minor=ln.credit_minor))
            days[(account_id, on)][0] += ln.debit_minor
            days[(account_id, on)][1] += ln.credit_minor
    JournalLine.objects.bulk_create(lines, batch_size=10_000)
    for (account_id, on), (debit, credit) in sorted(days.items()):
        row, _ = DayBalance.objects.get_or_create(account_id=account_id, day=on, closing=False)
        row.debit_minor += debit
        row.credit_minor += credit
        row.save(update_fields=["debit_minor", "credit_minor"])
    counter.last_value = number
    counter.save(update_fields=["last_value"])


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0005_reconciliation_check"),
        ("membership", "0004_bylaws"),
        ("coop", "0003_counter"),
    ]
    # Backwards: nothing to undo here (the journal is append-only; unapplying 0001 drops it).
    operations = [migrations.RunPython(post_history, migrations.RunPython.noop)]
