"""What the governance endpoints share: permissions, proposal lookups, common fields and views."""


from django.http import Http404
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
)
from rest_framework import permissions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser

from coop.api_auth import HasScope, IsStaffUser, acting_user, actor_of
from coop.api_pagination import PAGE_PARAMETERS
from membership.models import Member

from .. import rules, selectors
from ..models import (
    CHOICES_BY_METHOD,
    Proposal,
)

READ, WRITE = rules.READ, rules.WRITE
ALL_CHOICES = sorted({c for choices in CHOICES_BY_METHOD.values() for c in choices})
MAX_ID = 2**63 - 1  # a larger id in the path is no proposal, not a database overflow (500)
MAX_PICKS = 1000  # more than any ballot has options; bounds the work a bad request can cause

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                      description="The proposal's id.")
# Stated by hand: these views are plain GenericAPIViews, which drf-spectacular does not
# recognise as lists on its own.
PAGE = PAGE_PARAMETERS  # the page parameters every paginated list documents


def _member_of(user) -> Member | None:
    if user is None:
        return None
    try:
        return user.member
    except Member.DoesNotExist:
        return None


def _caller_member(request) -> Member | None:
    """The signed-in person's member (cached on the request), None for keys and non-members."""
    if not hasattr(request, "_governance_member"):
        request._governance_member = _member_of(acting_user(request))
    return request._governance_member


class IsReadingMember(permissions.BasePermission):
    message = "Only members (or staff, or a key with governance:read) can see proposals."

    def has_permission(self, request, view):
        return rules.member_may_read(_caller_member(request))


class IsMemberPerson(permissions.BasePermission):
    message = "Only members can do this (a partner key needs governance:write)."

    def has_permission(self, request, view):
        return _caller_member(request) is not None


CanRead = HasScope(READ) | IsStaffUser | IsReadingMember
CanManage = HasScope(WRITE) | IsStaffUser


def _sees_all_drafts(request) -> bool:
    return rules.sees_all_drafts(actor_of(request))


def _target(request, proposal_id: int, *, with_result: bool = False) -> Proposal:
    """The proposal an action or a result is about, without the list's annotations (the ballot
    path must not count the turnout of a 100,000-member electorate on every vote). Drafts of
    others are 404, as in the list."""
    if proposal_id > MAX_ID:
        raise Http404
    fields = ["body"] if with_result else ["body", "result"]
    try:
        proposal = Proposal.objects.defer(*fields).get(pk=proposal_id)
    except Proposal.DoesNotExist:
        raise Http404 from None
    _caller_member(request)  # loaded once per request; the rules read it from the user
    if not rules.can_see_proposal(actor_of(request), proposal):
        raise Http404
    return proposal


def _visible_proposal(request, proposal_id: int) -> Proposal:
    if proposal_id > MAX_ID:
        raise Http404
    proposal = selectors.proposal_detail(
        proposal_id=proposal_id,
        member=_caller_member(request),
        viewer=actor_of(request),
    )
    if proposal is None:
        raise Http404
    return proposal


# --- serializers --------------------------------------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """API.md: times are ISO 8601 *with* offset; a naive time would be guessed, so refuse it."""

    default_error_messages = {"naive": "Give the time with its offset (e.g. +02:00 or Z)."}

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # well formed but impossible (month 13): DRF's message says so
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Proposal.Status.choices)


class _ProposalActionView(GenericAPIView):
    parser_classes = [JSONParser]
    serializer_class = StatusSerializer
