from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Cooperative


class CooperativeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="The COOP_NAME setting.")

    class Meta:
        model = Cooperative
        fields = ["name", "currency", "quorum_percent", "fiscal_year_start"]


class CooperativeView(APIView):
    """The cooperative's configuration; anyone signed in (or any key) may read it."""

    @extend_schema(responses=CooperativeSerializer)
    def get(self, request):
        return Response(CooperativeSerializer(Cooperative.current()).data)
