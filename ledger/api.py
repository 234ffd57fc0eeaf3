"""The ledger's REST API (API.md, "Ledger and dividends").

Who may call what:
- the open books (`ledger/accounts/`, `ledger/income-statement/`, `ledger/balance-sheet/`):
  staff, a `ledger:read` key, and every current member; they hold aggregates only (member
  capital is one account);
- the journal line by line, the trial balance and the reconciliation: staff and `ledger:read`
  keys (lines name members);
- a member's capital account: the member themself, staff, a `ledger:read` key; another member
  answers 404, as an unknown number would;
- writes: staff and `ledger:write` keys, idempotent with `Idempotency-Key`.
Service errors become problem+json (InvalidInput 400, Conflict 409, NotAllowed 403)."""

from datetime import date

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from coop.api_auth import HasScope, IsStaffUser, acting_user, actor_of, api_key_of, key_allows
from coop.api_fields import (
    MinorUnitsField,
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
)
from coop.api_schema import IDEMPOTENCY_KEY, problems
from coop.idempotency import idempotent
from coop.parsers import JSONParser
from governance.models import Proposal
from membership.models import Member
from membership.rules import is_current
from membership.selectors import member_of

from . import selectors, services
from .models import FiscalPeriod, JournalEntry
from .rules import LEDGER_READ, LEDGER_WRITE

CanWrite = HasScope(LEDGER_WRITE) | IsStaffUser
CanRead = HasScope(LEDGER_READ) | IsStaffUser
MAX_BIGINT = 2**63 - 1


class IsCurrentMember(permissions.BasePermission):
    """A signed-in person who is a current member: the open books are theirs to read."""

    message = "The open books are for the cooperative's members."

    def has_permission(self, request, view):
        return is_current(member_of(acting_user(request)))


OpenBooks = CanRead | IsCurrentMember


class EntryIdSerializer(serializers.Serializer):
    entry_id = serializers.IntegerField()


# --- accounts and statements ----------------------------------------------------------------

class AccountSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    balance_minor = serializers.IntegerField()


class AccountListView(APIView):
    permission_classes = [OpenBooks]

    @extend_schema(operation_id="ledger_accounts_list",
                   responses={200: AccountSerializer(many=True), **problems(401, 403)},
                   description="Every account with its balance on its normal side. Member "
                               "capital is one account: no member's capital is listed.")
    def get(self, request):
        return Response(AccountSerializer(selectors.account_balances(), many=True).data)


def _date_param(request, name: str, *, required: bool) -> date | None:
    raw = request.query_params.get(name)
    if raw is None:
        if required:
            raise serializers.ValidationError({name: ["Give a date as YYYY-MM-DD."]})
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise serializers.ValidationError({name: ["Give a date as YYYY-MM-DD."]}) from None


DATE = OpenApiParameter("date", OpenApiTypes.DATE, OpenApiParameter.QUERY)


class TrialBalanceAccountSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    debit_minor = serializers.IntegerField()
    credit_minor = serializers.IntegerField()


class TrialBalanceSerializer(serializers.Serializer):
    date = serializers.DateField(source="on", allow_null=True)
    debits_minor = serializers.IntegerField()
    credits_minor = serializers.IntegerField()
    accounts = TrialBalanceAccountSerializer(many=True)


class TrialBalanceView(APIView):
    permission_classes = [CanRead]

    @extend_schema(operation_id="ledger_trial_balance", parameters=[DATE],
                   description="Each account's balance on its debit or credit side at the end "
                               "of `date` (default: everything posted).",
                   responses={200: TrialBalanceSerializer, **problems(400, 401, 403)})
    def get(self, request):
        on = _date_param(request, "date", required=False)
        return Response(TrialBalanceSerializer(selectors.trial_balance(on=on)).data)


class StatementLineSerializer(serializers.Serializer):
    account = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    amount_minor = serializers.IntegerField()


class IncomeStatementSerializer(serializers.Serializer):
    period = serializers.IntegerField(source="period.pk")
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    revenue = StatementLineSerializer(many=True)
    expenses = StatementLineSerializer(many=True)
    revenue_minor = serializers.IntegerField()
    expenses_minor = serializers.IntegerField()
    surplus_minor = serializers.IntegerField()


PERIOD_Q = OpenApiParameter("period", OpenApiTypes.INT, OpenApiParameter.QUERY, required=True)


class IncomeStatementView(APIView):
    permission_classes = [OpenBooks]

    @extend_schema(operation_id="ledger_income_statement", parameters=[PERIOD_Q],
                   responses={200: IncomeStatementSerializer, **problems(400, 401, 403, 404)})
    def get(self, request):
        raw = request.query_params.get("period", "")
        if not raw.isdigit() or int(raw) > MAX_BIGINT:
            raise serializers.ValidationError({"period": ["Give the id of a fiscal period."]})
        period = get_object_or_404(FiscalPeriod, pk=int(raw))
        return Response(IncomeStatementSerializer(selectors.income_statement(period)).data)


class BalanceSheetSerializer(serializers.Serializer):
    date = serializers.DateField(source="on")
    assets = StatementLineSerializer(many=True)
    liabilities = StatementLineSerializer(many=True)
    equity = StatementLineSerializer(many=True)
    assets_minor = serializers.IntegerField()
    liabilities_and_equity_minor = serializers.IntegerField()


class BalanceSheetView(APIView):
    permission_classes = [OpenBooks]

    @extend_schema(operation_id="ledger_balance_sheet",
                   parameters=[OpenApiParameter("date", OpenApiTypes.DATE,
                                                OpenApiParameter.QUERY, required=True)],
                   description="Assets, liabilities and equity at the end of any day. Revenue "
                               "and expenses not yet closed show as one equity line "
                               "(`account` null).",
                   responses={200: BalanceSheetSerializer, **problems(400, 401, 403)})
    def get(self, request):
        on = _date_param(request, "date", required=True)
        return Response(BalanceSheetSerializer(selectors.balance_sheet(on)).data)


# --- money in and out -----------------------------------------------------------------------

class RevenueSerializer(serializers.Serializer):
    amount_minor = MinorUnitsField(min_value=1, max_value=MAX_BIGINT)
    date = serializers.DateField()
    description = StrictCharField(max_length=300)


class ExpenseSerializer(RevenueSerializer):
    category = serializers.ChoiceField(choices=[services.OPERATIONS, services.GOVERNANCE])


class _WriteView(APIView):
    permission_classes = [CanWrite]
    parser_classes = [JSONParser]  # money must arrive as a JSON integer
    serializer = RevenueSerializer

    def post(self, request):
        return idempotent(request, lambda: self._write(request))

    def _write(self, request):
        serializer = self.serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = self.service(actor=actor_of(request), **serializer.validated_data)
        return Response({"entry_id": entry.pk}, status=status.HTTP_201_CREATED)


class RevenueView(_WriteView):
    serializer = RevenueSerializer

    @staticmethod
    def service(**kwargs):
        return services.revenue_record(**kwargs)

    @extend_schema(operation_id="ledger_revenue_create", request=RevenueSerializer,
                   parameters=[IDEMPOTENCY_KEY], description="Dr Bank / Cr Revenue.",
                   responses={201: EntryIdSerializer, **problems(400, 401, 403, 409)})
    def post(self, request):
        return super().post(request)


class ExpenseView(_WriteView):
    serializer = ExpenseSerializer

    @staticmethod
    def service(**kwargs):
        return services.expense_record(**kwargs)

    @extend_schema(operation_id="ledger_expenses_create", request=ExpenseSerializer,
                   parameters=[IDEMPOTENCY_KEY],
                   description="Dr Operating or Governance expenses / Cr Bank.",
                   responses={201: EntryIdSerializer, **problems(400, 401, 403, 409)})
    def post(self, request):
        return super().post(request)


class DecidedSerializer(RevenueSerializer):
    proposal = StrictIntegerField(min_value=1, max_value=MAX_BIGINT)
    description = StrictCharField(max_length=300, required=False, default="")

    def validate_proposal(self, value):
        proposal = Proposal.objects.filter(pk=value).first()
        if proposal is None:
            raise serializers.ValidationError("No such proposal.")
        return proposal


class CommonsSpendView(_WriteView):
    serializer = DecidedSerializer

    @staticmethod
    def service(*, description, **kwargs):
        return services.commons_spend(description=description or "Commons fund spent",
                                      **kwargs)

    @extend_schema(operation_id="ledger_commons_spend", request=DecidedSerializer,
                   parameters=[IDEMPOTENCY_KEY],
                   description="Dr Commons fund / Cr Bank, naming the passed proposal that "
                               "decided it (409 if it did not pass or the fund holds less).",
                   responses={201: EntryIdSerializer, **problems(400, 401, 403, 409)})
    def post(self, request):
        return super().post(request)


class LossCoverView(_WriteView):
    serializer = DecidedSerializer

    @staticmethod
    def service(**kwargs):
        return services.loss_cover(**kwargs)

    @extend_schema(operation_id="ledger_loss_cover", request=DecidedSerializer,
                   parameters=[IDEMPOTENCY_KEY],
                   description="Dr Indivisible reserve / Cr Unallocated surplus: a loss carried "
                               "forward covered from the reserve, as a passed proposal decided.",
                   responses={201: EntryIdSerializer, **problems(400, 401, 403, 409)})
    def post(self, request):
        return super().post(request)


# --- periods ----------------------------------------------------------------------------------

class PeriodSerializer(StrictModelSerializer):
    class Meta:
        model = FiscalPeriod
        fields = ["id", "start", "end", "status", "closed_at", "surplus_minor"]
        read_only_fields = ["id", "status", "closed_at", "surplus_minor"]


class PeriodListView(generics.ListAPIView):
    serializer_class = PeriodSerializer

    def get_permissions(self):
        return [CanWrite()] if self.request.method == "POST" else [OpenBooks()]

    def get_queryset(self):
        return selectors.periods()

    @extend_schema(operation_id="periods_list",
                   responses={200: PeriodSerializer(many=True), **problems(401, 403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="periods_create", request=PeriodSerializer,
                   parameters=[IDEMPOTENCY_KEY],
                   description="The next fiscal period: contiguous with the last one, the first "
                               "at most 18 months, later ones one fiscal year (RULES §3).",
                   responses={201: PeriodSerializer, **problems(400, 401, 403, 409)})
    def post(self, request):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        serializer = PeriodSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        period = services.period_create(actor=actor_of(request), **serializer.validated_data)
        return Response(PeriodSerializer(period).data, status=status.HTTP_201_CREATED)


class PeriodCloseSerializer(serializers.Serializer):
    status = serializers.CharField()
    surplus_minor = serializers.IntegerField()


class PeriodCloseView(APIView):
    permission_classes = [CanWrite]

    @extend_schema(operation_id="periods_close", request=None,
                   parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
                               IDEMPOTENCY_KEY],
                   description="Close a period after its end date: revenue and expenses to "
                               "Unallocated surplus, its exits' redemptions payable (409 "
                               "before the end date, or if already closed).",
                   responses={200: PeriodCloseSerializer, **problems(401, 403, 404, 409)})
    def post(self, request, id):
        return idempotent(request, lambda: self._close(request, id))

    def _close(self, request, id):
        period = get_object_or_404(FiscalPeriod, pk=id)
        period = services.period_close(actor=actor_of(request), period=period)
        return Response({"status": period.status, "surplus_minor": period.surplus_minor})


# --- the journal ------------------------------------------------------------------------------

class LineSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.code")
    member_number = serializers.SerializerMethodField()
    debit_minor = serializers.IntegerField()
    credit_minor = serializers.IntegerField()

    def get_member_number(self, line) -> int | None:
        return line.member.member_number if line.member_id else None


class EntrySerializer(serializers.ModelSerializer):
    lines = LineSerializer(many=True)
    proposal = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    reverses = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = JournalEntry
        fields = ["id", "number", "date", "description", "kind", "idempotency_key", "reverses",
                  "proposal", "lines"]


class EntryListView(generics.ListAPIView):
    permission_classes = [CanRead]
    serializer_class = EntrySerializer

    def get_queryset(self):
        return selectors.journal_entries()

    @extend_schema(operation_id="ledger_entries_list",
                   responses={200: EntrySerializer(many=True), **problems(400, 401, 403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EntryDetailView(generics.RetrieveAPIView):
    permission_classes = [CanRead]
    serializer_class = EntrySerializer
    lookup_field = "pk"
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return selectors.journal_entries()

    @extend_schema(operation_id="ledger_entries_retrieve",
                   responses={200: EntrySerializer, **problems(401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- reconciliation and a member's capital --------------------------------------------------

class DifferenceSerializer(serializers.Serializer):
    member_number = serializers.IntegerField()
    register_minor = serializers.IntegerField()
    ledger_minor = serializers.IntegerField()


class ReconciliationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    differences = DifferenceSerializer(many=True)


class ReconciliationView(APIView):
    permission_classes = [CanRead]

    @extend_schema(operation_id="ledger_reconciliation",
                   description="For every member: paid − reversed − redeemed in the register "
                               "against their share capital in the books.",
                   responses={200: ReconciliationSerializer, **problems(401, 403)})
    def get(self, request):
        return Response(ReconciliationSerializer(selectors.reconciliation()).data)


class CapitalLineSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField()
    account = serializers.CharField()
    amount_minor = serializers.IntegerField()
    entry_id = serializers.IntegerField()


class CapitalAccountSerializer(serializers.Serializer):
    balance_minor = serializers.IntegerField()
    lines = CapitalLineSerializer(many=True)


class CapitalAccountView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="members_capital_account",
                   parameters=[OpenApiParameter("member_number", OpenApiTypes.INT,
                                                OpenApiParameter.PATH)],
                   description="The member's capital in the books: share capital paid, retained "
                               "patronage, redemptions (amounts positive when they add).",
                   responses={200: CapitalAccountSerializer, **problems(401, 403, 404)})
    def get(self, request, member_number):
        key = api_key_of(request)
        if key is not None and not key_allows(key, LEDGER_READ):
            raise PermissionDenied(f"This API key lacks the scope {LEDGER_READ}.")
        if key is None and not IsStaffUser().has_permission(request, self):
            own = member_of(acting_user(request))
            if own is None or own.member_number != member_number:
                raise NotFound()  # another member's capital does not exist for them
        member = get_object_or_404(Member, member_number=member_number)
        return Response(CapitalAccountSerializer(selectors.capital_account(member.pk)).data)
