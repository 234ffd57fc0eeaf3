"""The patronage REST API (API.md, "Ledger and dividends"): contributions, allocation
policies, dividend runs and member statements. Serializers check the shape; the services do
the work and raise InvalidInput (400), Conflict (409), NotAllowed (403)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from coop.api_auth import HasScope, IsStaffUser, acting_user, actor_of
from coop.api_schema import IDEMPOTENCY_KEY, problems
from coop.idempotency import idempotent
from coop.parsers import JSONParser
from membership.models import Member
from membership.selectors import member_of

from . import selectors, services
from .models import AllocationPolicy
from .rules import LEDGER_READ, LEDGER_WRITE

CanWrite = HasScope(LEDGER_WRITE) | IsStaffUser
MAX_INT = 2**31 - 1


class IsMemberPerson(permissions.BasePermission):
    """A signed-in person who is (or was) a member: the open books are theirs to read."""

    message = "Only members (or staff, or a key with ledger:read) can read this."

    def has_permission(self, request, view):
        return member_of(acting_user(request)) is not None


CanRead = HasScope(LEDGER_READ) | IsStaffUser | IsMemberPerson


class StrictIntField(serializers.IntegerField):
    """A JSON integer, nothing else (no "12", 12.0 or true)."""

    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- contributions --------------------------------------------------------------------------


class DecimalStringField(serializers.CharField):
    """A quantity as API.md has them: a decimal string (a JSON number could be a float, which
    is not exact, so it is refused)."""

    default_error_messages = {"invalid": 'Give a decimal string such as "12.5".'}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ContributionInSerializer(serializers.Serializer):
    member_number = StrictIntField(min_value=1, max_value=MAX_INT)
    date = serializers.DateField()
    quantity = DecimalStringField(
        max_length=40, help_text='A decimal string ≥ 0 with at most 4 places, e.g. "12.5".')
    external_id = serializers.CharField(max_length=200)


class ContributionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    member_number = serializers.IntegerField(source="member.member_number")
    date = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4)
    measure = serializers.CharField()
    external_id = serializers.CharField()


class ContributionListView(APIView):
    """POST: record a contribution (`ledger:write`, staff), idempotent by `external_id`."""

    permission_classes = [CanWrite]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="contributions_create", request=ContributionInSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ContributionSerializer,
                   200: OpenApiResponse(ContributionSerializer,
                                        "An identical resend of a known external_id."),
                   **problems(400, 401, 403, 409)})
    def post(self, request):
        def handle():
            data = ContributionInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            member = Member.objects.select_related("stakeholder_class").filter(
                member_number=values["member_number"]).first()
            if member is None:
                raise serializers.ValidationError(
                    {"member_number": ["No member has this number."]})
            recorded = services.contribution_record(
                actor=actor_of(request), member=member, date=values["date"],
                quantity=values["quantity"], external_id=values["external_id"])
            return Response(ContributionSerializer(recorded.contribution).data,
                            status=status.HTTP_201_CREATED if recorded.created
                            else status.HTTP_200_OK)

        return idempotent(request, handle)


# --- allocation policies --------------------------------------------------------------------


class BasisPointsField(StrictIntField):
    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_value=10000, **kwargs)


class PolicySerializer(serializers.ModelSerializer):
    enacted_by_proposal = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    class_shares_bp = serializers.DictField(child=serializers.IntegerField())

    class Meta:
        model = AllocationPolicy
        fields = ["id", "version", "status", "effective_from", "enacted_by_proposal",
                  "enacted_directly", "enacted_at", "capital_interest_bp", "interest_cap_bp",
                  "reserves_bp", "commons_bp", "patronage_bp", "cash_bp", "class_shares_bp",
                  "note"]
        read_only_fields = fields


class PolicyInSerializer(serializers.Serializer):
    effective_from = serializers.DateField()
    capital_interest_bp = BasisPointsField()
    interest_cap_bp = BasisPointsField(default=5000)
    reserves_bp = BasisPointsField()
    commons_bp = BasisPointsField()
    patronage_bp = BasisPointsField()
    cash_bp = BasisPointsField()
    class_shares_bp = serializers.DictField(child=BasisPointsField(), allow_empty=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PolicyListView(generics.ListAPIView):
    """GET: every version, newest first (members, `ledger:read`). POST: a new version
    (`ledger:write`, staff): in force while none exists, else a draft (RULES §6)."""

    parser_classes = [JSONParser]
    serializer_class = PolicySerializer

    def get_permissions(self):
        return [CanWrite()] if self.request.method == "POST" else [CanRead()]

    def get_queryset(self):
        return selectors.allocation_policies()

    @extend_schema(operation_id="allocation_policies_list",
                   responses={200: PolicySerializer(many=True), **problems(401, 403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="allocation_policies_create", request=PolicyInSerializer,
                   responses={201: PolicySerializer, **problems(400, 401, 403)})
    def post(self, request):
        data = PolicyInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.policy_create(actor=actor_of(request), **data.validated_data)
        return Response(PolicySerializer(version).data, status=status.HTTP_201_CREATED)


class PolicyDetailView(APIView):
    permission_classes = [CanRead]

    @extend_schema(operation_id="allocation_policies_retrieve",
                   parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
                   responses={200: PolicySerializer, **problems(401, 403, 404)})
    def get(self, request, id: int):
        return Response(PolicySerializer(get_object_or_404(AllocationPolicy, pk=id)).data)
