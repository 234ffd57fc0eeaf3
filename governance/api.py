"""The governance REST API (API.md, "Governance").

Serializers check the shape of the input; `governance.services` decides and writes (the same
functions the browser and the deadline job call); `governance.selectors` reads. Service errors
become problem+json in the handler (InvalidInput 400, NotAllowed 403, Conflict 409).

Who may do what (decided by `governance.rules`, which the services check again):
- Read (categories, proposals, results, receipts): staff, a `governance:read` key, or a
  signed-in member (active or awaiting payment). A draft is seen only by its author (while a
  current member), staff and keys; to anybody else it is 404, like an unknown id.
- Propose: a signed-in active member (as the author) or a `governance:write` key.
- Submit, withdraw, edit: the author (while a current member) or staff.
- Open: the author, staff or a `governance:write` key. Close and cancel: staff or a
  `governance:write` key.
- Vote: a signed-in person whose member is in the electorate frozen when the vote opened.
  A key never votes (403), whatever its scopes.

Nobody sees a choice before the close: the proposal shows the live turnout (who took part, from
`Elector.voted_at`), and `result/` answers 409 until the vote is closed. A ballot answers only
with its receipt; the published receipts list pairs receipts with choices, never with voters.
"""

from fractions import Fraction

from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from coop.api_auth import HasScope, IsSignedInPerson, IsStaffUser, acting_user, actor_of, api_key_of
from coop.api_schema import IDEMPOTENCY_KEY, problems
from coop.errors import Conflict
from coop.idempotency import idempotent
from membership.models import Member

from . import enactments, rules, selectors, services
from .models import (
    CHOICES_BY_METHOD,
    Category,
    Comment,
    ImplementationUpdate,
    Method,
    Proposal,
    TallyMode,
)
from .tally import decimal_string

READ, WRITE = rules.READ, rules.WRITE
ALL_CHOICES = sorted({c for choices in CHOICES_BY_METHOD.values() for c in choices})
MAX_ID = 2**63 - 1  # a larger id in the path is no proposal, not a database overflow (500)
MAX_PICKS = 1000  # more than any ballot has options; bounds the work a bad request can cause

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                      description="The proposal's id.")
# Stated by hand: these views are plain GenericAPIViews, which drf-spectacular does not
# recognise as lists on its own.
PAGE = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number (from 1)."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Items per page (max 200)."),
]


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


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name", "min_quorum_percent", "min_threshold", "min_voting_hours"]
        read_only_fields = fields


class OptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True)


class ProposalSerializer(serializers.ModelSerializer):
    """A proposal as lists show it. `ballots_cast` is the live turnout while voting."""

    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    options = OptionSerializer(many=True, read_only=True)
    electorate = serializers.SerializerMethodField(
        help_text="Electors frozen when voting opened; null before.")
    ballots_cast = serializers.SerializerMethodField(
        help_text="Electors who have voted: live while voting, final once closed; null before.")
    has_voted = serializers.SerializerMethodField(
        help_text="Whether you (the signed-in member) have voted; null if you are not an "
                  "elector of this vote.")

    class Meta:
        model = Proposal
        fields = [
            "id", "title", "status", "outcome", "method", "tally_mode", "threshold",
            "quorum_percent", "class_quorum_percent", "secret", "seats", "options", "category",
            "early_close_allowed", "opens_at", "closes_at", "closed_at", "electorate",
            "ballots_cast", "tie_seed_hash", "has_voted",
        ]
        read_only_fields = fields

    def get_electorate(self, proposal) -> int | None:
        return proposal.electorate_size if proposal.opens_at else None

    def get_ballots_cast(self, proposal) -> int | None:
        return proposal.ballots_cast_now

    def get_has_voted(self, proposal) -> bool | None:
        if not getattr(proposal, "is_elector", False):
            return None
        return proposal.has_voted


class ImplementationUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImplementationUpdate
        fields = ["status", "note", "on"]
        read_only_fields = fields


class EnactmentSerializer(serializers.Serializer):
    """The one change a proposal carries (RULES §6), shown beside its text."""

    kind = serializers.CharField(help_text="A registered enactment kind.")
    label = serializers.CharField(help_text="The kind's name for people.")
    payload = serializers.JSONField(help_text="As validated; frozen once voting opened.")
    status = serializers.ChoiceField(
        choices=[c for c in Proposal.Enactment.values if c != Proposal.Enactment.NONE])
    error = serializers.CharField(help_text='Why it could not be applied (status "failed").')
    description = serializers.ListField(
        child=serializers.CharField(),
        help_text="The change in words, with the difference from what is in force (as it stood "
                  "at the close, once closed).")
    detail = serializers.CharField(
        help_text="One text for people: the error if it failed, else the description's lines.")
    enacted_at = serializers.DateTimeField(allow_null=True)


class ProposalDetailSerializer(ProposalSerializer):
    author = serializers.SlugRelatedField(
        slug_field="member_number", read_only=True, allow_null=True,
        help_text="The author's member number (null when a partner service proposed it).")
    quorum_met = serializers.SerializerMethodField(
        help_text="Whether the quorum (and class quorum) is met: live while voting, final once "
                  "closed; null before.")
    turnout = serializers.SerializerMethodField(
        help_text="ballots_cast / electorate as a decimal string; null before voting.")
    my_receipt = serializers.SerializerMethodField(
        help_text="Your ballot's receipt once you have voted (find it in the published "
                  "receipts after the close).")
    implementation_updates = serializers.SerializerMethodField(
        help_text="The follow-up of a passed proposal, oldest first.")
    enactment = serializers.SerializerMethodField(
        help_text="The change this proposal enacts if it passes; null when it carries none.")

    class Meta(ProposalSerializer.Meta):
        fields = [
            *ProposalSerializer.Meta.fields, "body", "author", "created_at", "quorum_met",
            "turnout", "my_receipt", "cancel_reason", "outcome_statement",
            "implementation_status", "implementation_started_on", "implementation_done_on",
            "implementation_updates", "enactment",
        ]
        read_only_fields = fields

    def _progress(self, proposal) -> dict | None:
        if proposal.status != Proposal.Status.VOTING:
            return None
        cache = self.context.setdefault("progress", {})
        if proposal.pk not in cache:
            cache[proposal.pk] = services.quorum_progress(proposal)
        return cache[proposal.pk]

    def get_quorum_met(self, proposal) -> bool | None:
        if proposal.status == Proposal.Status.CLOSED:
            return (proposal.result or {}).get("quorum_met")
        progress = self._progress(proposal)
        return None if progress is None else progress["quorum_met"]

    def get_turnout(self, proposal) -> str | None:
        cast = proposal.ballots_cast_now
        if cast is None or not proposal.electorate_size:
            return None
        return decimal_string(Fraction(cast, proposal.electorate_size))

    def get_my_receipt(self, proposal) -> str | None:
        member = self.context.get("member")
        if member is None or not getattr(proposal, "has_voted", False):
            return None
        return services.receipt_for(proposal.pk, member.pk)

    @extend_schema_field(ImplementationUpdateSerializer(many=True))
    def get_implementation_updates(self, proposal) -> list:
        # Every update moves the status to in_progress or done, so any other proposal (nearly
        # all of them: not passed, or passed and planned) has none: skip the query. Otherwise
        # one query (or the prefetch, if a caller gave one).
        if proposal.implementation_status not in (Proposal.Implementation.IN_PROGRESS,
                                                  Proposal.Implementation.DONE):
            return []
        return ImplementationUpdateSerializer(proposal.implementation_updates.all(),
                                              many=True).data


    @extend_schema_field(EnactmentSerializer(allow_null=True))
    def get_enactment(self, proposal) -> dict | None:
        shown = enactments.enactment_of(proposal)
        return None if shown is None else EnactmentSerializer(shown).data


ENACTS_HELP = ('The change the proposal enacts if it passes: {"kind": a registered kind, '
               "...that kind's fields}; the kind may require a category (RULES §6).")


class ProposalCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=100_000)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False,
        help_text='The category slug (default "general").')
    method = serializers.ChoiceField(choices=Method.choices)
    tally_mode = serializers.ChoiceField(choices=TallyMode.choices, default=TallyMode.MEMBER)
    threshold = serializers.CharField(
        max_length=20, required=False, allow_null=True,
        help_text='"majority" or a fraction "p/q" from 1/2 to 1; default and minimum: the '
                  "category's.")
    quorum_percent = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True,
        help_text="Default and minimum: the category's.")
    class_quorum_percent = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True)
    secret = serializers.BooleanField(default=False)
    early_close_allowed = serializers.BooleanField(default=False)
    options = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=200,
        help_text="The option labels of an approval or ranked vote.")
    seats = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    closes_at = AwareDateTimeField()
    draft = serializers.BooleanField(default=False,
                                     help_text="Create as a draft instead of for discussion.")
    enacts = serializers.DictField(required=False, help_text=ENACTS_HELP)


class ProposalCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Proposal.Status.choices)


class ProposalUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(max_length=100_000, required=False)
    closes_at = AwareDateTimeField(required=False)
    enacts = serializers.DictField(
        required=False, help_text=ENACTS_HELP + " {} removes it; frozen once voting opens.")


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Proposal.Status.choices)


class OpenedSerializer(StatusSerializer):
    electorate = serializers.IntegerField()
    tie_seed_hash = serializers.CharField(
        help_text="SHA-256 of the seed that draws lots on ties; the seed is shown at the close.")


class CancelReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class BallotSerializer(serializers.Serializer):
    """Exactly one of `choice`, `approvals`, `ranking`, as the proposal's method asks."""

    choice = serializers.ChoiceField(
        choices=ALL_CHOICES, required=False,
        help_text="yes_no: yes, no, abstain. consent: agree, abstain, disagree, block.")
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True,
                                   help_text="Required with block.")
    approvals = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=MAX_PICKS,
        help_text="approval: the option ids you approve (empty: abstain).")
    ranking = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=MAX_PICKS,
        help_text="ranked: option ids, most preferred first (empty: abstain).")

    FIELD_BY_METHOD = {
        Method.YES_NO: "choice", Method.CONSENT: "choice",
        Method.APPROVAL: "approvals", Method.RANKED: "ranking",
    }

    def validate(self, attrs):
        method = self.context["proposal"].method
        wanted = self.FIELD_BY_METHOD[method]
        errors = {}
        for name in ("choice", "approvals", "ranking"):
            if name != wanted and name in attrs:
                errors[name] = [f"A {method} ballot has no {name}; send {wanted}."]
        if wanted not in attrs:
            errors[wanted] = [f"A {method} ballot needs {wanted}."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ReceiptSerializer(serializers.Serializer):
    receipt = serializers.CharField(
        help_text="Keep it: after the close it lets you find your ballot in the published list.")


class PublishedBallotSerializer(serializers.Serializer):
    receipt = serializers.CharField()
    choice = serializers.CharField(allow_blank=True)
    approvals = serializers.ListField(child=serializers.IntegerField())
    ranking = serializers.ListField(child=serializers.IntegerField())
    reason = serializers.CharField(allow_blank=True)


class ClassResultSerializer(serializers.Serializer):
    electorate = serializers.IntegerField()
    cast = serializers.IntegerField()
    totals = serializers.DictField(
        child=serializers.IntegerField(), allow_null=True,
        help_text="Null for a class of a secret vote with fewer than 5 voters.")
    quorum_met = serializers.BooleanField(allow_null=True,
                                          help_text="Null when no class quorum applies.")
    share = serializers.CharField(allow_null=True, help_text="The class's yes (agree) share.")
    passed = serializers.BooleanField(allow_null=True, help_text="Concurrent mode only.")


class ResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Proposal.Outcome.choices)
    electorate = serializers.IntegerField()
    ballots_cast = serializers.IntegerField()
    turnout = serializers.CharField(help_text='A decimal string, e.g. "0.625000".')
    quorum_met = serializers.BooleanField()
    totals = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="choice → ballots; approval: option id → approvals; ranked: option id → "
                  "first preferences.")
    by_class = serializers.DictField(child=ClassResultSerializer())
    weighted_yes = serializers.CharField(allow_null=True,
                                         help_text="class_weighted mode only, else null.")
    winners = serializers.ListField(child=serializers.IntegerField(), required=False,
                                    help_text="approval and ranked: option ids elected, in order.")
    rounds = serializers.ListField(child=serializers.DictField(), required=False,
                                   help_text="approval and ranked: the counting stages.")
    tie_seed = serializers.CharField(allow_null=True)
    tie_seed_hash = serializers.CharField(allow_null=True)
    tie_break_used = serializers.BooleanField()


# --- views --------------------------------------------------------------------------------


class CategoryListView(GenericAPIView):
    permission_classes = [CanRead]
    pagination_class = None

    @extend_schema(operation_id="governance_categories_list",
                   responses={200: CategorySerializer(many=True), **problems(401, 403)})
    def get(self, request):
        return Response(CategorySerializer(selectors.categories(), many=True).data)


class ProposalListView(GenericAPIView):
    serializer_class = ProposalSerializer
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.request.method == "POST":
            return [(HasScope(WRITE) | IsMemberPerson)()]
        return [CanRead()]

    @extend_schema(
        operation_id="proposals_list",
        parameters=[OpenApiParameter("status", OpenApiTypes.STR,
                                     enum=Proposal.Status.values), *PAGE],
        responses={200: ProposalSerializer(many=True), **problems(400, 401, 403)},
    )
    def get(self, request):
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in Proposal.Status.values:
            raise serializers.ValidationError(
                {"status": [f"Must be one of: {', '.join(Proposal.Status.values)}."]})
        proposals = selectors.proposals_for_list(
            member=_caller_member(request), status=wanted, viewer=actor_of(request))
        page = self.paginate_queryset(proposals)
        return self.get_paginated_response(ProposalSerializer(page, many=True).data)

    @extend_schema(
        operation_id="proposals_create", request=ProposalCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        description="Make a proposal: as its author (a signed-in active member) or as a "
                    "partner service with governance:write. Quorum and threshold default to "
                    "the category's and may not be lower.",
        responses={201: ProposalCreatedSerializer, **problems(400, 401, 403, 409)},
    )
    def post(self, request):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        serializer = ProposalCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        member = _caller_member(request)
        if not rules.may_propose(actor_of(request)):
            raise PermissionDenied("Only active members can make proposals.")
        proposal = services.proposal_create(
            author=None if api_key_of(request) else member,
            actor=actor_of(request),
            **data,
        )
        return Response({"id": proposal.pk, "status": proposal.status},
                        status=status.HTTP_201_CREATED)


class ProposalDetailView(GenericAPIView):
    serializer_class = ProposalDetailSerializer
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [IsSignedInPerson()]
        return [CanRead()]

    def _detail(self, request, proposal):
        context = {"member": _caller_member(request)}
        return ProposalDetailSerializer(proposal, context=context).data

    @extend_schema(operation_id="proposals_retrieve", parameters=[ID],
                   responses={200: ProposalDetailSerializer, **problems(401, 403, 404)})
    def get(self, request, id):
        return Response(self._detail(request, _visible_proposal(request, id)))

    @extend_schema(
        operation_id="proposals_partial_update", parameters=[ID],
        request=ProposalUpdateSerializer,
        description="The author (or staff) edits the text or the deadline of a draft or a "
                    "proposal in discussion; 409 once voting has opened.",
        responses={200: ProposalDetailSerializer, **problems(400, 401, 403, 404, 409)},
    )
    def patch(self, request, id):
        proposal = _target(request, id)
        serializer = ProposalUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.proposal_update(proposal=proposal, actor=acting_user(request),
                                 **serializer.validated_data)
        return Response(self._detail(request, _visible_proposal(request, id)))


class _ProposalActionView(GenericAPIView):
    parser_classes = [JSONParser]
    serializer_class = StatusSerializer


class ProposalSubmitView(_ProposalActionView):
    permission_classes = [IsSignedInPerson]

    @extend_schema(operation_id="proposals_submit", parameters=[ID], request=None,
                   description="The author moves a draft to discussion.",
                   responses={200: StatusSerializer, **problems(401, 403, 404, 409)})
    def post(self, request, id):
        proposal = _target(request, id)
        proposal = services.proposal_submit(proposal=proposal, actor=acting_user(request))
        return Response({"status": proposal.status})


class ProposalWithdrawView(_ProposalActionView):
    permission_classes = [IsSignedInPerson]

    @extend_schema(operation_id="proposals_withdraw", parameters=[ID], request=None,
                   description="The author (or staff) withdraws a proposal before voting.",
                   responses={200: StatusSerializer, **problems(401, 403, 404, 409)})
    def post(self, request, id):
        proposal = _target(request, id)
        proposal = services.proposal_withdraw(proposal=proposal, actor=acting_user(request))
        return Response({"status": proposal.status})


class ProposalOpenView(_ProposalActionView):
    permission_classes = [HasScope(WRITE) | IsSignedInPerson]
    serializer_class = OpenedSerializer

    @extend_schema(
        operation_id="proposals_open", parameters=[ID], request=None,
        description="Open the vote: text and rules freeze, the active members become the "
                    "electorate (the record date). The author, staff or governance:write.",
        responses={200: OpenedSerializer, **problems(401, 403, 404, 409)},
    )
    def post(self, request, id):
        proposal = _target(request, id)
        if not rules.may_open(actor_of(request), proposal):
            raise PermissionDenied("Only the author, staff or governance:write can open it.")
        proposal = services.proposal_open(proposal=proposal, actor=actor_of(request))
        return Response({"status": proposal.status, "electorate": proposal.electorate_size,
                         "tie_seed_hash": proposal.tie_seed_hash})


class BallotView(_ProposalActionView):
    permission_classes = [IsSignedInPerson]
    serializer_class = BallotSerializer

    @extend_schema(
        operation_id="proposals_ballots_create", parameters=[ID, IDEMPOTENCY_KEY],
        request=BallotSerializer,
        description="Cast (or replace) your ballot. Only an elector votes: a member who was "
                    "active when the vote opened. 201 the first time, 200 when it replaces "
                    "your earlier ballot (the last one counts). A partner key never votes.",
        responses={
            201: OpenApiResponse(ReceiptSerializer, "Your first ballot on this proposal."),
            200: OpenApiResponse(ReceiptSerializer, "Your ballot replaced the earlier one."),
            **problems(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, id):
        member = _caller_member(request)
        if member is None:
            raise PermissionDenied("Only members vote.")
        proposal = _target(request, id)
        return idempotent(request, lambda: self._cast(request, proposal, member))

    def _cast(self, request, proposal, member):
        if proposal.status != Proposal.Status.VOTING:
            # Checked again under the lock by the service; this only answers before validation
            # so that a late ballot is told "closed" rather than "wrong shape".
            raise Conflict("This vote is not open.")
        serializer = BallotSerializer(data=request.data, context={"proposal": proposal})
        serializer.is_valid(raise_exception=True)
        cast = services.ballot_cast(proposal=proposal, member=member,
                                    **serializer.validated_data)
        return Response({"receipt": cast.receipt},
                        status=status.HTTP_200_OK if cast.replaced else status.HTTP_201_CREATED)


class ProposalCloseView(_ProposalActionView):
    permission_classes = [CanManage]
    serializer_class = ResultSerializer

    @extend_schema(
        operation_id="proposals_close", parameters=[ID], request=None,
        description="Close and tally now (the same service as the deadline job). Before "
                    "closes_at only if the proposal allows an early close (else 409).",
        responses={200: ResultSerializer, **problems(401, 403, 404, 409)},
    )
    def post(self, request, id):
        proposal = _target(request, id, with_result=True)
        proposal = services.proposal_close(proposal=proposal, actor=actor_of(request))
        return Response(selectors.result_for_api(proposal))


class ProposalCancelView(_ProposalActionView):
    permission_classes = [CanManage]

    @extend_schema(operation_id="proposals_cancel", parameters=[ID], request=CancelReasonSerializer,
                   description="Cancel a vote in progress, with the reason; it has no result.",
                   responses={200: StatusSerializer, **problems(400, 401, 403, 404, 409)})
    def post(self, request, id):
        proposal = _target(request, id)
        serializer = CancelReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = services.proposal_cancel(proposal=proposal, actor=actor_of(request),
                                            reason=serializer.validated_data["reason"])
        return Response({"status": proposal.status})


class ProposalResultView(GenericAPIView):
    permission_classes = [CanRead]
    serializer_class = ResultSerializer

    @extend_schema(operation_id="proposals_result", parameters=[ID],
                   description="The result of a closed vote; 409 before the close.",
                   responses={200: ResultSerializer, **problems(401, 403, 404, 409)})
    def get(self, request, id):
        proposal = _target(request, id, with_result=True)
        if not rules.shows_choices(proposal):
            raise Conflict(f"There is no result: the proposal is {proposal.status}.")
        return Response(selectors.result_for_api(proposal))


class PublishedReceiptsView(GenericAPIView):
    permission_classes = [CanRead]
    serializer_class = PublishedBallotSerializer

    @extend_schema(
        operation_id="proposals_receipts_list", parameters=[ID, *PAGE],
        description="After the close: every counted ballot with its receipt, so each voter can "
                    "check their own. Never a voter or a class. 409 before the close.",
        responses={200: PublishedBallotSerializer(many=True), **problems(401, 403, 404, 409)},
    )
    def get(self, request, id):
        proposal = _target(request, id, with_result=True)
        if not rules.shows_choices(proposal):
            raise Conflict("Receipts are published when the vote closes.")
        page = self.paginate_queryset(selectors.published_receipts(proposal))
        return self.get_paginated_response(PublishedBallotSerializer(page, many=True).data)


# --- discussion and follow-up -------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="member_number", read_only=True,
                                          help_text="The author's member number.")
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True,
                                      help_text="The comment this one answers, if any.")

    class Meta:
        model = Comment
        fields = ["id", "author", "parent", "body", "created_at"]
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000)
    parent = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True,
        help_text="The id of the comment this one answers (on the same proposal).")

    def validate_parent(self, value):
        if value is None:
            return None
        # Looked up within the proposal: a comment elsewhere is refused like an unknown one,
        # so a reply never links two discussions.
        parent = Comment.objects.filter(pk=value, proposal=self.context["proposal"]).first()
        if parent is None:
            raise serializers.ValidationError("No such comment on this proposal.")
        return parent


class OutcomeStatementSerializer(serializers.Serializer):
    statement = serializers.CharField(max_length=20_000)


# The statuses an update may move to (named here for the schema's enum; the rule is in rules).
IMPLEMENTATION_STEPS = rules.IMPLEMENTATION_STEPS


class ImplementationCreateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IMPLEMENTATION_STEPS)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True,
                               help_text="When it happened (default: today); not in the future.")

    def validate_on(self, value):
        if value is not None and not rules.implementation_date_ok(value, timezone.localdate()):
            raise serializers.ValidationError(rules.IMPLEMENTATION_DATE_ERROR)
        return value


class ImplementationCreatedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Proposal.Implementation.choices)
    on = serializers.DateField()


class CommentListView(GenericAPIView):
    serializer_class = CommentSerializer
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsSignedInPerson()]
        return [CanRead()]

    @extend_schema(operation_id="proposals_comments_list", parameters=[ID, *PAGE],
                   description="The discussion, oldest first.",
                   responses={200: CommentSerializer(many=True), **problems(401, 403, 404)})
    def get(self, request, id):
        proposal = _target(request, id)
        comments = (Comment.objects.filter(proposal=proposal).select_related("author")
                    .order_by("created_at", "pk"))
        page = self.paginate_queryset(comments)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        operation_id="proposals_comments_create", parameters=[ID, IDEMPOTENCY_KEY],
        request=CommentCreateSerializer,
        description="A member (active or awaiting payment) comments, or answers a comment of "
                    "the same proposal. A partner key never comments. 409 on a draft or a "
                    "withdrawn proposal.",
        responses={201: CommentSerializer, **problems(400, 401, 403, 404, 409)},
    )
    def post(self, request, id):
        member = _caller_member(request)
        if member is None:
            raise PermissionDenied("Only members take part in the discussion.")
        proposal = _target(request, id)
        return idempotent(request, lambda: self._post(request, proposal, member))

    def _post(self, request, proposal, member):
        serializer = CommentCreateSerializer(data=request.data, context={"proposal": proposal})
        serializer.is_valid(raise_exception=True)
        comment = services.comment_post(proposal=proposal, member=member,
                                        **serializer.validated_data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class OutcomeStatementView(_ProposalActionView):
    permission_classes = [CanManage]
    serializer_class = OutcomeStatementSerializer

    @extend_schema(
        operation_id="proposals_outcome_statement", parameters=[ID],
        request=OutcomeStatementSerializer,
        description="Set (or replace) the statement that says what a closed vote means for the "
                    "cooperative. Staff or governance:write; 409 before the close.",
        responses={200: OutcomeStatementSerializer, **problems(400, 401, 403, 404, 409)},
    )
    def post(self, request, id):
        proposal = _target(request, id)
        serializer = OutcomeStatementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = services.outcome_statement_set(
            proposal=proposal, statement=serializer.validated_data["statement"],
            actor=actor_of(request))
        return Response({"statement": proposal.outcome_statement})


class ImplementationView(_ProposalActionView):
    permission_classes = [CanManage]
    serializer_class = ImplementationCreatedSerializer

    @extend_schema(
        operation_id="proposals_implementation_create", parameters=[ID, IDEMPOTENCY_KEY],
        request=ImplementationCreateSerializer,
        description="Record the follow-up of a passed proposal: planned → in_progress → done "
                    "(in_progress may be repeated with a new note; done is final). Staff or "
                    "governance:write; 409 for a proposal that did not pass or a step not "
                    "allowed.",
        responses={201: ImplementationCreatedSerializer, **problems(400, 401, 403, 404, 409)},
    )
    def post(self, request, id):
        proposal = _target(request, id)
        return idempotent(request, lambda: self._post(request, proposal))

    def _post(self, request, proposal):
        serializer = ImplementationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        update = services.implementation_update(proposal=proposal, actor=actor_of(request),
                                                **serializer.validated_data)
        return Response({"status": update.status, "on": update.on.isoformat()},
                        status=status.HTTP_201_CREATED)
