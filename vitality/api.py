"""Vitality's API (API.md, "Vitality"): the pulse survey's answer, and the monthly snapshots
(list, one month, a recompute). Answers are never returned, except to the member who sent it."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from coop.api_auth import IsSignedInPerson, acting_user, actor_of
from coop.api_fields import StrictCharField, StrictIntegerField
from coop.api_pagination import PAGE_PARAMETERS, Pagination
from coop.api_schema import problems
from coop.errors import InvalidInput
from membership.selectors import member_of

from . import months, rules, selectors, services
from .services import MAX_COMMENT


def _caller_member(request):
    return member_of(acting_user(request))


class PulseSerializer(serializers.Serializer):
    score = StrictIntegerField(min_value=1, max_value=5)
    comment = StrictCharField(required=False, allow_blank=True, max_length=MAX_COMMENT,
                                    default="")


class PulseAnswerSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    score = serializers.IntegerField()
    comment = serializers.CharField(allow_blank=True)


class PulseView(GenericAPIView):
    permission_classes = [IsSignedInPerson]
    serializer_class = PulseSerializer

    @extend_schema(
        operation_id="surveys_pulse_create",
        description="Your answer to this month's pulse survey (1–5, optional comment). 201 the "
                    "first time in a month, 200 when it replaces your earlier answer. Only "
                    "active members answer; a partner key never does (403). Answers are "
                    "published only in aggregate, after the month ends.",
        responses={201: OpenApiResponse(PulseAnswerSerializer, "Your answer."),
                   200: OpenApiResponse(PulseAnswerSerializer, "Your answer, replaced."),
                   **problems(400, 401, 403, 409)},
    )
    def post(self, request):
        member = _caller_member(request)
        if not rules.may_answer(member):
            raise PermissionDenied("Only active members answer the pulse survey.")
        serializer = PulseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer, created = services.pulse_answer(actor=request.user, member=member,
                                                **serializer.validated_data)
        return Response({"month": months.label(answer.month), "score": answer.score,
                         "comment": answer.comment},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RecomputeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    by = serializers.CharField()
    changed = serializers.DictField(child=serializers.DictField())


class AlertSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()


class SnapshotSerializer(serializers.Serializer):
    month = serializers.SerializerMethodField()
    provisional = serializers.BooleanField()
    computed_at = serializers.DateTimeField()
    recomputed = RecomputeSerializer(many=True, source="recomputes")
    metrics = serializers.DictField(
        help_text="Figure → value: an integer (counts, minor units), a decimal string "
                  "(ratios, means, days) or null.")
    by_class = serializers.DictField(help_text="Class slug → its figures.")
    alerts = AlertSerializer(many=True)

    def get_month(self, snapshot) -> str:
        return months.label(snapshot.month)


class CanRead(permissions.BasePermission):
    message = "Only members (or staff, or a key with vitality:read) can read the snapshots."

    def has_permission(self, request, view):
        if request.method == "POST":
            return rules.may_recompute(actor_of(request))
        return rules.may_read(actor_of(request), _caller_member(request))


class MonthSerializer(serializers.Serializer):
    month = StrictCharField(help_text="YYYY-MM, up to the current month.")

    def validate_month(self, value):
        try:
            return months.parse(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from error


class SnapshotListView(GenericAPIView):
    permission_classes = [CanRead]
    serializer_class = SnapshotSerializer
    pagination_class = Pagination

    @extend_schema(operation_id="vitality_snapshots_list", parameters=PAGE_PARAMETERS,
                   description="Every month's snapshot, latest first.",
                   responses={200: SnapshotSerializer(many=True), **problems(401, 403)})
    def get(self, request):
        page = self.paginate_queryset(selectors.snapshots_with_recomputes())
        return self.get_paginated_response(SnapshotSerializer(page, many=True).data)

    @extend_schema(
        operation_id="vitality_snapshots_recompute", request=MonthSerializer,
        description="Compute a month's snapshot now (staff, vitality:write). The current "
                    "month's stays provisional; a finished month's recompute is recorded with "
                    "who ran it and which figures changed.",
        responses={202: OpenApiResponse(SnapshotSerializer, "The snapshot as computed."),
                   **problems(400, 401, 403)})
    def post(self, request):
        serializer = MonthSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        month = serializer.validated_data["month"]
        if month > months.current_month():
            raise InvalidInput("Snapshots exist only for months up to the current one.",
                               errors={"month": ["Must not be after the current month."]})
        services.snapshot_recompute(actor=actor_of(request), month=month)
        return Response(SnapshotSerializer(selectors.snapshot(month)).data,
                        status=status.HTTP_202_ACCEPTED)


MONTH = OpenApiParameter("month", OpenApiTypes.STR, OpenApiParameter.PATH,
                         description="YYYY-MM")


class SnapshotDetailView(GenericAPIView):
    permission_classes = [CanRead]
    serializer_class = SnapshotSerializer

    @extend_schema(operation_id="vitality_snapshots_retrieve", parameters=[MONTH],
                   responses={200: SnapshotSerializer, **problems(401, 403, 404)})
    def get(self, request, month):
        try:
            snapshot = selectors.snapshot(months.parse(month))
        except ValueError:
            snapshot = None
        if snapshot is None:
            raise NotFound("No snapshot of that month.")
        return Response(SnapshotSerializer(snapshot).data)
