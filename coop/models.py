import hashlib
import json

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


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


class Cooperative(models.Model):
    """The one row of cooperative-wide configuration (edited in admin)."""

    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="EUR")
    quorum_percent = models.PositiveSmallIntegerField(default=10)
    fiscal_year_start = models.CharField(
        max_length=5, default="01-01", help_text="MM-DD on which the fiscal year starts."
    )
    bylaws_version = models.CharField(max_length=40, default="2026-01")
    bylaws_url = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "cooperative"

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "Cooperative":
        from django.conf import settings

        coop = cls.objects.order_by("pk").first()
        if coop is None:
            coop, _ = cls.objects.get_or_create(
                pk=1, defaults={"name": settings.COOP_NAME, "currency": settings.COOP_CURRENCY}
            )
        return coop


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
