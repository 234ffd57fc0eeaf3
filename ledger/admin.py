"""Staff's side of the books. Posted entries are read-only (a mistake is corrected by a
reversing entry); periods are created and closed through the services."""

from django.contrib import admin, messages
from django.db.models import Sum

from coop.admin_base import ReadOnlyAdmin, ReadOnlyInline, ServiceSaveMixin
from coop.errors import ServiceError
from coop.models import Cooperative
from coop.money import format_minor

from . import selectors, services
from .models import Account, FiscalPeriod, JournalEntry, JournalLine, ReconciliationCheck


def money(minor: int | None) -> str:
    return "—" if minor is None else format_minor(minor, Cooperative.current_currency())


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "type", "balance"]

    @admin.display(description="Balance")
    def balance(self, obj):
        return money(selectors.account_balance(obj.code))


class JournalLineInline(ReadOnlyInline):
    model = JournalLine
    fields = ["account", "member", "debit", "credit"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "member")

    @admin.display(description="Debit")
    def debit(self, obj):
        return money(obj.debit_minor) if obj.debit_minor else ""

    @admin.display(description="Credit")
    def credit(self, obj):
        return money(obj.credit_minor) if obj.credit_minor else ""


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["number", "date", "description", "kind", "total", "reverses"]
    list_filter = ["kind"]
    search_fields = ["description", "idempotency_key", "=number"]
    date_hierarchy = "date"
    inlines = [JournalLineInline]
    readonly_fields = ["number", "date", "description", "kind", "idempotency_key",
                       "payload_hash", "reverses", "proposal", "created_by", "created_at"]

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("reverses")
                .annotate(total_minor=Sum("lines__debit_minor")))

    @admin.display(description="Total", ordering="total_minor")
    def total(self, obj):
        return money(obj.total_minor)


@admin.register(FiscalPeriod)
class FiscalPeriodAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "surplus", "closed_at"]
    fields = ["start", "end"]
    actions = ["close_periods"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Surplus")
    def surplus(self, obj):
        return money(obj.surplus_minor)

    def save_by_service(self, request, obj, form, change):
        created = services.period_create(actor=request.user, start=form.cleaned_data["start"],
                                         end=form.cleaned_data["end"])
        obj.pk = created.pk

    @admin.action(description="Close the selected periods (after their end date)")
    def close_periods(self, request, queryset):
        for period in queryset.order_by("start"):
            try:
                services.period_close(actor=request.user, period=period)
            except ServiceError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
            self.message_user(request, f"The period {period} is closed.", messages.SUCCESS)


@admin.register(ReconciliationCheck)
class ReconciliationCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "ok", "difference_count"]
    readonly_fields = ["checked_at", "ok", "differences"]

    @admin.display(description="Differences")
    def difference_count(self, obj):
        return len(obj.differences)
