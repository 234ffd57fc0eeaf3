"""Casting a ballot through the API."""


from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from coop.api_auth import IsSignedInPerson
from coop.api_fields import StrictCharField, StrictIntegerField
from coop.api_schema import IDEMPOTENCY_KEY, problems
from coop.errors import Conflict
from coop.idempotency import idempotent

from .. import services
from ..models import (
    Method,
    Proposal,
)
from ._common import ALL_CHOICES, ID, MAX_PICKS, _caller_member, _ProposalActionView, _target


class BallotSerializer(serializers.Serializer):
    """Exactly one of `choice`, `approvals`, `ranking`, as the proposal's method asks."""

    choice = serializers.ChoiceField(
        choices=ALL_CHOICES, required=False,
        help_text="yes_no: yes, no, abstain. consent: agree, abstain, disagree, block.")
    reason = StrictCharField(max_length=5000, required=False, allow_blank=True,
                             help_text="Required with block.")
    approvals = serializers.ListField(
        child=StrictIntegerField(), required=False, max_length=MAX_PICKS,
        help_text="approval: the option ids you approve (empty: abstain).")
    ranking = serializers.ListField(
        child=StrictIntegerField(), required=False, max_length=MAX_PICKS,
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
