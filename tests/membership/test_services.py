"""RULES.md §1 (membership and shares), worked example by worked example, at the service level."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Case, IntegerField, Sum, Value, When
from django.utils import timezone

from coop.errors import Conflict, InvalidInput
from coop.models import AuditRecord, Cooperative, Counter
from membership import services
from membership.models import (
    Application,
    Member,
    Redemption,
    RegisterEvent,
    ShareCertificate,
    SharePayment,
)
from tests.membership.factories import REGISTRAR

from .factories import StakeholderClassFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

PRICE = 5000
D1, D2, D3, D4 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)
# Members are admitted before D1: a payment cannot predate admission (joined_on).
JOINED = date(2026, 3, 1)
# ...and apply before JOINED: an approval cannot predate the application. The services stamp
# a submission "now"; `submit` dates it back to this moment (a February day in every zone).
SUBMITTED = datetime(2026, 2, 26, 12, tzinfo=UTC)


def submit(klass, shares=None, user=None, **kwargs):
    user = user or UserFactory()
    application = services.application_submit(
        stakeholder_class=klass, shares=shares or klass.min_shares, name=user.full_name,
        email=user.email, user=user, **kwargs)
    return backdate(application, SUBMITTED)


def backdate(application, moment) -> Application:
    Application.objects.filter(pk=application.pk).update(submitted_at=moment)
    application.submitted_at = moment
    return application


def approve(application, actor=REGISTRAR, on=JOINED) -> Member:
    return services.applications_approve(application_ids=[application.pk], actor=actor, on=on)[0]


def admit(klass, shares=None, actor=REGISTRAR, on=JOINED, **kwargs) -> Member:
    return approve(submit(klass, shares, **kwargs), actor=actor, on=on)


def pay(member, amount, on=D1, actor=REGISTRAR) -> SharePayment:
    return services.share_payment_record(member=member, amount_minor=amount, paid_on=on,
                                         reference="bank", actor=actor)


def fresh(member) -> Member:
    return Member.objects.select_related("subscription").get(pk=member.pk)


def register_holding(member) -> int:
    """Holdings as the sum of the register's events (issue +1, cancel and redeem −1)."""
    delta = Case(When(kind=RegisterEvent.Kind.ISSUE, then=Value(1)), default=Value(-1),
                 output_field=IntegerField())
    return RegisterEvent.objects.filter(member=member).aggregate(
        n=Sum(delta, default=0))["n"]


def certificates(member, status=None) -> list[int]:
    qs = ShareCertificate.objects.filter(member=member)
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("certificate_number").values_list("certificate_number", flat=True))


def assert_register_matches(member) -> Member:
    member = fresh(member)
    assert register_holding(member) == member.shares_held
    assert len(certificates(member, ShareCertificate.Status.ISSUED)) == member.shares_held
    return member


def actions(since: int = 0) -> list[str]:
    return list(AuditRecord.objects.filter(pk__gt=since).order_by("pk")
                .values_list("action", flat=True))


def last_audit_id() -> int:
    last = AuditRecord.objects.order_by("-pk").first()
    return last.pk if last else 0


# --- applications -------------------------------------------------------------------------

class TestApply:
    @pytest.mark.parametrize("shares", [2, 3, 5])
    def test_shares_between_min_and_max_are_accepted(self, klass, shares):
        application = submit(klass, shares)
        assert application.status == Application.Status.PENDING
        assert application.shares == shares

    @pytest.mark.parametrize("shares", [1, 6, 0, -1, "two", None])
    def test_shares_outside_min_max_or_not_whole_are_refused_and_nothing_is_written(
            self, klass, shares):
        user = UserFactory()
        with pytest.raises(InvalidInput) as exc:
            services.application_submit(stakeholder_class=klass, shares=shares,
                                        name="Ann", email=user.email, user=user)
        assert "shares" in exc.value.errors
        assert not Application.objects.exists()
        assert not AuditRecord.objects.exists()

    def test_the_bylaws_version_accepted_is_stored(self, klass):
        coop = Cooperative.current()
        coop.bylaws_version = "2026-07"
        coop.save()
        assert submit(klass).bylaws_version == "2026-07"
        assert submit(klass, bylaws_version="2025-01").bylaws_version == "2025-01"

    def test_a_referrer_is_stored_and_carried_to_the_member(self, klass):
        referrer = admit(klass)
        application = submit(klass, referred_by=referrer)
        assert application.referred_by == referrer
        member = services.application_approve(actor=REGISTRAR, application=application)
        assert fresh(member).referred_by == referrer
        submitted = AuditRecord.objects.filter(action="application.submitted",
                                               object_id=str(application.pk)).get()
        assert submitted.facts["referred_by"] == referrer.member_number

    def test_an_exited_member_cannot_refer(self, klass):
        referrer = admit(klass)
        services.member_exit(actor=REGISTRAR, member=referrer, reason="moving")
        with pytest.raises(InvalidInput) as exc:
            submit(klass, referred_by=fresh(referrer))
        assert "referred_by" in exc.value.errors

    def test_applying_twice_is_refused_while_the_first_is_pending(self, klass):
        user = UserFactory()
        submit(klass, user=user)
        with pytest.raises(Conflict):
            submit(klass, user=user)
        assert Application.objects.filter(user=user).count() == 1

    def test_a_member_cannot_apply_again(self, klass):
        member = admit(klass)
        with pytest.raises(Conflict):
            submit(klass, user=member.user)

    def test_after_a_rejection_the_person_may_apply_again(self, klass):
        user = UserFactory()
        services.application_reject(actor=REGISTRAR,
                                    application=submit(klass, user=user), reason="incomplete")
        again = submit(klass, user=user)
        assert again.status == Application.Status.PENDING

    def test_an_organisation_needs_its_registration_number(self, klass):
        with pytest.raises(InvalidInput) as exc:
            submit(klass, organisation_name="Studio North")
        assert "registration_number" in exc.value.errors
        application = submit(klass, organisation_name="Studio North",
                             registration_number="REG-1")
        member = services.application_approve(actor=REGISTRAR, application=application)
        assert member.kind == "organisation"
        assert member.name == "Studio North"
        assert member.contact_person == application.name

    def test_staff_may_enter_a_paper_application_without_an_account(self, klass, staff):
        application = services.application_submit(
            stakeholder_class=klass, shares=2, name="Paper Person", email="paper@example.org",
            source=Application.Source.PAPER, actor=staff)
        member = services.application_approve(application=application, actor=staff)
        assert member.user is None
        assert member.member_number == 1


# --- approval and rejection ---------------------------------------------------------------

class TestApprove:
    def test_approval_gives_sequential_member_numbers_and_awaiting_payment(self, klass, staff):
        members = [admit(klass, actor=staff, on=None) for _ in range(3)]  # on: today
        assert [m.member_number for m in members] == [1, 2, 3]
        for member in members:
            member = fresh(member)
            assert member.status == Member.Status.AWAITING_PAYMENT
            assert member.joined_on == timezone.localdate()
            assert member.shares_held == 0
            assert member.application.status == Application.Status.APPROVED
            assert member.application.decided_by == staff

    def test_approvals_done_together_are_numbered_in_submission_order(self, klass):
        first, second, third = submit(klass), submit(klass), submit(klass)
        # Submission order differs from both the primary keys and the order of the ids given.
        now = timezone.now()
        for application, minutes_ago in ((first, 10), (second, 30), (third, 20)):
            Application.objects.filter(pk=application.pk).update(
                submitted_at=now - timedelta(minutes=minutes_ago))
        members = services.applications_approve(actor=REGISTRAR,
            application_ids=[first.pk, third.pk, second.pk])
        numbers = {m.application_id: m.member_number for m in members}
        assert numbers == {second.pk: 1, third.pk: 2, first.pk: 3}

    def test_approving_twice_is_refused_and_consumes_no_number(self, klass):
        application = submit(klass)
        services.application_approve(actor=REGISTRAR, application=application)
        before = last_audit_id()
        with pytest.raises(Conflict):
            services.application_approve(actor=REGISTRAR, application=application)
        assert actions(before) == []
        assert Counter.objects.get(name="member_number").last_value == 1
        assert admit(klass).member_number == 2

    def test_approving_a_batch_with_one_decided_application_approves_none(self, klass):
        decided = submit(klass)
        services.application_reject(actor=REGISTRAR, application=decided, reason="duplicate")
        pending = submit(klass)
        with pytest.raises(Conflict):
            services.applications_approve(actor=REGISTRAR, application_ids=[pending.pk, decided.pk])
        pending.refresh_from_db()
        assert pending.status == Application.Status.PENDING
        assert not Member.objects.exists()

    def test_an_unknown_application_is_refused(self, klass):
        with pytest.raises(InvalidInput):
            services.applications_approve(actor=REGISTRAR, application_ids=[999_999])

    def test_the_price_is_frozen_at_approval(self, klass):
        application = submit(klass, 3)
        klass.share_price_minor = 6000  # changed between submission and approval: 6000 applies
        klass.save()
        member = approve(application)
        klass.share_price_minor = 9000  # changed after approval: the subscription keeps 6000
        klass.save()
        member = fresh(member)
        assert member.subscription.share_price_minor == 6000
        assert member.subscription.total_minor == 18000
        pay(member, 12000)
        member = fresh(member)
        assert member.shares_held == 2
        assert member.status == Member.Status.ACTIVE
        with pytest.raises(InvalidInput):  # 6001 would overpay the 18000 at the frozen price
            pay(member, 6001)

    @pytest.mark.parametrize("reason", ["", "   ", None])
    def test_rejecting_without_a_reason_is_refused(self, klass, reason):
        application = submit(klass)
        before = last_audit_id()
        with pytest.raises(InvalidInput) as exc:
            services.application_reject(actor=REGISTRAR, application=application, reason=reason)
        assert "reason" in exc.value.errors
        application.refresh_from_db()
        assert application.status == Application.Status.PENDING
        assert actions(before) == []

    def test_rejecting_stores_the_reason_and_cannot_be_approved_afterwards(self, klass, staff):
        application = services.application_reject(application=submit(klass),
                                                   reason="  not a photographer ", actor=staff)
        application.refresh_from_db()
        assert application.status == Application.Status.REJECTED
        assert application.rejection_reason == "not a photographer"
        assert application.decided_by == staff
        with pytest.raises(Conflict):
            services.application_approve(actor=REGISTRAR, application=application)
        with pytest.raises(Conflict):
            services.application_reject(actor=REGISTRAR, application=application, reason="again")


# --- payments, instalments, certificates --------------------------------------------------

class TestPayments:
    def test_instalments_issue_floor_of_paid_over_price_capped_at_the_subscription(self, klass):
        member = admit(klass, 3)  # 3 × 5000, min 2
        steps = [  # amount, date → shares held, status, certificates
            (2500, D1, 0, Member.Status.AWAITING_PAYMENT, []),
            (2500, D2, 1, Member.Status.AWAITING_PAYMENT, [1]),
            (7000, D3, 2, Member.Status.ACTIVE, [1, 2]),
            (3000, D4, 3, Member.Status.ACTIVE, [1, 2, 3]),
        ]
        for amount, on, held, status, numbers in steps:
            pay(member, amount, on)
            member = assert_register_matches(member)
            assert (member.shares_held, member.status) == (held, status)
            assert certificates(member) == numbers
        assert member.paid_minor == 15000
        issued_on = dict(ShareCertificate.objects.filter(member=member)
                         .values_list("certificate_number", "issued_on"))
        assert issued_on == {1: D2, 2: D3, 3: D4}
        # Activated by the payment that completed min_shares, on its paid_on date.
        assert member.activated_on == D3
        assert ShareCertificate.objects.get(certificate_number=2).payment.paid_on == D3

    def test_certificate_numbers_run_across_the_whole_cooperative(self, klass):
        ann, bob = admit(klass, 5), admit(klass, 5)
        pay(ann, PRICE)
        pay(bob, 2 * PRICE)
        pay(ann, PRICE)
        assert certificates(ann) == [1, 4]
        assert certificates(bob) == [2, 3]
        assert Counter.objects.get(name="certificate_number").last_value == 4

    def test_one_payment_of_everything_activates_on_its_date(self, klass):
        member = admit(klass, 2)
        pay(member, 2 * PRICE, D2)
        member = assert_register_matches(member)
        assert member.status == Member.Status.ACTIVE
        assert member.activated_on == D2
        assert set(ShareCertificate.objects.filter(member=member)
                   .values_list("issued_on", flat=True)) == {D2}

    def test_a_free_class_issues_the_shares_at_approval(self):
        free = StakeholderClassFactory(slug="supporters", share_price_minor=0, min_shares=1,
                                       max_shares=3)
        member = assert_register_matches(admit(free, 3))
        assert member.shares_held == 3
        assert member.status == Member.Status.ACTIVE
        assert member.activated_on == member.joined_on
        assert certificates(member) == [1, 2, 3]
        with pytest.raises(InvalidInput):  # nothing is outstanding
            pay(member, 1)

    def test_overpayment_is_refused_and_nothing_is_written(self, klass):
        member = admit(klass, 2)
        with pytest.raises(InvalidInput) as exc:
            pay(member, 2 * PRICE + 1)
        assert "amount_minor" in exc.value.errors
        pay(member, 4000)
        before = last_audit_id()
        with pytest.raises(InvalidInput):
            pay(member, 6001)
        assert actions(before) == []
        assert SharePayment.objects.filter(member=member).count() == 1
        assert fresh(member).paid_minor == 4000
        pay(member, 6000)  # exactly what is outstanding
        assert fresh(member).shares_held == 2

    @pytest.mark.parametrize("amount", [0, -100, 2500.0, 1.5, "2500", None, True,
                                        Decimal("2500")])
    def test_a_non_positive_or_non_integer_amount_is_refused(self, klass, amount):
        member = admit(klass)
        before = last_audit_id()
        with pytest.raises(InvalidInput) as exc:
            pay(member, amount)
        assert "amount_minor" in exc.value.errors
        assert not SharePayment.objects.exists()
        assert actions(before) == []

    def test_a_payment_dated_in_the_future_is_refused(self, klass):
        member = admit(klass)
        with pytest.raises(InvalidInput) as exc:
            pay(member, PRICE, timezone.localdate() + timedelta(days=1))
        assert "paid_on" in exc.value.errors
        assert not SharePayment.objects.exists()


# --- reversals ----------------------------------------------------------------------------

class TestReversal:
    def test_a_reversal_cancels_the_shares_it_paid_for_and_recomputes_the_status(self, klass):
        member = admit(klass, 2)
        payment = pay(member, 2 * PRICE, D1)
        assert fresh(member).status == Member.Status.ACTIVE
        reversal = services.share_payment_reverse(actor=REGISTRAR,
                                                  payment=payment, reason="bounced", on=D2)
        member = assert_register_matches(member)
        assert (member.shares_held, member.paid_minor) == (0, 0)
        assert member.status == Member.Status.AWAITING_PAYMENT
        assert member.activated_on is None
        assert certificates(member, ShareCertificate.Status.CANCELLED) == [1, 2]
        # An event, never a deletion: the payment stays, a reversal row points at it.
        assert reversal.kind == SharePayment.Kind.REVERSAL
        assert reversal.reverses == payment
        assert SharePayment.objects.filter(member=member).count() == 2
        cancels = RegisterEvent.objects.filter(member=member, kind=RegisterEvent.Kind.CANCEL)
        assert sorted(cancels.values_list("certificate__certificate_number", flat=True)) == [1, 2]
        assert set(cancels.values_list("event_date", flat=True)) == {D2}

    def test_cancelled_numbers_are_never_reused(self, klass):
        member = admit(klass, 2)
        payment = pay(member, 2 * PRICE, D1)
        services.share_payment_reverse(actor=REGISTRAR, payment=payment, reason="bounced", on=D2)
        pay(member, 2 * PRICE, D3)
        member = assert_register_matches(member)
        assert certificates(member, ShareCertificate.Status.ISSUED) == [3, 4]
        assert certificates(member, ShareCertificate.Status.CANCELLED) == [1, 2]
        assert member.status == Member.Status.ACTIVE
        assert member.activated_on == D3

    def test_reversing_the_completing_instalment_takes_the_member_back_below_min(self, klass):
        member = admit(klass, 3)
        pay(member, PRICE, D1)
        second = pay(member, PRICE, D2)
        pay(member, 2500, D3)  # half a share more: 12500 paid, 2 shares
        services.share_payment_reverse(actor=REGISTRAR, payment=second, reason="returned", on=D4)
        member = assert_register_matches(member)
        assert member.paid_minor == 7500
        assert member.shares_held == 1
        assert member.status == Member.Status.AWAITING_PAYMENT
        assert certificates(member, ShareCertificate.Status.ISSUED) == [1]
        assert certificates(member, ShareCertificate.Status.CANCELLED) == [2]

    def test_reversing_an_earlier_payment_cancels_the_certificate_it_completed(self, klass):
        member = admit(klass, 3)
        first = pay(member, PRICE, D1)  # certificate 1
        pay(member, PRICE, D2)  # certificate 2
        services.share_payment_reverse(actor=REGISTRAR, payment=first, reason="bounced", on=D3)
        member = assert_register_matches(member)
        assert certificates(member, ShareCertificate.Status.CANCELLED) == [1]
        assert certificates(member, ShareCertificate.Status.ISSUED) == [2]
        # No issued certificate points at a reversed payment.
        assert not ShareCertificate.objects.filter(status="issued", payment=first).exists()

    def test_when_more_must_go_than_the_reversed_payment_completed_the_latest_follow(
            self, klass):
        member = admit(klass, 3)
        first = pay(member, 7500, D1)  # certificate 1 (and half of the next share)
        pay(member, 7500, D2)  # certificates 2 and 3
        services.share_payment_reverse(actor=REGISTRAR, payment=first, reason="bounced", on=D3)
        member = assert_register_matches(member)
        assert member.paid_minor == 7500
        assert certificates(member, ShareCertificate.Status.CANCELLED) == [1, 3]
        assert certificates(member, ShareCertificate.Status.ISSUED) == [2]

    def test_reversing_a_partial_payment_that_completed_no_share_cancels_nothing(self, klass):
        member = admit(klass, 3)
        pay(member, 2 * PRICE, D1)
        partial = pay(member, 2500, D2)
        before = last_audit_id()
        services.share_payment_reverse(actor=REGISTRAR, payment=partial, reason="mistake", on=D3)
        member = assert_register_matches(member)
        assert (member.shares_held, member.status) == (2, Member.Status.ACTIVE)
        assert member.activated_on == D1
        assert "shares.cancelled" not in actions(before)

    def test_double_reversal_and_reversing_a_reversal_are_refused(self, klass):
        member = admit(klass, 2)
        payment = pay(member, PRICE)
        reversal = services.share_payment_reverse(actor=REGISTRAR,
                                                  payment=payment, reason="bounced")
        before = last_audit_id()
        with pytest.raises(Conflict):
            services.share_payment_reverse(actor=REGISTRAR, payment=payment, reason="again")
        with pytest.raises(Conflict):
            services.share_payment_reverse(actor=REGISTRAR, payment=reversal, reason="undo")
        assert actions(before) == []
        assert SharePayment.objects.filter(kind="reversal").count() == 1
        assert fresh(member).paid_minor == 0

    def test_a_reversal_needs_a_reason(self, klass):
        payment = pay(admit(klass, 2), PRICE)
        with pytest.raises(InvalidInput) as exc:
            services.share_payment_reverse(actor=REGISTRAR, payment=payment, reason=" ")
        assert "reason" in exc.value.errors
        assert not SharePayment.objects.filter(kind="reversal").exists()


# --- exit ---------------------------------------------------------------------------------

class TestExit:
    def test_exit_redeems_at_the_price_paid_including_a_partly_paid_share(self, klass):
        member = admit(klass, 3)
        pay(member, PRICE, D1)
        pay(member, PRICE, D2)
        pay(member, 2500, D3)  # 12500: 2 shares and half of a third
        result = services.member_exit(actor=REGISTRAR,
                                      member=member, reason=" moving abroad ", on=D4)
        assert result.redemption.amount_minor == 12500
        assert result.redemption.status == Redemption.Status.REQUESTED
        member = assert_register_matches(member)
        assert member.status == Member.Status.EXITED
        assert member.exited_on == D4
        assert member.exit_reason == "moving abroad"
        assert member.shares_held == 0
        assert member.member_number == 1  # the number stays in the register
        assert certificates(member, ShareCertificate.Status.REDEEMED) == [1, 2]
        redeems = RegisterEvent.objects.filter(member=member, kind=RegisterEvent.Kind.REDEEM)
        assert redeems.count() == 2
        # Nothing is deleted: the issues stay beside the redemptions.
        assert RegisterEvent.objects.filter(member=member, kind="issue").count() == 2
        assert SharePayment.objects.filter(member=member).count() == 3

    def test_after_exit_no_payment_reversal_or_second_exit(self, klass):
        member = admit(klass, 3)
        payment = pay(member, 2 * PRICE)
        services.member_exit(actor=REGISTRAR, member=member)
        before = last_audit_id()
        with pytest.raises(Conflict):
            pay(member, PRICE)
        with pytest.raises(Conflict):
            services.share_payment_reverse(actor=REGISTRAR, payment=payment, reason="late bounce")
        with pytest.raises(Conflict):
            services.member_exit(actor=REGISTRAR, member=member)
        assert actions(before) == []
        assert Redemption.objects.count() == 1

    def test_an_unpaid_member_may_exit_with_nothing_to_redeem(self, klass):
        result = services.member_exit(actor=REGISTRAR, member=admit(klass))
        assert result.redemption.amount_minor == 0
        assert result.member.status == Member.Status.EXITED

    def test_the_next_member_still_gets_the_next_number_after_an_exit(self, klass):
        services.member_exit(actor=REGISTRAR, member=admit(klass))
        assert admit(klass).member_number == 2


# --- audit trail --------------------------------------------------------------------------

class TestAudit:
    def test_every_state_change_writes_its_audit_record(self, klass, staff):
        user = UserFactory()
        steps = []
        application = submit(klass, 2, user=user)
        steps.append(actions())
        mark = last_audit_id()
        member = approve(application, actor=staff)
        steps.append(actions(mark))
        mark = last_audit_id()
        first = pay(member, PRICE, D1, actor=staff)
        steps.append(actions(mark))
        mark = last_audit_id()
        pay(member, PRICE, D2, actor=staff)
        steps.append(actions(mark))
        mark = last_audit_id()
        services.share_payment_reverse(payment=first, reason="bounced", actor=staff)
        steps.append(actions(mark))
        mark = last_audit_id()
        services.member_exit(member=member, actor=user)
        steps.append(actions(mark))
        mark = last_audit_id()
        services.application_reject(application=submit(klass), reason="no", actor=staff)
        steps.append(actions(mark))
        assert steps == [
            ["application.submitted"],
            ["member.admitted"],
            # The ledger posts each movement through membership's hook, in the same
            # transaction (ledger/register.py).
            ["payment.recorded", "shares.issued", "ledger.entry_posted"],
            ["payment.recorded", "shares.issued", "member.active", "ledger.entry_posted"],
            ["payment.reversed", "shares.cancelled", "member.awaiting_payment",
             "ledger.entry_posted"],
            ["member.exited"],
            ["application.submitted", "application.rejected"],
        ]
        admitted = AuditRecord.objects.get(action="member.admitted")
        assert (admitted.actor_id, admitted.actor_kind) == (staff.pk, "user")
        assert admitted.object_id == "1"
        assert admitted.facts["share_price_minor"] == PRICE
        issued = AuditRecord.objects.filter(action="shares.issued").order_by("pk")
        assert [r.facts["certificates"] for r in issued] == [[1], [2]]

    def test_the_audit_record_is_in_the_service_transaction(self, klass):
        member = admit(klass, 2)
        before = last_audit_id()

        class Abort(Exception):
            pass

        # If the caller's transaction rolls back after the service returned, the record must go
        # with the payment: it was written in the same transaction, not beside it.
        with pytest.raises(Abort), transaction.atomic():
            pay(member, PRICE)
            assert "payment.recorded" in actions(before)
            raise Abort
        assert actions(before) == []
        assert not SharePayment.objects.exists()
        assert fresh(member).shares_held == 0

    @pytest.mark.parametrize("failure", [
        "apply_bad_shares", "approve_twice", "reject_no_reason", "overpay", "pay_zero",
        "reverse_twice", "exit_twice", "pay_after_exit",
    ])
    def test_a_failing_service_writes_no_audit_record(self, klass, failure):
        member = admit(klass, 2)
        payment = pay(member, PRICE)
        application = submit(klass)
        exited = admit(klass)
        services.member_exit(actor=REGISTRAR, member=exited)
        services.share_payment_reverse(actor=REGISTRAR, payment=payment, reason="bounced")
        before = last_audit_id()
        calls = {
            "apply_bad_shares": lambda: submit(klass, 99),
            "approve_twice": lambda: services.application_approve(actor=REGISTRAR,
                                                                  application=member.application),
            "reject_no_reason": lambda: services.application_reject(actor=REGISTRAR,
                                                                    application=application,
                                                                    reason=""),
            "overpay": lambda: pay(member, 2 * PRICE + 1),
            "pay_zero": lambda: pay(member, 0),
            "reverse_twice": lambda: services.share_payment_reverse(actor=REGISTRAR,
                                                                    payment=payment,
                                                                    reason="again"),
            "exit_twice": lambda: services.member_exit(actor=REGISTRAR, member=exited),
            "pay_after_exit": lambda: pay(exited, PRICE),
        }
        with pytest.raises((InvalidInput, Conflict)):
            calls[failure]()
        assert actions(before) == []


# --- emails -------------------------------------------------------------------------------

class TestEmails:
    def test_received_approved_payment_and_active_emails(
            self, klass, mailoutbox, django_capture_on_commit_callbacks):
        user = UserFactory(email="ann@example.org")
        with django_capture_on_commit_callbacks(execute=True):
            application = submit(klass, 2, user=user)
        assert [m.subject for m in mailoutbox] == [
            "[Lightbox Photographers' Cooperative] We received your application"]
        assert mailoutbox[0].to == ["ann@example.org"]
        with django_capture_on_commit_callbacks(execute=True):
            member = approve(application)
        assert "approved" in mailoutbox[-1].subject
        with django_capture_on_commit_callbacks(execute=True):
            pay(member, PRICE)
        assert len(mailoutbox) == 3
        assert "share payment" in mailoutbox[-1].subject
        # In money, not minor units (issue #8 item 11; it said "5000 minor units").
        assert "payment of 50.00 EUR" in mailoutbox[-1].body
        with django_capture_on_commit_callbacks(execute=True):
            pay(member, PRICE)
        assert [m.subject.split("] ")[1] for m in mailoutbox[3:]] == [
            "We recorded your share payment", "You are now an active member"]
        assert {tuple(m.to) for m in mailoutbox} == {("ann@example.org",)}

    def test_rejection_email(self, klass, mailoutbox, django_capture_on_commit_callbacks):
        application = submit(klass)
        with django_capture_on_commit_callbacks(execute=True):
            services.application_reject(actor=REGISTRAR,
                                        application=application, reason="not eligible")
        assert len(mailoutbox) == 1
        assert mailoutbox[0].subject.endswith("About your application")
        assert mailoutbox[0].to == [application.email]

    def test_no_email_when_the_service_fails(
            self, klass, mailoutbox, django_capture_on_commit_callbacks):
        member = admit(klass, 2)
        with (django_capture_on_commit_callbacks(execute=True) as callbacks,
              pytest.raises(InvalidInput)):
            pay(member, 3 * PRICE)
        assert callbacks == []
        assert mailoutbox == []

    def test_emails_wait_for_the_commit(self, klass, mailoutbox,
                                        django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            submit(klass)
        assert mailoutbox == []  # nothing is sent before the transaction commits
        assert len(callbacks) == 1


# --- the register as a whole --------------------------------------------------------------

def test_register_holdings_equal_shares_held_over_a_whole_history(klass):
    ann, bob = admit(klass, 4), admit(klass, 2)
    first = pay(ann, 2 * PRICE, D1)
    pay(bob, PRICE, D1)
    pay(ann, PRICE + 2500, D2)
    services.share_payment_reverse(actor=REGISTRAR, payment=first, reason="bounced", on=D3)
    pay(bob, PRICE, D3)
    pay(ann, 2 * PRICE, D4)
    services.member_exit(actor=REGISTRAR, member=bob, on=D4)
    for member in (ann, bob):
        assert_register_matches(member)
    ann, bob = fresh(ann), fresh(bob)
    assert (ann.paid_minor, ann.shares_held, ann.status) == (17500, 3, Member.Status.ACTIVE)
    assert (bob.shares_held, bob.status) == (0, Member.Status.EXITED)
    all_numbers = sorted(ShareCertificate.objects.values_list("certificate_number", flat=True))
    assert all_numbers == list(range(1, len(all_numbers) + 1))
    assert Counter.objects.get(name="certificate_number").last_value == len(all_numbers)


def test_make_member_factory_builds_a_paid_active_member():
    member = make_member(paid=True)
    assert member.status == Member.Status.ACTIVE
    assert assert_register_matches(member).shares_held == member.subscription.shares


# --- the dates a payment may carry ----------------------------------------------------------

class TestPaymentDates:
    """A payment is dated from the day the member joined (joined_on: the subscription and its
    price start at approval, and the shares it completes are issued on its date) to today in
    the cooperative's time zone, both included."""

    def assert_refused_and_nothing_stored(self, member, on, fragment):
        before = last_audit_id()
        with pytest.raises(InvalidInput) as exc:
            pay(member, 2 * PRICE, on)
        assert list(exc.value.errors) == ["paid_on"]
        assert fragment in exc.value.errors["paid_on"][0]
        assert actions(before) == []
        assert not SharePayment.objects.filter(member=member).exists()
        assert not ShareCertificate.objects.filter(member=member).exists()
        member = assert_register_matches(member)
        assert (member.paid_minor, member.shares_held, member.status, member.activated_on) == (
            0, 0, Member.Status.AWAITING_PAYMENT, None)

    def test_a_payment_before_the_member_joined_is_refused(self, klass):
        member = admit(klass, 2, on=D2)
        self.assert_refused_and_nothing_stored(member, D2 - timedelta(days=1),
                                               D2.isoformat())

    def test_a_payment_on_the_day_the_member_joined_is_accepted(self, klass):
        member = admit(klass, 2, on=D2)
        pay(member, 2 * PRICE, D2)
        member = assert_register_matches(member)
        assert (member.status, member.activated_on, member.shares_held) == (
            Member.Status.ACTIVE, D2, 2)

    def test_a_payment_after_today_is_refused(self, klass):
        member = admit(klass, 2)
        self.assert_refused_and_nothing_stored(
            member, timezone.localdate() + timedelta(days=1), "future")

    def test_a_payment_dated_today_is_accepted(self, klass):
        member = admit(klass, 2)
        pay(member, 2 * PRICE, timezone.localdate())
        assert fresh(member).activated_on == timezone.localdate()

    def test_a_member_admitted_today_can_pay_today_only(self, klass):
        member = admit(klass, 2, on=None)
        today = timezone.localdate()
        assert member.joined_on == today
        self.assert_refused_and_nothing_stored(member, today - timedelta(days=1), "joined")
        self.assert_refused_and_nothing_stored(member, today + timedelta(days=1), "future")
        pay(member, 2 * PRICE, today)
        assert fresh(member).status == Member.Status.ACTIVE

    # UTC+14 and UTC-11: at any moment the date in one of them differs from the date in UTC,
    # so a check against the UTC date fails one of these whatever the hour of the run.
    @pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
    def test_today_is_the_cooperatives_today(self, klass, settings, zone):
        settings.TIME_ZONE = zone
        member = admit(klass, 2)
        today = timezone.localdate()
        self.assert_refused_and_nothing_stored(member, today + timedelta(days=1), "future")
        pay(member, 2 * PRICE, today)
        assert fresh(member).activated_on == today


# --- the dates a reversal and an exit may carry ---------------------------------------------

def register_state(member) -> tuple:
    """Everything a reversal or an exit writes for a member: compare before and after."""
    member = fresh(member)
    return (
        member.paid_minor, member.shares_held, member.status, member.activated_on,
        member.exited_on, member.exit_reason,
        list(ShareCertificate.objects.filter(member=member).order_by("certificate_number")
             .values_list("certificate_number", "status")),
        list(RegisterEvent.objects.filter(member=member).order_by("pk")
             .values_list("kind", "event_date")),
        list(SharePayment.objects.filter(member=member).order_by("pk")
             .values_list("kind", "paid_on")),
        Redemption.objects.filter(member=member).exists(),
        last_audit_id(),
    )


class TestReversalDates:
    """A reversal is dated from the day of the payment it reverses to today in the
    cooperative's time zone, both included, and never before a share it cancels was issued."""

    def assert_refused_and_nothing_stored(self, payment, on, *fragments):
        before = register_state(payment.member)
        with pytest.raises(InvalidInput) as exc:
            services.share_payment_reverse(actor=REGISTRAR,
                                           payment=payment, reason="bounced", on=on)
        assert list(exc.value.errors) == ["on"]
        for fragment in fragments:
            assert fragment in exc.value.errors["on"][0]
        assert register_state(payment.member) == before
        assert not SharePayment.objects.filter(kind=SharePayment.Kind.REVERSAL).exists()

    def test_a_reversal_before_the_payment_is_refused(self, klass):
        payment = pay(admit(klass, 2), 2 * PRICE, D2)
        self.assert_refused_and_nothing_stored(payment, D2 - timedelta(days=1), D2.isoformat())

    def test_a_reversal_on_the_day_of_the_payment_is_accepted(self, klass):
        payment = pay(admit(klass, 2), 2 * PRICE, D2)
        reversal = services.share_payment_reverse(actor=REGISTRAR,
                                                  payment=payment, reason="bounced", on=D2)
        assert reversal.paid_on == D2
        member = assert_register_matches(payment.member)
        assert (member.shares_held, member.status) == (0, Member.Status.AWAITING_PAYMENT)
        assert set(RegisterEvent.objects.filter(kind=RegisterEvent.Kind.CANCEL)
                   .values_list("event_date", flat=True)) == {D2}

    def test_a_reversal_after_today_is_refused(self, klass):
        payment = pay(admit(klass, 2), 2 * PRICE, D1)
        self.assert_refused_and_nothing_stored(
            payment, timezone.localdate() + timedelta(days=1), "future")

    def test_a_payment_of_today_is_reversed_today_only(self, klass):
        today = timezone.localdate()
        payment = pay(admit(klass, 2), 2 * PRICE, today)
        self.assert_refused_and_nothing_stored(payment, today - timedelta(days=1),
                                               today.isoformat())
        self.assert_refused_and_nothing_stored(payment, today + timedelta(days=1), "future")
        reversal = services.share_payment_reverse(actor=REGISTRAR,
                                                  payment=payment, reason="bounced", on=today)
        assert reversal.paid_on == today

    def test_the_default_date_is_today(self, klass):
        payment = pay(admit(klass, 2), 2 * PRICE, D1)
        reversal = services.share_payment_reverse(actor=REGISTRAR,
                                                  payment=payment, reason="bounced")
        assert reversal.paid_on == timezone.localdate()

    def test_not_before_a_later_share_it_cancels_was_issued(self, klass):
        # 7500 on D1 completes certificate 1; 7500 on D3 completes 2 and 3. Reversing the
        # first leaves 7500, one share: certificates 1 and 3 (the latest) are cancelled, and
        # 3 exists only from D3.
        member = admit(klass, 3)
        first = pay(member, 7500, D1)
        pay(member, 7500, D3)
        self.assert_refused_and_nothing_stored(first, D3 - timedelta(days=1), D3.isoformat(),
                                               "certificate 3")
        services.share_payment_reverse(actor=REGISTRAR, payment=first, reason="bounced", on=D3)
        member = assert_register_matches(member)
        assert certificates(member, ShareCertificate.Status.CANCELLED) == [1, 3]

    def test_before_a_later_payment_is_fine_when_it_cancels_only_its_own_shares(self, klass):
        # The bank returned the first payment before the second came in; only certificate 1,
        # issued on D1, is cancelled.
        member = admit(klass, 3)
        first = pay(member, PRICE, D1)
        pay(member, PRICE, D3)
        services.share_payment_reverse(actor=REGISTRAR, payment=first, reason="bounced", on=D2)
        member = assert_register_matches(member)
        assert certificates(member, ShareCertificate.Status.CANCELLED) == [1]
        assert certificates(member, ShareCertificate.Status.ISSUED) == [2]

    @pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
    def test_today_is_the_cooperatives_today(self, klass, settings, zone):
        settings.TIME_ZONE = zone
        payment = pay(admit(klass, 2), 2 * PRICE, D1)
        today = timezone.localdate()
        self.assert_refused_and_nothing_stored(payment, today + timedelta(days=1), "future")
        assert services.share_payment_reverse(actor=REGISTRAR, payment=payment, reason="bounced",
                                              on=today).paid_on == today


class TestExitDates:
    """An exit is dated from the member's last payment or register entry (at the earliest the
    day they joined) to today in the cooperative's time zone, both included: before it the
    register would redeem shares before they were issued, or hold money that came in after the
    member left."""

    def assert_refused_and_nothing_stored(self, member, on, *fragments):
        before = register_state(member)
        with pytest.raises(InvalidInput) as exc:
            services.member_exit(actor=REGISTRAR, member=member, reason="moving", on=on)
        assert list(exc.value.errors) == ["exited_on"]
        for fragment in fragments:
            assert fragment in exc.value.errors["exited_on"][0]
        assert register_state(member) == before
        assert not Redemption.objects.exists()

    def test_an_exit_before_the_member_joined_is_refused(self, klass):
        member = admit(klass, 2, on=D2)
        self.assert_refused_and_nothing_stored(member, D2 - timedelta(days=1), D2.isoformat(),
                                               "joined")

    def test_an_exit_on_the_day_the_member_joined_is_accepted(self, klass):
        member = admit(klass, 2, on=D2)
        result = services.member_exit(actor=REGISTRAR,
                                      member=member, reason="changed my mind", on=D2)
        assert (result.member.exited_on, result.redemption.requested_on) == (D2, D2)

    def test_a_free_member_may_exit_on_the_day_they_joined(self):
        free = StakeholderClassFactory(slug="supporters", share_price_minor=0, min_shares=1,
                                       max_shares=1)
        member = admit(free, 1, on=D2)  # its share is issued on D2
        self.assert_refused_and_nothing_stored(member, D2 - timedelta(days=1), D2.isoformat())
        services.member_exit(actor=REGISTRAR, member=member, on=D2)
        assert set(RegisterEvent.objects.filter(member=member)
                   .values_list("kind", "event_date")) == {("issue", D2), ("redeem", D2)}

    def test_an_exit_after_today_is_refused(self, klass):
        member = admit(klass, 2)
        self.assert_refused_and_nothing_stored(
            member, timezone.localdate() + timedelta(days=1), "future")

    def test_a_member_admitted_today_exits_today_only(self, klass):
        member = admit(klass, 2, on=None)
        today = timezone.localdate()
        self.assert_refused_and_nothing_stored(member, today - timedelta(days=1), "joined")
        self.assert_refused_and_nothing_stored(member, today + timedelta(days=1), "future")
        assert services.member_exit(actor=REGISTRAR,
                                    member=member, on=today).member.exited_on == today

    def test_not_before_the_last_payment(self, klass):
        member = admit(klass, 3)
        pay(member, PRICE, D1)
        pay(member, 2500, D3)  # completes no share: only the payment carries the date
        self.assert_refused_and_nothing_stored(member, D3 - timedelta(days=1), D3.isoformat(),
                                               "last payment")
        result = services.member_exit(actor=REGISTRAR, member=member, on=D3)
        assert result.redemption.amount_minor == PRICE + 2500
        member = assert_register_matches(member)
        assert set(RegisterEvent.objects.filter(member=member, kind="redeem")
                   .values_list("event_date", flat=True)) == {D3}

    def test_not_before_a_reversal(self, klass):
        member = admit(klass, 2)
        payment = pay(member, 2 * PRICE, D1)
        services.share_payment_reverse(actor=REGISTRAR, payment=payment, reason="bounced", on=D3)
        self.assert_refused_and_nothing_stored(member, D2, D3.isoformat())
        services.member_exit(actor=REGISTRAR, member=member, on=D3)
        assert fresh(member).exited_on == D3

    def test_the_default_date_is_today(self, klass):
        member = admit(klass, 2)
        pay(member, 2 * PRICE, timezone.localdate())
        assert services.member_exit(actor=REGISTRAR,
                                    member=member).member.exited_on == timezone.localdate()

    @pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
    def test_today_is_the_cooperatives_today(self, klass, settings, zone):
        settings.TIME_ZONE = zone
        member = admit(klass, 2)
        today = timezone.localdate()
        self.assert_refused_and_nothing_stored(member, today + timedelta(days=1), "future")
        assert services.member_exit(actor=REGISTRAR,
                                    member=member, on=today).member.exited_on == today


# --- the date an approval may carry (from the day of the application to today) ----------------

class TestApprovalDates:
    """joined_on runs from the (local) day the application was submitted to today in the
    cooperative's time zone, both included; a refused approval admits nobody and takes no
    member number."""

    def assert_refused_and_nothing_stored(self, applications, on, *fragments):
        before = last_audit_id()
        with pytest.raises(InvalidInput) as exc:
            services.applications_approve(actor=REGISTRAR,
                                          application_ids=[a.pk for a in applications], on=on)
        assert list(exc.value.errors) == ["on"]
        for fragment in fragments:
            assert fragment in exc.value.errors["on"][0] and fragment in exc.value.message
        assert actions(before) == []
        assert not Member.objects.exists()
        assert set(Application.objects.filter(pk__in=[a.pk for a in applications])
                   .values_list("status", flat=True)) == {Application.Status.PENDING}
        assert not Counter.objects.filter(name="member_number", last_value__gt=0).exists()

    def test_an_approval_after_today_is_refused(self, klass):
        application = submit(klass)
        self.assert_refused_and_nothing_stored(
            [application], timezone.localdate() + timedelta(days=1), "future")
        # The refusal used no number: the next approval is number 1.
        assert approve(application, on=timezone.localdate()).member_number == 1

    def test_an_approval_dated_today_is_accepted(self, klass):
        application = services.application_submit(  # submitted now, approved today
            stakeholder_class=klass, shares=2, name="Ada", email="ada@example.org")
        member = approve(application, on=timezone.localdate())
        assert fresh(member).joined_on == timezone.localdate()
        assert fresh(member).subscription.subscribed_on == timezone.localdate()

    def test_an_approval_before_the_application_is_refused(self, klass):
        application = backdate(submit(klass), datetime(2026, 3, 10, 12, tzinfo=UTC))
        self.assert_refused_and_nothing_stored([application], date(2026, 3, 9), "2026-03-10",
                                               f"#{application.pk}")

    def test_an_approval_on_the_day_of_the_application_is_accepted(self, klass):
        application = backdate(submit(klass), datetime(2026, 3, 10, 12, tzinfo=UTC))
        member = approve(application, on=date(2026, 3, 10))
        assert (member.member_number, fresh(member).joined_on) == (1, date(2026, 3, 10))

    def test_a_batch_is_dated_no_earlier_than_its_latest_application(self, klass):
        early = backdate(submit(klass), datetime(2026, 3, 2, 12, tzinfo=UTC))
        late = backdate(submit(klass), datetime(2026, 3, 10, 12, tzinfo=UTC))
        # Valid for `early`, not for `late`: the whole batch is refused, `early` included.
        self.assert_refused_and_nothing_stored([early, late], date(2026, 3, 5), "2026-03-10",
                                               f"#{late.pk}")
        members = services.applications_approve(actor=REGISTRAR,
                                                application_ids=[early.pk, late.pk],
                                                on=date(2026, 3, 10))
        assert [m.member_number for m in members] == [1, 2]

    def test_a_refused_approval_inside_a_larger_transaction_takes_no_number(self, klass):
        admit(klass)  # number 1
        application = submit(klass)
        with transaction.atomic():
            with pytest.raises(InvalidInput):
                approve(application, on=timezone.localdate() + timedelta(days=1))
            assert Counter.objects.get(name="member_number").last_value == 1
        assert approve(application).member_number == 2

    # The day of the application in the cooperative's time zone: 12:00 UTC on 10 March is
    # 11 March in Kiritimati (UTC+14) and still 10 March in Pago Pago (UTC-11).
    @pytest.mark.parametrize(("zone", "local_day"), [("Pacific/Kiritimati", date(2026, 3, 11)),
                                                     ("Pacific/Pago_Pago", date(2026, 3, 10))])
    def test_the_application_day_is_the_cooperatives_day(self, klass, settings, zone, local_day):
        settings.TIME_ZONE = zone
        application = backdate(submit(klass), datetime(2026, 3, 10, 12, tzinfo=UTC))
        self.assert_refused_and_nothing_stored([application], local_day - timedelta(days=1),
                                               local_day.isoformat())
        assert fresh(approve(application, on=local_day)).joined_on == local_day

    @pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
    def test_today_is_the_cooperatives_today(self, klass, settings, zone):
        settings.TIME_ZONE = zone
        application = submit(klass)
        today = timezone.localdate()
        self.assert_refused_and_nothing_stored([application], today + timedelta(days=1),
                                               "future")
        assert fresh(approve(application, on=today)).joined_on == today

    def test_the_default_date_is_today(self, klass):
        assert fresh(admit(klass, on=None)).joined_on == timezone.localdate()


# --- the member's own profile ----------------------------------------------------------------

class TestProfileUpdate:
    def test_a_new_name_is_saved_trimmed_and_audited_without_the_name(self):
        user = UserFactory(full_name="Ada Byron")
        before = last_audit_id()
        returned = services.profile_update(user=user, full_name="  Ada Lovelace ")
        assert returned.full_name == "Ada Lovelace"
        user.refresh_from_db()
        assert user.full_name == "Ada Lovelace"
        record = AuditRecord.objects.get(pk__gt=before)
        assert (record.action, record.object_type, record.object_id) == (
            "user.profile_updated", "user", str(user.pk))
        assert record.actor_id == user.pk  # the person, when no other actor is named
        assert record.facts == {"fields": ["full_name"]}
        assert "Lovelace" not in str(record.facts) and "Byron" not in str(record.facts)

    def test_staff_acting_for_the_person_is_the_actor(self, staff):
        user = UserFactory(full_name="Ada Byron")
        services.profile_update(user=user, full_name="Ada Lovelace", actor=staff)
        assert AuditRecord.objects.get(action="user.profile_updated").actor_id == staff.pk

    @pytest.mark.parametrize("name", ["Ada Lovelace", "  Ada Lovelace  "])
    def test_the_same_name_again_changes_nothing_and_records_nothing(self, name):
        user = UserFactory(full_name="Ada Lovelace")
        before = last_audit_id()
        assert services.profile_update(user=user, full_name=name).full_name == "Ada Lovelace"
        assert actions(before) == []

    def test_compares_with_the_stored_name_not_a_stale_copy(self):
        user = UserFactory(full_name="Ada Byron")
        stale = type(user).objects.get(pk=user.pk)
        services.profile_update(user=user, full_name="Ada Lovelace")
        before = last_audit_id()
        services.profile_update(user=stale, full_name="Ada Byron")  # back again: a change
        user.refresh_from_db()
        assert user.full_name == "Ada Byron"
        assert actions(before) == ["user.profile_updated"]

    @pytest.mark.parametrize(("name", "fragment"), [
        ("", "required"), ("   ", "required"), (None, "required"),
        ("x" * 201, "at most 200 characters"),
    ])
    def test_a_blank_or_too_long_name_is_refused_and_nothing_changes(self, name, fragment):
        user = UserFactory(full_name="Ada Lovelace")
        before = last_audit_id()
        with pytest.raises(InvalidInput) as exc:
            services.profile_update(user=user, full_name=name)
        assert list(exc.value.errors) == ["full_name"]
        assert fragment in exc.value.errors["full_name"][0]
        assert user.full_name == "Ada Lovelace"  # the caller's copy is untouched too
        user.refresh_from_db()
        assert user.full_name == "Ada Lovelace"
        assert actions(before) == []

    def test_a_name_of_exactly_200_characters_is_accepted(self):
        user = UserFactory(full_name="Ada Lovelace")
        services.profile_update(user=user, full_name="x" * 200)
        user.refresh_from_db()
        assert user.full_name == "x" * 200
