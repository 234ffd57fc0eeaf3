"""The membership REST API (API.md, "Cooperative and membership").

Serializers validate the input; `membership.services` does the work; `membership.selectors`
reads. Service errors (InvalidInput 400, Conflict 409) become problem+json in the handler.

Who sees what:
- A partner key reads with `members:read` and writes with `members:write` (`*` is both). A key
  never acts as a member: it cannot apply and never "is" a member.
- Staff may do whatever `members:write` and `members:read` may.
- A signed-in person who is not staff sees only their own member row. Another member's row,
  payments or certificates answer **404**, exactly as an unknown member number would, so the
  API never tells a member which numbers exist. The members list is filtered the same way (a
  member gets a list of one; a signed-in non-member an empty list).
- Endpoints that only staff or a `members:write` key may call answer 403 to anybody else,
  before looking the member up.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from coop.api_auth import (
    HasScope,
    IsSignedInPerson,
    IsStaffUser,
    acting_user,
    actor_of,
    api_key_of,
    key_allows,
)
from coop.api_fields import (
    MinorUnitsField,
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
)
from coop.api_schema import IDEMPOTENCY_KEY, problems
from coop.idempotency import idempotent
from coop.parsers import JSONParser

from . import bylaws, rules, selectors, services
from .models import Application, Member, ShareCertificate, SharePayment, StakeholderClass

READ, WRITE = "members:read", "members:write"
CanWrite = HasScope(WRITE) | IsStaffUser
CanRead = HasScope(READ) | IsStaffUser


MEMBER_NUMBER = OpenApiParameter("member_number", OpenApiTypes.INT, OpenApiParameter.PATH)
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)

# The columns' ranges (PositiveIntegerField, BigIntegerField), bound here so a larger number is
# a 400 naming the field, on every database (SQLite has no range, PostgreSQL raised a 500).
MAX_INT = 2**31 - 1
MAX_BIGINT = 2**63 - 1


def _choice(request, name: str, choices) -> str | None:
    """An optional query-string filter that must be one of `choices` (else 400). Present but
    empty (`?status=`) is not one of them either: the schema's enum has no "" (schemathesis)."""
    value = request.query_params.get(name)
    if value is not None and value not in choices:
        raise serializers.ValidationError(
            {name: [f"Must be one of: {', '.join(choices)}."]})
    return value


def _visible_member(request, member_number: int, *, key_scope: str = READ) -> Member:
    """The member as this caller may see them: a key needs `key_scope`; staff see everyone;
    anybody else sees only themself (another member is 404, like an unknown number)."""
    key = api_key_of(request)
    if key is not None and not key_allows(key, key_scope):
        raise PermissionDenied(f"This API key lacks the scope {key_scope}.")
    if rules.sees_every_member(actor_of(request), scope=key_scope):
        members = selectors.members_for_api()
    else:
        members = selectors.members_for_api(user=acting_user(request))
    return get_object_or_404(members, member_number=member_number)


# --- stakeholder classes ------------------------------------------------------------------

class StakeholderClassSerializer(StrictModelSerializer):
    share_price_minor = MinorUnitsField(min_value=0, max_value=MAX_BIGINT)
    min_shares = StrictIntegerField(min_value=1, max_value=MAX_INT, default=1)
    max_shares = StrictIntegerField(min_value=1, max_value=MAX_INT, default=1)
    vote_weight = StrictIntegerField(min_value=1, max_value=MAX_INT, default=1)

    class Meta:
        model = StakeholderClass
        fields = ["slug", "name", "share_price_minor", "min_shares", "max_shares", "vote_weight",
                  "patronage_measure", "description"]
        # A slug that exists already is a conflict (409) the service reports, not a 400.
        extra_kwargs = {"slug": {"validators": []}, "description": {"required": False}}


class StakeholderClassListView(generics.ListCreateAPIView):
    """GET: any signed-in person (applicants need the slugs) or a `members:read` key.
    POST: staff or a `members:write` key."""

    serializer_class = StakeholderClassSerializer
    parser_classes = [JSONParser]  # money must arrive as a JSON integer, which forms cannot send

    def get_permissions(self):
        if self.request.method == "POST":
            return [CanWrite()]
        return [(IsSignedInPerson | HasScope(READ))()]

    def get_queryset(self):
        return selectors.stakeholder_classes()

    @extend_schema(operation_id="classes_list",
                   responses={200: StakeholderClassSerializer(many=True), **problems(401, 403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="classes_create", request=StakeholderClassSerializer,
                   responses={201: StakeholderClassSerializer, **problems(400, 401, 403, 409)})
    def post(self, request, *args, **kwargs):
        serializer = StakeholderClassSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.stakeholder_class_create(actor=actor_of(request),
                                                    **serializer.validated_data)
        return Response(StakeholderClassSerializer(created).data, status=status.HTTP_201_CREATED)


# --- applications -------------------------------------------------------------------------

class OrganisationSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    registration_number = StrictCharField(max_length=80)


class ApplicationCreateSerializer(serializers.Serializer):
    stakeholder_class = serializers.SlugRelatedField(
        slug_field="slug", queryset=StakeholderClass.objects.all())
    shares = StrictIntegerField(min_value=1, max_value=MAX_INT)
    motivation = StrictCharField(required=False, allow_blank=True, default="",
                                 max_length=5000)
    referred_by = serializers.SlugRelatedField(
        slug_field="member_number", queryset=Member.objects.all(), required=False,
        allow_null=True, help_text="The member number of the member who referred you.")
    organisation = OrganisationSerializer(required=False, allow_null=True,
                                          help_text="Set when applying for an organisation.")


class ApplicationCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Application.Status.choices)


class ApplicationSerializer(serializers.ModelSerializer):
    stakeholder_class = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    referred_by = serializers.SlugRelatedField(
        slug_field="member_number", read_only=True, allow_null=True,
        help_text="The referring member's number; null when nobody referred the applicant.")

    class Meta:
        model = Application
        fields = ["id", "status", "stakeholder_class", "shares", "name", "email", "kind",
                  "organisation_name", "registration_number", "motivation", "bylaws_version",
                  "referred_by", "source", "submitted_at", "decided_at", "rejection_reason"]
        read_only_fields = fields


class ApplicationListView(generics.ListCreateAPIView):
    """GET: staff or a `members:write` key (the people who decide on applications).
    POST: a signed-in person applies for themself; never a key."""

    serializer_class = ApplicationSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsSignedInPerson()]
        return [CanWrite()]

    def get_queryset(self):
        return selectors.applications_for_api(
            status=_choice(self.request, "status", Application.Status.values))

    @extend_schema(
        operation_id="applications_list",
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=Application.Status.values)],
        responses={200: ApplicationSerializer(many=True), **problems(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="applications_create", request=ApplicationCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        description="Apply for membership for yourself. The cooperative's current bylaws "
                    "version is recorded as accepted. 409 if you are a member already or have "
                    "an application in progress.",
        responses={201: ApplicationCreatedSerializer, **problems(400, 401, 403, 409)},
    )
    def post(self, request, *args, **kwargs):
        return idempotent(request, lambda: self._submit(request))

    def _submit(self, request):
        serializer = ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = acting_user(request)
        organisation = data.get("organisation") or {}
        application = services.application_submit(
            stakeholder_class=data["stakeholder_class"],
            shares=data["shares"],
            name=user.display_name,
            email=user.email,
            user=user,
            motivation=data["motivation"],
            referred_by=data.get("referred_by"),
            organisation_name=organisation.get("name", ""),
            registration_number=organisation.get("registration_number", ""),
            source=Application.Source.API,
            bylaws_version=bylaws.current_version(),
            actor=user,
        )
        return Response(ApplicationCreatedSerializer(application).data,
                        status=status.HTTP_201_CREATED)


class ApprovalSerializer(serializers.Serializer):
    member_number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Member.Status.choices,
                                     help_text="The new member's status.")


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000)


class RejectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Application.Status.choices)


class ApplicationApproveView(APIView):
    permission_classes = [CanWrite]

    @extend_schema(operation_id="applications_approve", request=None, parameters=[ID,
                   IDEMPOTENCY_KEY],
                   # 400: a malformed Idempotency-Key, or a rule refusing the approval.
                   responses={200: ApprovalSerializer, **problems(400, 401, 403, 404, 409)})
    def post(self, request, id):
        return idempotent(request, lambda: self._approve(request, id))

    def _approve(self, request, id):
        application = get_object_or_404(Application, pk=id)
        member = services.application_approve(application=application, actor=actor_of(request))
        return Response(ApprovalSerializer(member).data)


class ApplicationRejectView(APIView):
    permission_classes = [CanWrite]

    @extend_schema(operation_id="applications_reject", request=ReasonSerializer, parameters=[ID],
                   responses={200: RejectionSerializer, **problems(400, 401, 403, 404, 409)})
    def post(self, request, id):
        application = get_object_or_404(Application, pk=id)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_reject(
            application=application, reason=serializer.validated_data["reason"],
            actor=actor_of(request))
        return Response(RejectionSerializer(application).data)


# --- members ------------------------------------------------------------------------------

class MemberSerializer(serializers.ModelSerializer):
    stakeholder_class = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Member
        fields = ["member_number", "name", "stakeholder_class", "status", "shares_subscribed",
                  "shares_held", "paid_minor", "joined_on", "kind", "activated_on", "exited_on"]
        read_only_fields = fields


class MemberListView(generics.ListAPIView):
    """Staff and `members:read` keys see every member; a signed-in person only themself."""

    serializer_class = MemberSerializer

    def get_queryset(self):
        request = self.request
        filters = {
            "status": _choice(request, "status", Member.Status.values),
            "stakeholder_class": request.query_params.get("stakeholder_class") or None,
        }
        key = api_key_of(request)
        if key is not None and not key_allows(key, READ):
            raise PermissionDenied(f"This API key lacks the scope {READ}.")
        if rules.sees_every_member(actor_of(request), scope=READ):
            return selectors.members_for_api(**filters)
        return selectors.members_for_api(user=acting_user(request), **filters)

    @extend_schema(
        operation_id="members_list",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Member.Status.values),
            OpenApiParameter("stakeholder_class", OpenApiTypes.STR, description="A class slug."),
        ],
        responses={200: MemberSerializer(many=True), **problems(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MemberDetailView(APIView):
    @extend_schema(operation_id="members_retrieve", parameters=[MEMBER_NUMBER],
                   responses={200: MemberSerializer, **problems(401, 403, 404)})
    def get(self, request, member_number):
        return Response(MemberSerializer(_visible_member(request, member_number)).data)


# --- share payments -----------------------------------------------------------------------

class SharePaymentCreateSerializer(serializers.Serializer):
    amount_minor = MinorUnitsField(min_value=1, max_value=MAX_BIGINT)
    paid_on = serializers.DateField()
    reference = StrictCharField(max_length=120, required=False, allow_blank=True,
                                default="")


class SharePaymentResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The payment's id (or the reversal's).")
    shares_held = serializers.IntegerField(source="member.shares_held")
    status = serializers.ChoiceField(source="member.status", choices=Member.Status.choices,
                                     help_text="The member's status after the payment.")
    paid_minor = serializers.IntegerField(source="member.paid_minor",
                                          help_text="The member's total paid after it.")


class ReversalResultSerializer(SharePaymentResultSerializer):
    pass


class SharePaymentSerializer(serializers.ModelSerializer):
    reverses = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True,
        help_text="The payment this one reverses; null when it is not a reversal.")
    reversed = serializers.SerializerMethodField()

    class Meta:
        model = SharePayment
        fields = ["id", "kind", "amount_minor", "paid_on", "reference", "reverses", "reversed",
                  "reason", "recorded_at"]
        read_only_fields = fields

    def get_reversed(self, payment) -> bool:
        return payment.is_reversed


class SharePaymentListView(generics.ListCreateAPIView):
    """GET: the member, staff, a `members:read` key. POST: staff or a `members:write` key."""

    serializer_class = SharePaymentSerializer
    parser_classes = [JSONParser]  # money must arrive as a JSON integer, which forms cannot send

    def get_permissions(self):
        if self.request.method == "POST":
            return [CanWrite()]
        return super().get_permissions()

    def get_queryset(self):
        member = _visible_member(self.request, self.kwargs["member_number"])
        return selectors.payments_of(member)

    @extend_schema(operation_id="members_share_payments_list", parameters=[MEMBER_NUMBER],
                   responses={200: SharePaymentSerializer(many=True), **problems(401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="members_share_payments_create", request=SharePaymentCreateSerializer,
        parameters=[MEMBER_NUMBER, IDEMPOTENCY_KEY],
        description="Record a share payment. Shares are issued as they are fully paid; an "
                    "overpayment of the subscription is refused (400); a member who has exited "
                    "accepts no payment (409).",
        responses={201: SharePaymentResultSerializer, **problems(400, 401, 403, 404, 409)},
    )
    def post(self, request, member_number):
        return idempotent(request, lambda: self._record(request, member_number))

    def _record(self, request, member_number):
        member = get_object_or_404(Member, member_number=member_number)
        serializer = SharePaymentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.share_payment_record(member=member, actor=actor_of(request),
                                                **serializer.validated_data)
        return Response(SharePaymentResultSerializer(payment).data,
                        status=status.HTTP_201_CREATED)


class SharePaymentReverseView(APIView):
    permission_classes = [CanWrite]

    @extend_schema(operation_id="members_share_payments_reverse", request=ReasonSerializer,
                   parameters=[MEMBER_NUMBER, ID, IDEMPOTENCY_KEY],
                   description="Reverse a payment recorded by mistake or returned by the bank: "
                               "its shares are cancelled and the status recomputed. `id` in the "
                               "answer is the reversal's.",
                   responses={200: ReversalResultSerializer, **problems(400, 401, 403, 404, 409)})
    def post(self, request, member_number, id):
        return idempotent(request, lambda: self._reverse(request, member_number, id))

    def _reverse(self, request, member_number, id):
        payment = get_object_or_404(SharePayment, pk=id, member__member_number=member_number)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversal = services.share_payment_reverse(
            payment=payment, reason=serializer.validated_data["reason"], actor=actor_of(request))
        return Response(ReversalResultSerializer(reversal).data)


# --- certificates and exit ----------------------------------------------------------------

class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShareCertificate
        fields = ["certificate_number", "issued_on", "status"]
        read_only_fields = fields


class CertificateListView(generics.ListAPIView):
    """The member, staff, a `members:read` key. Cancelled and redeemed certificates are listed
    too: the register keeps every number with its status."""

    serializer_class = CertificateSerializer

    def get_queryset(self):
        return selectors.certificates_of(
            _visible_member(self.request, self.kwargs["member_number"]))

    @extend_schema(operation_id="members_certificates_list", parameters=[MEMBER_NUMBER],
                   responses={200: CertificateSerializer(many=True), **problems(401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ExitRequestSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class ExitResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(source="member.status", choices=Member.Status.choices)
    redemption_minor = serializers.IntegerField(source="redemption.amount_minor")


class MemberExitView(APIView):
    """The member resigns; or staff / a `members:write` key record a resignation received
    (they must then say what they received in `reason`)."""

    @extend_schema(
        operation_id="members_exit", request=ExitRequestSerializer,
        parameters=[MEMBER_NUMBER, IDEMPOTENCY_KEY],
        description="Resign, effective at once. The share capital paid is redeemed. `reason` "
                    "is optional for the member, required when staff or a key record it.",
        responses={200: ExitResultSerializer, **problems(400, 401, 403, 404, 409)},
    )
    def post(self, request, member_number):
        return idempotent(request, lambda: self._exit(request, member_number))

    def _exit(self, request, member_number):
        member = _visible_member(request, member_number, key_scope=WRITE)
        serializer = ExitRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        recorded_for_someone_else = member.user_id is None or (
            acting_user(request) is None or acting_user(request).pk != member.user_id)
        if recorded_for_someone_else and not reason.strip():
            raise serializers.ValidationError(
                {"reason": ["Say which resignation you are recording."]})
        result = services.member_exit(member=member, reason=reason, actor=actor_of(request))
        return Response(ExitResultSerializer(result).data)
