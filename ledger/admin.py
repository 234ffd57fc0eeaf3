"""Staff's side of the books. Posted entries are read-only (a mistake is corrected by a
reversing entry); periods are created and closed through the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse

from coop.admin_base import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceSaveMixin,
    csv_import_view,
    render_action_form,
)
from coop.errors import InvalidInput, ServiceError
from coop.models import Cooperative
from coop.money import format_minor, parse_minor
from governance.models import Proposal

from . import money_import, selectors, services
from .models import Account, FiscalPeriod, JournalEntry, JournalLine, ReconciliationCheck
from .rules import may_keep_books


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


class MoneyForm(forms.Form):
    """One form for the money staff book by hand; the services check every rule again."""

    KINDS = [("revenue", "Revenue (Dr Bank / Cr Revenue)"),
             ("operations", "Operating expense (Dr Operating expenses / Cr Bank)"),
             ("governance", "Governance expense (Dr Governance expenses / Cr Bank)"),
             ("commons", "Commons fund spent (Dr Commons fund / Cr Bank), by a passed proposal"),
             ("loss", "Loss covered from the reserve (Dr Reserve / Cr Unallocated surplus), "
                      "by a passed proposal")]
    kind = forms.ChoiceField(choices=KINDS)
    amount = forms.CharField(max_length=40, help_text="As you would write it: 1,250.50")
    date = forms.DateField(widget=AdminDateWidget)
    description = forms.CharField(max_length=300, required=False)
    proposal = forms.ModelChoiceField(
        Proposal.objects.filter(status="closed", outcome="passed").order_by("-pk"),
        required=False, help_text="The passed proposal that decided it (commons, loss).")

    def clean_amount(self):
        try:
            return parse_minor(self.cleaned_data["amount"], Cooperative.current_currency())
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None


class ReverseForm(forms.Form):
    date = forms.DateField(widget=AdminDateWidget,
                           help_text="In an open period, not before the entry's date.")
    reason = forms.CharField(max_length=250, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["number", "date", "description", "kind", "total", "reverses"]
    list_filter = ["kind"]
    search_fields = ["description", "idempotency_key", "=number"]
    date_hierarchy = "date"
    inlines = [JournalLineInline]
    change_form_template = "admin/ledger/journalentry_change_form.html"
    change_list_template = "admin/ledger/journalentry_change_list.html"
    readonly_fields = ["number", "date", "description", "kind", "idempotency_key",
                       "payload_hash", "reverses", "proposal", "created_by", "created_at"]

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("reverses")
                .annotate(total_minor=Sum("lines__debit_minor")))

    @admin.display(description="Total", ordering="total_minor")
    def total(self, obj):
        return money(obj.total_minor)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("record/", wrap(self.record_view), name="ledger_journalentry_record"),
                path("<int:entry_id>/reverse/", wrap(self.reverse_view),
                     name="ledger_journalentry_reverse"),
                path("import/", wrap(self.import_view), name="ledger_journalentry_import"),
                *super().get_urls()]

    def _require_bookkeeper(self, request):
        if not may_keep_books(request.user):
            raise PermissionDenied

    def record_view(self, request):
        """Revenue, an expense, the commons spent or a loss covered, through the services."""
        self._require_bookkeeper(request)
        form = MoneyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data, actor = form.cleaned_data, request.user
            common = {"actor": actor, "amount_minor": data["amount"], "date": data["date"]}
            description = data["description"]
            try:
                if data["kind"] == "revenue":
                    entry = services.revenue_record(description=description, **common)
                elif data["kind"] in services.EXPENSE_ACCOUNTS:
                    entry = services.expense_record(description=description,
                                                    category=data["kind"], **common)
                elif data["kind"] == "commons":
                    entry = services.commons_spend(
                        description=description or "Commons fund spent",
                        proposal=data["proposal"], **common)
                else:
                    entry = services.loss_cover(description=description,
                                                proposal=data["proposal"], **common)
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                self.message_user(request, f"Posted entry {entry.number}.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:ledger_journalentry_change", args=[entry.pk]))
        return render_action_form(
            self, request, form, title="Record money in or out", submit_label="Post the entry",
            intro="Each choice posts one balanced entry. An entry cannot be edited afterwards: "
                  "a mistake is corrected by a reversing entry. Money dated in a closed period "
                  "is refused.")

    def reverse_view(self, request, entry_id):
        """Correct a posted entry by its opposite (entries are never edited)."""
        self._require_bookkeeper(request)
        entry = JournalEntry.objects.filter(pk=entry_id).first()
        if entry is None:
            raise Http404
        form = ReverseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reversal = services.entry_reverse(
                    actor=request.user, entry=entry, date=form.cleaned_data["date"],
                    reason=form.cleaned_data["reason"],
                    idempotency_key=f"admin-reverse:{entry.pk}")
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                self.message_user(request, f"Posted entry {reversal.number}, reversing entry "
                                           f"{entry.number}.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:ledger_journalentry_change", args=[reversal.pk]))
        return render_action_form(
            self, request, form, title=f"Reverse entry {entry.number}",
            submit_label="Post the reversal", obj=entry,
            intro=f"The reversal posts the opposite of every line of entry {entry.number} "
                  f"({entry.description}), dated as you say; the entry itself stays as it was. "
                  f"An entry is reversed once.")

    def import_view(self, request):
        self._require_bookkeeper(request)
        return csv_import_view(
            self, request, title="Import revenue and expenses",
            template="admin/ledger/import_money.html",
            help_text="CSV: date, type, category, amount, description, reference (optional).",
            columns=money_import.COLUMNS, validate=money_import.validate,
            run=money_import.money_import,
            done=lambda entries: (f"Imported {len(entries)} entr"
                                  f"{'y' if len(entries) == 1 else 'ies'}."),
            back=reverse("admin:ledger_journalentry_changelist"))


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
