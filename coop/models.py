import hashlib
import json

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey
from schwifty import BIC, IBAN

from .money import CURRENCIES


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with their email address."""

    username = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    def __str__(self):
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.email


# Month and day on which a fiscal year may start: every day of a 365-day year. 29 February is
# refused: a year starting on it would have no start in three years out of four (take 03-01).
_MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
MONTH_DAYS = tuple(f"{month:02d}-{day:02d}" for month, length in enumerate(_MONTH_LENGTHS, 1)
                   for day in range(1, length + 1))


def validate_month_day(value: str) -> None:
    if value not in MONTH_DAYS:
        raise ValidationError(
            "Enter a month and day as MM-DD that every year has, e.g. 01-01 or 07-01 "
            "(29 February is not allowed).", code="invalid_month_day")


def validate_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError("Enter an ISO 4217 currency code, e.g. EUR.", code="invalid_currency")


def validate_iban(value: str) -> None:
    # schwifty checks the country's length and format and the check digits: a typo in the
    # account members pay into would send their money nowhere (or to a stranger).
    try:
        IBAN(value)
    except ValueError as error:
        raise ValidationError("Enter a valid IBAN (%(reason)s).", code="invalid_iban",
                              params={"reason": error}) from None


def validate_bic(value: str) -> None:
    try:
        BIC(value)
    except ValueError as error:
        raise ValidationError("Enter a valid BIC (%(reason)s).", code="invalid_bic",
                              params={"reason": error}) from None


# Cooperative.currency, remembered per process: pages print many amounts and must not read the
# row for each. Safe because the currency never changes once the row exists (the admin shows it
# read-only); a save through the ORM forgets it anyway (the signal below).
_currency_memo: dict[str, str] = {}


DEFAULT_PAYMENT_REFERENCE = "Member {number}"


class Cooperative(models.Model):
    """The one row of cooperative-wide configuration (edited in admin).

    The name is not a column: its one source is the COOP_NAME setting (`name` below), which
    the pages, the emails and the two-factor issuer (MFA_TOTP_ISSUER) all read.
    """

    currency = models.CharField(
        max_length=3, default="EUR", validators=[validate_currency],
        help_text="ISO 4217 code of every amount (set from COOP_CURRENCY when the row is "
                  "created; it cannot change afterwards: it would re-denominate every amount).")
    quorum_percent = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(100)],
        help_text="Informational, published by GET /api/v1/coop/: the cooperative's usual "
                  "quorum. A proposal's quorum comes from its category (at least the "
                  "category's minimum), not from here.")
    fiscal_year_start = models.CharField(
        max_length=5, default="01-01", validators=[validate_month_day],
        help_text="MM-DD on which the fiscal year starts (02-29 is not allowed). "
                  "Informational until the ledger cuts its periods by it.")
    bylaws_version = models.CharField(
        max_length=40, default="2026-01",
        help_text="The bylaws version an applicant accepts (recorded on each application). "
                  "Publishing a version under Membership > Bylaws sets it.")
    bylaws_url = models.CharField(
        max_length=300, blank=True,
        help_text="Where the application form links the bylaws while none is published "
                  "under Membership > Bylaws (the site's own bylaws page replaces it).")
    # How members pay for their shares: shown in the approval email and on the member home.
    payment_account_holder = models.CharField(
        max_length=140, blank=True, help_text="The name of the account members pay into.")
    payment_iban = models.CharField(
        "IBAN", max_length=42, blank=True, validators=[validate_iban],
        help_text="Checked (length, format, check digits); stored without spaces.")
    payment_bic = models.CharField(
        "BIC", max_length=11, blank=True, validators=[validate_bic],
        help_text="Optional; 8 or 11 characters.")
    payment_instructions = models.TextField(
        blank=True, help_text="Other ways to pay or anything else a member must know, as "
                              "plain text (shown as typed).")
    register_retention_years = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(100)],
        help_text="Years the register keeps a former member's name after their exit, as the "
                  "law of many countries asks. Erasing a person's data before then erases "
                  "everything else at once and the name when these years have passed; 0 "
                  "erases the name at once too.")
    payment_reference = models.CharField(
        max_length=100, blank=True, default=DEFAULT_PAYMENT_REFERENCE,
        help_text="The payment reference members are asked to use; {number} is replaced by "
                  f"their member number. Empty: \"{DEFAULT_PAYMENT_REFERENCE}\".")

    class Meta:
        verbose_name_plural = "cooperative"
        constraints = [
            models.CheckConstraint(condition=models.Q(fiscal_year_start__in=MONTH_DAYS),
                                   name="cooperative_fiscal_year_start_month_day",
                                   violation_error_message="Enter a month and day as MM-DD."),
            models.CheckConstraint(condition=models.Q(quorum_percent__lte=100),
                                   name="cooperative_quorum_lte_100"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        """The cooperative's name: settings.COOP_NAME, its one source."""
        return settings.COOP_NAME

    def clean(self):
        super().clean()
        # One spelling stored, whatever was typed ("de89 3704 ..."): the pages group it.
        if self.payment_iban:
            self.payment_iban = "".join(self.payment_iban.split()).upper()
        if self.payment_bic:
            self.payment_bic = "".join(self.payment_bic.split()).upper()
        if self.payment_bic and not self.payment_iban:
            raise ValidationError({"payment_iban": "A BIC needs the IBAN it belongs to."})

    @property
    def payment_iban_display(self) -> str:
        """The IBAN in groups of four, as printed on bank statements."""
        return IBAN(self.payment_iban).formatted if self.payment_iban else ""

    @property
    def has_payment_details(self) -> bool:
        return bool(self.payment_iban or self.payment_instructions.strip())

    def payment_reference_for(self, member_number: int) -> str:
        # A plain replace, not str.format: the text is typed by staff, and a stray brace or
        # "{0.__class__}" must not raise or reach into objects.
        template = self.payment_reference.strip() or DEFAULT_PAYMENT_REFERENCE
        return template.replace("{number}", str(member_number))

    @classmethod
    def current(cls) -> "Cooperative":
        coop = cls.objects.order_by("pk").first()
        if coop is None:
            coop, _ = cls.objects.get_or_create(
                pk=1, defaults={"currency": settings.COOP_CURRENCY}
            )
        return coop

    @classmethod
    def current_currency(cls) -> str:
        """The cooperative's currency, read from the database once per process."""
        if "currency" not in _currency_memo:
            _currency_memo["currency"] = cls.current().currency
        return _currency_memo["currency"]


@receiver([post_save, post_delete], sender=Cooperative)
def _forget_currency(**kwargs):
    _currency_memo.clear()


class Counter(models.Model):
    """A gap-free number sequence (member numbers, certificate numbers, later journal entry
    numbers). Taken only through `coop.counters.counter_take`, under the row's lock."""

    name = models.CharField(max_length=40, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.last_value}"


class AuditRecord(models.Model):
    """Append-only audit trail.

    Writers insert unsealed rows (no lock on a chain head, so writes never serialise);
    `audit_seal` later gives each committed row the next `seq` and chains its hash to the
    previous row's. The hashed facts hold ids and facts, never personal data, so erasing a
    person never breaks the chain.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=80, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_kind = models.CharField(max_length=20, default="user")  # user, api_key, system
    # Which system job acted (coop.actors.SystemActor.name); empty for people and keys.
    actor_name = models.CharField(max_length=80, blank=True, default="")
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=80)
    facts = models.JSONField(default=dict)
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["seq"], name="audit_unsealed", condition=models.Q(seq=None)),
        ]

    def __str__(self):
        return f"{self.action} {self.object_type}#{self.object_id}"

    def compute_hash(self, prev_hash: str, seq: int) -> str:
        payload = {
            "seq": seq,
            "id": self.pk,
            "created_at": self.created_at.isoformat(),
            "action": self.action,
            "actor_id": self.actor_id,
            "actor_kind": self.actor_kind,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "facts": self.facts,
        }
        # Hashed only when set, so records sealed before the field existed keep their hash.
        if self.actor_name:
            payload["actor_name"] = self.actor_name
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


class PartnerApiKey(AbstractAPIKey):
    """A partner service's key. Only a hash is stored; the key is shown once."""

    SCOPES = (
        "members:read", "members:write", "governance:read", "governance:write",
        "ledger:read", "ledger:write", "vitality:read", "vitality:write", "*",
    )
    scopes = models.JSONField(default=list, help_text="e.g. [\"members:read\"]; \"*\" for all.")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "partner API key"

    def has_scope(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes


class IdempotencyRecord(models.Model):
    """One per (caller, path, Idempotency-Key): the stored response replayed on a retry."""

    caller = models.CharField(max_length=80)
    path = models.CharField(max_length=300)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "path", "key"], name="idempotency_once")
        ]

    def __str__(self):
        return f"{self.caller} {self.path} {self.key}"


class Heartbeat(models.Model):
    """One row per minute in which the platform's background jobs ran (read by vitality)."""

    minute = models.DateTimeField(unique=True)

    def __str__(self):
        return self.minute.isoformat()


class Notice(models.Model):
    """A notice to one person (a member, a staff user, an applicant...) in their inbox, emailed
    once. Recipient and target are generic so that every app's notices live here without coop
    knowing the apps' models (kinds are registered in coop.notices)."""

    recipient_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    recipient_id = models.PositiveBigIntegerField()
    recipient = GenericForeignKey("recipient_type", "recipient_id")
    kind = models.CharField(max_length=60)  # "<app>.<name>", registered in coop.notices
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    # Written when the notice is made, so the inbox and the API read one table whatever the
    # kinds and targets on the page (the title is the one of that moment).
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    # A default rather than auto_now_add: the migration of the old notifications keeps theirs.
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When the email went out. Empty: not (yet) sent, so a retried or re-run task sends it, and
    # one that was sent is never sent again. Stays empty for a recipient without an address, an
    # address the mail server refused for good, or one who turned this kind's email off.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One notice per recipient, kind and target (a comment notice's target is the
            # comment, so every kind fits); NULL targets are never equal in SQL, hence two.
            models.UniqueConstraint(
                fields=["recipient_type", "recipient_id", "kind", "target_type", "target_id"],
                condition=models.Q(target_type__isnull=False),
                name="notice_once",
            ),
            models.UniqueConstraint(
                fields=["recipient_type", "recipient_id", "kind"],
                condition=models.Q(target_type__isnull=True),
                name="notice_once_without_target",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient_type", "recipient_id", "read_at"],
                         name="notice_unread"),
            models.Index(fields=["recipient_type", "recipient_id", "created_at"],
                         name="notice_inbox"),
            models.Index(fields=["target_type", "target_id", "kind"], name="notice_target"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.recipient_type_id}:{self.recipient_id}"


class NoticePreference(models.Model):
    """Whether a person gets a kind of notice by email (the inbox always has it). No row: the
    kind's default."""

    recipient_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    recipient_id = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=60)
    email = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient_type", "recipient_id", "kind"], name="notice_preference_once"
            )
        ]

    def __str__(self):
        return f"{self.kind} by email: {self.email}"
