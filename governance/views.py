"""The governance pages. Reads go through the small query functions of the private section
below (fixed query counts, pinned in tests/governance/test_views.py); every write goes through
governance.services, whose refusals come back as messages or form errors.

Every htmx form and link here also works without JavaScript: the same URL answers a plain POST
with a redirect (and a message) and an htmx POST with the partial it swaps."""

import csv
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coop import notices
from coop.errors import Conflict, InvalidInput, NotAllowed, ServiceError
from coop.pagination import CountlessPage
from membership.models import Member
from membership.selectors import member_of

from . import enactments, rules, selectors, services, tally
from .forms import (
    BallotForm,
    CancelForm,
    CommentForm,
    ImplementationForm,
    MarkReadForm,
    NoticeEmailForm,
    ProposalEditForm,
    ProposalFilterForm,
    ProposalForm,
    StatementForm,
    add_service_error,
)
from .models import Ballot, Comment, Elector, Method, Proposal, SecretBallot

PAGE_SIZE = 20
CHOICE_LABELS = rules.CHOICE_LABELS  # kept importable from here; the words live in rules


# --- helpers ------------------------------------------------------------------------------


def _wants_partial(request) -> bool:
    # A history restore asks for the whole page even though it comes from htmx.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _render(request, template: str, context: dict, *, partial: str | None = None, status=200):
    """Render the page, or only its `partial` for an htmx request."""
    name = f"{template}#{partial}" if partial and _wants_partial(request) else template
    response = render(request, name, context, status=status)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@dataclass
class Viewer:
    """Who looks at a page: the signed-in user, their member row (if any) and what they may
    do, as governance.rules says (the templates read these properties)."""

    user: object
    member: Member | None

    @property
    def is_staff(self) -> bool:
        return rules.is_staff(self.user)

    @property
    def may_read(self) -> bool:
        return rules.may_read(self.user)

    @property
    def may_propose(self) -> bool:
        return rules.may_propose(self.user)

    def is_author(self, proposal: Proposal) -> bool:
        return rules.is_author(self.user, proposal)

    def may_edit(self, proposal: Proposal) -> bool:
        """Who services.proposal_update lets edit (its author or staff), whatever the status."""
        return rules.may_edit(self.user, proposal)


def _viewer(request) -> Viewer:
    return Viewer(user=request.user, member=member_of(request.user))


def _readable_proposal(view):
    """Pass the viewer and the proposal to a page about one proposal (members and staff only;
    someone else's draft answers 404)."""

    @wraps(view)
    def wrapper(request, pk: int, *args, **kwargs):
        viewer = _viewer(request)
        if not viewer.may_read:
            return _members_only(request)
        return view(request, viewer, _proposal_or_404(viewer, pk), *args, **kwargs)

    return wrapper


def _members_only(request):
    return render(request, "governance/members_only.html", status=403)


def _proposal_or_404(viewer: Viewer, pk: int) -> Proposal:
    proposal = Proposal.objects.select_related("category", "author").filter(pk=pk).first()
    # A draft is its author's (and staff's) alone; to others it does not exist.
    if proposal is None or not rules.can_see_proposal(viewer.user, proposal):
        raise Http404("No such proposal.")
    return proposal


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
        proposals = proposals.filter(my_elector=True).order_by("closes_at", "pk")
    elif show in ("discussion", "voting", "closed"):
        proposals = proposals.filter(status=show)
        if show == "voting":
            proposals = proposals.order_by("closes_at", "pk")
        elif show == "closed":
            proposals = proposals.order_by("-closed_at", "-pk")
    return proposals


def _comment_tree(proposal: Proposal) -> list:
    """All comments in one query, threaded in Python: each gets `.children`."""
    comments = list(Comment.objects.filter(proposal=proposal).select_related("author"))
    by_id = {comment.pk: comment for comment in comments}
    roots = []
    for comment in comments:
        comment.children = []
    for comment in comments:
        parent = by_id.get(comment.parent_id)
        (parent.children if parent else roots).append(comment)
    return roots


def _my_elector(proposal: Proposal, viewer: Viewer) -> Elector | None:
    if viewer.member is None or proposal.status in (
        Proposal.Status.DRAFT,
        Proposal.Status.DISCUSSION,
        Proposal.Status.WITHDRAWN,
    ):
        return None
    return Elector.objects.filter(proposal=proposal, member=viewer.member).first()


def _my_open_ballot(proposal: Proposal, viewer: Viewer, elector: Elector | None):
    """The viewer's own current ballot of an open (not secret) vote, to prefill the form. A
    secret choice is never shown next to its voter, not even to the voter."""
    if proposal.secret or elector is None or elector.voted_at is None:
        return None
    return Ballot.objects.filter(proposal=proposal, member=viewer.member).first()


def _turnout(proposal: Proposal) -> dict:
    progress = services.quorum_progress(proposal)
    electorate = progress["electorate"]
    needed = -(-proposal.quorum_percent * electorate // 100)  # ceil, in integers
    classes = []
    for slug, entry in sorted(progress["by_class"].items()):
        class_needed = (
            None
            if proposal.class_quorum_percent is None
            else -(-proposal.class_quorum_percent * entry["electorate"] // 100)
        )
        classes.append({"slug": slug, "needed": class_needed, **entry})
    return {
        **progress,
        "needed": needed,
        "percent": _percent(progress["ballots_cast"], electorate),
        "classes": classes,
    }


def _percent(part, whole) -> int:
    return int(Decimal(part) * 100 / Decimal(whole)) if whole else 0


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
                    closes_at=data["closes_at"],
                    author=author,
                    actor=request.user,
                    draft=request.POST.get("save") == "draft",
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
        closes = timezone.localtime() + timezone.timedelta(days=7)
        form = ProposalForm(initial={"closes_at": closes.replace(second=0, microsecond=0)})
    status = 400 if form.is_bound else 200
    return render(request, "governance/proposal_form.html", {"form": form}, status=status)


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
    return changes


def _edit_form(proposal: Proposal, *args, **kwargs) -> ProposalEditForm:
    form = ProposalEditForm(*args, **kwargs)
    # Set before the form is rendered or validated: a bound field copies the help text.
    form.fields["closes_at"].help_text = (
        f"The {proposal.category.name} category needs a voting period of at least "
        f"{proposal.category.min_voting_hours} hours."
    )
    return form


def _edit_page(request, proposal: Proposal, form, *, frozen: str = "", status: int = 200):
    return render(
        request,
        "governance/proposal_edit.html",
        {"form": form, "proposal": proposal, "frozen": frozen},
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
            "closes_at": timezone.localtime(proposal.closes_at),
        },
    )
    return _edit_page(request, proposal, form)


# --- detail, discussion and ballot --------------------------------------------------------


def _detail_context(request, viewer: Viewer, proposal: Proposal, **extra) -> dict:
    options = list(proposal.options.all())
    elector = _my_elector(proposal, viewer)
    may_vote = proposal.is_open and elector is not None and rules.may_vote(viewer.member)
    ballot_form = extra.pop("ballot_form", None)
    if may_vote and ballot_form is None:
        ballot_form = BallotForm(
            proposal=proposal,
            options=options,
            initial=_ballot_initial(_my_open_ballot(proposal, viewer, elector)),
        )
    context = {
        "proposal": proposal,
        "options": options,
        "viewer": viewer,
        "is_author": viewer.is_author(proposal),
        "may_edit": viewer.may_edit(proposal) and rules.is_editable(proposal),
        "elector": elector,
        "may_vote": may_vote,
        "ballot_form": ballot_form,
        "receipt": services.receipt_for(proposal.pk, viewer.member.pk)
        if elector is not None and elector.voted_at
        else None,
        "turnout": _turnout(proposal) if proposal.is_open else None,
        "comments": _comment_tree(proposal),
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "may_comment": rules.may_comment(viewer.member)
        and rules.is_open_for_discussion(proposal),
        "cancel_form": CancelForm(),
        "statement_form": StatementForm(initial={"statement": proposal.outcome_statement}),
        "implementation_form": ImplementationForm(initial={"on": timezone.localdate()}),
        "implementation_updates": list(proposal.implementation_updates.all())
        if proposal.outcome == Proposal.Outcome.PASSED
        else [],
        "choice_labels": CHOICE_LABELS,
        "enactment": enactments.enactment_of(proposal),
    }
    context.update(extra)
    return context


def _ballot_initial(ballot: Ballot | None) -> dict:
    if ballot is None:
        return {}
    initial = {"choice": ballot.choice, "reason": ballot.reason, "approvals": ballot.approvals}
    for n, option in enumerate(ballot.ranking, start=1):
        initial[f"rank_{n}"] = option
    return initial


@login_required
@require_GET
@_readable_proposal
def proposal_detail(request, viewer: Viewer, proposal: Proposal):
    return render(
        request, "governance/proposal_detail.html", _detail_context(request, viewer, proposal)
    )


@login_required
@require_GET
@_readable_proposal
def proposal_turnout(request, viewer: Viewer, proposal: Proposal):
    """The live turnout and quorum bar that htmx polls: counts only, never the choices."""
    context = {
        "proposal": proposal,
        "turnout": _turnout(proposal) if proposal.is_open else None,
    }
    if _wants_partial(request):
        response = render(request, "governance/proposal_detail.html#turnout", context)
        patch_vary_headers(response, ("HX-Request",))
        return response
    return redirect(reverse("governance:detail", args=[proposal.pk]) + "#turnout")


@login_required
@require_POST
@_readable_proposal
def ballot_cast(request, viewer: Viewer, proposal: Proposal):
    detail_url = reverse("governance:detail", args=[proposal.pk])
    if not proposal.is_open:
        return _vote_refused(request, viewer, proposal, "This vote is not open.")
    options = list(proposal.options.all())
    form = BallotForm(request.POST, proposal=proposal, options=options)
    if form.is_valid():
        try:
            if viewer.member is None:
                raise NotAllowed("Only members in the electorate of this vote can vote.")
            cast = services.ballot_cast(
                proposal=proposal, member=viewer.member, **form.cast_kwargs()
            )
        except InvalidInput as error:
            add_service_error(form, error, BallotForm.SERVICE_FIELDS)
        except ServiceError as error:
            return _vote_refused(request, viewer, proposal, error.message)
        else:
            notice = (
                f"Your vote was changed. Your receipt: {cast.receipt[:16]}…"
                if cast.replaced
                else f"Your vote was recorded. Your receipt: {cast.receipt[:16]}…"
            )
            if _wants_partial(request):
                proposal.refresh_from_db()
                context = _detail_context(request, viewer, proposal, vote_notice=notice)
                return _render(
                    request, "governance/proposal_detail.html", context, partial="vote"
                )
            messages.success(request, notice)
            return redirect(detail_url + "#vote")
    context = _detail_context(request, viewer, proposal, ballot_form=form)
    # htmx swaps only 2xx answers: the form with its errors must come back as one.
    status = 200 if _wants_partial(request) else 400
    return _render(
        request, "governance/proposal_detail.html", context, partial="vote", status=status
    )


def _vote_refused(request, viewer, proposal, message: str):
    if _wants_partial(request):
        proposal.refresh_from_db()
        context = _detail_context(request, viewer, proposal, vote_error=message)
        return _render(request, "governance/proposal_detail.html", context, partial="vote")
    messages.error(request, message)
    return redirect(reverse("governance:detail", args=[proposal.pk]) + "#vote")


@login_required
@require_POST
@_readable_proposal
def comment_post(request, viewer: Viewer, proposal: Proposal):
    form = CommentForm(request.POST)
    if form.is_valid():
        parent = None
        if form.cleaned_data["parent"]:
            parent = Comment.objects.filter(
                pk=form.cleaned_data["parent"], proposal=proposal
            ).first()
            if parent is None:
                form.add_error(None, "The comment you reply to is not on this proposal.")
        if form.is_valid():
            try:
                if viewer.member is None:
                    raise NotAllowed("Only members can take part in the discussion.")
                services.comment_post(
                    proposal=proposal,
                    member=viewer.member,
                    body=form.cleaned_data["body"],
                    parent=parent,
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                if _wants_partial(request):
                    context = _detail_context(
                        request, viewer, proposal, comment_notice="Your comment was posted."
                    )
                    return _render(
                        request, "governance/proposal_detail.html", context, partial="thread"
                    )
                messages.success(request, "Your comment was posted.")
                return redirect(reverse("governance:detail", args=[proposal.pk]) + "#discussion")
    context = _detail_context(request, viewer, proposal, comment_form=form)
    status = 200 if _wants_partial(request) else 400
    return _render(
        request, "governance/proposal_detail.html", context, partial="thread", status=status
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
        proposal = services.proposal_open(proposal=proposal, actor=actor)
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


# --- result and export --------------------------------------------------------------------


def _closed_proposal(request, pk: int):
    viewer = _viewer(request)
    if not viewer.may_read:
        return viewer, None
    proposal = _proposal_or_404(viewer, pk)
    # No result (and no ballot) leaves the application before the close.
    if not rules.shows_choices(proposal) or not proposal.result:
        raise Http404("The result is published when the vote closes.")
    return viewer, proposal


def _number(text) -> Decimal:
    try:
        return Decimal(str(text))
    except (InvalidOperation, TypeError):
        return Decimal(0)


def _bars(rows: list[tuple[str, Decimal]]) -> dict:
    """A horizontal bar chart drawn on the server as SVG geometry (no script, no inline style)."""
    # 390 units wide: drawn at about its own size on a phone, so the 14px text stays legible.
    label_width, bar_width, row_height = 120, 220, 30
    top = max((value for _, value in rows), default=Decimal(0))
    bars = []
    for i, (label, value) in enumerate(rows):
        width = int(value * bar_width / top) if top > 0 else 0
        short = label if len(label) <= 15 else label[:14] + "…"
        bars.append(
            {
                "label": label,
                "short": short,
                "value": value,
                "y": i * row_height,
                "text_y": i * row_height + 20,
                "width": width,
                "value_x": label_width + width + 6,
            }
        )
    return {
        "bars": bars,
        "x": label_width,
        "bar_height": row_height - 8,
        "width": label_width + bar_width + 50,
        "height": max(len(rows), 1) * row_height,
    }


@login_required
@require_GET
def proposal_result(request, pk: int):
    viewer, proposal = _closed_proposal(request, pk)
    if proposal is None:
        return _members_only(request)
    result = proposal.result
    options = {str(option.pk): option.label for option in proposal.options.all()}

    def name(key) -> str:
        return options.get(str(key)) or rules.choice_label(key)

    # PostgreSQL's jsonb does not keep the keys' order: order them by the ballot's own order.
    keys = list(options) if proposal.uses_options else list(tally.CHOICES[proposal.method])

    def ordered(mapping: dict) -> list:
        return [(key, mapping[key]) for key in keys if key in mapping]

    totals = [(name(key), _number(value)) for key, value in ordered(result["totals"])]
    rounds = []
    for stage in result.get("rounds", []):
        rounds.append(
            {
                **stage,
                "option_label": name(stage["option"]) if stage.get("option") else "",
                "cells": [stage["counts"].get(key, "") for key in options],
                "elected_labels": [name(o) for o in stage.get("elected", [])],
                "eliminated_labels": [name(o) for o in stage.get("eliminated", [])],
            }
        )
    if proposal.method == Method.RANKED and rounds:
        chart_rows = [(name(key), _number(value)) for key, value in ordered(rounds[-1]["counts"])]
        chart_title = "Votes in the last round of the count"
    else:
        chart_rows = totals
        chart_title = "Approvals" if proposal.method == Method.APPROVAL else "Votes"
    by_class = []
    for slug, entry in sorted(result["by_class"].items()):
        hidden = rules.hides_class(secret=proposal.secret, cast=entry.get("cast", 0))
        class_totals = None if hidden else entry.get("totals")
        by_class.append(
            {
                "slug": slug,
                **entry,
                "totals_list": None
                if class_totals is None
                else [(name(key), value) for key, value in ordered(class_totals)],
            }
        )
    elector = _my_elector(proposal, viewer)
    return render(
        request,
        "governance/proposal_result.html",
        {
            "proposal": proposal,
            "result": result,
            "totals": totals,
            "by_class": by_class,
            "winners": [name(option) for option in result.get("winners", [])],
            "rounds": rounds,
            "round_columns": list(options.values()),
            "chart": _bars(chart_rows),
            "chart_title": chart_title,
            "turnout_percent": _percent(result["ballots_cast"], result["electorate"]),
            "receipt": services.receipt_for(proposal.pk, viewer.member.pk)
            if elector is not None and elector.voted_at
            else None,
            "small_class": rules.SMALL_CLASS,
        },
    )


def _cell(text: str) -> str:
    # A cell a spreadsheet would read as a formula is quoted (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
@require_GET
def ballots_csv(request, pk: int):
    """The ballots for a recount, after the close only, anonymous for every vote: the receipt
    (which only its voter can recognise), the class and the choice, never a member."""
    viewer, proposal = _closed_proposal(request, pk)
    if proposal is None:
        return _members_only(request)
    labels = {option.pk: option.label for option in proposal.options.all()}
    box = SecretBallot.objects if proposal.secret else Ballot.objects
    rows = list(
        box.filter(proposal=proposal).values_list(
            "receipt", "class_slug", "choice", "approvals", "ranking"
        )
    )
    # Shuffled, so that the order of the rows says nothing about when or who.
    random.SystemRandom().shuffle(rows)
    # The class of a ballot is left out where the class's choices are hidden (a secret vote's
    # class with few voters): the class next to a choice would show what that class chose.
    per_class = Counter(row[1] for row in rows)
    hidden = {
        slug for slug, n in per_class.items() if rules.hides_class(secret=proposal.secret, cast=n)
    }
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="proposal-{proposal.pk}-ballots.csv"'
    writer = csv.writer(response)
    writer.writerow(["row", "receipt", "class", "choice", "approvals", "ranking"])
    for n, (receipt, slug, choice, approvals, ranking) in enumerate(rows, start=1):
        writer.writerow(
            [
                n,
                receipt,
                "" if slug in hidden else slug,
                choice,
                _cell("; ".join(labels.get(o, str(o)) for o in approvals)),
                _cell(" > ".join(labels.get(o, str(o)) for o in ranking)),
            ]
        )
    return response


# --- notifications ------------------------------------------------------------------------

def _members_inbox(view):
    """Pass the signed-in person's member row; notifications are a member's (staff without a
    member row have none)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        member = member_of(request.user)
        if member is None:
            return _members_only(request)
        return view(request, member, *args, **kwargs)

    return wrapper


@login_required
@require_GET
@_members_inbox
def notifications(request, member: Member):
    notes = selectors.notifications_for(member)
    page = CountlessPage.of(notes, request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "governance/notifications.html",
        {
            "page": page,
            # With its offset: a local time would be ambiguous in the hour the clocks go back.
            "mark_form": MarkReadForm(initial={"up_to": timezone.now().isoformat()}),
            "email_form": NoticeEmailForm(choices=notices.email_choices(member)),
        },
    )


@login_required
@require_POST
@_members_inbox
def notification_settings(request, member: Member):
    """Which kinds of notice come by email too (the inbox always has them)."""
    form = NoticeEmailForm(request.POST, choices=notices.email_choices(member))
    if form.is_valid():
        notices.notice_preferences_set(recipient=member, email=form.chosen())
        messages.success(request, "Your email settings are saved.")
    else:
        messages.error(request, "Nothing was saved: reload the page and try again.")
    return redirect("governance:notifications")


@login_required
@require_POST
@_members_inbox
def notifications_read(request, member: Member):
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was marked as read: reload the page and try again.")
        return redirect("governance:notifications")
    count = services.notifications_mark_read(member=member, up_to=form.cleaned_data["up_to"])
    messages.success(
        request,
        f"{count} notification{'' if count == 1 else 's'} marked as read."
        if count
        else "There was nothing unread.",
    )
    return redirect("governance:notifications")
