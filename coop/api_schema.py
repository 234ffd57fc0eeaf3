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
