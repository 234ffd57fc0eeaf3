"""RFC 9457 problem+json for every API error."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

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
