"""Monthly snapshots of the cooperative's vitality (RULES §5), their recomputes, the pulse
survey's answers, the alerts notified and the settings staff configure."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from membership.models import Member

from . import alerts


class Snapshot(models.Model):
    """Every figure of one calendar month. `metrics` maps a figure to an int (counts, minor
    units), a decimal string (ratios, means, days) or null; `by_class` maps a class slug to its
    figures; `alerts` the alerts that fire ({code, severity, message})."""

    month = models.DateField(unique=True, help_text="The first day of the month.")
    provisional = models.BooleanField(default=True)
    computed_at = models.DateTimeField()
    metrics = models.JSONField(default=dict)
    by_class = models.JSONField(default=dict)
    alerts = models.JSONField(default=list)
    # The pulse survey's distribution ({"1": answers, ..., "5": answers}), once published.
    survey = models.JSONField(default=dict)

    class Meta:
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}" + (" (provisional)" if self.provisional else "")


class SnapshotRecompute(models.Model):
    """An explicit recompute of a finished month: who, when, which figures changed."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="recomputes")
    at = models.DateTimeField()
    by = models.CharField(max_length=120, help_text="Who ran it (a staff user or a key).")
    changed = models.JSONField(default=dict, help_text="{figure: {old, new}}")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"Recompute of {self.snapshot} at {self.at:%Y-%m-%d %H:%M}"


class PulseAnswer(models.Model):
    """One member's answer to the pulse survey for one month (replaced while the month lasts).
    Only ever read in aggregate: no page, API response, admin or export shows it with a member."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    class_slug = models.CharField(max_length=50)
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True, max_length=1000)
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="one_pulse_answer_a_month"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5),
                                   name="pulse_score_1_to_5"),
        ]
        indexes = [models.Index(fields=["month", "class_slug"])]

    def __str__(self):
        return f"Pulse answer of {self.month:%Y-%m}"  # never who, never what


class Alert(models.Model):
    """An alert that fired in a final snapshot: one row per month and code, so it is notified
    exactly once (RULES §5)."""

    month = models.DateField()
    code = models.CharField(max_length=40)
    severity = models.CharField(max_length=10)
    message = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "code"]
        constraints = [
            models.UniqueConstraint(fields=["month", "code"], name="one_alert_per_month_and_code")
        ]

    def __str__(self):
        return f"{self.code} in {self.month:%Y-%m}"


def _ratio(default: str, **kwargs):
    return models.DecimalField(max_digits=6, decimal_places=3, default=Decimal(default),
                               validators=[MinValueValidator(Decimal("0"))], **kwargs)


class AlertThresholds(models.Model):
    """The alerts' thresholds (one row, edited by staff in the admin; RULES §5's defaults)."""

    growth_3m_min = _ratio("0.10", help_text="Extractive pressure: growth over 3 months, "
                                             "as a fraction (0.10 = 10 %).")
    satisfaction_drop = _ratio("0.3", help_text="Extractive pressure: fall of the satisfaction "
                                                "mean below the 3 previous months (points).")
    core_share_max = _ratio("0.50", help_text="Participation core: share of ballots cast by "
                                              "the most active 10 %.")
    quorum_met_min = _ratio("0.75", help_text="Quorum decay: share of votes meeting quorum.")
    reminder_rate_max = _ratio("0.50", help_text="Quorum decay: share needing reminders.")
    circulation_min = _ratio("0.5", help_text="Surplus accumulating: circulation ratio.")
    unposted_months = models.PositiveSmallIntegerField(
        default=6, help_text="Surplus accumulating: months after a period's close without a run.")
    implementation_lag_days = models.PositiveSmallIntegerField(
        default=90, help_text="Implementation lag: days after passing.")
    governance_spend_min = _ratio("0.05", help_text="Governance underfunded: share of expenses.")
    satisfaction_min = _ratio("3.0", help_text="Satisfaction low: mean score (1–5).")
    response_rate_min = _ratio("0.20", help_text="Satisfaction low: share of members answering.")

    class Meta:
        verbose_name = verbose_name_plural = "alert thresholds"

    def __str__(self):
        return "Alert thresholds"

    @classmethod
    def current(cls) -> "AlertThresholds":
        """The row staff edited, or the defaults (unsaved: reading writes nothing)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def as_thresholds(self) -> alerts.Thresholds:
        return alerts.Thresholds(**{f.name: getattr(self, f.name)
                                    for f in alerts.Thresholds.__dataclass_fields__.values()})


class SurveySettings(models.Model):
    """The pulse survey's settings (one row, edited by staff in the admin)."""

    enabled = models.BooleanField(default=True, help_text="Ask members on their home page.")
    question = models.CharField(max_length=200,
                                default="How well does the cooperative serve you?")
    comments_allowed = models.BooleanField(default=True)

    class Meta:
        verbose_name = verbose_name_plural = "survey settings"

    def __str__(self):
        return "Survey settings"

    @classmethod
    def current(cls) -> "SurveySettings":
        """The row staff edited, or the defaults (unsaved: reading writes nothing)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


