"""Partner API keys (`Authorization: Api-Key <key>`), scopes, caller identity and throttles."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from .models import PartnerApiKey


class ApiKeyPrincipal:
    """request.user for a partner key: authenticated, but never a member and never staff."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key: PartnerApiKey):
        self.key = key

    def __str__(self):
        return f"API key {self.key.name}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(self.keyword + " "):
            return None
        raw = header[len(self.keyword) + 1 :].strip()
        try:
            key = PartnerApiKey.objects.get_from_key(raw)
        except PartnerApiKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.") from None
        if key.has_expired or key.revoked:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Names partner keys in the OpenAPI schema (subclassing registers it with drf-spectacular);
    the definition is the `ApiKey` security scheme declared in SPECTACULAR_SETTINGS."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return settings.SPECTACULAR_SETTINGS["APPEND_COMPONENTS"]["securitySchemes"]["ApiKey"]


def key_allows(key, scope: str) -> bool:
    """What a partner key's scope allows: the one rule, for permission classes, views that
    check a scope by hand and the apps' rules modules. False for anything not a live key
    (a person, a system actor, None); "*" allows every scope."""
    return isinstance(key, PartnerApiKey) and key.has_scope(scope)


def api_key_of(request) -> PartnerApiKey | None:
    return request.auth if isinstance(request.auth, PartnerApiKey) else None


def acting_user(request):
    """The signed-in person (None for a partner key or anonymous)."""
    user = request.user
    if api_key_of(request) or not getattr(user, "is_authenticated", False):
        return None
    return user


def actor_of(request):
    """What the audit trail records as the actor: the user or the partner key."""
    return api_key_of(request) or acting_user(request)


def caller_id(request) -> str:
    key = api_key_of(request)
    if key:
        # The prefix is unique and short; the pk (prefix.hash, ~100 chars) would overflow
        # IdempotencyRecord.caller (80) on PostgreSQL.
        return f"key:{key.prefix}"
    user = acting_user(request)
    if user:
        return f"user:{user.pk}"
    return "anon"


def HasScope(scope: str):  # noqa: N802 - reads like a permission class at the call site
    class _HasScope(permissions.BasePermission):
        message = f"This API key lacks the scope {scope}."

        def has_permission(self, request, view):
            return key_allows(api_key_of(request), scope)

    _HasScope.__name__ = f"HasScope[{scope}]"
    return _HasScope


class IsStaffUser(permissions.BasePermission):
    """A staff person who may use staff powers (coop.mfa.staff_may_act: with ADMIN_REQUIRE_2FA,
    only once two-factor is set up)."""

    def has_permission(self, request, view):
        from .mfa import SET_UP_MESSAGE, staff_lacks_second_factor, staff_may_act

        user = acting_user(request)
        if user is not None and staff_lacks_second_factor(user):
            # Raised rather than returned: under `HasScope(...) | IsStaffUser` DRF would answer
            # the generic 403, and staff must learn what to do.
            raise exceptions.PermissionDenied(SET_UP_MESSAGE)
        return bool(user and staff_may_act(user))


class IsSignedInPerson(permissions.BasePermission):
    """A person (browser session or app token), not a partner key."""

    message = "This needs a signed-in person; an API key cannot do it."

    def has_permission(self, request, view):
        return acting_user(request) is not None


class CallerRateThrottle(throttling.UserRateThrottle):
    """Throttle per person or per key (UserRateThrottle alone would lump every key together)."""

    def get_cache_key(self, request, view):
        ident = caller_id(request)
        if ident == "anon":
            return None  # AnonRateThrottle handles these
        return self.cache_format % {"scope": self.scope, "ident": ident}
