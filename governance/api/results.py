"""A closed vote's result and published receipts; the outcome statement and implementation."""


from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from coop.api_auth import actor_of
from coop.api_fields import StrictCharField
from coop.api_schema import IDEMPOTENCY_KEY, problems
from coop.errors import Conflict
from coop.idempotency import idempotent

from .. import rules, selectors, services
from ..models import (
    Proposal,
)
from ._common import ID, PAGE, CanManage, CanRead, _ProposalActionView, _target


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


class OutcomeStatementSerializer(serializers.Serializer):
    statement = StrictCharField(max_length=20_000)


# The statuses an update may move to (named here for the schema's enum; the rule is in rules).
IMPLEMENTATION_STEPS = rules.IMPLEMENTATION_STEPS


class ImplementationCreateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IMPLEMENTATION_STEPS)
    note = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True,
                               help_text="When it happened (default: today); not in the future.")

    def validate_on(self, value):
        if value is not None and not rules.implementation_date_ok(value, timezone.localdate()):
            raise serializers.ValidationError(rules.IMPLEMENTATION_DATE_ERROR)
        return value


class ImplementationCreatedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Proposal.Implementation.choices)
    on = serializers.DateField()


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
