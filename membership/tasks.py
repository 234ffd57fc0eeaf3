from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template import Context
from django.template.loader import get_template

from coop import mail
from coop.models import Cooperative

from .models import Application, Member

# The application's decision and a recorded payment are notices (membership/notices.py).
SUBJECTS = {
    "application_received": "We received your application",
    "member_active": "You are now an active member",
}


def _context(kind: str, application_id=None, member_id=None) -> tuple[str, dict]:
    if application_id is not None:
        application = Application.objects.select_related("stakeholder_class").get(
            pk=application_id)
        return application.email, {"application": application}
    member = Member.objects.select_related("stakeholder_class", "subscription").get(pk=member_id)
    return member.email, {"member": member}


@shared_task(bind=True, **mail.RETRY)
def send_membership_email(self, kind: str, **ids) -> None:
    """Tell the person what happened. One message, retried only while it has not gone out; an
    address the server refuses for good is logged (by id) and dropped."""
    to, context = _context(kind, **ids)
    if not to:
        return
    context |= {"coop_name": settings.COOP_NAME, "site_url": settings.SITE_URL,
                "coop": Cooperative.current()}
    # Plain text is not HTML: nothing is escaped ("Photographers' Cooperative", not &#x27;).
    body = get_template(f"membership/email/{kind}.txt").template.render(
        Context(context, autoescape=False))
    message = EmailMessage(f"[{settings.COOP_NAME}] {SUBJECTS[kind]}", body, None, [to])
    about = ", ".join(f"{name.removesuffix('_id')} {value}" for name, value in ids.items())
    mail.send_one(self, f"{kind} for {about}", message)


@shared_task
def erase_names_due() -> int:
    """Daily: the names of erased former members whose retention period has ended."""
    from coop.actors import ERASE_NAMES_DUE

    from .services import erase_names_due as erase

    return erase(actor=ERASE_NAMES_DUE)
