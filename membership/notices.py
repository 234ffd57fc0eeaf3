"""Membership's notice kinds (registered in MembershipConfig.ready): an application decided
(approved: to the new member; rejected: to the applicant, who is no member) and a share payment
recorded. Members and applicants are the recipients membership registers."""

from django.urls import reverse

from coop.models import Cooperative
from coop.notices import NoticeKind, register, register_recipient

from .models import Application, Member, SharePayment


def _member(member_id: int) -> Member:
    return Member.objects.select_related("stakeholder_class", "subscription").get(pk=member_id)


def _payment(payment_id: int) -> SharePayment:
    return SharePayment.objects.select_related("member__subscription").get(pk=payment_id)


def _application(application_id: int) -> Application:
    return Application.objects.select_related("stakeholder_class").get(pk=application_id)


def _home(_target) -> str:
    return reverse("home")


def _paying(member: Member) -> dict:
    """What an email about paying for shares reads: the cooperative (its currency and payment
    details) and the reference this member is asked to use."""
    cooperative = Cooperative.current()
    return {"coop": cooperative,
            "reference": cooperative.payment_reference_for(member.member_number)}


KINDS = [
    NoticeKind(
        name="membership.application_approved",
        label="Your application was approved",
        title=lambda m: f"Welcome: your application was approved (member number "
                        f"{m.member_number})",
        url=_home,
        context=lambda m: {"member": m} | _paying(m),
        target_model=Member,
        load=_member,
    ),
    NoticeKind(
        name="membership.application_rejected",
        label="Your application was not accepted",
        title=lambda a: "About your application",
        context=lambda a: {"application": a},
        target_model=Application,
        load=_application,
        audience="applicant",
    ),
    NoticeKind(
        name="membership.payment_recorded",
        label="A share payment of yours was recorded",
        title=lambda p: (
            f"We recorded your share payment of {p.paid_on.day} {p.paid_on:%B %Y}"),
        url=_home,
        context=lambda p: {"payment": p, "member": p.member} | _paying(p.member),
        target_model=SharePayment,
        load=_payment,
    ),
]


def register_kinds() -> None:
    register_recipient(Member)
    register_recipient(Application)
    for kind in KINDS:
        register(kind)
