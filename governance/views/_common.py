"""Helpers shared by the governance pages: rendering, the viewer, access checks."""

from dataclasses import dataclass
from decimal import Decimal
from functools import wraps

from django.http import Http404
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from coop.mfa import set_up_redirect
from membership.models import Member
from membership.selectors import member_of

from .. import rules
from ..models import Proposal

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
    # A staff account that reads as staff only with two-factor (ADMIN_REQUIRE_2FA): set it up.
    set_up = set_up_redirect(request)
    if set_up is not None:
        return set_up
    return render(request, "governance/members_only.html", status=403)


def _proposal_or_404(viewer: Viewer, pk: int) -> Proposal:
    proposal = Proposal.objects.select_related("category", "author").filter(pk=pk).first()
    # A draft is its author's (and staff's) alone; to others it does not exist.
    if proposal is None or not rules.can_see_proposal(viewer.user, proposal):
        raise Http404("No such proposal.")
    return proposal


def _percent(part, whole) -> int:
    return int(Decimal(part) * 100 / Decimal(whole)) if whole else 0
