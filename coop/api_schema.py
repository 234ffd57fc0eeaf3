"""OpenAPI pieces every app's API shares: the problem+json error body and the
Idempotency-Key header."""

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


# The bounds coop.idempotency.idempotent enforces (1 to 200 characters, not only blanks; else
# 400): a client generated from the schema then refuses a key the server would refuse.
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
    OpenApiParameter.HEADER, required=False,
    description="Retry safely: the same key and body replay the first response (kept 48 h); "
                "the same key with another body answers 409. 1 to 200 characters, not only "
                "blanks (else 400).",
)


# Answers any operation may give, added to every operation of the schema by
# `add_global_problems` (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): clients generated from
# the schema then know them, and schema fuzzers accept them.
_GLOBAL_PROBLEMS = {
    400: "Invalid input: a malformed query parameter (pagination, a NUL character) or body "
         "(JSON nested too deep, a NUL character).",
    409: "The Idempotency-Key was used before with another body, or its first request is "
         "still running.",
    413: "The request body is larger than the server accepts.",
    415: "The request body's Content-Type is not one this operation accepts.",
    429: "Too many requests from this caller; retry after `Retry-After` seconds.",
    503: "The database is unreachable for a moment; retry after `Retry-After` seconds.",
}
_METHODS = {"get", "put", "post", "patch", "delete"}


def _null_allowed_beside_refs(node) -> None:
    """`{allOf: [$ref], nullable: true}` (drf-spectacular's nullable nested serializer) does
    not admit null under OpenAPI 3.0.3: `nullable` only widens a `type` in the same object, and
    the referenced object's `type: object` refuses null, so strict validators and generated
    clients reject the null the API answers. Say it as a choice: the object, or null."""
    if isinstance(node, dict):
        all_of = node.get("allOf")
        if node.get("nullable") and isinstance(all_of, list) and len(all_of) == 1:
            node["oneOf"] = [all_of[0], {"enum": [None]}]
            del node["allOf"]
        for value in node.values():
            _null_allowed_beside_refs(value)
    elif isinstance(node, list):
        for value in node:
            _null_allowed_beside_refs(value)


def add_global_problems(result, generator, request, public):
    _null_allowed_beside_refs(result.get("components", {}).get("schemas", {}))
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            codes = [429, 503]
            parameters = operation.get("parameters", [])
            has_query = any(p.get("in") == "query" for p in parameters)
            # A malformed Idempotency-Key answers 400 and a reused one 409, even on an
            # operation without a body (approve).
            has_key = any(p.get("in") == "header" and p.get("name") == "Idempotency-Key"
                          for p in parameters)
            if "requestBody" in operation or has_query or has_key:
                codes.append(400)
            if has_key:
                codes.append(409)
            if "requestBody" in operation:
                codes += [413, 415]
            responses = operation.setdefault("responses", {})
            for code in codes:
                entry = {"description": _GLOBAL_PROBLEMS[code], "content": {
                    "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}}
                if code in (429, 503):
                    entry["headers"] = {"Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before retrying."}}
                responses.setdefault(str(code), entry)
    return result
