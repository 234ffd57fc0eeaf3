from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from .models import Application, Member, SharePayment

SUBJECTS = {
    "application_received": "We received your application",
    "application_approved": "Welcome: your application was approved",
    "application_rejected": "About your application",
    "payment_recorded": "We recorded your share payment",
    "member_active": "You are now an active member",
}


def _context(kind: str, application_id=None, member_id=None, payment_id=None) -> tuple[str, dict]:
    if application_id is not None:
        application = Application.objects.select_related("stakeholder_class").get(
            pk=application_id)
        return application.email, {"application": application}
    if payment_id is not None:
        payment = SharePayment.objects.select_related("member__subscription").get(pk=payment_id)
        return payment.member.email, {"payment": payment, "member": payment.member}
    member = Member.objects.select_related("stakeholder_class", "subscription").get(pk=member_id)
    return member.email, {"member": member}


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_membership_email(kind: str, **ids) -> None:
    """Tell the person what happened. Safe to run twice (it only sends a message)."""
    to, context = _context(kind, **ids)
    if not to:
        return
    context |= {"coop_name": settings.COOP_NAME, "site_url": settings.SITE_URL}
    body = render_to_string(f"membership/email/{kind}.txt", context)
    send_mail(f"[{settings.COOP_NAME}] {SUBJECTS[kind]}", body, None, [to])
