"""Admin building blocks shared by the apps."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from . import csv_import
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


# --- CSV imports ----------------------------------------------------------------------------


class CsvUploadForm(forms.Form):
    file = forms.FileField()

    def __init__(self, *args, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = help_text


def csv_import_view(model_admin, request, *, title: str, template: str, help_text: str,
                    columns, validate, run, done, back: str) -> HttpResponse:
    """An import's admin page (the register, revenue and expenses, contributions): upload →
    preview (every row checked, errors by row and column; `coop.csv_import`) → confirm →
    `run(text=, actor=)`, all or nothing, then `done(result)` as the message and back to
    `back`. The template extends `admin/import_page.html`. The caller checks permission."""
    form = CsvUploadForm(request.POST or None, request.FILES or None, help_text=help_text)
    preview, text = None, ""
    if request.method == "POST" and "confirm" in request.POST:
        # The confirmed text is checked again inside the import's transaction.
        text = request.POST.get("text", "")
        try:
            result = run(text=text, actor=request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
            preview = validate(text)
        else:
            model_admin.message_user(request, done(result), messages.SUCCESS)
            return HttpResponseRedirect(back)
    elif request.method == "POST" and form.is_valid():
        try:
            text = csv_import.decode(form.cleaned_data["file"].read())
        except ServiceError as exc:
            form.add_error("file", exc.message)
        else:
            preview = validate(text)
    # The file's known columns in its order; before a file, every column.
    shown = [c for c in (preview.columns if preview and preview.columns else columns)
             if c in columns]
    return TemplateResponse(request, template, {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
        "title": title, "form": form, "preview": preview, "text": text, "columns": shown,
        "rows": [{"row": r.row, "errors": r.errors,
                  "cells": [(c, r.values.get(c, ""), r.errors.get(c)) for c in shown]}
                 for r in (preview.rows if preview else [])],
    })


# --- a staff action's form ------------------------------------------------------------------


def render_action_form(model_admin, request, form, *, title, submit_label, obj=None, intro=""):
    """The page of a staff action that calls a service (record a payment or an exit, erase a
    person's data, record money, reverse an entry...): `intro`, the form, one button; `obj`
    adds its crumb."""
    return TemplateResponse(request, "admin/action_form.html", {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
        "title": title, "form": form, "object": obj, "submit_label": submit_label,
        "intro": intro, "media": model_admin.media + form.media,
    })
