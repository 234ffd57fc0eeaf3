"""Admin of surplus distribution: contributions (with the CSV import), policies and their
history, runs with their progress and actions, payables, payout batches, the settings. Every
change goes through `patronage.services`; what the services wrote is read-only here."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from coop.admin_base import ReadOnlyAdmin, ServiceSaveMixin, csv_import_view
from coop.errors import ServiceError
from membership.admin import money

from . import importer, services
from .models import (
    Allocation,
    AllocationPolicy,
    Contribution,
    DividendRun,
    PatronageSettings,
    Payable,
    PayoutAccount,
    PayoutBatch,
)


class ContributionForm(forms.ModelForm):
    class Meta:
        model = Contribution
        fields = ["member", "date", "quantity", "external_id"]
        help_texts = {"external_id": "Unique: what the contribution is called where it comes "
                                     "from (a shift, an invoice...). Entering it again adds "
                                     "nothing."}


@admin.register(Contribution)
class ContributionAdmin(ServiceSaveMixin, ReadOnlyAdmin):
    """Contributions are never edited: staff add one (through the service, source `staff`) or
    import a file; a correction is a new contribution in an open period."""

    form = ContributionForm
    list_display = ["id", "member", "date", "quantity", "measure", "source", "external_id"]
    list_filter = ["source"]
    search_fields = ["member__member_number__exact", "external_id"]
    date_hierarchy = "date"
    list_select_related = ["member"]
    raw_id_fields = ["member"]
    change_list_template = "admin/patronage/contribution_changelist.html"

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser or request.user.has_perm("patronage.add_contribution")

    def save_by_service(self, request, obj, form, change):
        data = form.cleaned_data
        recorded = services.contribution_record(
            actor=request.user, member=data["member"], date=data["date"],
            quantity=data["quantity"], external_id=data["external_id"])
        obj.pk = recorded.contribution.pk

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("import/", wrap(self.import_view), name="patronage_contribution_import"),
                *super().get_urls()]

    def import_view(self, request):
        if not request.user.is_superuser and not request.user.has_perm(
                "patronage.view_contribution"):
            raise PermissionDenied
        return csv_import_view(
            self, request, title="Import contributions",
            template="admin/patronage/import_contributions.html",
            help_text="CSV: member_number, date, quantity, external_id.",
            columns=importer.COLUMNS, validate=importer.validate,
            run=importer.contributions_import,
            done=lambda result: (f"Imported {result.created} contribution(s); {result.known} "
                                 f"were there already."),
            back=reverse("admin:patronage_contribution_changelist"))


class PolicyForm(forms.ModelForm):
    class Meta:
        model = AllocationPolicy
        fields = ["effective_from", "capital_interest_bp", "interest_cap_bp", "reserves_bp",
                  "commons_bp", "patronage_bp", "cash_bp", "class_shares_bp", "note"]


@admin.register(AllocationPolicy)
class AllocationPolicyAdmin(ServiceSaveMixin, admin.ModelAdmin):
    """Versions are never edited. Adding one creates it in force while none exists, else a
    draft that only a passed `policy` proposal puts in force (RULES §6)."""

    form = PolicyForm
    list_display = ["version", "status", "effective_from", "enacted", "capital_interest_bp",
                    "reserves_bp", "commons_bp", "patronage_bp", "cash_bp"]
    list_filter = ["status"]
    readonly_fields = ["version", "status", "enacted_at", "enacted_by_proposal",
                       "enacted_directly", "created_by", "created_at"]

    @admin.display(description="Enacted by")
    def enacted(self, obj):
        if obj.enacted_by_proposal_id:
            return format_html('<a href="{}">proposal {}</a>',
                               f"/governance/proposals/{obj.enacted_by_proposal_id}/",
                               obj.enacted_by_proposal_id)
        return "created in force (first version)" if obj.enacted_directly else "–"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_by_service(self, request, obj, form, change):
        created = services.policy_create(actor=request.user, **form.cleaned_data)
        obj.pk = created.pk


@admin.register(DividendRun)
class DividendRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "period", "status", "progress_shown", "distributable", "interest",
                    "reserves", "commons", "patronage", "created_at"]
    list_filter = ["status"]
    list_select_related = ["period"]
    readonly_fields = [f.name for f in DividendRun._meta.fields]
    actions = ["approve", "cancel", "rerun"]

    @admin.display(description="Progress", ordering="progress")
    def progress_shown(self, obj):
        return format_html('<progress max="100" value="{}">{} %</progress> {} %', obj.progress,
                           obj.progress, obj.progress)

    @admin.display(description="S")
    def distributable(self, obj):
        return money(obj.distributable_minor)

    @admin.display(description="Interest")
    def interest(self, obj):
        return money(obj.interest_minor)

    @admin.display(description="Reserves")
    def reserves(self, obj):
        return money(obj.reserves_minor)

    @admin.display(description="Commons")
    def commons(self, obj):
        return money(obj.commons_minor)

    @admin.display(description="Patronage")
    def patronage(self, obj):
        return money(obj.patronage_minor)

    def _act(self, request, queryset, service, done: str):
        for run in queryset:
            try:
                service(actor=request.user, run=run)
            except ServiceError as exc:
                self.message_user(request, f"Run {run.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Run {run.pk} {done}.", messages.SUCCESS)

    @admin.action(description="Approve (post) the selected computed run")
    def approve(self, request, queryset):
        self._act(request, queryset, services.dividend_run_approve, "posted")

    @admin.action(description="Cancel the selected runs")
    def cancel(self, request, queryset):
        self._act(request, queryset, services.dividend_run_cancel, "cancelled")

    @admin.action(description="Compute the selected runs again")
    def rerun(self, request, queryset):
        self._act(request, queryset, services.dividend_run_rerun, "queued again")


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["run", "member_number", "class_slug", "contribution", "interest_minor",
                    "patronage_minor", "cash_minor", "retained_minor"]
    list_filter = ["class_slug"]
    search_fields = ["member_number__exact"]
    raw_id_fields = ["run", "member"]


@admin.register(Payable)
class PayableAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "member", "amount", "run", "batch"]
    list_filter = ["kind"]
    list_select_related = ["member"]
    raw_id_fields = ["member", "run", "batch", "redemption"]

    @admin.display(description="Amount", ordering="amount_minor")
    def amount(self, obj):
        return money(obj.amount_minor)


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    """Members' IBANs for payouts: staff look them up here; the member sets them on "My
    money" (or staff through the API), always through `payout_account_set`."""

    list_display = ["member", "iban", "holder", "updated_at"]
    list_select_related = ["member"]
    search_fields = ["member__member_number__exact"]
    raw_id_fields = ["member"]


class PayForm(forms.Form):
    paid_on = forms.DateField(help_text="The day the bank paid the batch (YYYY-MM-DD).")


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    """Gather the open payables into a batch, download it (CSV, SEPA credit transfer), and mark
    it paid (which posts it) – each through `patronage.services`."""

    list_display = ["id", "status", "created_at", "paid_on", "total", "files"]
    list_filter = ["status"]
    change_list_template = "admin/patronage/payoutbatch_changelist.html"

    @admin.display(description="Total")
    def total(self, obj):
        return money(obj.payables.aggregate(t=Sum("amount_minor"))["t"] or 0)

    @admin.display(description="Files and actions")
    def files(self, obj):
        links = [(reverse("admin:patronage_payoutbatch_csv", args=[obj.pk]), "CSV"),
                 (reverse("admin:patronage_payoutbatch_sepa", args=[obj.pk]), "SEPA XML")]
        if obj.status == PayoutBatch.Status.OPEN:
            links.append((reverse("admin:patronage_payoutbatch_pay", args=[obj.pk]),
                          "Mark paid…"))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("gather/", wrap(self.gather_view), name="patronage_payoutbatch_gather"),
            path("<int:batch_id>/pay/", wrap(self.pay_view), name="patronage_payoutbatch_pay"),
            path("<int:batch_id>/batch.csv", wrap(self.csv_view),
                 name="patronage_payoutbatch_csv"),
            path("<int:batch_id>/sepa.xml", wrap(self.sepa_view),
                 name="patronage_payoutbatch_sepa"),
            *super().get_urls(),
        ]

    def _back(self):
        return HttpResponseRedirect(reverse("admin:patronage_payoutbatch_changelist"))

    def gather_view(self, request):
        if request.method != "POST":
            return self._back()
        try:
            batch = services.payout_batch_create(actor=request.user)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"Payout batch {batch.pk} gathers "
                                       f"{batch.payables.count()} payable(s).", messages.SUCCESS)
        return self._back()

    def pay_view(self, request, batch_id):
        batch = get_object_or_404(PayoutBatch, pk=batch_id)
        form = PayForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.payout_batch_pay(actor=request.user, batch=batch,
                                          paid_on=form.cleaned_data["paid_on"])
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Payout batch {batch.pk} is paid and posted.",
                                  messages.SUCCESS)
                return self._back()
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": f"Mark payout batch {batch.pk} paid", "form": form,
                   "batch": batch}
        return TemplateResponse(request, "admin/patronage/payoutbatch_pay.html", context)

    def csv_view(self, request, batch_id):
        batch = get_object_or_404(PayoutBatch, pk=batch_id)
        response = HttpResponse(services.payout_csv(batch), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="payout-{batch.pk}.csv"'
        return response

    def sepa_view(self, request, batch_id):
        batch = get_object_or_404(PayoutBatch, pk=batch_id)
        try:
            xml, left_out = services.payout_sepa(batch)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self._back()
        response = HttpResponse(xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="payout-{batch.pk}.xml"'
        if left_out:
            response["X-Left-Out-Members"] = ",".join(str(x.member_number) for x in left_out)
        return response


@admin.register(PatronageSettings)
class PatronageSettingsAdmin(ServiceSaveMixin, admin.ModelAdmin):
    fields = ["runs_need_assembly"]

    def save_by_service(self, request, obj, form, change):
        services.settings_update(actor=request.user,
                                 runs_need_assembly=form.cleaned_data["runs_need_assembly"])

    def has_add_permission(self, request):
        # The one row is made on first use (the list redirects to it); asking whether it
        # exists on every admin page would cost each of them a query.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        row = PatronageSettings.current()
        return HttpResponseRedirect(reverse("admin:patronage_patronagesettings_change",
                                            args=[row.pk]))

