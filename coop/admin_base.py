"""Admin building blocks shared by the apps."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from .errors import ServiceError


class ReadOnlyMixin:
    """Records written only by the services (register, ballots, audit): staff look, never edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    show_full_result_count = False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class ServiceSaveMixin:
    """A ModelAdmin whose add and change forms save through a service: subclasses implement
    `save_by_service(request, obj, form, change)` and never call `obj.save()`.

    The form's own validation (field types, the model's constraints) shows as form errors as
    usual. A ServiceError the service still raises (a rule the form cannot know, a race) is
    shown as an error message on the same page, never a 500; nothing is logged as changed."""

    def save_by_service(self, request, obj, form, change) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        try:
            self.save_by_service(request, obj, form, change)
        except ServiceError as exc:
            request.service_error = exc
            messages.error(request, exc.message)
            for name, field_errors in exc.errors.items():
                field = form.fields.get(name)
                label = field.label if field is not None and field.label else name
                messages.error(request, f"{label}: {' '.join(field_errors)}")

    def _refused(self, request) -> bool:
        return getattr(request, "service_error", None) is not None

    def save_related(self, request, form, formsets, change):
        if not self._refused(request):
            super().save_related(request, form, formsets, change)

    def construct_change_message(self, request, form, formsets, add=False):
        # The formsets were not saved (save_related is skipped), so there is nothing to say.
        if self._refused(request):
            return []
        return super().construct_change_message(request, form, formsets, add)

    def log_addition(self, request, obj, message):
        if not self._refused(request):
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if not self._refused(request):
            return super().log_change(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if self._refused(request):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._refused(request):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)
