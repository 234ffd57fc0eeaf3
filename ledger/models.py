"""The books: accounts, journal entries and their lines, fiscal periods, and the balances kept
as entries post (docs/architecture.md, "The ledger")."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from . import accounts


class Account(models.Model):
    class Type(models.TextChoices):
        ASSET = accounts.ASSET, "Asset"
        LIABILITY = accounts.LIABILITY, "Liability"
        EQUITY = accounts.EQUITY, "Equity"
        INCOME = accounts.INCOME, "Income"
        EXPENSE = accounts.EXPENSE, "Expense"

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=120)
    type = models.CharField(max_length=10, choices=Type.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        return self.type in accounts.DEBIT_NORMAL


class FiscalPeriod(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    start = models.DateField(unique=True)
    end = models.DateField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    surplus_minor = models.BigIntegerField(null=True, blank=True,
                                           help_text="Revenue − expenses; set by the close.")

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")),
                                   name="period_end_not_before_start"),
            models.CheckConstraint(
                condition=(Q(status="open", closed_at__isnull=True, surplus_minor__isnull=True)
                           | Q(status="closed", closed_at__isnull=False,
                               surplus_minor__isnull=False)),
                name="period_closed_has_surplus"),
        ]

    def __str__(self):
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


class JournalEntry(models.Model):
    """A balanced entry; append-only (a mistake is corrected by a reversing entry)."""

    number = models.PositiveBigIntegerField(unique=True, help_text="Gap-free, from 1.")
    date = models.DateField(db_index=True)
    description = models.CharField(max_length=300)
    kind = models.CharField(max_length=40, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    payload_hash = models.CharField(max_length=64)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversal")
    proposal = models.ForeignKey("governance.Proposal", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name_plural = "journal entries"

    def __str__(self):
        return f"Entry {self.number} of {self.date.isoformat()}: {self.description}"


class JournalLine(models.Model):
    # Indexed with the id (below), which the balance trigger uses to check an entry once.
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines",
                              db_index=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    member = models.ForeignKey("membership.Member", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    debit_minor = models.BigIntegerField(default=0)
    credit_minor = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit_minor__gt=0, credit_minor=0)
                           | Q(debit_minor=0, credit_minor__gt=0)),
                name="line_one_side_positive"),
        ]
        indexes = [models.Index(fields=["member", "account"]),
                   models.Index(fields=["entry", "id"], name="ledger_line_entry_id")]

    def __str__(self):
        side = f"Dr {self.debit_minor}" if self.debit_minor else f"Cr {self.credit_minor}"
        return f"{self.account_id} {side}"


class DayBalance(models.Model):
    """Debits and credits of one account on one day, kept as entries post, so a balance at any
    date, a period's income statement and the trial balance sum days, never every line.
    `closing` separates the entries that close a period, so the income statement of a closed
    period still shows its revenue and expenses."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    closing = models.BooleanField(default=False)
    debit_minor = models.BigIntegerField(default=0)
    credit_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day", "closing"],
                                               name="day_balance_once")]
        indexes = [models.Index(fields=["day", "account"])]

    def __str__(self):
        return (f"{self.account_id} on {self.day.isoformat()}: "
                f"Dr {self.debit_minor} Cr {self.credit_minor}")


class ReconciliationCheck(models.Model):
    """One run of the register-against-books check (`reconcile_ledger`, the nightly job): what
    it found, kept so a staff notice of a difference links to it."""

    checked_at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    differences = models.JSONField(default=list, blank=True,
                                   help_text="[{member_number, register_minor, ledger_minor}]")

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self):
        return f"Reconciliation of {self.checked_at:%Y-%m-%d %H:%M}: " + (
            "agrees" if self.ok else f"{len(self.differences)} difference(s)")
