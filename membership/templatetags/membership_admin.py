"""Template tags of the staff's admin pages."""

from django import template

from ..models import Application

register = template.Library()


@register.simple_tag(takes_context=True)
def pending_applications(context) -> int | None:
    """How many applications wait for a decision (one COUNT over the status index), for staff
    who may see applications; None for the others, so the index says nothing."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("membership.view_application"):
        return None
    return Application.objects.filter(status=Application.Status.PENDING).count()
