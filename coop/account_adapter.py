"""allauth's account adapter, changed only where a locked-out sign-in must say when the person
can try again (issue #8): allauth's own message is "Try again later." with no time."""

import math
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.core.cache import cache
from django.core.exceptions import ValidationError


def login_failed_wait_seconds(request, key: str) -> int:
    """Seconds until the exhausted `login_failed` rates (per IP and per e-mail) free a slot,
    read from the same cache windows allauth keeps (history is newest first)."""
    now = time.time()
    wait = 0.0
    for rate in ratelimit.get_rates(app="allauth.account", action="login_failed"):
        cache_key = ratelimit.get_cache_key(request, app="allauth.account",
                                            action="login_failed", rate=rate, key=key)
        history = [ts for ts in cache.get(cache_key, []) if ts > now - rate.duration]
        if len(history) >= rate.amount:
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait))


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as exc:
            if getattr(exc, "code", None) != "too_many_login_attempts":
                raise
            key = self._get_login_attempts_cache_key(request, **credentials)
            seconds = login_failed_wait_seconds(request, key)
            # RequestGuardMiddleware turns this into a Retry-After header on the answer.
            request.coop_retry_after = seconds
            minutes = math.ceil(seconds / 60)
            unit = "minute" if minutes == 1 else "minutes"
            raise ValidationError(
                f"Too many failed login attempts. Try again in {minutes} {unit}.",
                code="too_many_login_attempts") from exc


# allauth's headless 429 (its `rate_limit` decorators) carries no Retry-After; the action per
# path lets RequestGuardMiddleware add one from the same cache windows.
_HEADLESS_ACTIONS = {"auth/login": "login", "auth/signup": "signup",
                     "auth/password/request": "reset_password",
                     "auth/password/reset": "reset_password_from_key",
                     "auth/reauthenticate": "reauthenticate",
                     "account/password/change": "change_password"}


def headless_retry_after_seconds(request) -> int | None:
    path = request.path.rstrip("/")
    action = next((a for suffix, a in _HEADLESS_ACTIONS.items() if path.endswith(suffix)), None)
    if action is None:
        return None
    rates = ratelimit.get_rates(app="allauth.account", action=action)
    if not rates:
        return None
    now = time.time()
    wait = 0.0
    for rate in rates:
        if rate.per == "key" or (rate.per == "user" and not request.user.is_authenticated):
            # The key (an e-mail) is not known here: the whole window is an honest upper bound.
            wait = max(wait, rate.duration)
            continue
        cache_key = ratelimit.get_cache_key(request, app="allauth.account", action=action,
                                            rate=rate)
        history = [ts for ts in cache.get(cache_key, []) if ts > now - rate.duration]
        if len(history) >= rate.amount:
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait))
