from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect


class AdminTwoFactorMiddleware:
    """With ADMIN_REQUIRE_2FA (production), a staff account must have two-factor switched on
    to reach the admin; allauth then asks for the code at every sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.ADMIN_REQUIRE_2FA
            and request.path.startswith("/admin/")
            and request.user.is_authenticated
            and request.user.is_staff
        ):
            from allauth.mfa.utils import is_mfa_enabled

            if not is_mfa_enabled(request.user):
                messages.warning(request, "Staff need two-factor authentication to use the admin.")
                return redirect("mfa_activate_totp")
        return self.get_response(request)
