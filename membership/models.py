from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q


class StakeholderClass(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    share_price_minor = models.BigIntegerField()
    min_shares = models.PositiveIntegerField(default=1)
    max_shares = models.PositiveIntegerField(default=1)
    vote_weight = models.PositiveIntegerField(default=1)
    patronage_measure = models.CharField(max_length=120, help_text="e.g. licences sold, hours")

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "stakeholder classes"
        constraints = [
            models.CheckConstraint(condition=Q(share_price_minor__gte=0), name="class_price_gte_0"),
            models.CheckConstraint(condition=Q(min_shares__gte=1), name="class_min_shares_gte_1"),
            models.CheckConstraint(condition=Q(max_shares__gte=F("min_shares")),
                                   name="class_max_gte_min"),
            models.CheckConstraint(condition=Q(vote_weight__gte=1), name="class_weight_gte_1"),
        ]

    def __str__(self):
        return self.name


class Kind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"


class Application(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class Source(models.TextChoices):
        WEB = "web", "Web form"
        API = "api", "API"
        PAPER = "paper", "Paper (entered by staff)"
        IMPORT = "import", "Register import"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="applications")
    name = models.CharField(max_length=200, help_text="The applicant's name (or contact person).")
    email = models.EmailField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSON)
    organisation_name = models.CharField(max_length=200, blank=True)
    registration_number = models.CharField(max_length=80, blank=True)
    stakeholder_class = models.ForeignKey(StakeholderClass, on_delete=models.PROTECT)
    shares = models.PositiveIntegerField()
    motivation = models.TextField(blank=True)
    bylaws_version = models.CharField(max_length=40)
    referred_by = models.ForeignKey("Member", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="referrals")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    rejection_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            # A person has at most one application in play (pending or approved).
            models.UniqueConstraint(fields=["user"],
                                    condition=Q(status__in=["pending", "approved"]),
                                    name="one_live_application_per_user"),
            models.CheckConstraint(condition=Q(shares__gte=1), name="application_shares_gte_1"),
        ]

    def __str__(self):
        return f"Application #{self.pk} by {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.organisation_name or self.name


class Member(models.Model):
    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
        ACTIVE = "active", "Active"
        EXITED = "exited", "Exited"
        EXPELLED = "expelled", "Expelled"

    member_number = models.PositiveIntegerField(unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="member")
    application = models.OneToOneField(Application, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="member")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(max_length=200, help_text="Person's name or organisation's legal name.")
    email = models.EmailField(blank=True)
    registration_number = models.CharField(max_length=80, blank=True)
    contact_person = models.CharField(max_length=200, blank=True)
    stakeholder_class = models.ForeignKey(StakeholderClass, on_delete=models.PROTECT,
                                          related_name="members")
    status = models.CharField(max_length=20, choices=Status.choices,
                              default=Status.AWAITING_PAYMENT, db_index=True)
    referred_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    joined_on = models.DateField(help_text="Date of admission (approval).")
    activated_on = models.DateField(null=True, blank=True)
    exited_on = models.DateField(null=True, blank=True)
    exit_reason = models.TextField(blank=True)
    directory_visible = models.BooleanField(default=True)
    # Set when the person's data was erased (membership.services.erasure): the register keeps
    # the number, class, dates and money; the name until `name_kept_until` when the
    # cooperative's retention period asks for it (empty once it is erased too).
    erased_on = models.DateField(null=True, blank=True)
    name_kept_until = models.DateField(null=True, blank=True)
    # Kept up to date by the services under a row lock: the pages and lists of 100,000
    # members read them instead of summing payments and certificates each time.
    shares_subscribed = models.PositiveIntegerField(default=0)
    shares_held = models.PositiveIntegerField(default=0)
    paid_minor = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["member_number"]
        indexes = [models.Index(fields=["status", "member_number"]),
                   models.Index(fields=["directory_visible", "status", "name"])]
        constraints = [
            models.CheckConstraint(condition=Q(paid_minor__gte=0), name="member_paid_gte_0"),
            models.CheckConstraint(condition=Q(shares_held__lte=F("shares_subscribed")),
                                   name="member_held_lte_subscribed"),
        ]

    def __str__(self):
        return f"{self.member_number} {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class ShareSubscription(models.Model):
    """The shares a member undertook to buy, at the price frozen at approval."""

    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="subscription")
    shares = models.PositiveIntegerField()
    share_price_minor = models.BigIntegerField()
    subscribed_on = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(shares__gte=1), name="subscription_shares_gte_1"),
            models.CheckConstraint(condition=Q(share_price_minor__gte=0),
                                   name="subscription_price_gte_0"),
        ]

    def __str__(self):
        return f"{self.shares} × {self.share_price_minor} for member {self.member_id}"

    @property
    def total_minor(self) -> int:
        return self.shares * self.share_price_minor


class SharePayment(models.Model):
    """A payment towards the subscription, or the reversal of one (an event, never a deletion)."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REVERSAL = "reversal", "Reversal"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    amount_minor = models.BigIntegerField()
    paid_on = models.DateField()
    reference = models.CharField(max_length=120, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversal")
    reason = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_gt_0"),
            models.CheckConstraint(
                condition=(Q(kind="payment", reverses__isnull=True)
                           | Q(kind="reversal", reverses__isnull=False)),
                name="payment_reversal_links_payment",
            ),
        ]

    def __str__(self):
        # Shown in the admin (the reversal's "reverses" column, breadcrumbs, certificates): in
        # money and the site's date format, never in minor units.
        from django.utils.formats import date_format

        from coop.models import Cooperative
        from coop.money import format_minor

        amount = format_minor(self.amount_minor, Cooperative.current_currency())
        return f"{self.get_kind_display()} of {amount} on {date_format(self.paid_on)}"

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversal")


class ShareCertificate(models.Model):
    """One issued share. Its number is never reused; its status follows the register events."""

    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        CANCELLED = "cancelled", "Cancelled"
        REDEEMED = "redeemed", "Redeemed"

    certificate_number = models.PositiveIntegerField(unique=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="certificates")
    issued_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    payment = models.ForeignKey(SharePayment, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", help_text="The payment that completed it.")

    class Meta:
        ordering = ["certificate_number"]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self):
        return f"Certificate {self.certificate_number}"


class RegisterEvent(models.Model):
    """The share register: append-only; holdings are the sum of events."""

    class Kind(models.TextChoices):
        ISSUE = "issue", "Issue"
        CANCEL = "cancel", "Cancel"
        REDEEM = "redeem", "Redeem"
        TRANSFER = "transfer", "Transfer"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="register_events")
    certificate = models.ForeignKey(ShareCertificate, on_delete=models.PROTECT,
                                    related_name="events")
    event_date = models.DateField()
    payment = models.ForeignKey(SharePayment, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.kind} certificate {self.certificate_id}"

    @property
    def delta(self) -> int:
        return 1 if self.kind == self.Kind.ISSUE else -1


class Redemption(models.Model):
    """Share capital to pay back to an exited member; a payable once its period closes."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        PAYABLE = "payable", "Payable"
        PAID = "paid", "Paid"

    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="redemption")
    amount_minor = models.BigIntegerField()
    requested_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gte=0),
                                              name="redemption_gte_0")]

    def __str__(self):
        return f"Redemption {self.amount_minor} for member {self.member_id}"


class Bylaws(models.Model):
    """One version of the cooperative's bylaws, as staff enter it in the admin.

    The current bylaws are the published version adopted last (membership.bylaws); an applicant
    accepts that version and their application records its label. Once published a version is
    fixed (the admin shows it read-only and cannot delete it): what someone accepted must stay
    readable as they read it. A change is a new version."""

    version = models.CharField(
        max_length=40, unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                                   "Use letters, digits, dots, dashes and underscores, e.g. "
                                   "2026-01 (the label is part of the page's address).")],
        help_text="The label applications record, e.g. 2026-01.")
    text = models.TextField(
        help_text="Plain text: a blank line starts a new paragraph. No markup (it is shown "
                  "as typed).")
    adopted_on = models.DateField(help_text="The day the general assembly adopted this version.")
    published = models.BooleanField(
        default=False,
        help_text="Shown on the site and accepted by new applicants (the latest adopted "
                  "published version). Cannot be undone: a published version stays readable.")

    class Meta:
        verbose_name_plural = "bylaws"
        ordering = ["-adopted_on", "-pk"]

    def __str__(self):
        return f"Bylaws {self.version}"
