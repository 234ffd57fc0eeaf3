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
