"""The inbox in the REST API (API.md: `GET notifications/`, `POST notifications/read/`, both
answering `[{id, kind, title, url, created_at, read_at}]`): the signed-in member's notices of
every app, newest first, paginated like every list. A partner key has no inbox (403), nor does
a person without a member row."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser

from coop.api_auth import IsSignedInPerson
from coop.api_schema import problems
from coop.models import Notice

from . import selectors, services
from .api import PAGE, AwareDateTimeField, _caller_member


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "kind", "title", "url", "created_at", "read_at"]


class MarkReadSerializer(serializers.Serializer):
    up_to = AwareDateTimeField(
        required=False,
        help_text="Mark those created up to this time (when the list was shown); default now.")


class _InboxView(GenericAPIView):
    serializer_class = NoticeSerializer
    permission_classes = [IsSignedInPerson]

    def _member(self, request):
        member = _caller_member(request)
        if member is None:
            raise PermissionDenied("Notifications are a member's.")
        return member

    def _page(self, request, member):
        page = self.paginate_queryset(selectors.notifications_for(member))
        return self.get_paginated_response(NoticeSerializer(page, many=True).data)


class NotificationListView(_InboxView):
    @extend_schema(operation_id="notifications_list", parameters=PAGE,
                   description="The signed-in member's notifications of every kind, newest "
                               "first.",
                   responses={200: NoticeSerializer(many=True), **problems(401, 403)})
    def get(self, request):
        return self._page(request, self._member(request))


class NotificationReadView(_InboxView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="notifications_read", request=MarkReadSerializer,
                   description="Mark the member's unread notifications read (up to `up_to`); "
                               "answers the first page of the list, as GET does.",
                   responses={200: NoticeSerializer(many=True), **problems(400, 401, 403)})
    def post(self, request):
        member = self._member(request)
        # No body parses as {} (mark all); `null` or `[]` is not an object: a 400.
        form = MarkReadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.notifications_mark_read(member=member, up_to=form.validated_data.get("up_to"))
        return self._page(request, member)
