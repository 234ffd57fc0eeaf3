"""The staff second factor: one predicate for every face (the admin, the API, the web pages,
the services through `membership.rules.is_staff`).

With ADMIN_REQUIRE_2FA (on in production) a staff account counts as staff only once it has a
TOTP authenticator (allauth.mfa); until then it is treated as a non-staff person for every
staff-only action, so a stolen staff password alone cannot approve an application or record a
payment through the API or a staff page any more than through the admin. Off (the embedded
default, the tests) every staff account acts as staff.
"""

from contextlib import suppress

from django.conf import settings

SET_UP_MESSAGE = ("Staff need two-factor authentication for this: "
                  "set up two-factor authentication first.")

# Cached on the user object: the rules are called many times per request and promise not to
# cost a query each time (one query per request and user at most).
_CACHE_ATTR = "_coop_has_totp"


def staff_has_second_factor(user) -> bool:
    """The user has a TOTP authenticator (allauth.mfa), whatever the setting says."""
    if getattr(user, "pk", None) is None or not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        from allauth.mfa.models import Authenticator

        cached = Authenticator.objects.filter(user_id=user.pk,
                                              type=Authenticator.Type.TOTP).exists()
        with suppress(AttributeError):  # an object that takes no attributes: ask next time
            setattr(user, _CACHE_ATTR, cached)
    return cached


def staff_may_act(user) -> bool:
    """A staff account may use its staff powers: it is staff and, with ADMIN_REQUIRE_2FA, has
    the second factor."""
    if not getattr(user, "is_staff", False):
        return False
    return not settings.ADMIN_REQUIRE_2FA or staff_has_second_factor(user)


def staff_lacks_second_factor(user) -> bool:
    """A staff account held back only by the missing second factor: the faces then say so (a
    403 naming it on the API, a redirect to the setup page on the web) instead of answering as
    to a non-staff person."""
    return (bool(getattr(user, "is_staff", False)) and getattr(user, "pk", None) is not None
            and settings.ADMIN_REQUIRE_2FA and not staff_has_second_factor(user))


def set_up_redirect(request):
    """For a staff page: the redirect to the two-factor setup page (with a message), or None
    when the user is not a staff account missing its second factor."""
    if not staff_lacks_second_factor(request.user):
        return None
    from django.contrib import messages
    from django.shortcuts import redirect

    messages.warning(request, SET_UP_MESSAGE)
    return redirect("mfa_activate_totp")
