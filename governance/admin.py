"""Staff views of governance. Ballots are read-only; no admin page ever shows a secret choice
next to its voter: SecretBallot has no voter column, and Elector (who voted) shows no choice."""

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.template.response import TemplateResponse
from django.utils import timezone

from coop.admin_base import ReadOnlyAdmin, ReadOnlyInline, ServiceSaveMixin
from coop.errors import ServiceError

from . import enactments, rules, services
from .forms import OpenEarlyForm
from .models import (
    Ballot,
    BallotRevision,
    Category,
    Comment,
    Elector,
    ImplementationUpdate,
    Proposal,
    ProposalOption,
    SecretBallot,
)


@admin.register(Category)
class CategoryAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["slug", "name", "min_quorum_percent", "min_threshold", "min_discussion_hours",
                    "min_voting_hours"]

    def get_readonly_fields(self, request, obj=None):
        # Proposals and the API know a category by its slug.
        return ["slug"] if obj else []

    def save_by_service(self, request, obj, form, change):
        if not change:
            created = services.category_create(
                actor=request.user, **{name: form.cleaned_data[name] for name in form.fields})
            obj.pk = created.pk
            return
        services.category_update(category=obj, actor=request.user,
                                 **{name: form.cleaned_data[name] for name in form.changed_data})


class OptionInline(ReadOnlyInline):
    model = ProposalOption
    show_change_link = False


class ImplementationInline(admin.TabularInline):
    model = ImplementationUpdate
    extra = 0
    readonly_fields = ["status", "note", "on", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "category", "method", "tally_mode", "status", "outcome",
                    "closes_at", "electorate_size", "ballots_cast", "secret",
                    "implementation_status"]
    list_filter = ["status", "outcome", "method", "tally_mode", "category", "secret",
                   "implementation_status"]
    search_fields = ["title"]
    date_hierarchy = "closes_at"
    list_select_related = ["category"]
    inlines = [OptionInline, ImplementationInline]
    actions = ["open_voting", "open_voting_early", "close_now"]
    show_full_result_count = False
    # The rules are changed only through the services (frozen when voting opens); staff edit
    # the outcome statement here, everything else is read-only.
    readonly_fields = [
        "title", "body", "category", "author", "created_by_key", "status", "outcome", "method",
        "tally_mode", "threshold", "quorum_percent", "class_quorum_percent", "secret",
        "early_close_allowed", "seats", "min_quorum_percent", "min_threshold",
        "min_discussion_hours", "min_voting_hours", "created_at", "discussion_at", "opens_at",
        "open_early_reason", "closes_at",
        "closed_at", "electorate_size", "ballots_cast", "tie_seed_hash", "result",
        "reminders_needed", "reminders_sent_at", "reminders_sent", "cancel_reason",
        "implementation_status", "implementation_started_on", "implementation_done_on",
        # The enactment (RULES §6) is set through the services only: shown, never edited here.
        "enactment_kind", "enactment_summary", "enactment_payload", "enactment_status",
        "enactment_error", "enacted_at",
    ]
    # tie_seed: secret until the close (the result holds it afterwards); the enactment's
    # stored description is shown by enactment_summary.
    exclude = ["tie_seed", "enactment_description"]
    # The page as staff read it: first the one thing they may change here (with what it is
    # for), then the proposal, read-only, in the order its life runs.
    fieldsets = [
        ("What you may change", {
            "fields": ["outcome_statement"],
            "description": "The outcome statement is published with the result. Everything "
                           "below is read-only here: it changes only through the proposal's "
                           "own steps (the actions in the list, the members' pages, the API).",
        }),
        ("The proposal (read-only)", {"fields": [
            "title", "body", "category", "author", "created_by_key", "status", "outcome",
            "cancel_reason"]}),
        ("Voting rules (read-only; frozen when voting opens)", {"fields": [
            "method", "tally_mode", "threshold", "quorum_percent", "class_quorum_percent",
            "secret", "early_close_allowed", "seats"]}),
        ("The category's floors when it was made (read-only)", {"fields": [
            "min_quorum_percent", "min_threshold", "min_discussion_hours", "min_voting_hours"]}),
        ("Dates and turnout (read-only)", {"fields": [
            "created_at", "discussion_at", "opens_at", "open_early_reason", "closes_at",
            "closed_at",
            "electorate_size", "ballots_cast", "reminders_needed", "reminders_sent_at",
            "reminders_sent"]}),
        ("Result (read-only)", {"fields": ["result", "tie_seed_hash"]}),
        ("Implementation (read-only)", {"fields": [
            "implementation_status", "implementation_started_on", "implementation_done_on"]}),
        ("Enactment (read-only)", {"fields": [
            "enactment_kind", "enactment_summary", "enactment_payload", "enactment_status",
            "enactment_error", "enacted_at"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        # A field added to the model (or to readonly_fields) later still shows, at the end,
        # until it is given its place above.
        listed = {name for _, options in self.fieldsets for name in options["fields"]}
        shown = [*self.readonly_fields, *(f.name for f in Proposal._meta.fields
                                         if f.editable and not f.primary_key)]
        rest = [name for name in dict.fromkeys(shown)
                if name not in listed and name not in self.exclude]
        return [*self.fieldsets, *([("Other (read-only)", {"fields": rest})] if rest else [])]

    @admin.display(description="Enactment, in words")
    def enactment_summary(self, obj):
        shown = enactments.enactment_of(obj) if obj is not None else None
        return "\n".join(shown["description"]) if shown else "-"

    def has_add_permission(self, request):
        return False  # proposals are made by members in the browser or by the API

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if "outcome_statement" in form.changed_data:
            services.outcome_statement_set(proposal=obj, statement=obj.outcome_statement,
                                           actor=request.user)

    def _run(self, request, queryset, action, verb):
        done = 0
        for proposal in queryset.order_by("pk"):
            try:
                action(proposal)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"#{proposal.pk} {proposal.title}: {exc.message}",
                                  messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} proposal(s).", messages.SUCCESS)

    @admin.action(description="Open voting on the selected proposals")
    def open_voting(self, request, queryset):
        self._run(request, queryset,
                  lambda p: services.proposal_open(proposal=p, actor=request.user), "Opened")

    @admin.action(description="Open voting early, with a reason…")
    def open_voting_early(self, request, queryset):
        """Before the discussion period has run, staff open a vote only with a reason (RULES
        §2): asked on an intermediate page, then given to proposal_open for each proposal."""
        proposals = list(queryset.select_related("category").order_by("pk"))
        form = OpenEarlyForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._run(request, queryset, lambda p: services.proposal_open(
                proposal=p, actor=request.user, reason=reason), "Opened")
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Open voting early",
            "objects": proposals,
            "form": form,
            "action": "open_voting_early",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/governance/open_early_confirmation.html", context)

    @admin.action(description="Close the selected votes now (if due or early close allowed)")
    def close_now(self, request, queryset):
        self._run(request, queryset,
                  lambda p: services.proposal_close(proposal=p, actor=request.user,
                                                    now=timezone.now()), "Closed")


@admin.register(Elector)
class ElectorAdmin(ReadOnlyAdmin):
    """Who may vote and who took part – never what they chose."""

    list_display = ["proposal", "member", "class_slug", "vote_weight", "voted_at", "reminded_at"]
    list_filter = ["class_slug"]
    search_fields = ["member__member_number", "member__name"]
    list_select_related = ["proposal", "member"]
    show_full_result_count = False
    raw_id_fields = ["proposal", "member"]


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    """Open (non-secret) ballots only. Choices are shown once the vote is closed."""

    list_display = ["proposal", "member", "class_slug", "shown_choice", "revision", "cast_at"]
    list_select_related = ["proposal", "member"]
    search_fields = ["member__member_number"]
    show_full_result_count = False
    fields = ["proposal", "member", "class_slug", "shown_choice", "revision", "cast_at"]
    readonly_fields = fields

    @admin.display(description="choice")
    def shown_choice(self, ballot):
        if not rules.shows_choices(ballot.proposal):
            return "(hidden until the close)"
        return ballot.choice or ballot.approvals or ballot.ranking


@admin.register(BallotRevision)
class BallotRevisionAdmin(BallotAdmin):
    list_display = ["proposal", "member", "shown_choice", "revision", "cast_at"]
    fields = ["proposal", "member", "shown_choice", "revision", "cast_at"]
    readonly_fields = fields


@admin.register(SecretBallot)
class SecretBallotAdmin(ReadOnlyAdmin):
    """The secret ballot box: receipts and choices, no voter (and nothing before the close).

    No receipt shows while the vote is open: staff see who voted and when (Elector), and a
    receipt appearing in the box at that moment would link the two. No search, sort, filter or
    title may use the receipt either (the title is the ballot's random id)."""

    list_display = ["shown_receipt", "proposal", "shown_class", "shown_choice"]
    list_select_related = ["proposal"]
    show_full_result_count = False
    fields = ["shown_receipt", "proposal", "shown_class", "shown_choice"]
    readonly_fields = fields

    def get_queryset(self, request):
        # How many ballots the row's class has in the box, in the same query (rules.hidden_classes).
        same_class = (
            SecretBallot.objects.filter(
                proposal=OuterRef("proposal"), class_slug=OuterRef("class_slug")
            )
            .order_by()
            .values("proposal")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(class_cast=Subquery(same_class))

    @admin.display(description="receipt")
    def shown_receipt(self, ballot):
        if not rules.shows_choices(ballot.proposal):
            return "(hidden until the close)"
        return ballot.receipt

    @admin.display(description="class")
    def shown_class(self, ballot):
        if (ballot.class_cast or 0) < rules.SMALL_CLASS:
            return f"(hidden: fewer than {rules.SMALL_CLASS} voters)"
        # A larger class may be hidden too (privacy by subtraction): that needs every class's
        # count, one query, asked only for a row whose own class is large enough.
        cast_by_class = dict(
            SecretBallot.objects.filter(proposal_id=ballot.proposal_id)
            .order_by()
            .values_list("class_slug")
            .annotate(n=Count("pk"))
        )
        if ballot.class_slug in rules.hidden_classes(secret=True, cast_by_class=cast_by_class):
            return "(hidden: a smaller class could be worked out from the total)"
        return ballot.class_slug

    @admin.display(description="choice")
    def shown_choice(self, ballot):
        if not rules.shows_choices(ballot.proposal):
            return "(hidden until the close)"
        return ballot.choice or ballot.approvals or ballot.ranking


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["proposal", "author", "created_at"]
    list_select_related = ["proposal", "author"]
    raw_id_fields = ["proposal", "author", "parent"]
