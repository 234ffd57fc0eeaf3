from django.utils.functional import SimpleLazyObject

from governance import blocks as governance_blocks
from membership.selectors import member_of


def nav_counts(request):
    # Lazy: counted only when a page renders it (the nav of a full page; htmx partials and API
    # answers never do), and only for a signed-in member.
    return {"unread_notifications": SimpleLazyObject(lambda: _unread_notifications(request))}


def _unread_notifications(request) -> str:
    """"" for visitors and people without a member row (without a query), else governance's
    count as the nav shows it."""
    member = member_of(getattr(request, "user", None))
    if member is None:
        return ""
    return governance_blocks.unread_notifications(member)
