"""Casting a ballot from the proposal page, and the live turnout."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from coop.errors import InvalidInput, NotAllowed, ServiceError

from .. import services
from ..forms import (
    BallotForm,
    add_service_error,
)
from ..models import Proposal
from ._common import Viewer, _readable_proposal, _render, _wants_partial
from .detail import _detail_context, _turnout


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
