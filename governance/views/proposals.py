"""The proposal pages: list, new, edit, detail, and the lifecycle actions."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coop.errors import Conflict, InvalidInput, ServiceError
from coop.mfa import set_up_redirect

from .. import rules, services
from ..forms import (
    CHOICE_METHODS,
    OPTION_METHODS,
    ImplementationForm,
    ProposalEditForm,
    ProposalFilterForm,
    ProposalForm,
    StatementForm,
    add_service_error,
    default_closes_at,
)
from ..models import Category, Elector, Method, Proposal
from ._common import (
    PAGE_SIZE,
    Viewer,
    _members_only,
    _percent,
    _readable_proposal,
    _render,
    _viewer,
)
from .detail import _detail_context

# --- page queries (private: each a fixed number of queries, whatever the data size) --------


def _proposal_list(*, viewer: Viewer, show: str):
    voted = (
        Elector.objects.filter(proposal=OuterRef("pk"), voted_at__isnull=False)
        .values("proposal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    proposals = Proposal.objects.select_related("category").annotate(
        voted=Coalesce(Subquery(voted, output_field=IntegerField()), Value(0))
    )
    if viewer.member is not None:
        mine = Elector.objects.filter(proposal=OuterRef("pk"), member=viewer.member)
        proposals = proposals.annotate(
            my_elector=Exists(mine), my_voted=Exists(mine.filter(voted_at__isnull=False))
        )
    proposals = rules.visible_proposals(viewer.user, proposals)
    if show == "my_vote":
        proposals = proposals.filter(status=Proposal.Status.VOTING)
        if viewer.member is None:
            return proposals.none()
        # Still waiting for my ballot: once I have voted it moves to "Voted" (issue #8, 20).
        proposals = proposals.filter(my_elector=True, my_voted=False).order_by("closes_at", "pk")
    elif show == "my_voted":
        # Votes I cast: the open ones first (I may still change my ballot), closing soonest
        # first; then the closed ones, latest first.
        if viewer.member is None:
            return proposals.none()
        proposals = proposals.filter(my_voted=True).order_by(
            F("closed_at").desc(nulls_first=True), "closes_at", "pk")
    elif show in ("discussion", "voting", "closed"):
        proposals = proposals.filter(status=show)
        if show == "voting":
            proposals = proposals.order_by("closes_at", "pk")
        elif show == "closed":
            proposals = proposals.order_by("-closed_at", "-pk")
    return proposals


# --- list and creation --------------------------------------------------------------------


@login_required
@require_GET
def proposal_list(request):
    viewer = _viewer(request)
    if not viewer.may_read:
        return _members_only(request)
    form = ProposalFilterForm(request.GET)
    show = form.cleaned_data["show"] if form.is_valid() else ""
    paginator = Paginator(_proposal_list(viewer=viewer, show=show), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for proposal in page.object_list:
        proposal.turnout_percent = _percent(proposal.voted, proposal.electorate_size)
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "governance/proposal_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "show": show, "viewer": viewer},
        partial="results",
    )


@login_required
@require_http_methods(["GET", "POST"])
def proposal_new(request):
    viewer = _viewer(request)
    if not viewer.may_propose:
        return render(
            request, "governance/members_only.html", {"need_active": True}, status=403
        )
    if request.method == "POST":
        form = ProposalForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            author = viewer.member  # a person proposes as its author (rules.may_propose)
            try:
                proposal = services.proposal_create(
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                    method=data["method"],
                    tally_mode=data["tally_mode"],
                    threshold=data["threshold"].strip() or None,
                    quorum_percent=data["quorum_percent"],
                    class_quorum_percent=data["class_quorum_percent"],
                    secret=data["secret"],
                    early_close_allowed=data["early_close_allowed"],
                    options=data["options"],
                    seats=data["seats"],
                    opens_at=data["opens_at"],
                    closes_at=data["closes_at"],
                    author=author,
                    actor=request.user,
                    draft=request.POST.get("save") == "draft",
                    enacts=data["enacts"],
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    "Your draft was saved: only you and staff can see it."
                    if proposal.status == Proposal.Status.DRAFT
                    else "Your proposal is open for discussion.",
                )
                return redirect("governance:detail", pk=proposal.pk)
    else:
        # ?category=bylaws (a link, or the page without JavaScript) picks the category and the
        # earliest deadline it allows; the page's script does the same when the choice changes.
        category = (Category.objects.filter(slug=request.GET.get("category") or "general")
                    .first() or Category.objects.filter(slug="general").first())
        method = request.GET.get("method")
        form = ProposalForm(initial={
            "category": category,
            "method": method if method in Method.values else Method.YES_NO,
            "closes_at": default_closes_at(category) if category else None,
        })
    status = 400 if form.is_bound else 200
    return render(request, "governance/proposal_form.html", _form_context(form), status=status)


def _form_context(form: ProposalForm) -> dict:
    return {
        "form": form,
        "errors": form.error_summary() if form.is_bound else [],
        "choice_methods": [str(m) for m in CHOICE_METHODS],
        "option_methods": [str(m) for m in OPTION_METHODS],
    }


# --- editing (author and staff, before voting opens) --------------------------------------


def _frozen_message(proposal: Proposal) -> str:
    if proposal.status == Proposal.Status.WITHDRAWN:
        return "This proposal was withdrawn: it can no longer be edited."
    return (
        "Voting has opened: the text and rules of this proposal are frozen and can no "
        "longer be edited."
    )


def _edit_changes(proposal: Proposal, data: dict) -> dict:
    """What the form changes, as arguments of services.proposal_update (nothing = {})."""

    def same_text(a: str, b: str) -> bool:
        # A browser sends a textarea's line breaks as CRLF whatever was stored.
        return a.replace("\r\n", "\n") == b.replace("\r\n", "\n")

    changes = {}
    if not same_text(data["title"], proposal.title):
        changes["title"] = data["title"]
    if not same_text(data["body"], proposal.body):
        changes["body"] = data["body"]
    # The field has minutes only: an untouched deadline comes back without its seconds. Passed
    # on only when changed, so that fixing a typo is not refused because the deadline it leaves
    # alone is now within the category's minimum period (opening the vote checks it anyway).
    if data["closes_at"] != proposal.closes_at.replace(second=0, microsecond=0):
        changes["closes_at"] = data["closes_at"]
    scheduled = proposal.opens_at.replace(second=0, microsecond=0) if proposal.opens_at else None
    if data["opens_at"] != scheduled:
        changes["opens_at"] = data["opens_at"]
    return changes


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _edit_form(proposal: Proposal, *args, **kwargs) -> ProposalEditForm:
    form = ProposalEditForm(*args, **kwargs)
    # Set before the form is rendered or validated: a bound field copies the help text. The
    # proposal's own floors (copied from its category when it was made).
    form.fields["closes_at"].help_text = (
        f"This proposal needs a voting period of at least {proposal.min_voting_hours} hours"
        + (f", after its discussion period ends ({_when(proposal.discussion_ends_at)})."
           if proposal.discussion_ends_at else
           f", after {proposal.min_discussion_hours} hours of discussion from its submission.")
        + f" In the cooperative's time zone, {form.time_zone}."
    )
    return form


def _edit_page(request, proposal: Proposal, form, *, frozen: str = "", status: int = 200):
    return render(
        request,
        "governance/proposal_edit.html",
        {"form": form, "proposal": proposal, "frozen": frozen,
         "errors": form.error_summary() if form.is_bound else []},
        status=status,
    )


def _edit_refused(request, proposal: Proposal):
    """A POST to a proposal whose voting has opened: say so, save nothing, and give the text
    that was sent back (read-only) so that its writer can keep a copy."""
    form = _edit_form(proposal, initial=request.POST.dict())
    for field in form.fields.values():
        field.widget.attrs["readonly"] = True
    return _edit_page(request, proposal, form, frozen=_frozen_message(proposal), status=409)


@login_required
@require_http_methods(["GET", "POST"])
@_readable_proposal
def proposal_edit(request, viewer: Viewer, proposal: Proposal):
    # As for the author's actions: to others there is no such page.
    if not viewer.may_edit(proposal):
        raise Http404("Only the proposal's author and staff can edit it.")
    detail_url = reverse("governance:detail", args=[proposal.pk])
    if not rules.is_editable(proposal):
        if request.method == "POST":
            return _edit_refused(request, proposal)
        messages.error(request, _frozen_message(proposal))
        return redirect(detail_url)
    if request.method == "POST":
        form = _edit_form(proposal, request.POST)
        if form.is_valid():
            changes = _edit_changes(proposal, form.cleaned_data)
            if not changes:
                messages.info(request, "Nothing was changed.")
                return redirect(detail_url)
            try:
                services.proposal_update(proposal=proposal, actor=request.user, **changes)
            except Conflict:
                # Voting opened between the page and the save.
                proposal.refresh_from_db()
                return _edit_refused(request, proposal)
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Your changes were saved.")
                return redirect(detail_url)
        return _edit_page(request, proposal, form, status=400)
    form = _edit_form(
        proposal,
        initial={
            "title": proposal.title,
            "body": proposal.body,
            "opens_at": timezone.localtime(proposal.opens_at) if proposal.opens_at else None,
            "closes_at": timezone.localtime(proposal.closes_at),
        },
    )
    return _edit_page(request, proposal, form)


@login_required
@require_GET
@_readable_proposal
def proposal_detail(request, viewer: Viewer, proposal: Proposal):
    return render(
        request, "governance/proposal_detail.html", _detail_context(request, viewer, proposal)
    )


# --- lifecycle actions (author and staff) -------------------------------------------------

# Each action's rule (the services check it again, whatever the face).
ACTION_RULES = {
    "submit": rules.may_submit,
    "withdraw": rules.may_withdraw,
    "open": rules.may_open,
    "close": rules.may_close,
    "cancel": rules.may_cancel,
    "statement": rules.may_follow_up,
    "implementation": rules.may_follow_up,
}


@login_required
@require_POST
@_readable_proposal
def proposal_action(request, viewer: Viewer, proposal: Proposal, action: str):
    rule = ACTION_RULES.get(action)
    if rule is None or not rule(viewer.user, proposal):
        # A staff account refused only for want of two-factor (ADMIN_REQUIRE_2FA) is sent to
        # set it up, as the admin does, rather than told the action does not exist.
        if rule is not None and (set_up := set_up_redirect(request)) is not None:
            return set_up
        raise Http404("No such action.")
    detail_url = reverse("governance:detail", args=[proposal.pk])
    try:
        notice = _run_action(request, proposal, action)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, notice)
    return redirect(detail_url)


def _run_action(request, proposal: Proposal, action: str) -> str:
    actor = request.user
    if action == "submit":
        services.proposal_submit(proposal=proposal, actor=actor)
        return "The proposal is open for discussion."
    if action == "withdraw":
        services.proposal_withdraw(proposal=proposal, actor=actor)
        return "The proposal was withdrawn."
    if action == "open":
        proposal = services.proposal_open(proposal=proposal, actor=actor,
                                          reason=request.POST.get("reason", ""))
        return f"Voting is open: {proposal.electorate_size} members may vote."
    if action == "close":
        proposal = services.proposal_close(proposal=proposal, actor=actor)
        return f"The vote was closed: {proposal.get_outcome_display()}."
    if action == "cancel":
        services.proposal_cancel(
            proposal=proposal, reason=request.POST.get("reason", ""), actor=actor
        )
        return "The vote was cancelled."
    if action == "statement":
        form = StatementForm(request.POST)
        if not form.is_valid():
            raise InvalidInput("Write the outcome statement first.")
        services.outcome_statement_set(
            proposal=proposal, statement=form.cleaned_data["statement"], actor=actor
        )
        return "The outcome statement was saved."
    form = ImplementationForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(
            "Choose a status and a date: "
            + " ".join(str(e) for errors in form.errors.values() for e in errors)
        )
    services.implementation_update(
        proposal=proposal,
        status=form.cleaned_data["status"],
        note=form.cleaned_data["note"],
        on=form.cleaned_data["on"],
        actor=actor,
    )
    return "The implementation status was updated."
