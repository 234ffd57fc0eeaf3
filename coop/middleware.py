import logging

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect

logger = logging.getLogger(__name__)


class AdminTwoFactorMiddleware:
    """With ADMIN_REQUIRE_2FA (production), a staff account must have two-factor switched on
    to reach the admin; allauth then asks for the code at every sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/") and request.user.is_authenticated:
            # The one predicate every face uses (coop.mfa): TOTP, and only with the setting on.
            from .mfa import staff_lacks_second_factor

            if staff_lacks_second_factor(request.user):
                messages.warning(request, "Staff need two-factor authentication to use the admin.")
                return redirect("mfa_activate_totp")
        return self.get_response(request)


# --- the API's answers to bad requests and to a database outage -------------------------------

API_PREFIX = "/api/"
ALLAUTH_PREFIX = "/_allauth/"
DB_RETRY_AFTER_SECONDS = 5
_PROBLEM_TYPES = ("application/problem+json", "application/json")


def _is_allauth(request) -> bool:
    return request.path.startswith(ALLAUTH_PREFIX)


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _error(request, status_code: int, detail: str, *, headers: dict | None = None):
    from .api_errors import allauth_error_response, plain_problem_response

    if _is_allauth(request):
        return allauth_error_response(status_code, detail, headers=headers)
    return plain_problem_response(status_code, detail, headers=headers)


class RequestGuardMiddleware:
    """Under `/api/` and allauth's headless `/_allauth/`, refuse before any view runs:
    - a body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 (Django alone would answer a 400 page);
    - JSON nested deeper than `coop.parsers.MAX_JSON_DEPTH`, or with a NUL: 400 (json.loads
      would recurse into a RecursionError, PostgreSQL would refuse the NUL: both were 500s);
    - a NUL in the query string: 400.
    Under `/api/` an error answer that is not JSON yet (Django's 404 for an unknown path or a
    non-integer id, its 400 for a suspicious request, a 500) becomes problem+json."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _is_api(request) or _is_allauth(request):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        response = self.get_response(request)
        retry_after = getattr(request, "coop_retry_after", None)  # set by coop.account_adapter
        if retry_after and response.status_code >= 400 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(retry_after)
        if _is_allauth(request) and response.status_code == 429 \
                and not response.has_header("Retry-After"):
            from .account_adapter import headless_retry_after_seconds

            seconds = headless_retry_after_seconds(request)
            if seconds:
                response["Retry-After"] = str(seconds)
        if (_is_api(request) and response.status_code >= 400
                and response.get("Content-Type", "").split(";")[0] not in _PROBLEM_TYPES):
            headers = {k: response[k] for k in ("Retry-After", "Allow") if response.has_header(k)}
            response = _error(request, response.status_code, _DETAILS.get(
                response.status_code, "The request could not be answered."), headers=headers)
        return response

    def _refusal(self, request):
        from django.core.exceptions import RequestDataTooBig

        from .parsers import json_body_problem

        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            return _error(request, 400, "NUL characters are not accepted in the query string.")
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        try:
            body = request.body  # read once; Django keeps it for the view
        except RequestDataTooBig:
            return _error(request, 413, f"The request body is larger than "
                                        f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
        if "json" in request.content_type:
            problem = json_body_problem(body)
            if problem:
                return _error(request, 400, problem)
        return None


_DETAILS = {400: "The request is malformed.",
            404: "No such resource: the path is unknown, or an id in it is not a valid id.",
            405: "This method is not allowed here.", 413: "The request body is too large.",
            500: "An unexpected error on the server; it has been logged."}


DATABASE_DOWN = "The database is unreachable for a moment. Please try again in a few seconds."


def database_unavailable(exc) -> bool:
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError))


def database_unavailable_response(request):
    """503 with Retry-After: problem+json under `/api/` (allauth's format under `/_allauth/`),
    else a self-contained page rendered without the request, so no context processor (nor
    anything else) touches the database that is down."""
    headers = {"Retry-After": str(DB_RETRY_AFTER_SECONDS)}
    if _is_api(request) or _is_allauth(request):
        return _error(request, 503, DATABASE_DOWN, headers=headers)
    from django.http import HttpResponse
    from django.template.loader import render_to_string

    html = render_to_string("503.html", {"retry_after": DB_RETRY_AFTER_SECONDS})
    return HttpResponse(html, status=503, headers=headers)


class DatabaseUnavailableMiddleware:
    """A database outage (a restart, a failover) answers 503 with Retry-After, so clients
    retry, instead of a 500. Nothing is lost: the transaction in flight has rolled back. Last
    in MIDDLEWARE so it sees the views' exceptions; `coop.views.server_error` (handler500) does
    the same for an outage first noticed in a middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_unavailable(exception):
            logger.warning("Database unavailable on %s %s: %s", request.method, request.path,
                           exception)
            return database_unavailable_response(request)
        return None
