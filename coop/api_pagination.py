from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_PAGE = 1_000_000

# The query parameters of a paginated list, for `extend_schema(parameters=...)` on a plain
# GenericAPIView, which drf-spectacular does not recognise as a list on its own.
PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number (from 1)."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Items per page (max 200)."),
]


class Pagination(PageNumberPagination):
    """`{next, previous, results}` (API.md); the count is left out on purpose: counting a
    100,000-row table on every page costs more than the page itself."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """`page_size` absent: the default; above the maximum: the maximum (DRF's rule); not a
        whole number from 1 up (empty included: the schema says integer): 400, rather than
        silently the default."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return min(_positive_int(self.page_size_query_param, raw), self.max_page_size)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(),
                         "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def paginate_queryset(self, queryset, request, view=None):
        # Skip COUNT(*): fetch one row more than the page to know whether there is a next one.
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        raw = request.query_params.get(self.page_query_param)
        # `page=-5`, `page=0` or `page=abc` is a client bug: 400, not silently page 1. Bounded
        # so the OFFSET always fits the database's integer (SQLite errs beyond 2**63).
        self.page_number = 1 if raw is None else _positive_int(
            self.page_query_param, raw, maximum=MAX_PAGE)
        offset = (self.page_number - 1) * page_size
        rows = list(queryset[offset : offset + page_size + 1])
        self.has_next = len(rows) > page_size
        return rows[:page_size]

    def get_next_link(self):
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.page_number + 1)

    def get_previous_link(self):
        if self.page_number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.page_number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.page_number - 1)


def _positive_int(name: str, raw: str, *, maximum: int | None = None) -> int:
    message = f"Must be a whole number from 1{f' to {maximum}' if maximum else ''}."
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise serializers.ValidationError({name: [message]})
    value = int(raw)
    if value < 1 or (maximum is not None and value > maximum):
        raise serializers.ValidationError({name: [message]})
    return value
