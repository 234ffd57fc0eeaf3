"""The patronage REST API (API.md, "Ledger and dividends"): contributions, allocation
policies, dividend runs and member statements. Serializers check the shape; the services do
the work and raise InvalidInput (400), Conflict (409), NotAllowed (403)."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, renderers, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from coop.api_auth import HasScope, IsStaffUser, acting_user, actor_of
from coop.api_errors import problem_response
from coop.api_fields import StrictCharField, StrictIntegerField
from coop.api_pagination import PAGE_PARAMETERS
from coop.api_schema import IDEMPOTENCY_KEY, problems
from coop.idempotency import idempotent
from coop.parsers import JSONParser
from ledger.models import FiscalPeriod
from membership.models import Member
from membership.selectors import member_of

from . import pdf, rules, selectors, services
from .models import AllocationPolicy, DividendRun
from .rules import LEDGER_READ, LEDGER_WRITE

CanWrite = HasScope(LEDGER_WRITE) | IsStaffUser
MAX_INT = 2**31 - 1


class IsMemberPerson(permissions.BasePermission):
    """A signed-in person who is (or was) a member: the open books are theirs to read."""

    message = "Only members (or staff, or a key with ledger:read) can read this."

    def has_permission(self, request, view):
        return member_of(acting_user(request)) is not None


CanRead = HasScope(LEDGER_READ) | IsStaffUser | IsMemberPerson


class StrictIntField(StrictIntegerField):
    """A JSON integer, nothing else (no "12", 12.0 or true)."""

    default_error_messages = {"invalid": "Must be a whole number."}


# --- contributions --------------------------------------------------------------------------


class DecimalStringField(StrictCharField):
    """A quantity as API.md has them: a decimal string (a JSON number could be a float, which
    is not exact, so it is refused)."""

    default_error_messages = {"invalid": 'Give a decimal string such as "12.5".'}


class ContributionInSerializer(serializers.Serializer):
    member_number = StrictIntField(min_value=1, max_value=MAX_INT)
    date = serializers.DateField()
    quantity = DecimalStringField(
        max_length=40, help_text='A decimal string ≥ 0 with at most 4 places, e.g. "12.5".')
    external_id = StrictCharField(max_length=200)


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
    note = StrictCharField(required=False, allow_blank=True, max_length=2000)


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


# --- dividend runs --------------------------------------------------------------------------

RUN_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


class RunStartSerializer(serializers.Serializer):
    period = StrictIntField(min_value=1, max_value=MAX_INT, help_text="The fiscal period's id.")


class RunStartedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class RunSerializer(serializers.ModelSerializer):
    period = serializers.PrimaryKeyRelatedField(read_only=True)
    surplus_minor = serializers.IntegerField(
        source="distributable_minor", allow_null=True,
        help_text="S, the distributable surplus: interest + reserves + commons + patronage.")
    period_surplus_minor = serializers.IntegerField(source="surplus_minor", allow_null=True)
    entry_id = serializers.IntegerField(allow_null=True)
    policy_version = serializers.IntegerField(source="policy.version", allow_null=True,
                                              default=None)
    class_pools = serializers.DictField(child=serializers.DictField())

    class Meta:
        model = DividendRun
        fields = ["id", "period", "status", "progress", "surplus_minor", "interest_minor",
                  "reserves_minor", "commons_minor", "patronage_minor", "inputs_hash",
                  "period_surplus_minor", "uncovered_losses_minor", "loss_carried_minor",
                  "interest_wanted_minor", "interest_cap_minor", "reserves_policy_minor",
                  "reserves_leftover_minor", "reserves_forfeited_minor", "patronage_pool_minor",
                  "class_pools", "members_count", "policy_version", "entry_id", "error",
                  "created_at", "computed_at", "posted_at"]
        read_only_fields = fields


class AllocationSerializer(serializers.Serializer):
    member_number = serializers.IntegerField()
    stakeholder_class = serializers.CharField(source="class_slug")
    contribution = serializers.DecimalField(max_digits=18, decimal_places=4)
    interest_minor = serializers.IntegerField()
    patronage_minor = serializers.IntegerField()
    cash_minor = serializers.IntegerField()
    retained_minor = serializers.IntegerField()


class ApprovedSerializer(serializers.Serializer):
    status = serializers.CharField()
    entry_id = serializers.IntegerField(allow_null=True)


def _run(run_id: int):
    return get_object_or_404(DividendRun.objects.select_related("policy"), pk=run_id)


class RunListView(APIView):
    permission_classes = [CanWrite]
    parser_classes = [JSONParser]

    @extend_schema(operation_id="dividend_runs_create", request=RunStartSerializer,
                   responses={202: RunStartedSerializer, **problems(400, 401, 403, 409)})
    def post(self, request):
        data = RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        period = FiscalPeriod.objects.filter(pk=data.validated_data["period"]).first()
        if period is None:
            raise serializers.ValidationError({"period": ["No fiscal period has this id."]})
        run = services.dividend_run_start(actor=actor_of(request), period=period)
        return Response({"id": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)


class RunDetailView(APIView):
    permission_classes = [CanRead]

    @extend_schema(operation_id="dividend_runs_retrieve", parameters=[RUN_ID],
                   responses={200: RunSerializer, **problems(401, 403, 404)})
    def get(self, request, id: int):
        return Response(RunSerializer(_run(id)).data)


class RunAllocationsView(generics.ListAPIView):
    """Staff and `ledger:read` see every line; a member sees only their own."""

    permission_classes = [CanRead]
    serializer_class = AllocationSerializer

    def get_queryset(self):
        return selectors.run_allocations(_run(self.kwargs["id"]), viewer=actor_of(self.request))

    @extend_schema(operation_id="dividend_runs_allocations", parameters=[RUN_ID],
                   responses={200: AllocationSerializer(many=True), **problems(401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RunApproveView(APIView):
    permission_classes = [CanWrite]

    @extend_schema(operation_id="dividend_runs_approve", request=None, parameters=[RUN_ID],
                   responses={200: ApprovedSerializer, **problems(401, 403, 404, 409)})
    def post(self, request, id: int):
        run = services.dividend_run_approve(actor=actor_of(request), run=_run(id))
        return Response({"status": run.status, "entry_id": run.entry_id})


class RunCancelView(APIView):
    permission_classes = [CanWrite]

    @extend_schema(operation_id="dividend_runs_cancel", request=None, parameters=[RUN_ID],
                   responses={200: RunStartedSerializer, **problems(401, 403, 404, 409)})
    def post(self, request, id: int):
        run = services.dividend_run_cancel(actor=actor_of(request), run=_run(id))
        return Response({"id": run.pk, "status": run.status})


class RunRerunView(APIView):
    permission_classes = [CanWrite]

    @extend_schema(operation_id="dividend_runs_rerun", request=None, parameters=[RUN_ID],
                   responses={202: RunStartedSerializer, **problems(401, 403, 404, 409)})
    def post(self, request, id: int):
        run = services.dividend_run_rerun(actor=actor_of(request), run=_run(id))
        return Response({"id": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)


# --- member statements ----------------------------------------------------------------------


class StatementSerializer(serializers.Serializer):
    period = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    run_id = serializers.IntegerField(allow_null=True)
    contribution = serializers.CharField()
    interest_minor = serializers.IntegerField()
    patronage_minor = serializers.IntegerField()
    cash_minor = serializers.IntegerField()
    retained_minor = serializers.IntegerField()


class StatementDetailSerializer(StatementSerializer):
    explanation = serializers.DictField(
        help_text="interest: the rate, each payment with its days (NL/365) and exact interest, "
                  "the cap; patronage: the contribution against the class total, the class's "
                  "share and pool, the cash share.")


MEMBER_NUMBER = OpenApiParameter("member_number", OpenApiTypes.INT, OpenApiParameter.PATH)
PERIOD = OpenApiParameter("period", OpenApiTypes.INT, OpenApiParameter.PATH)
FORMAT = OpenApiParameter("format", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                          enum=["json", "pdf"], description="pdf: the PDF statement.")


def _statement_member(request, member_number: int) -> Member:
    """The member whose statements the caller may read: themself, staff, `ledger:read`;
    another member answers 404 as an unknown number would."""
    member = Member.objects.select_related("stakeholder_class").filter(
        member_number=member_number).first()
    if member is None or not rules.may_read_statement(actor_of(request), member):
        raise Http404("No such member.")
    return member


class StatementListView(generics.GenericAPIView):
    """Paginated like every list (API.md); a member has one line per posted run, so the page
    is cut from the selector's list."""

    permission_classes = [CanRead]
    serializer_class = StatementSerializer

    @extend_schema(operation_id="member_statements_list",
                   parameters=[MEMBER_NUMBER, *PAGE_PARAMETERS],
                   responses={200: StatementSerializer(many=True), **problems(401, 403, 404)})
    def get(self, request, member_number: int):
        member = _statement_member(request, member_number)
        page = self.paginate_queryset(selectors.member_statements(member))
        return self.get_paginated_response(StatementSerializer(page, many=True).data)


class PDFRenderer(renderers.BaseRenderer):
    """Lets `?format=pdf` and `Accept: application/pdf` through DRF's content negotiation; the
    view answers the PDF itself, and anything else (a problem) is rendered as JSON."""

    media_type = "application/pdf"
    format = "pdf"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


class StatementDetailView(APIView):
    permission_classes = [CanRead]
    renderer_classes = [renderers.JSONRenderer, PDFRenderer]

    @extend_schema(operation_id="member_statements_retrieve",
                   parameters=[MEMBER_NUMBER, PERIOD, FORMAT],
                   responses={200: StatementDetailSerializer,
                              (200, "application/pdf"): OpenApiTypes.BINARY,
                              **problems(401, 403, 404)})
    def get(self, request, member_number: int, period: int):
        member = _statement_member(request, member_number)
        period_row = get_object_or_404(FiscalPeriod, pk=period)
        statement = selectors.member_statement(member, period_row)
        if statement.run is None:
            raise Http404("This period has no posted dividend run yet.")
        if request.accepted_renderer.format == "pdf":
            render = pdf.renderer()
            if render is None:
                return problem_response(406, "Not acceptable",
                                        "PDF statements are not available here.",
                                        code="not_acceptable")
            response = HttpResponse(render(statement), content_type="application/pdf")
            response["Content-Disposition"] = (
                f'attachment; filename="statement-{member_number}-{period_row.end}.pdf"')
            return response
        return Response(StatementDetailSerializer(statement.as_dict()).data)


# --- the member's IBAN for payouts ----------------------------------------------------------


class PayoutAccountSerializer(serializers.Serializer):
    iban = StrictCharField(max_length=42, allow_blank=True)
    holder = StrictCharField(max_length=140, allow_blank=True, required=False)


class PayoutAccountView(APIView):
    """The member's IBAN: only they and staff see or set it (never a key)."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    def _member(self, request, member_number: int) -> Member:
        member = Member.objects.filter(member_number=member_number).first()
        actor = acting_user(request)
        if member is None or actor is None or not (
                rules.is_staff_or_system(actor) or member.user_id == actor.pk):
            raise Http404("No such member.")
        return member

    @extend_schema(operation_id="member_payout_account_retrieve", parameters=[MEMBER_NUMBER],
                   responses={200: PayoutAccountSerializer, **problems(401, 403, 404)})
    def get(self, request, member_number: int):
        member = self._member(request, member_number)
        account = getattr(member, "payout_account", None)
        return Response({"iban": account.iban if account else "",
                         "holder": account.holder if account else ""})

    @extend_schema(operation_id="member_payout_account_update", parameters=[MEMBER_NUMBER],
                   request=PayoutAccountSerializer,
                   responses={200: PayoutAccountSerializer, **problems(400, 401, 403, 404)})
    def put(self, request, member_number: int):
        member = self._member(request, member_number)
        data = PayoutAccountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.payout_account_set(actor=acting_user(request), member=member,
                                              iban=data.validated_data["iban"],
                                              holder=data.validated_data.get("holder", ""))
        return Response({"iban": account.iban, "holder": account.holder})
