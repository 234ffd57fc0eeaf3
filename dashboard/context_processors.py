from django.utils.functional import SimpleLazyObject

from coop import notices
from membership.selectors import member_of


def nav_counts(request):
    # Lazy: counted only when a page renders it (the nav of a full page; htmx partials and API
    # answers never do), and only for a signed-in member.
    return {"unread_notifications": SimpleLazyObject(lambda: _unread_notifications(request))}


def _unread_notifications(request) -> str:
    """The nav's count of every app's unread notices as text: "" for none (and for visitors and
    people without a member row, without a query), "99+" beyond the cap."""
    member = member_of(getattr(request, "user", None))
    if member is None:
        return ""
    count = notices.unread_count(member)
    if count > notices.UNREAD_CAP:
        return f"{notices.UNREAD_CAP}+"
    return str(count) if count else ""
