"""The proposal categories endpoint."""


from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from coop.api_schema import problems

from .. import selectors
from ..models import (
    Category,
)
from ._common import CanRead


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name", "min_quorum_percent", "min_threshold", "min_discussion_hours",
                  "min_voting_hours"]
        read_only_fields = fields


# --- views --------------------------------------------------------------------------------


class CategoryListView(GenericAPIView):
    permission_classes = [CanRead]
    pagination_class = None

    @extend_schema(operation_id="governance_categories_list",
                   responses={200: CategorySerializer(many=True), **problems(401, 403)})
    def get(self, request):
        return Response(CategorySerializer(selectors.categories(), many=True).data)
