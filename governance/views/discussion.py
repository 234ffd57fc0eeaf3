"""The discussion under a proposal."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from coop.errors import NotAllowed, ServiceError

from .. import services
from ..forms import (
    CommentForm,
    add_service_error,
)
from ..models import Comment, Proposal
from ._common import Viewer, _readable_proposal, _render, _wants_partial
from .detail import _detail_context


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
