"""Staff's side of membership. Every change goes through membership.services (or the importer);
the admin only collects input and shows what the services answer."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

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

from . import bylaws, importer, services
from .models import (
    Application,
    Bylaws,
    Member,
    Redemption,
    RegisterEvent,
    ShareCertificate,
    SharePayment,
    ShareSubscription,
    StakeholderClass,
)


def money(minor: int | None) -> str:
    """Minor units as the amount staff read, with the cooperative's currency ("1,250.00 EUR";
    coop.money honours the currency's decimals): a bare number in a list says nothing about
    the currency."""
    if minor is None:
        return "–"
    return format_minor(minor, Cooperative.current_currency())


def show_service_error(request, form: forms.Form | None, exc: ServiceError, *,
                       fields: dict[str, str] | None = None) -> None:
    """A refused change, shown once. Without a form (or with an error that names no field): a
    message on the page. With a form: on the fields the error names (`fields` maps the
    service's names, e.g. "amount_minor", to the form's), and the message above the form
    only when it says more than those field errors do."""
    if form is None or not exc.errors:
        messages.error(request, exc.message)
        return
    fields = fields or {}
    said = set()
    for name, field_errors in exc.errors.items():
        name = fields.get(name, name)
        form.add_error(name if name in form.fields else None, field_errors)
        said.update(field_errors)
    if exc.message not in said:
        form.add_error(None, exc.message)


# --- stakeholder classes --------------------------------------------------------------------

@admin.register(StakeholderClass)
class StakeholderClassAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["slug", "name", "price", "min_shares", "max_shares", "vote_weight",
                    "patronage_measure"]
    search_fields = ["slug", "name"]

    @admin.display(description="Share price", ordering="share_price_minor")
    def price(self, obj):
        return money(obj.share_price_minor)

    def get_readonly_fields(self, request, obj=None):
        # Members and the API know a class by its slug.
        return ["slug"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_by_service(self, request, obj, form, change):
        if not change:
            fields = {name: form.cleaned_data[name] for name in form.fields}
            created = services.stakeholder_class_create(actor=request.user, **fields)
            obj.pk = created.pk
            return
        # A new price applies to later approvals only: subscriptions froze theirs.
        services.stakeholder_class_update(
            stakeholder_class=obj, actor=request.user,
            **{name: form.cleaned_data[name] for name in form.changed_data})


# --- applications ---------------------------------------------------------------------------

class PaperApplicationForm(forms.Form):
    stakeholder_class = forms.ModelChoiceField(StakeholderClass.objects.all(), label="Class")
    shares = forms.IntegerField(min_value=1)
    name = forms.CharField(max_length=200, help_text="The person, or an organisation's contact.")
    email = forms.EmailField()
    organisation_name = forms.CharField(max_length=200, required=False)
    registration_number = forms.CharField(max_length=80, required=False)
    motivation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    referred_by = forms.IntegerField(min_value=1, required=False,
                                     help_text="Member number of the member who referred them.")
    bylaws_version = forms.CharField(max_length=40,
                                     help_text="The version of the bylaws they signed.")

    def clean_referred_by(self):
        number = self.cleaned_data.get("referred_by")
        if number is None:
            return None
        member = Member.objects.filter(member_number=number).first()
        if member is None:
            raise forms.ValidationError(f"No member number {number}.")
        return member


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text="Sent to the applicants and kept with the application.")


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    # The status comes right after the number, so it is in view at 1280 px without scrolling;
    # kind, source and referrer are on the application's page and in the filters.
    list_display = ["id", "status", "display_name", "email", "stakeholder_class", "shares",
                    "submitted_at", "member_number"]
    list_display_links = ["id", "display_name"]
    list_filter = ["status", "stakeholder_class", "source", "kind"]
    search_fields = ["name", "organisation_name", "email", "member__member_number__exact"]
    date_hierarchy = "submitted_at"
    list_select_related = ["stakeholder_class", "referred_by", "member"]
    list_per_page = 100
    show_full_result_count = False
    actions = ["approve_selected", "reject_selected"]
    readonly_fields = [f.name for f in Application._meta.fields]

    @admin.display(description="Member no.", ordering="member__member_number")
    def member_number(self, obj):
        member = getattr(obj, "member", None)
        return member.member_number if member else ""

    def get_ordering(self, request):
        # What staff have to decide comes first: pending applications, newest first; then the
        # decided ones, newest first. A column the person sorts by replaces this.
        pending_first = Case(When(status=Application.Status.PENDING, then=Value(0)),
                             default=Value(1))
        return [pending_first.asc(), "-submitted_at", "-pk"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/approve/", wrap(self.approve_view),
                 name="membership_application_approve"),
            path("<path:object_id>/reject/", wrap(self.reject_view),
                 name="membership_application_reject"),
            *super().get_urls(),
        ]

    def _pending_for_decision(self, request, object_id) -> Application:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        return get_object_or_404(Application.objects.select_related("stakeholder_class"),
                                 pk=object_id)

    def _back_to(self, application):
        return HttpResponseRedirect(reverse("admin:membership_application_change",
                                            args=[application.pk]))

    def approve_view(self, request, object_id):
        """The Approve button of an application's page (a POST; the page itself is a GET)."""
        application = self._pending_for_decision(request, object_id)
        if request.method != "POST":
            return self._back_to(application)
        try:
            # What the bulk action calls, for one application.
            (member,) = services.applications_approve(application_ids=[application.pk],
                                                      actor=request.user)
        except ServiceError as exc:
            show_service_error(request, None, exc)
            return self._back_to(application)
        self.message_user(request, f"Approved application #{application.pk}; member number "
                                   f"{member.member_number}.", messages.SUCCESS)
        return self._back_to(application)

    def reject_view(self, request, object_id):
        """The Reject button: asks for the reason, then calls application_reject."""
        application = self._pending_for_decision(request, object_id)
        if application.status != Application.Status.PENDING:
            self.message_user(request, f"Application #{application.pk} is already "
                                       f"{application.get_status_display().lower()}.",
                              messages.ERROR)
            return self._back_to(application)
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.application_reject(application=application,
                                            reason=form.cleaned_data["reason"],
                                            actor=request.user)
            except ServiceError as exc:
                show_service_error(request, form, exc)
            else:
                self.message_user(request, f"Rejected application #{application.pk}.",
                                  messages.SUCCESS)
                return self._back_to(application)
        return render_action_form(
            self, request, form, title=f"Reject application #{application.pk}",
            submit_label="Reject application", obj=application,
            intro=f"{application.display_name}, {application.stakeholder_class.name}, "
                  f"{application.shares} share(s). The reason is sent to the applicants.")

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        # The page's Approve and Reject buttons (change_form.html) show for a pending
        # application and staff who may decide.
        context["may_decide"] = (obj is not None and obj.status == Application.Status.PENDING
                                 and self.has_decide_permission(request))
        return super().render_change_form(request, context, add=add, change=change,
                                          form_url=form_url, obj=obj)

    # Applications change only by decision (the actions) – never by editing the record.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return request.user.has_perm("membership.change_application")

    @admin.action(description="Approve selected applications", permissions=["decide"])
    def approve_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        try:
            # One call: numbers follow submission order across the whole selection.
            members = services.applications_approve(application_ids=ids, actor=request.user)
        except ServiceError as exc:
            show_service_error(request, None, exc)
            return None
        numbers = ", ".join(str(m.member_number) for m in members)
        self.message_user(request, f"Approved {len(members)} application(s); member numbers "
                                   f"{numbers}.", messages.SUCCESS)
        return None

    @admin.action(description="Reject selected applications…", permissions=["decide"])
    def reject_selected(self, request, queryset):
        applications = list(queryset.select_related("stakeholder_class").order_by("pk"))
        form = RejectForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                # All or nothing: one refused application leaves the others pending too.
                with transaction.atomic():
                    for application in applications:
                        services.application_reject(application=application,
                                                    reason=form.cleaned_data["reason"],
                                                    actor=request.user)
            except ServiceError as exc:
                show_service_error(request, None, exc)
                return None
            self.message_user(request, f"Rejected {len(applications)} application(s).",
                              messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Reject applications",
            "objects": applications,
            "form": form,
            "action": "reject_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/membership/reject_confirmation.html", context)

    def add_view(self, request, form_url="", extra_context=None):
        """A paper application, entered by staff, goes through application_submit."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"bylaws_version": Cooperative.current().bylaws_version}
        form = PaperApplicationForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                application = services.application_submit(
                    stakeholder_class=data["stakeholder_class"], shares=data["shares"],
                    name=data["name"], email=data["email"],
                    organisation_name=data["organisation_name"],
                    registration_number=data["registration_number"],
                    motivation=data["motivation"], referred_by=data["referred_by"],
                    bylaws_version=data["bylaws_version"],
                    source=Application.Source.PAPER, actor=request.user,
                )
            except ServiceError as exc:
                show_service_error(request, form, exc)
            else:
                self.message_user(request, f"Paper application #{application.pk} entered; it "
                                           f"waits for approval.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:membership_application_changelist"))
        return render_action_form(self, request, form, title="Enter a paper application",
                                  submit_label="Enter application")


# --- members --------------------------------------------------------------------------------

class RecordPaymentForm(forms.Form):
    amount = forms.CharField(max_length=40,
                             help_text="In the cooperative's currency, e.g. 50.00.")
    paid_on = forms.DateField(widget=AdminDateWidget, initial=timezone.localdate,
                              label="Paid on")
    reference = forms.CharField(max_length=120, required=False,
                                help_text="Bank reference or receipt number.")

    def __init__(self, *args, outstanding_minor: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.outstanding_minor = outstanding_minor

    def clean_amount(self):
        # Exact: parsed as text into minor units of the cooperative's currency (coop.money).
        try:
            amount = parse_minor(self.cleaned_data["amount"], Cooperative.current_currency())
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
        if amount <= 0:
            raise forms.ValidationError("The amount must be greater than zero.")
        # The service refuses an overpayment too (and decides, under the member's lock); this
        # says it first, on the field and in money, where the service speaks of minor units.
        if self.outstanding_minor is not None and amount > self.outstanding_minor:
            raise forms.ValidationError(overpayment_message(self.outstanding_minor))
        return amount


def overpayment_message(outstanding_minor: int) -> str:
    return (f"This would overpay the subscription: only {money(outstanding_minor)} "
            f"is outstanding.")


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


class ExitForm(forms.Form):
    exited_on = forms.DateField(widget=AdminDateWidget, initial=timezone.localdate,
                                label="Effective on")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             required=False)


class EraseForm(forms.Form):
    """Erasing cannot be undone: staff type the member number, as for deleting a repository."""

    member_number = forms.IntegerField(label="Type the member number to confirm")

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_member_number(self):
        number = self.cleaned_data["member_number"]
        if number != self.member.member_number:
            raise forms.ValidationError(
                f"This is not the member number of {self.member} ({self.member.member_number}).")
        return number


class SharePaymentInline(ReadOnlyInline):
    model = SharePayment
    fk_name = "member"
    fields = ["kind", "amount", "paid_on", "reference", "reason", "recorded_at", "reverse_link"]
    readonly_fields = fields
    ordering = ["paid_on", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reversal")

    @admin.display(description="Amount")
    def amount(self, obj):
        return money(obj.amount_minor)

    @admin.display(description="")
    def reverse_link(self, obj):
        if obj.kind != SharePayment.Kind.PAYMENT:
            return ""
        if obj.is_reversed:
            return "reversed"
        url = reverse("admin:membership_sharepayment_reverse", args=[obj.pk])
        return format_html('<a href="{}">Reverse…</a>', url)


class ShareCertificateInline(ReadOnlyInline):
    model = ShareCertificate
    fields = ["certificate_number", "issued_on", "status", "payment"]
    readonly_fields = fields


class SourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return Application.Source.choices

    def queryset(self, request, queryset):
        if self.value() == Application.Source.IMPORT:
            # Imported members came with the register, not through an application.
            return queryset.filter(application__isnull=True)
        if self.value():
            return queryset.filter(application__source=self.value())
        return queryset


@admin.register(Member)
class MemberAdmin(ServiceSaveMixin, admin.ModelAdmin):
    # Fits 1280 px beside the filters: kind and directory visibility are filters (and on the
    # member's page), shares held and subscribed share a column.
    list_display = ["member_number", "name", "stakeholder_class", "status", "shares", "paid",
                    "joined_on"]
    list_display_links = ["member_number", "name"]
    list_filter = ["status", "stakeholder_class", SourceFilter, "kind", "directory_visible"]
    search_fields = ["member_number__exact", "name", "email", "contact_person"]
    date_hierarchy = "joined_on"
    list_select_related = ["stakeholder_class"]
    list_per_page = 100
    show_full_result_count = False
    raw_id_fields = ["user", "referred_by"]
    inlines = [SharePaymentInline, ShareCertificateInline]
    fieldsets = [
        (None, {"fields": ["member_number", "status", "stakeholder_class", "kind", "name",
                           "email", "contact_person", "registration_number", "user",
                           "directory_visible"]}),
        ("Shares", {"fields": ["shares_subscribed", "shares_held", "paid", "subscription_price"]}),
        ("History", {"fields": ["application", "referred_by", "joined_on", "activated_on",
                               "exited_on", "exit_reason", "erased_on", "name_kept_until"]}),
    ]
    # Contact details are plain data; everything about numbers, shares and status belongs to
    # the services.
    editable_fields = {"name", "email", "contact_person", "registration_number", "user",
                       "directory_visible"}

    def get_readonly_fields(self, request, obj=None):
        shown = [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]
        if obj is not None and obj.erased_on is not None:
            return shown  # typing the details back in would undo the erasure
        return [f for f in shown if f not in self.editable_fields]

    @admin.display(description="Paid", ordering="paid_minor")
    def paid(self, obj):
        return money(obj.paid_minor)

    @admin.display(description="Shares held / subscribed", ordering="shares_held")
    def shares(self, obj):
        return f"{obj.shares_held} / {obj.shares_subscribed}"

    @admin.display(description="Share price (frozen)")
    def subscription_price(self, obj):
        subscription = ShareSubscription.objects.filter(member=obj).first()
        return money(subscription.share_price_minor) if subscription else "–"

    def has_add_permission(self, request):
        # Members come from approved applications or the register import.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_by_service(self, request, obj, form, change):
        with transaction.atomic():
            if "directory_visible" in form.changed_data:
                services.member_directory_visibility_set(
                    member=obj, visible=form.cleaned_data["directory_visible"],
                    actor=request.user)
            details = {f: form.cleaned_data[f] for f in form.changed_data
                       if f != "directory_visible"}
            if details:
                services.member_details_update(member=obj, changes=details, actor=request.user)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="membership_member_import"),
            path("<path:object_id>/record-payment/", wrap(self.record_payment_view),
                 name="membership_member_record_payment"),
            path("<path:object_id>/exit/", wrap(self.exit_view),
                 name="membership_member_exit"),
            path("<path:object_id>/erase/", wrap(self.erase_view),
                 name="membership_member_erase"),
            *super().get_urls(),
        ]

    def _member_for_action(self, request, object_id) -> Member:
        member = get_object_or_404(Member.objects.select_related("stakeholder_class",
                                                                 "subscription"), pk=object_id)
        if not self.has_change_permission(request, member):
            raise PermissionDenied
        return member

    def _back_to(self, member):
        return HttpResponseRedirect(reverse("admin:membership_member_change", args=[member.pk]))

    def record_payment_view(self, request, object_id):
        member = self._member_for_action(request, object_id)
        subscription = getattr(member, "subscription", None)
        outstanding = (subscription.total_minor - member.paid_minor) if subscription else 0
        form = RecordPaymentForm(request.POST or None,
                                 outstanding_minor=outstanding if subscription else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.share_payment_record(
                    member=member, amount_minor=form.cleaned_data["amount"],
                    paid_on=form.cleaned_data["paid_on"],
                    reference=form.cleaned_data["reference"], actor=request.user)
            except ServiceError as exc:
                if "amount_minor" in exc.errors and subscription is not None:
                    # A payment recorded meanwhile (the form checked the older figure): the
                    # service's words are in minor units, so say it again in money.
                    member.refresh_from_db(fields=["paid_minor"])
                    form.add_error("amount", overpayment_message(
                        subscription.total_minor - member.paid_minor))
                else:
                    show_service_error(request, form, exc, fields={"amount_minor": "amount"})
            else:
                member.refresh_from_db()
                self.message_user(request, f"Payment of {money(form.cleaned_data['amount'])} "
                                           f"recorded; {member} holds {member.shares_held} "
                                           f"share(s) and is {member.get_status_display()}.",
                                  messages.SUCCESS)
                return self._back_to(member)
        intro = (f"{member}: {member.shares_subscribed} share(s) subscribed at "
                 f"{money(subscription.share_price_minor if subscription else 0)}, "
                 f"{money(member.paid_minor)} paid, {money(outstanding)} outstanding.")
        return render_action_form(self, request, form, title=f"Record a payment – {member}",
                                  submit_label="Record payment", obj=member, intro=intro)

    def exit_view(self, request, object_id):
        member = self._member_for_action(request, object_id)
        form = ExitForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = services.member_exit(member=member, reason=form.cleaned_data["reason"],
                                              on=form.cleaned_data["exited_on"],
                                              actor=request.user)
            except ServiceError as exc:
                show_service_error(request, form, exc)
            else:
                self.message_user(request, f"{member} has exited; a redemption of "
                                           f"{money(result.redemption.amount_minor)} is "
                                           f"requested.", messages.SUCCESS)
                return self._back_to(member)
        intro = (f"The exit takes effect on the date given. {money(member.paid_minor)} of share "
                 f"capital will be redeemed; certificates stay in the register as redeemed.")
        return render_action_form(self, request, form, title=f"Record the exit of {member}",
                                  submit_label="Record exit", obj=member, intro=intro)

    def erase_view(self, request, object_id):
        member = self._member_for_action(request, object_id)
        form = EraseForm(request.POST or None, member=member)
        refusal = services.erasure_refusal(member)
        if refusal:
            form.add_error(None, refusal)
        elif request.method == "POST" and form.is_valid():
            try:
                result = services.member_erase(member=member, actor=request.user)
            except ServiceError as exc:
                show_service_error(request, form, exc)
            else:
                kept = (f" The register keeps the name until {result.name_kept_until}, when it "
                        f"is erased too." if result.name_kept_until else "")
                self.message_user(request, f"Member {member.member_number}'s personal data is "
                                           f"erased.{kept}", messages.SUCCESS)
                return self._back_to(member)
        years = Cooperative.current().register_retention_years
        intro = (f"This erases {member}'s personal data for good: their sign-in account, email, "
                 f"contact person, exit reason, applications, notices, IBAN and pulse survey "
                 f"comments. The register keeps the member number, class, dates, shares and "
                 f"payments, and the books keep their lines; their ballots and comments stay "
                 f"as the cooperative's record. The register keeps a person's name for "
                 f"{years} year(s) after the exit (Cooperative: register retention), then it "
                 f"becomes \"Former member {member.member_number}\".")
        return render_action_form(self, request, form, title=f"Erase the personal data of {member}",
                                  submit_label="Erase personal data", obj=member, intro=intro)

    def import_view(self, request):
        if not (request.user.has_perm("membership.add_member")
                or request.user.is_superuser):
            raise PermissionDenied

        def done(result):
            low, high = result.member_numbers
            return (f"Imported {result.members} member(s) (numbers {low}–{high}), "
                    f"{result.payments} payment(s) and {result.certificates} certificate(s).")

        return csv_import_view(
            self, request, title="Import a share register",
            template="admin/membership/import_register.html",
            help_text="CSV, one row per member (see docs/import-format.md).",
            columns=importer.COLUMNS, validate=importer.validate, run=importer.register_import,
            done=done, back=reverse("admin:membership_member_changelist"))


# --- the register and its records: read-only ----------------------------------------------

@admin.register(SharePayment)
class SharePaymentAdmin(ReadOnlyAdmin):
    # Fits 1280 px beside the filter: a reversal names the payment it reverses in its kind;
    # when it was recorded (and by whom) is on the payment's page.
    list_display = ["id", "member", "kind_shown", "amount", "paid_on", "reference"]
    list_filter = ["kind"]
    search_fields = ["member__member_number__exact", "member__name", "reference"]
    date_hierarchy = "paid_on"
    list_select_related = ["member", "reverses"]
    raw_id_fields = ["member", "reverses", "recorded_by"]

    @admin.display(description="Amount", ordering="amount_minor")
    def amount(self, obj):
        return money(obj.amount_minor)

    @admin.display(description="Kind", ordering="kind")
    def kind_shown(self, obj):
        if obj.reverses_id:
            return f"{obj.get_kind_display()} of #{obj.reverses_id}"
        return obj.get_kind_display()

    def get_urls(self):
        return [
            path("<path:object_id>/reverse/", self.admin_site.admin_view(self.reverse_view),
                 name="membership_sharepayment_reverse"),
            *super().get_urls(),
        ]

    def reverse_view(self, request, object_id):
        payment = get_object_or_404(SharePayment.objects.select_related("member"), pk=object_id)
        # Reversing is a change to the member's holding, so it needs that permission.
        if not request.user.has_perm("membership.change_member"):
            raise PermissionDenied
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.share_payment_reverse(payment=payment,
                                               reason=form.cleaned_data["reason"],
                                               actor=request.user)
            except ServiceError as exc:
                show_service_error(request, form, exc)
            else:
                self.message_user(request, f"Payment of {money(payment.amount_minor)} of "
                                           f"{payment.paid_on} reversed.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:membership_member_change",
                                                    args=[payment.member_id]))
        intro = (f"{payment.member}: payment of {money(payment.amount_minor)} on "
                 f"{payment.paid_on} ({payment.reference or 'no reference'}). Shares it paid "
                 f"for are cancelled; their certificate numbers are never reused.")
        return render_action_form(self, request, form, title="Reverse a payment",
                                  submit_label="Reverse payment", obj=payment, intro=intro)


@admin.register(ShareCertificate)
class ShareCertificateAdmin(ReadOnlyAdmin):
    list_display = ["certificate_number", "member", "issued_on", "status"]
    list_filter = ["status"]
    search_fields = ["certificate_number__exact", "member__member_number__exact", "member__name"]
    date_hierarchy = "issued_on"
    list_select_related = ["member"]
    raw_id_fields = ["member", "payment"]


@admin.register(RegisterEvent)
class RegisterEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_date", "kind", "member", "certificate_number", "note"]
    list_filter = ["kind"]
    search_fields = ["member__member_number__exact", "certificate__certificate_number__exact"]
    date_hierarchy = "event_date"
    list_select_related = ["member", "certificate"]
    raw_id_fields = ["member", "certificate", "payment"]

    @admin.display(description="Certificate", ordering="certificate__certificate_number")
    def certificate_number(self, obj):
        return obj.certificate.certificate_number


@admin.register(ShareSubscription)
class ShareSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["member", "shares", "price", "subscribed_on"]
    search_fields = ["member__member_number__exact", "member__name"]
    list_select_related = ["member"]
    raw_id_fields = ["member"]

    @admin.display(description="Share price", ordering="share_price_minor")
    def price(self, obj):
        return money(obj.share_price_minor)


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["member", "amount", "requested_on", "status"]
    list_filter = ["status"]
    search_fields = ["member__member_number__exact", "member__name"]
    date_hierarchy = "requested_on"
    list_select_related = ["member"]
    raw_id_fields = ["member"]

    @admin.display(description="Amount", ordering="amount_minor")
    def amount(self, obj):
        return money(obj.amount_minor)


# --- bylaws ---------------------------------------------------------------------------------

@admin.register(Bylaws)
class BylawsAdmin(ServiceSaveMixin, admin.ModelAdmin):
    """Staff enter each version of the bylaws; the site publishes them (membership.bylaws)."""

    list_display = ["version", "adopted_on", "published", "is_current"]
    ordering = ["-adopted_on", "-pk"]

    @admin.display(description="Current", boolean=True)
    def is_current(self, obj):
        # One query per row at most a few dozen rows: bylaws change once in a few years.
        return obj.published and obj.pk == getattr(bylaws.current(), "pk", None)

    # A published version is what applicants accepted: it is shown, never changed or deleted.
    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.published:
            return False
        return super().has_delete_permission(request, obj)

    def save_by_service(self, request, obj, form, change):
        bylaws.bylaws_save(bylaws=obj, actor=request.user)
