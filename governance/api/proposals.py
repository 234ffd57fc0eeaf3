"""The proposal endpoints: list, create, detail, edit and the lifecycle actions."""

from fractions import Fraction

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from coop.api_auth import HasScope, IsSignedInPerson, acting_user, actor_of, api_key_of
from coop.api_fields import StrictBooleanField, StrictCharField, StrictIntegerField
from coop.api_schema import IDEMPOTENCY_KEY, problems
from coop.idempotency import idempotent

from .. import enactments, rules, selectors, services
from ..models import (
    Category,
    ImplementationUpdate,
    Method,
    Proposal,
    TallyMode,
)
from ..tally import decimal_string
from ._common import (
    ID,
    PAGE,
    WRITE,
    AwareDateTimeField,
    CanManage,
    CanRead,
    IsMemberPerson,
    StatusSerializer,
    _caller_member,
    _ProposalActionView,
    _target,
    _visible_proposal,
)
from .results import ResultSerializer


class OptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True)


class ProposalSerializer(serializers.ModelSerializer):
    """A proposal as lists show it. `ballots_cast` is the live turnout while voting."""

    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    # Declared rather than generated: a read-only model field loses `allow_blank`, and the
    # schema's enum must include the "" a proposal answers until it is closed.
    outcome = serializers.ChoiceField(
        choices=Proposal.Outcome.choices, allow_blank=True, read_only=True,
        help_text='"" until the vote is closed.')
    options = OptionSerializer(many=True, read_only=True)
    opens_at = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="Before voting: when the scheduled job opens the vote (null: when the author, "
                  "staff or a partner opens it). Once voting has opened: when it opened.")
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
        return proposal.electorate_size if proposal.voting_started else None

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
    implementation_status = serializers.ChoiceField(
        choices=Proposal.Implementation.choices, allow_blank=True, read_only=True,
        help_text='"" unless the proposal passed.')
    discussion_at = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="When the discussion began (null for a draft).")
    discussion_ends_at = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="discussion_at + min_discussion_hours: voting may open from then (earlier "
                  "only with a reason given by staff or a governance:write key).")
    min_quorum_percent = serializers.IntegerField(
        read_only=True, help_text="The category's quorum floor when the proposal was made.")
    min_threshold = serializers.CharField(
        read_only=True, help_text="The category's threshold floor when the proposal was made.")
    min_discussion_hours = serializers.IntegerField(
        read_only=True, help_text="The category's discussion floor when the proposal was made.")
    min_voting_hours = serializers.IntegerField(
        read_only=True, help_text="The category's voting floor when the proposal was made.")
    open_early_reason = serializers.CharField(
        read_only=True,
        help_text='Why voting opened before the discussion period had run; "" if it did not.')

    class Meta(ProposalSerializer.Meta):
        fields = [
            *ProposalSerializer.Meta.fields, "body", "author", "created_at", "discussion_at",
            "discussion_ends_at", "min_quorum_percent", "min_threshold", "min_discussion_hours",
            "min_voting_hours", "open_early_reason", "quorum_met",
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
        # Every update moves the status to in_progress, done or not_needed, so any other
        # proposal (nearly all of them: not passed, or passed and planned) has none: skip the
        # query. Otherwise
        # one query (or the prefetch, if a caller gave one).
        if proposal.implementation_status not in (Proposal.Implementation.IN_PROGRESS,
                                                  Proposal.Implementation.DONE,
                                                  Proposal.Implementation.NOT_NEEDED):
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
    title = StrictCharField(max_length=200)
    body = StrictCharField(max_length=100_000)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False,
        help_text='The category slug (default "general").')
    method = serializers.ChoiceField(choices=Method.choices)
    tally_mode = serializers.ChoiceField(choices=TallyMode.choices, default=TallyMode.MEMBER)
    threshold = StrictCharField(
        max_length=20, required=False, allow_null=True,
        help_text='"majority" or a fraction "p/q" from 1/2 to 1; default and minimum: the '
                  "category's.")
    quorum_percent = StrictIntegerField(
        min_value=0, max_value=100, required=False, allow_null=True,
        help_text="Default and minimum: the category's.")
    class_quorum_percent = StrictIntegerField(
        min_value=0, max_value=100, required=False, allow_null=True)
    secret = StrictBooleanField(default=False)
    early_close_allowed = StrictBooleanField(default=False)
    options = serializers.ListField(
        child=StrictCharField(max_length=200), required=False, max_length=200,
        help_text="The option labels of an approval or ranked vote.")
    seats = StrictIntegerField(min_value=1, required=False, allow_null=True)
    opens_at = AwareDateTimeField(
        required=False, allow_null=True,
        help_text="When the scheduled job opens the vote: not before the category's discussion "
                  "period has run (from now, or from the submission of a draft).")
    closes_at = AwareDateTimeField(
        help_text="At least the category's discussion and voting periods after the discussion "
                  "begins (and the voting period after opens_at).")
    draft = StrictBooleanField(default=False,
                               help_text="Create as a draft instead of for discussion.")
    enacts = serializers.DictField(required=False, help_text=ENACTS_HELP)


class ProposalCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Proposal.Status.choices)


class ProposalUpdateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200, required=False)
    body = StrictCharField(max_length=100_000, required=False)
    closes_at = AwareDateTimeField(required=False)
    opens_at = AwareDateTimeField(
        required=False, allow_null=True,
        help_text="Schedule the opening (null: unschedule it); not before the discussion "
                  "period has run.")
    enacts = serializers.DictField(
        required=False, help_text=ENACTS_HELP + " {} removes it; frozen once voting opens.")


class OpenSerializer(serializers.Serializer):
    reason = StrictCharField(
        max_length=5000, required=False, allow_blank=True,
        help_text="Why voting opens before the discussion period has run (staff or a "
                  "governance:write key only); shown on the proposal and audited. Not needed "
                  "once the period has run.")


class OpenedSerializer(StatusSerializer):
    electorate = serializers.IntegerField()
    tie_seed_hash = serializers.CharField(
        help_text="SHA-256 of the seed that draws lots on ties; the seed is shown at the close.")


class CancelReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=5000)


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
        wanted = request.query_params.get("status")  # present but empty is not in the enum
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


class ProposalSubmitView(_ProposalActionView):
    permission_classes = [IsSignedInPerson]

    @extend_schema(operation_id="proposals_submit", parameters=[ID], request=None,
                   description="The author moves a draft to discussion. 400 when closes_at (or "
                               "opens_at) no longer leaves room for the category's discussion "
                               "and voting periods from now: edit them first.",
                   responses={200: StatusSerializer, **problems(400, 401, 403, 404, 409)})
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
        operation_id="proposals_open", parameters=[ID], request=OpenSerializer,
        description="Open the vote: text and rules freeze, the active members become the "
                    "electorate (the record date). The author, staff or governance:write. 409 "
                    "before the discussion period has run (discussion_ends_at), unless staff "
                    "or a governance:write key give a reason. 400 when too little time is "
                    "left before closes_at for the category's voting period.",
        responses={200: OpenedSerializer, **problems(400, 401, 403, 404, 409)},
    )
    def post(self, request, id):
        proposal = _target(request, id)
        serializer = OpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not rules.may_open(actor_of(request), proposal):
            raise PermissionDenied("Only the author, staff or governance:write can open it.")
        proposal = services.proposal_open(proposal=proposal, actor=actor_of(request),
                                          reason=serializer.validated_data.get("reason", ""))
        return Response({"status": proposal.status, "electorate": proposal.electorate_size,
                         "tie_seed_hash": proposal.tie_seed_hash})


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
