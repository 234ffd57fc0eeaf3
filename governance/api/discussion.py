"""The discussion under a proposal."""


from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from coop.api_auth import IsSignedInPerson
from coop.api_fields import StrictCharField, StrictIntegerField
from coop.api_schema import IDEMPOTENCY_KEY, problems
from coop.idempotency import idempotent

from .. import services
from ..models import (
    Comment,
)
from ._common import ID, MAX_ID, PAGE, CanRead, _caller_member, _target

# --- discussion and follow-up -------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="member_number", read_only=True,
                                          help_text="The author's member number.")
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True,
                                      help_text="The comment this one answers, if any.")

    class Meta:
        model = Comment
        fields = ["id", "author", "parent", "body", "created_at"]
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer):
    body = StrictCharField(max_length=20_000)
    parent = StrictIntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True,
        help_text="The id of the comment this one answers (on the same proposal).")

    def validate_parent(self, value):
        if value is None:
            return None
        # Looked up within the proposal: a comment elsewhere is refused like an unknown one,
        # so a reply never links two discussions.
        parent = Comment.objects.filter(pk=value, proposal=self.context["proposal"]).first()
        if parent is None:
            raise serializers.ValidationError("No such comment on this proposal.")
        return parent


class CommentListView(GenericAPIView):
    serializer_class = CommentSerializer
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsSignedInPerson()]
        return [CanRead()]

    @extend_schema(operation_id="proposals_comments_list", parameters=[ID, *PAGE],
                   description="The discussion, oldest first.",
                   responses={200: CommentSerializer(many=True), **problems(401, 403, 404)})
    def get(self, request, id):
        proposal = _target(request, id)
        comments = (Comment.objects.filter(proposal=proposal).select_related("author")
                    .order_by("created_at", "pk"))
        page = self.paginate_queryset(comments)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        operation_id="proposals_comments_create", parameters=[ID, IDEMPOTENCY_KEY],
        request=CommentCreateSerializer,
        description="A member (active or awaiting payment) comments, or answers a comment of "
                    "the same proposal. A partner key never comments. 409 on a draft or a "
                    "withdrawn proposal.",
        responses={201: CommentSerializer, **problems(400, 401, 403, 404, 409)},
    )
    def post(self, request, id):
        member = _caller_member(request)
        if member is None:
            raise PermissionDenied("Only members take part in the discussion.")
        proposal = _target(request, id)
        return idempotent(request, lambda: self._post(request, proposal, member))

    def _post(self, request, proposal, member):
        serializer = CommentCreateSerializer(data=request.data, context={"proposal": proposal})
        serializer.is_valid(raise_exception=True)
        comment = services.comment_post(proposal=proposal, member=member,
                                        **serializer.validated_data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
