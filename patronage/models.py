"""Surplus distribution: contributions, allocation policies, dividend runs, payouts.

Money is integer minor units (`*_minor`); quantities are decimals with 4 places; basis points
(`*_bp`) are integers out of 10000. Every write goes through `patronage.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from membership.models import Member


class PatronageSettings(models.Model):
    """The cooperative's settings for distribution: one row (pk 1), edited in the admin.

    Kept here rather than as a column of `coop.Cooperative` so that the distribution's settings
    live and migrate with the app that reads them (RULES §6 `runs_need_assembly`)."""

    runs_need_assembly = models.BooleanField(
        default=False,
        help_text="When on, only a passed `policy` proposal approving a dividend run posts it; "
                  "staff can no longer approve runs themselves (RULES §6).")

    class Meta:
        verbose_name = verbose_name_plural = "distribution settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="patronage_settings_one")]

    def __str__(self):
        return "Distribution settings"

    @classmethod
    def current(cls) -> "PatronageSettings":
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class Contribution(models.Model):
    """A patronage record (RULES §3): what a member contributed on a day, in their class's
    measure. `external_id` is unique per source (the partner key, or `staff`, or `import`), so
    a partner can resend safely."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="contributions")
    date = models.DateField()
    quantity = models.DecimalField(max_digits=18, decimal_places=4)
    measure = models.CharField(
        max_length=120, help_text="The class's measure when it was recorded (hours, sales...).")
    source = models.CharField(max_length=80)
    external_id = models.CharField(max_length=200)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"],
                                    name="contribution_external_id_per_source"),
            models.CheckConstraint(condition=Q(quantity__gte=0),
                                   name="contribution_quantity_gte_0"),
        ]
        # The run sums contributions per member over a date range.
        indexes = [models.Index(fields=["date", "member"])]

    def __str__(self):
        return f"{self.quantity.normalize()} {self.measure} by #{self.member_id} on {self.date}"


class AllocationPolicy(models.Model):
    """One version of the allocation policy (RULES §4, §6). A version is never edited: staff
    draft a new one, and a passed proposal puts it in force (the first version is created in
    force). The version in force on a date is the enacted one with the latest `effective_from`
    on or before it; between two with the same date, the later enactment."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_FORCE = "in_force", "In force"
        SUPERSEDED = "superseded", "Superseded"

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    effective_from = models.DateField()
    capital_interest_bp = models.PositiveIntegerField()
    interest_cap_bp = models.PositiveIntegerField(default=5000)
    reserves_bp = models.PositiveIntegerField()
    commons_bp = models.PositiveIntegerField()
    patronage_bp = models.PositiveIntegerField()
    cash_bp = models.PositiveIntegerField()
    class_shares_bp = models.JSONField(help_text="{class slug: basis points}, summing to 10000")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    enacted_at = models.DateTimeField(null=True, blank=True)
    enacted_by_proposal = models.ForeignKey(
        "governance.Proposal", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    enacted_directly = models.BooleanField(
        default=False, help_text="The first version, created in force while no policy existed.")

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "allocation policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(reserves_bp__lte=10000, commons_bp__lte=10000, patronage_bp__lte=10000,
                            cash_bp__gte=2000, cash_bp__lte=10000, interest_cap_bp__lte=10000),
                name="policy_bp_ranges"),
            models.CheckConstraint(
                condition=Q(status="draft", enacted_at__isnull=True)
                | (~Q(status="draft") & Q(enacted_at__isnull=False)),
                name="policy_enacted_iff_not_draft"),
        ]

    def __str__(self):
        return f"Allocation policy v{self.version} ({self.get_status_display()})"

    FIGURES = ("capital_interest_bp", "interest_cap_bp", "reserves_bp", "commons_bp",
               "patronage_bp", "cash_bp")


class DividendRun(models.Model):
    """One computation of RULES §4 for a closed period: the pools, the inputs' SHA-256 and,
    in `Allocation`, every member's line. Approving it posts it (step 8), once per period."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPUTED = "computed", "Computed"
        POSTED = "posted", "Posted"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    period = models.ForeignKey("ledger.FiscalPeriod", on_delete=models.PROTECT,
                               related_name="dividend_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Each (re)start takes a new attempt; a task carrying an older one stops at its next step,
    # so a task redelivered after its worker died never writes beside the rerun.
    attempt = models.PositiveIntegerField(default=1)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    policy = models.ForeignKey(AllocationPolicy, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="runs")
    inputs_hash = models.CharField(max_length=64, blank=True)
    members_count = models.PositiveIntegerField(default=0)
    # The pools (RULES §4 step 7) and how they came about; null until computed.
    surplus_minor = models.BigIntegerField(null=True, blank=True)
    uncovered_losses_minor = models.BigIntegerField(null=True, blank=True)
    distributable_minor = models.BigIntegerField(null=True, blank=True)
    loss_carried_minor = models.BigIntegerField(null=True, blank=True)
    interest_wanted_minor = models.BigIntegerField(null=True, blank=True)
    interest_cap_minor = models.BigIntegerField(null=True, blank=True)
    interest_minor = models.BigIntegerField(null=True, blank=True)
    reserves_minor = models.BigIntegerField(null=True, blank=True)
    reserves_policy_minor = models.BigIntegerField(null=True, blank=True)
    reserves_leftover_minor = models.BigIntegerField(null=True, blank=True)
    reserves_forfeited_minor = models.BigIntegerField(null=True, blank=True)
    commons_minor = models.BigIntegerField(null=True, blank=True)
    patronage_pool_minor = models.BigIntegerField(null=True, blank=True)
    patronage_minor = models.BigIntegerField(null=True, blank=True)
    class_pools = models.JSONField(
        default=dict, blank=True,
        help_text="{slug: {share_bp, pool_minor, contribution, forfeited}}")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approved_by_proposal = models.ForeignKey("governance.Proposal", null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField("ledger.JournalEntry", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    notices_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # RULES §4 step 8: at most one posted run per period.
            models.UniqueConstraint(fields=["period"], condition=Q(status="posted"),
                                    name="one_posted_run_per_period"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="run_progress_lte_100"),
        ]

    def __str__(self):
        return f"Dividend run {self.pk} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.COMPUTED, self.Status.POSTED, self.Status.CANCELLED,
                               self.Status.FAILED)


class Allocation(models.Model):
    """A member's line of a run (RULES §4 step 7)."""

    run = models.ForeignKey(DividendRun, on_delete=models.CASCADE, related_name="allocations")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="allocations")
    member_number = models.PositiveIntegerField()
    class_slug = models.CharField(max_length=50)
    contribution = models.DecimalField(max_digits=18, decimal_places=4)
    interest_exact = models.CharField(
        max_length=120, help_text="i_m before the cap, as an exact fraction 'n/d'.")
    interest_minor = models.BigIntegerField()
    patronage_minor = models.BigIntegerField()
    cash_minor = models.BigIntegerField()
    retained_minor = models.BigIntegerField()
    exited = models.BooleanField(default=False)

    class Meta:
        ordering = ["run", "member_number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "member_number"], name="allocation_once"),
        ]
        indexes = [models.Index(fields=["member", "run"])]

    def __str__(self):
        return f"#{self.member_number} in run {self.run_id}"


class Payable(models.Model):
    """Money owed to a member: a run's cash part and interest, or a payable redemption. A
    payout batch gathers them; marking it paid posts the payment."""

    class Kind(models.TextChoices):
        DIVIDEND = "dividend", "Dividend (cash part and interest)"
        REDEMPTION = "redemption", "Redemption of share capital"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="payables")
    amount_minor = models.BigIntegerField()
    run = models.ForeignKey(DividendRun, null=True, blank=True, on_delete=models.PROTECT,
                            related_name="payables")
    redemption = models.OneToOneField("membership.Redemption", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey("PayoutBatch", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="payables")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payable_positive"),
            models.UniqueConstraint(fields=["run", "member"], condition=Q(kind="dividend"),
                                    name="one_dividend_payable_per_run_member"),
            models.CheckConstraint(
                condition=(Q(kind="dividend", run__isnull=False, redemption__isnull=True)
                           | Q(kind="redemption", run__isnull=True, redemption__isnull=False)),
                name="payable_source_matches_kind"),
        ]
        indexes = [models.Index(fields=["batch", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} to #{self.member_id}: {self.amount_minor}"


class PayoutBatch(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"

    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    paid_on = models.DateField(null=True, blank=True)
    entry = models.OneToOneField("ledger.JournalEntry", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "payout batches"

    def __str__(self):
        return f"Payout batch {self.pk} ({self.get_status_display()})"


class PayoutAccount(models.Model):
    """A member's bank account for payouts (IBAN, validated with schwifty, stored without
    spaces). Personal data: visible only to the member and staff, never in audit facts,
    erased with the person's data."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="payout_account")
    iban = models.CharField(max_length=34)
    holder = models.CharField(max_length=140, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Payout account of #{self.member_id}"
