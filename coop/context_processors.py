from django.utils.functional import SimpleLazyObject

from .models import Cooperative


def cooperative(request):
    from django.conf import settings

    return {
        "coop_name": settings.COOP_NAME,
        "cooperative": Cooperative.current,
        # Lazy: counted only when a page renders it (the nav of a full page; htmx partials and
        # API answers never do), and only for a signed-in member.
        "unread_notifications": SimpleLazyObject(lambda: _unread_notifications(request)),
    }


def _unread_notifications(request) -> str:
    """The nav's count of unread notifications as text: "" for none (and for visitors and
    people without a member row, without a query), "99+" beyond the cap."""
    # Imported here: this foundation module imports nothing from the apps at load time.
    from membership.selectors import member_of

    from .notices import UNREAD_CAP, unread_count

    member = member_of(getattr(request, "user", None))
    if member is None:
        return ""
    count = unread_count(member)
    if count > UNREAD_CAP:
        return f"{UNREAD_CAP}+"
    return str(count) if count else ""
