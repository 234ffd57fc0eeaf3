"""OpenAPI pieces every app's API shares: the problem+json error body and the
Idempotency-Key header."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error of this API is answered."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Field name → messages, for validation failures.",
    )


_PROBLEM_DESCRIPTIONS = {
    400: "Invalid input (`errors` maps each field to its messages).",
    401: "Not authenticated.",
    403: "Not allowed for this caller.",
    404: "Unknown (or not visible to this caller).",
    409: "Conflicts with the current state, or an Idempotency-Key reused with another body.",
}


def problems(*codes: int) -> dict:
    return {
        (code, "application/problem+json"): OpenApiResponse(ProblemSerializer,
                                                             _PROBLEM_DESCRIPTIONS[code])
        for code in codes
    }


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Retry safely: the same key and body replay the first response (kept 48 h); "
                "the same key with another body answers 409.",
)


# Answers any operation may give, added to every operation of the schema by
# `add_global_problems` (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): clients generated from
# the schema then know them, and schema fuzzers accept them.
_GLOBAL_PROBLEMS = {
    400: "Invalid input: a malformed query parameter (pagination, a NUL character) or body "
         "(JSON nested too deep, a NUL character).",
    413: "The request body is larger than the server accepts.",
    503: "The database is unreachable for a moment; retry after `Retry-After` seconds.",
}
_METHODS = {"get", "put", "post", "patch", "delete"}


def add_global_problems(result, generator, request, public):
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            codes = [503]
            has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
            if "requestBody" in operation or has_query:
                codes.append(400)
            if "requestBody" in operation:
                codes.append(413)
            responses = operation.setdefault("responses", {})
            for code in codes:
                entry = {"description": _GLOBAL_PROBLEMS[code], "content": {
                    "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}}
                if code == 503:
                    entry["headers"] = {"Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before retrying."}}
                responses.setdefault(str(code), entry)
    return result
