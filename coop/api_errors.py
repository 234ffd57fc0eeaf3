"""RFC 9457 problem+json for every API error."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from .errors import ServiceError

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://coop.example/problems/"


def problem_response(status_code: int, title: str, detail: str, *, code: str,
                     errors: dict | None = None, headers: dict | None = None) -> Response:
    body = {"type": TYPE_BASE + code, "title": title, "status": status_code, "detail": detail}
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _flatten(detail, prefix="") -> dict[str, list[str]]:
    """DRF error detail (nested dicts/lists) -> {field: [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(i) for i in detail)
        else:
            for index, item in enumerate(detail):
                for k, v in _flatten(item, f"{prefix}[{index}]").items():
                    out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def problem_exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        titles = {400: "Invalid request", 403: "Not allowed", 404: "Not found",
                  409: "Conflict with the current state"}
        return problem_response(exc.status, titles.get(exc.status, "Error"), exc.message,
                                code=exc.code, errors=exc.errors or None)
    if isinstance(exc, DjangoValidationError):
        errors = (exc.message_dict if hasattr(exc, "error_dict")
                  else {"non_field_errors": exc.messages})
        return problem_response(400, "Invalid request", "; ".join(exc.messages),
                                code="invalid", errors=errors)
    if isinstance(exc, DataError) or (
            isinstance(exc, OverflowError) and "too large to convert" in str(exc)):
        # The database refused a value the serializers let through (a NUL in a filter, an
        # integer past its column; SQLite says OverflowError): bad input, not a server error.
        # Nothing was stored: the atomic block around the write has rolled back.
        set_rollback()
        return problem_response(400, "Invalid request",
                                "A value is out of range or contains characters that cannot "
                                "be stored.", code="invalid")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None  # a real server error: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        return problem_response(status.HTTP_400_BAD_REQUEST, "Invalid request", detail,
                                code="invalid", errors=errors)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = getattr(exc, "default_code", "error")
    headers = {k: v for k, v in response.headers.items()
               if k in ("Retry-After", "WWW-Authenticate")}
    title = {401: "Not authenticated", 403: "Not allowed", 404: "Not found",
             405: "Method not allowed", 429: "Too many requests"}.get(response.status_code, "Error")
    return problem_response(response.status_code, title, str(detail), code=code, headers=headers)


# --- problem+json outside DRF's views: middleware and error handlers --------------------------

_TITLES = {400: "Invalid request", 401: "Not authenticated", 403: "Not allowed", 404: "Not found",
           405: "Method not allowed", 409: "Conflict with the current state",
           413: "Request body too large", 429: "Too many requests", 500: "Server error",
           503: "Service unavailable"}
_CODES = {400: "invalid", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 413: "too_large", 429: "throttled", 500: "server_error",
          503: "unavailable"}


def plain_problem_response(status_code: int, detail: str, *, headers: dict | None = None):
    """The same problem+json body as `problem_response`, as a plain Django response: for
    answers given before (or instead of) a DRF view, e.g. Django's 404 for an unknown path."""
    import json

    from django.http import HttpResponse

    code = _CODES.get(status_code, "error")
    body = {"type": TYPE_BASE + code, "title": _TITLES.get(status_code, "Error"),
            "status": status_code, "detail": detail}
    return HttpResponse(json.dumps(body), status=status_code, content_type=PROBLEM_CONTENT_TYPE,
                        headers=headers)


def allauth_error_response(status_code: int, message: str, *, headers: dict | None = None):
    """An error in django-allauth's headless format (API.md: its endpoints keep it)."""
    import json

    from django.http import HttpResponse

    body = {"status": status_code,
            "errors": [{"message": message, "code": _CODES.get(status_code, "error")}]}
    return HttpResponse(json.dumps(body), status=status_code, content_type="application/json",
                        headers=headers)
