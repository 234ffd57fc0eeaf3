"""Vitality in the admin: snapshots and alerts read-only (with their recomputes), the alert
thresholds and the survey settings edited through the service. Pulse answers have no admin
page: staff see them only in aggregate, on the dashboard."""

from django.contrib import admin, messages

from coop.admin_base import ReadOnlyAdmin, ReadOnlyInline, ServiceSaveMixin
from coop.errors import ServiceError

from . import services
from .models import Alert, AlertThresholds, Snapshot, SnapshotRecompute, SurveySettings


class RecomputeInline(ReadOnlyInline):
    model = SnapshotRecompute
    fields = ["at", "by", "changed"]
    show_change_link = False


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["month", "provisional", "computed_at", "alert_codes"]
    list_filter = ["provisional"]
    date_hierarchy = "month"
    fields = ["month", "provisional", "computed_at", "metrics", "by_class", "alerts", "survey"]
    inlines = [RecomputeInline]
    actions = ["recompute"]

    @admin.action(description="Recompute the selected months (recorded with what changed)")
    def recompute(self, request, queryset):
        for snapshot in queryset.order_by("month"):
            try:
                services.snapshot_recompute(actor=request.user, month=snapshot.month)
            except ServiceError as error:
                self.message_user(request, f"{snapshot}: {error.message}", messages.ERROR)
                return
        self.message_user(request, f"Recomputed {queryset.count()} month(s).", messages.SUCCESS)

    @admin.display(description="alerts")
    def alert_codes(self, snapshot):
        return ", ".join(a["code"] for a in snapshot.alerts) or "—"


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["month", "code", "severity", "message"]
    list_filter = ["code"]


class SingletonAdmin(ServiceSaveMixin, admin.ModelAdmin):
    """One row (pk 1): "add" and "change" both save that row through the service. Asking
    whether it exists would cost every admin page a query (the app list asks each admin)."""

    def has_delete_permission(self, request, obj=None):
        return False

    def save_by_service(self, request, obj, form, change):
        row = services.settings_update(
            actor=request.user, model=self.model,
            # Adding sets every field (the form's "changed" is against the defaults, not the row).
            changes={name: form.cleaned_data[name]
                     for name in (form.changed_data if change else form.fields)})
        obj.pk = row.pk


@admin.register(AlertThresholds)
class AlertThresholdsAdmin(SingletonAdmin):
    pass


@admin.register(SurveySettings)
class SurveySettingsAdmin(SingletonAdmin):
    list_display = ["question", "enabled", "comments_allowed"]
