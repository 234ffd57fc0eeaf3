from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from .admin_base import ReadOnlyAdmin
from .models import AuditRecord, Cooperative, Counter, Notice, PartnerApiKey, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name", "first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    list_display = ["name", "currency", "quorum_percent", "fiscal_year_start", "bylaws_version"]
    readonly_fields = ["name"]

    @admin.display(description="Name (the COOP_NAME setting)")
    def name(self, obj):
        return obj.name

    def get_readonly_fields(self, request, obj=None):
        # The currency is fixed once the row exists: changing it would re-denominate every
        # amount already recorded (and coop.models remembers it per process).
        return ["name", "currency"] if obj else ["name"]

    def has_add_permission(self, request):
        return not Cooperative.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "action", "object_type", "object_id", "actor_kind",
                    "actor_name", "actor_id", "seq"]
    list_filter = ["action", "object_type", "actor_kind", "actor_name"]
    search_fields = ["object_id", "action"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "scopes"]


# djangorestframework-api-key registers an admin for its own APIKey model, which this project
# never uses (keys are PartnerApiKey, with scopes): without this the index lists "API keys"
# twice, and the unused one is where staff would make keys that have no scopes.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)

# No navigation sidebar: at 1280 px it takes a quarter of every page, which the wide lists
# (members, payments) need; the index and the breadcrumbs lead everywhere it does.
admin.site.enable_nav_sidebar = False


@admin.register(Counter)
class CounterAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_value"]


class EmailedFilter(admin.SimpleListFilter):
    title = "emailed"
    parameter_name = "emailed"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(emailed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(emailed_at__isnull=True)
        return queryset


class KindFilter(admin.SimpleListFilter):
    """The registered kinds (no DISTINCT over the whole table on every page)."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        from .notices import KINDS

        return [(name, kind.label) for name, kind in sorted(KINDS.items())]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """Written by the services only (coop.notices). An empty emailed_at: not sent (yet), or the
    recipient has no address, one the mail server refused for good, or turned this email off."""

    list_display = ["recipient_of", "kind", "title", "created_at", "read_at", "emailed_at"]
    list_filter = [EmailedFilter, KindFilter]
    list_select_related = ["recipient_type"]
    fields = ["recipient_type", "recipient_id", "kind", "title", "url", "target_type",
              "target_id", "created_at", "read_at", "emailed_at"]
    readonly_fields = fields

    @admin.display(description="Recipient")
    def recipient_of(self, notice):
        return f"{notice.recipient_type.model} {notice.recipient_id}"
