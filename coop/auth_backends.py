"""The authentication backends, loading the signed-in person's member row with the user.

Every page and API call by a member needs both (the nav, the permissions, the ballot): one
joined query instead of two on each request. `membership.selectors.member_of` reads the
cached row. (`member` is the reverse one-to-one from membership.Member.user, named by string
so that this foundation module imports nothing from the apps.)

allauth signs people in with its own backend whenever one is configured (its adapter looks
for an instance of its class), and the session remembers which backend did: both are
subclassed here so that every session reads the user this way.
"""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends, get_user_model


class _UserWithMember:
    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("member__stakeholder_class")
        try:
            # get(), not filter().first(): no ORDER BY to compile (~0.4 ms of CPU here, on
            # every request).
            user = users.get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class ModelBackend(_UserWithMember, backends.ModelBackend):
    """Django's (tests' force_login, the `createsuperuser` flow)."""


class AuthenticationBackend(_UserWithMember, allauth_backends.AuthenticationBackend):
    """allauth's (sign-in by email, the headless app's sessions)."""
